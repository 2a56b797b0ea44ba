-- Give back every job a worker process that is gone still held, uncounted: jobs it
-- claimed ahead and never started, or claimed as it died. Its supervisor calls this
-- once it has recorded the fate of the jobs it knew had started; lease expiry would
-- count an attempt for each, and with one attempt send it dead without a run.
-- KEYS[1] -> active ZSET   KEYS[2] -> pending levels ZSET   KEYS[3] -> signal LIST
-- KEYS[4] -> events STREAM   KEYS[5] -> cancelled ZSET   KEYS[6] -> settings HASH
-- ARGV[1] -> worker id   ARGV[2] -> job key prefix   ARGV[3] -> events max length
-- ARGV[4] -> now (ms)   ARGV[5] -> default result TTL (s)
-- Output: how many jobs were given back
local n = 0
for _, id in ipairs(redis.call("ZRANGE", KEYS[1], 0, -1)) do
  local key = ARGV[2] .. id
  local f = redis.call("HMGET", key, "state", "token", "att", "cancel", "rttl", "worker")
  if f[1] == "active" and f[6] == ARGV[1] then
    giveBack(key, id, f, KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], ARGV[3], ARGV[4], ARGV[5])
    n = n + 1
  end
end
return n
