-- Read only: a queue's counts per state and its oldest waiting job.
-- KEYS[1] -> pending levels ZSET   KEYS[2..6] -> scheduled, active, completed, cancelled,
--   dead ZSETs
-- Output: {pending, scheduled, active, completed, cancelled, dead, oldest pending id | false}
--   (the oldest of the jobs at the head of each priority level)
local out = {pendingDepth(KEYS[1])}
for i = 2, 6 do out[i] = redis.call("ZCARD", KEYS[i]) end
local oldest = false
for _, level in ipairs(redis.call("ZRANGE", KEYS[1], 0, -1)) do
  local head = redis.call("LINDEX", KEYS[1] .. ":" .. level, 0)
  if head and (not oldest or head < oldest) then oldest = head end
end
out[7] = oldest
return out
