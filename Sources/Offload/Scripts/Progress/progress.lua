-- Store a running job's progress.
-- KEYS[1] -> the job's HASH   KEYS[2] -> events STREAM
-- ARGV[1] -> job id   ARGV[2] -> lease token   ARGV[3] -> percent (0-100)   ARGV[4] -> message
-- ARGV[5] -> events max length
-- Output: 1 stored | 0 the lease was lost
local f = redis.call("HMGET", KEYS[1], "state", "token")
if f[1] ~= "active" or f[2] ~= ARGV[2] then return 0 end
redis.call("HSET", KEYS[1], "prog", ARGV[3], "pmsg", ARGV[4])
emit(KEYS[2], ARGV[5], "progress", ARGV[1], "percent", ARGV[3], "message", ARGV[4])
return 1
