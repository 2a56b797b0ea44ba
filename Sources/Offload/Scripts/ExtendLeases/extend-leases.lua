-- Heartbeat: extend the leases a worker still holds.
-- KEYS[1] -> active ZSET
-- ARGV[1] -> now (ms)   ARGV[2] -> job key prefix   ARGV[3..] -> triples: id, token, lease ms
-- Output: {{ids whose lease is lost}, {ids whose cancellation was requested}}
local now = tonumber(ARGV[1])
local lost, cancel = {}, {}
for i = 3, #ARGV, 3 do
  local id = ARGV[i]
  local f = redis.call("HMGET", ARGV[2] .. id, "state", "token", "cancel")
  if f[1] == "active" and f[2] == ARGV[i + 1] then
    redis.call("ZADD", KEYS[1], "XX", now + tonumber(ARGV[i + 2]), id)
    if f[3] then table.insert(cancel, id) end
  else
    table.insert(lost, id)
  end
end
return {lost, cancel}
