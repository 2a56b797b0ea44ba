-- Return jobs whose lease expired (their worker died or stalled) to pending, or to
-- dead when they have used their attempts, or to cancelled when cancellation was
-- requested (the request must not be lost with the run). Then sweep finished jobs whose
-- result TTL ended and dead jobs past the dead set's bounds, so they go even when no
-- job finishes or dies. Safe to run from every process at once.
-- KEYS[1] -> active ZSET   KEYS[2] -> pending levels ZSET   KEYS[3] -> dead ZSET
-- KEYS[4] -> signal LIST   KEYS[5] -> events STREAM   KEYS[6] -> cancelled ZSET
-- KEYS[7] -> completed ZSET   KEYS[8] -> settings HASH
-- ARGV[1] -> now (ms)   ARGV[2] -> job key prefix   ARGV[3] -> max jobs
-- ARGV[4] -> dead max count   ARGV[5] -> dead max age (ms)   ARGV[6] -> events max length
-- ARGV[7] -> error JSON recorded on the job   ARGV[8] -> stats key prefix
-- ARGV[9] -> default result TTL (s)
-- Output: {requeued, dead} (cancelled jobs are in neither)
local now = tonumber(ARGV[1])
local expired = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", now, "LIMIT", 0, tonumber(ARGV[3]))
local resultTTL, deadMax, deadAgeMs = retention(KEYS[8], ARGV[9], ARGV[4], ARGV[5])
local requeued, died = 0, 0
for _, id in ipairs(expired) do
  local key = ARGV[2] .. id
  redis.call("ZREM", KEYS[1], id)
  local f = redis.call("HMGET", key, "state", "att", "max", "cancel", "rttl")
  if f[1] == "active" then
    redis.call("HDEL", key, "token", "cancel")
    redis.call("HSET", key, "error", ARGV[7])
    recordRun(key, ARGV[8], now, "failed")
    if f[4] then
      redis.call("HSET", key, "state", "cancelled", "ftime", ARGV[1])
      finishKept(key, KEYS[6], id, now, tonumber(f[5]) or resultTTL)
      freeJobUnique(key, id)
      emit(KEYS[5], ARGV[6], "cancelled", id)
    elseif tonumber(f[2] or "0") < tonumber(f[3] or "1") then
      redis.call("HDEL", key, "prog", "pmsg")
      makePending(KEYS[2], key, id)
      emit(KEYS[5], ARGV[6], "retrying", id, "error", ARGV[7])
      requeued = requeued + 1
    else
      redis.call("HSET", key, "state", "dead", "ftime", ARGV[1])
      redis.call("ZADD", KEYS[3], now, id)
      freeJobUnique(key, id)
      emit(KEYS[5], ARGV[6], "dead", id, "error", ARGV[7])
      died = died + 1
    end
  end
end
if requeued > 0 then wake(KEYS[4], requeued) end
trimDead(KEYS[3], ARGV[2], now, deadMax, deadAgeMs)
sweepFinished(KEYS[7], ARGV[2], now, 1000)
sweepFinished(KEYS[6], ARGV[2], now, 1000)
return {requeued, died}
