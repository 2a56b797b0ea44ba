-- Promote due scheduled jobs, then lease up to N pending jobs to one worker.
-- KEYS[1] -> pending levels ZSET   KEYS[2] -> scheduled ZSET   KEYS[3] -> active ZSET
-- KEYS[4] -> signal LIST    KEYS[5] -> paused flag      KEYS[6] -> events STREAM
-- ARGV[1] -> now (ms)   ARGV[2] -> max jobs   ARGV[3] -> lease token   ARGV[4] -> worker id
-- ARGV[5] -> default lease (ms)   ARGV[6] -> job key prefix   ARGV[7] -> events max length
-- Output: {next, id, type, payload, attempt, max attempts, timeout, lease ms, ...} where
--   next is -2 when paused, else the ms the next scheduled job is due (-1: none);
--   7 fields per claimed job follow.
local now = tonumber(ARGV[1])
promoteDue(KEYS[2], KEYS[1], ARGV[6], now)
if redis.call("EXISTS", KEYS[5]) == 1 then return {-2} end
local out = {-1}
local leases = {}  -- score, member pairs: one ZADD for the whole claim
local leaseEnd = integerTexts()
local started, attempts = {}, {}
for _, id in ipairs(popPending(KEYS[1], tonumber(ARGV[2]))) do
  local key = ARGV[6] .. id
  local f = redis.call("HMGET", key, "type", "payload", "att", "max", "tmo", "lease", "state", "uniq", "usc")
  if f[1] and f[7] == "pending" then
    if f[9] == "s" then freeUnique(f[8], id) end  -- scope until_started ends here
    local attempt = tonumber(f[3] or "0") + 1
    local lease = tonumber(f[6] or ARGV[5])
    redis.call("HSET", key, "state", "active", "att", f[3] and tostring(attempt) or "1", "token", ARGV[3],
      "worker", ARGV[4], "stime", ARGV[1])
    leases[#leases + 1], leases[#leases + 2] = leaseEnd(now + lease), id
    started[#started + 1], attempts[#attempts + 1] = id, attempt
    local n = #out
    out[n + 1], out[n + 2], out[n + 3], out[n + 4] = id, f[1], f[2], attempt
    out[n + 5], out[n + 6], out[n + 7] = f[4] or "1", f[5] or "0", lease
  end
end
if #leases > 0 then redis.call("ZADD", KEYS[3], unpack(leases)) end
emitBatch(KEYS[6], ARGV[7], "started", started, "attempts", table.concat(attempts, " "))
if #out == 1 then
  -- Nothing to do: clear stale wake-ups so the worker really blocks until new work.
  redis.call("DEL", KEYS[4])
  local nextDue = redis.call("ZRANGE", KEYS[2], 0, 0, "WITHSCORES")
  if #nextDue > 0 then out[1] = tonumber(nextDue[2]) end
end
return out
