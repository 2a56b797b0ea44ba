-- Delete an empty queue's own keys (its wake-up list, pause flag, settings, events and
-- run totals); refuse while any job of any state is left. Per-minute stats expire by
-- themselves, and idempotency keys name no job any more.
-- KEYS[1] -> pending levels ZSET   KEYS[2..6] -> scheduled, active, completed, cancelled,
--   dead ZSETs   KEYS[7..11] -> signal, paused, settings, events, run totals
-- Output: {} when removed | {pending, scheduled, active, completed, cancelled, dead}
local left = {pendingDepth(KEYS[1])}
local any = left[1] > 0
for i = 2, 6 do
  left[i] = redis.call("ZCARD", KEYS[i])
  any = any or left[i] > 0
end
if any then return left end
redis.call("DEL", unpack(KEYS))
return {}
