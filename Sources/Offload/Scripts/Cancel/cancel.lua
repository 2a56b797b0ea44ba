-- Cancel a job: at once when it waits, through its handler when it runs.
-- KEYS[1] -> the job's HASH   KEYS[2] -> pending levels ZSET   KEYS[3] -> scheduled ZSET
-- KEYS[4] -> cancelled ZSET   KEYS[5] -> events STREAM   KEYS[6] -> settings HASH
-- ARGV[1] -> job id   ARGV[2] -> now (ms)   ARGV[3] -> default result TTL (s)
-- ARGV[4] -> events max length
-- Output: "now-cancelled" (it was waiting) | "cancelling" (active: the flag is set) |
--   "missing" | the finished state it already has ("completed", "dead", "cancelled")
local f = redis.call("HMGET", KEYS[1], "state", "rttl", "prio")
local state = f[1]
if not state then return "missing" end
if state == "active" then
  redis.call("HSET", KEYS[1], "cancel", "1")
  emit(KEYS[5], ARGV[4], "cancelling", ARGV[1])
  return "cancelling"
end
if state == "pending" then
  removePending(KEYS[2], ARGV[1], f[3] or "0")
elseif state == "scheduled" then
  redis.call("ZREM", KEYS[3], ARGV[1])
else
  return state
end
redis.call("HSET", KEYS[1], "state", "cancelled", "ftime", ARGV[2])
finishKept(KEYS[1], KEYS[4], ARGV[1], tonumber(ARGV[2]), tonumber(f[2]) or retention(KEYS[6], ARGV[3]))
freeJobUnique(KEYS[1], ARGV[1])
emit(KEYS[5], ARGV[4], "cancelled", ARGV[1])
return "now-cancelled"
