-- Store the results of finished runs whose caller still holds their lease; a worker
-- sends the results that are ready together.
-- KEYS[1] -> active ZSET   KEYS[2] -> completed ZSET   KEYS[3] -> events STREAM
-- KEYS[4] -> settings HASH
-- ARGV[1] -> now (ms)   ARGV[2] -> default result TTL (s)   ARGV[3] -> events max length
-- ARGV[4] -> stats key prefix   ARGV[5] -> job key prefix
-- ARGV[6..] -> triples: job id, lease token, result JSON
-- Output: per job, in order: 1 completed (now, or before by this same run: a worker
--   stores again a result whose replication was not confirmed) | 0 the lease was lost
--   (expired and reclaimed, or cancelled)
local now = tonumber(ARGV[1])
local resultTTL = retention(KEYS[4], ARGV[2])
local out = {}
local tally = newTally()
-- One ZREM from the active set and one ZADD to the completed set for the whole batch.
local ended, kept = {}, {}
local keptUntil = integerTexts()
for i = 6, #ARGV, 3 do
  local id = ARGV[i]
  local key = ARGV[5] .. id
  local f = redis.call("HMGET", key, "state", "token", "rttl", "type", "stime", "cancel", "uniq")
  if f[1] == "completed" and f[2] == ARGV[i + 1] then
    -- Stored before by this run (its token stays on the completed job): nothing to do.
    out[#out + 1] = 1
  elseif f[1] ~= "active" or f[2] ~= ARGV[i + 1] then
    out[#out + 1] = 0
  else
    local ttl = tonumber(f[3]) or resultTTL
    redis.call("HSET", key, "state", "completed", "result", ARGV[i + 2], "ftime", ARGV[1])
    if f[6] then redis.call("HDEL", key, "cancel") end
    freeUnique(f[7], id)
    ended[#ended + 1] = id
    kept[#kept + 1], kept[#kept + 2] = keptUntil(now + ttl * 1000), id
    tallyRun(tally, f[4], f[5], now, "processed")
    out[#out + 1] = 1
  end
end
if #ended > 0 then
  redis.call("ZREM", KEYS[1], unpack(ended))
  redis.call("ZADD", KEYS[2], unpack(kept))
  emitBatch(KEYS[3], ARGV[3], "completed", ended)
end
-- Sweeping up to twice the jobs completed here keeps up with any completion rate.
sweepFinished(KEYS[2], ARGV[5], now, 2 * #ended + 10)
storeRuns(tally, ARGV[4], now)
return out
