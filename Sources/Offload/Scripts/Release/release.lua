-- Give a job back to the front of pending without counting its run: its worker is
-- shutting down and did not finish it in the grace period, or claimed it ahead and
-- had no slot for it in time. A job whose cancellation was requested ends cancelled
-- instead of running again.
-- KEYS[1] -> the job's HASH   KEYS[2] -> active ZSET   KEYS[3] -> pending levels ZSET
-- KEYS[4] -> signal LIST   KEYS[5] -> events STREAM   KEYS[6] -> cancelled ZSET
-- KEYS[7] -> settings HASH
-- ARGV[1] -> job id   ARGV[2] -> lease token   ARGV[3] -> events max length
-- ARGV[4] -> now (ms)   ARGV[5] -> default result TTL (s)
-- Output: 1 released (or cancelled) | 0 the lease was lost
local f = redis.call("HMGET", KEYS[1], "state", "token", "att", "cancel", "rttl")
if f[1] ~= "active" or f[2] ~= ARGV[2] then return 0 end
giveBack(KEYS[1], ARGV[1], f, KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], ARGV[3], ARGV[4], ARGV[5])
return 1
