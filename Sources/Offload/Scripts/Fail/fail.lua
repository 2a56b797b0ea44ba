-- Record a failed run: retry later, send to dead, or end as cancelled.
-- KEYS[1] -> the job's HASH   KEYS[2] -> active ZSET   KEYS[3] -> scheduled ZSET
-- KEYS[4] -> dead ZSET        KEYS[5] -> cancelled ZSET  KEYS[6] -> signal LIST
-- KEYS[7] -> events STREAM   KEYS[8] -> settings HASH
-- ARGV[1] -> job id   ARGV[2] -> lease token   ARGV[3] -> error JSON   ARGV[4] -> now (ms)
-- ARGV[5] -> retry delay (ms)   ARGV[6] -> "retry" (if attempts remain) | "dead" | "cancel"
-- ARGV[7] -> dead max count   ARGV[8] -> dead max age (ms)   ARGV[9] -> default result TTL (s)
-- ARGV[10] -> job key prefix   ARGV[11] -> events max length   ARGV[12] -> stats key prefix
--   A run whose cancellation was requested ends cancelled, whatever the caller asked: its
--   process may have crashed or been killed for its timeout before the handler saw it.
-- Output: "scheduled" | "dead" | "cancelled" | "lost" (the caller no longer holds the lease)
local f = redis.call("HMGET", KEYS[1], "state", "token", "att", "max", "rttl", "cancel")
if f[1] ~= "active" or f[2] ~= ARGV[2] then return "lost" end
local id, now = ARGV[1], tonumber(ARGV[4])
local disposition = f[6] and "cancel" or ARGV[6]
redis.call("ZREM", KEYS[2], id)
redis.call("HDEL", KEYS[1], "token", "cancel")
redis.call("HSET", KEYS[1], "error", ARGV[3])
recordRun(KEYS[1], ARGV[12], now, "failed")
if disposition == "cancel" then
  redis.call("HSET", KEYS[1], "state", "cancelled", "ftime", ARGV[4])
  finishKept(KEYS[1], KEYS[5], id, now, tonumber(f[5]) or retention(KEYS[8], ARGV[9]))
  freeJobUnique(KEYS[1], id)
  emit(KEYS[7], ARGV[11], "cancelled", id)
  return "cancelled"
end
if disposition == "retry" and tonumber(f[3] or "0") < tonumber(f[4] or "1") then
  local runAt = now + tonumber(ARGV[5])
  redis.call("HDEL", KEYS[1], "prog", "pmsg")  -- the next run reports its own
  redis.call("HSET", KEYS[1], "state", "scheduled", "run_at", runAt)
  redis.call("ZADD", KEYS[3], runAt, id)
  wake(KEYS[6])
  emit(KEYS[7], ARGV[11], "retrying", id, "error", ARGV[3], "run_at", runAt)
  return "scheduled"
end
redis.call("HSET", KEYS[1], "state", "dead", "ftime", ARGV[4])
redis.call("ZADD", KEYS[4], now, id)
freeJobUnique(KEYS[1], id)
local _, deadMax, deadAgeMs = retention(KEYS[8], ARGV[9], ARGV[7], ARGV[8])
trimDead(KEYS[4], ARGV[10], now, deadMax, deadAgeMs)
emit(KEYS[7], ARGV[11], "dead", id, "error", ARGV[3])
return "dead"
