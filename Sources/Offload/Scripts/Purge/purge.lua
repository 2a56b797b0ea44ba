-- Delete up to N jobs of one finished or waiting state; a `purged` event names them, so
-- whoever waits on one of them (long-poll, SSE, `submit --wait`) learns it is gone.
-- KEYS[1] -> the state's ZSET, or the pending levels ZSET   KEYS[2] -> events STREAM
-- ARGV[1] -> job key prefix   ARGV[2] -> max jobs   ARGV[3] -> "pending" | "set"
-- ARGV[4] -> events max length
-- Output: number of jobs deleted (call again while it equals the maximum)
local ids
if ARGV[3] == "pending" then
  ids = popPending(KEYS[1], tonumber(ARGV[2]))
else
  ids = redis.call("ZRANGE", KEYS[1], 0, tonumber(ARGV[2]) - 1)
  if #ids > 0 then redis.call("ZREM", KEYS[1], unpack(ids)) end
end
for _, id in ipairs(ids) do redis.call("DEL", ARGV[1] .. id) end
emitBatch(KEYS[2], ARGV[4], "purged", ids)
return #ids
