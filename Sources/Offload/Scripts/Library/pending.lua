-- Pending jobs: one LIST per priority level, oldest first (RPUSH, LPOP), and a ZSET of
-- the levels that hold jobs (member = priority, score = -priority, so the first member
-- is the highest priority). `levels` is that ZSET's key; a level's list is
-- `levels .. ":" .. priority`.
-- `ids`: jobs of one priority, in order. `front`: the one job was already taken in
-- order (handed back), so it goes first.
local function pushPending(levels, ids, priority, front)
  local level = tostring(tonumber(priority) or 0)
  if redis.call(front and "LPUSH" or "RPUSH", levels .. ":" .. level, unpack(ids)) == #ids then
    redis.call("ZADD", levels, -tonumber(level), level)
  end
end

-- Take up to `count` ids, highest priority first, FIFO within a priority.
local function popPending(levels, count)
  local ids = {}
  while count > 0 do
    local top = redis.call("ZRANGE", levels, 0, 0)
    if #top == 0 then break end
    local popped = redis.call("LPOP", levels .. ":" .. top[1], count)
    local n = 0
    if popped then
      n = #popped
      for i = 1, n do ids[#ids + 1] = popped[i] end
    end
    -- Fewer than asked: the level is empty now.
    if n < count then redis.call("ZREM", levels, top[1]) end
    count = count - n
  end
  return ids
end

-- Cancelling a waiting job scans its level's list, as Sidekiq's and BullMQ's deletes do.
local function removePending(levels, id, priority)
  local level = tostring(tonumber(priority) or 0)
  local list = levels .. ":" .. level
  redis.call("LREM", list, 1, id)
  if redis.call("LLEN", list) == 0 then redis.call("ZREM", levels, level) end
end

-- O(number of priority levels in use).
local function pendingDepth(levels)
  local depth = 0
  for _, level in ipairs(redis.call("ZRANGE", levels, 0, -1)) do
    depth = depth + redis.call("LLEN", levels .. ":" .. level)
  end
  return depth
end

-- Make a job waiting again (a retry, a handed-back or expired run), at its own priority.
local function makePending(levels, jobKey, id, front)
  pushPending(levels, {id}, redis.call("HGET", jobKey, "prio") or "0", front)
  redis.call("HSET", jobKey, "state", "pending")
end

-- Move due scheduled jobs (delayed or waiting for a retry) to pending.
local function promoteDue(scheduled, levels, jobPrefix, now)
  local due = redis.call("ZRANGEBYSCORE", scheduled, "-inf", now, "LIMIT", 0, 1000)
  for _, id in ipairs(due) do
    if redis.call("EXISTS", jobPrefix .. id) == 1 then
      makePending(levels, jobPrefix .. id, id)
    end
  end
  if #due > 0 then redis.call("ZREM", scheduled, unpack(due)) end
  return #due
end
