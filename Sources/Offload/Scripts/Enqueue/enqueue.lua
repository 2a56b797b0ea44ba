-- Enqueue jobs of one queue in order, each one created or, when its idempotency key
-- already names a job or its uniqueness key is held, answered with that job. API submits that arrive together ride one
-- call (group commit), so the wake-up and the `submitted` event are paid once per call.
-- KEYS[1] -> pending levels ZSET   KEYS[2] -> scheduled ZSET   KEYS[3] -> signal LIST
-- KEYS[4] -> events STREAM         KEYS[5] -> settings HASH
-- KEYS[3i + 3], KEYS[3i + 4], KEYS[3i + 5] (i from 1) -> job i's HASH, its idempotency
--   key and its uniqueness key (the HASH again for a key it has not)
-- ARGV[1] -> now (ms)   ARGV[2] -> events max length   ARGV[3] -> idempotency TTL (s)
-- ARGV[4..] -> per job: id, type, payload JSON, run at (ms, 0 = now), priority,
--   max attempts, uniqueness TTL (s, 0 = no key), n, then n field/value pairs kept on the
--   job (tmo, rttl, lease, idem, uniq = the uniqueness key's name, usc = its scope)
-- Output: three entries per job, in order: "created", id, state |
--   "existing", id, state | "duplicate", id, state (the holder of the uniqueness key) |
--   "full", depth, max depth | "reused", id, "" (the idempotency key names a job of
--   another type or payload); then 1 if the queue had no events stream (it is
--   new, was removed, or Redis lost its data: the caller lists it again), else 0
local fresh = redis.call("EXISTS", KEYS[4]) == 0
-- The created time is not stored: the id's ULID carries it.
local now = tonumber(ARGV[1])
local maxDepth = tonumber(redis.call("HGET", KEYS[5], "max_depth") or "0")
local depth = nil
if maxDepth > 0 then depth = pendingDepth(KEYS[1]) + redis.call("ZCARD", KEYS[2]) end
local out, created, types = {}, {}, {}
local byLevel, levelOrder = {}, {}  -- pending ids per priority: one RPUSH per level
local finished = {completed = true, dead = true, cancelled = true}
local a, k = 4, 6
while a <= #ARGV do
  local id, jobType, payload, runAtText, priority = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
  local maxAttempts, uniqueTTL, firstOption = ARGV[a + 5], ARGV[a + 6], a + 8
  local runAt = tonumber(runAtText)
  a = firstOption + 2 * tonumber(ARGV[a + 7])
  local jobKey, keyKey, uniqueKey = KEYS[k], KEYS[k + 1], KEYS[k + 2]
  k = k + 3
  local jobPrefix = jobKey:sub(1, #jobKey - #id)
  local useKey, useUnique = keyKey ~= jobKey, uniqueKey ~= jobKey
  local existing, existingJob = nil, nil
  if useKey then
    existing = redis.call("GET", keyKey)
    -- A key whose job is gone (purged, or its result expired) names nothing: submit anew.
    if existing then existingJob = redis.call("HMGET", jobPrefix .. existing, "state", "type", "payload") end
    if existingJob and not existingJob[1] then existingJob = nil end
  end
  local holder, holderState = nil, nil
  if useUnique and not existingJob then
    holder = redis.call("GET", uniqueKey)
    -- A holder gone or finished without freeing the key (purged, or its queue removed)
    -- holds nothing.
    if holder then holderState = redis.call("HGET", jobPrefix .. holder, "state") end
    if holderState and finished[holderState] then holderState = nil end
  end
  local n = #out
  if existingJob and (existingJob[2] ~= jobType or existingJob[3] ~= payload) then
    out[n + 1], out[n + 2], out[n + 3] = "reused", existing, ""
  elseif existingJob then
    out[n + 1], out[n + 2], out[n + 3] = "existing", existing, existingJob[1]
  elseif holderState then
    out[n + 1], out[n + 2], out[n + 3] = "duplicate", holder, holderState
  elseif depth and depth >= maxDepth then
    out[n + 1], out[n + 2], out[n + 3] = "full", depth, maxDepth
  else
    local state = "pending"
    if runAt > now then state = "scheduled" end
    local fields = {"type", jobType, "payload", payload, "state", state, "max", maxAttempts}
    -- Priority 0 is not stored (readers default to 0): one hash field less per job.
    if priority ~= "0" then fields[#fields + 1], fields[#fields + 2] = "prio", priority end
    for i = firstOption, a - 1 do fields[#fields + 1] = ARGV[i] end
    if state == "scheduled" then
      fields[#fields + 1], fields[#fields + 2] = "run_at", runAtText
    end
    redis.call("HSET", jobKey, unpack(fields))
    if state == "scheduled" then
      redis.call("ZADD", KEYS[2], runAtText, id)  -- the caller's integer text, not %.17g
    else
      local level = tostring(tonumber(priority) or 0)
      local ids = byLevel[level]
      if not ids then ids = {}; byLevel[level] = ids; levelOrder[#levelOrder + 1] = level end
      ids[#ids + 1] = id
    end
    if useKey then redis.call("SET", keyKey, id, "EX", ARGV[3]) end
    if useUnique then redis.call("SET", uniqueKey, id, "EX", uniqueTTL) end
    if depth then depth = depth + 1 end
    created[#created + 1], types[#types + 1] = id, jobType
    out[n + 1], out[n + 2], out[n + 3] = "created", id, state
  end
end
for _, level in ipairs(levelOrder) do pushPending(KEYS[1], byLevel[level], level) end
if #created > 0 then
  wake(KEYS[3], #created)
  emitBatch(KEYS[4], ARGV[2], "submitted", created, "types", table.concat(types, " "))
end
out[#out + 1] = (fresh and #created > 0) and 1 or 0
return out
