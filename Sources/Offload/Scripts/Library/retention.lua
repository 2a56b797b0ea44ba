-- How long finished jobs are kept, and the bounds of the dead set.
-- Bound the dead set by age and by count, deleting the jobs that fall out: at most 1,000
-- of each per call (Lua's unpack takes about 8,000 values), so a bound lowered far below
-- the set's size is reached over a few reaper passes, a second apart.
local function trimDead(dead, jobPrefix, now, maxCount, maxAgeMs)
  local old = redis.call("ZRANGEBYSCORE", dead, "-inf", now - maxAgeMs, "LIMIT", 0, 1000)
  for _, id in ipairs(old) do redis.call("DEL", jobPrefix .. id) end
  if #old > 0 then redis.call("ZREM", dead, unpack(old)) end
  local excess = math.min(redis.call("ZCARD", dead) - maxCount, 1000)
  if excess > 0 then
    local oldest = redis.call("ZRANGE", dead, 0, excess - 1)
    for _, id in ipairs(oldest) do redis.call("DEL", jobPrefix .. id) end
    redis.call("ZREMRANGEBYRANK", dead, 0, excess - 1)
  end
end

-- Retention: the queue's own settings (its settings HASH: `result_ttl` and `dead_ttl` in
-- seconds, `dead_max`) win over the defaults the calling process passes. Returns the
-- result TTL (s), the dead set's max count and its max age (ms).
local function retention(settings, resultTTL, deadMax, deadAgeMs)
  local s = redis.call("HMGET", settings, "result_ttl", "dead_max", "dead_ttl")
  return tonumber(s[1] or resultTTL), tonumber(s[2] or deadMax), s[3] and tonumber(s[3]) * 1000 or tonumber(deadAgeMs)
end

-- Completed and cancelled jobs are kept until their result TTL ends: the score in their
-- finished set is that time, and sweeps delete the jobs whose time is up, a bounded
-- number per call (as BullMQ and Asynq do), instead of an EXPIRE per job: a key
-- lookup, an expiry-index entry and a Lua call less on every completion.
local function sweepFinished(finishedSet, jobPrefix, now, limit)
  local due = redis.call("ZRANGEBYSCORE", finishedSet, "-inf", now, "LIMIT", 0, limit)
  if #due == 0 then return end
  local keys = {}
  for i, id in ipairs(due) do keys[i] = jobPrefix .. id end
  redis.call("DEL", unpack(keys))
  redis.call("ZREM", finishedSet, unpack(due))
end

local function finishKept(jobKey, finishedSet, id, now, ttlSeconds)
  redis.call("ZADD", finishedSet, now + ttlSeconds * 1000, id)
  sweepFinished(finishedSet, jobKey:sub(1, #jobKey - #id), now, 100)
end
