-- The queue's events STREAM, trimmed to about `maxlen`: one entry per change, `event`
-- and the job's `id`, then the event's own field/value pairs.
local function emit(stream, maxlen, event, id, ...)
  redis.call("XADD", stream, "MAXLEN", "~", maxlen, "*", "event", event, "id", id, ...)
end

-- One entry for the jobs a script call moved alike (an enqueue's `submitted`, a claim's
-- `started`, a batch's `completed`): `ids` lists them, space-separated, instead of `id`.
-- An entry naming k > 32 jobs counts as k / 32 entries toward maxlen: the stream keeps
-- at most about 32 · maxlen job ids (about 11 MB per queue at the default, not maxlen
-- entries of 256 ids each, 90 MB), still over a second of history for the API's
-- long-polls at 80,000 jobs/s. The trim is exact, so it bites at any stream length.
local function emitBatch(stream, maxlen, event, ids, ...)
  if #ids == 0 then return end
  local entries = math.max(1, math.floor(tonumber(maxlen) * 32 / math.max(32, #ids)))
  redis.call("XADD", stream, "MAXLEN", string.format("%d", entries), "*", "event", event,
    "ids", table.concat(ids, " "), ...)
end
