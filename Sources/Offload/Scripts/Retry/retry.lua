-- Run a dead or cancelled job again, with fresh attempts.
-- KEYS[1] -> the job's HASH   KEYS[2] -> dead ZSET   KEYS[3] -> cancelled ZSET
-- KEYS[4] -> pending levels ZSET   KEYS[5] -> signal LIST   KEYS[6] -> events STREAM
-- ARGV[1] -> job id   ARGV[2] -> events max length
-- Output: "retried" (now pending) | "missing" | the state that cannot be retried
local state = redis.call("HGET", KEYS[1], "state")
if state ~= "dead" and state ~= "cancelled" then
  -- An entry of either set for a job that is gone or in another state is stale: drop
  -- it, so a caller walking the dead set always moves on.
  redis.call("ZREM", KEYS[2], ARGV[1])
  redis.call("ZREM", KEYS[3], ARGV[1])
  return state or "missing"
end
redis.call("ZREM", KEYS[2], ARGV[1])
redis.call("ZREM", KEYS[3], ARGV[1])
redis.call("HDEL", KEYS[1], "att", "error", "result", "ftime", "stime", "prog", "pmsg", "worker", "cancel")
makePending(KEYS[4], KEYS[1], ARGV[1])
wake(KEYS[5])
emit(KEYS[6], ARGV[2], "retried", ARGV[1])
return "retried"
