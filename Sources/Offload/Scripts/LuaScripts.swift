import OffloadRedis

/// Every state change of a job is one of these scripts, so it is atomic in Redis.
/// Each script starts with the shared prelude (score and retention helpers) and states
/// its KEYS, ARGV and output at its top. Keys are always those of one queue (one slot).
package enum LuaScripts {
    static func script(_ name: String, _ body: String) -> RedisScript {
        RedisScript(name: name, source: prelude + "\n" + body)
    }

    /// Helpers shared by the scripts; there is one way to queue, take and count pending jobs.
    static let prelude = #"""
    -- Pending jobs: one LIST per priority level, oldest first (RPUSH, LPOP), and a ZSET of
    -- the levels that hold jobs (member = priority, score = -priority, so the first member
    -- is the highest priority). `levels` is that ZSET's key; a level's list is
    -- `levels .. ":" .. priority`.
    -- `ids`: jobs of one priority, in order. `front`: the one job was already taken in
    -- order (handed back), so it goes first.
    local function pushPending(levels, ids, priority, front)
      local level = tostring(tonumber(priority) or 0)
      if redis.call(front and "LPUSH" or "RPUSH", levels .. ":" .. level, unpack(ids)) == #ids then
        redis.call("ZADD", levels, -tonumber(level), level)
      end
    end

    -- Take up to `count` ids, highest priority first, FIFO within a priority.
    local function popPending(levels, count)
      local ids = {}
      while count > 0 do
        local top = redis.call("ZRANGE", levels, 0, 0)
        if #top == 0 then break end
        local popped = redis.call("LPOP", levels .. ":" .. top[1], count)
        local n = 0
        if popped then
          n = #popped
          for i = 1, n do ids[#ids + 1] = popped[i] end
        end
        -- Fewer than asked: the level is empty now.
        if n < count then redis.call("ZREM", levels, top[1]) end
        count = count - n
      end
      return ids
    end

    -- Cancelling a waiting job scans its level's list, as Sidekiq's and BullMQ's deletes do.
    local function removePending(levels, id, priority)
      local level = tostring(tonumber(priority) or 0)
      local list = levels .. ":" .. level
      redis.call("LREM", list, 1, id)
      if redis.call("LLEN", list) == 0 then redis.call("ZREM", levels, level) end
    end

    -- O(number of priority levels in use).
    local function pendingDepth(levels)
      local depth = 0
      for _, level in ipairs(redis.call("ZRANGE", levels, 0, -1)) do
        depth = depth + redis.call("LLEN", levels .. ":" .. level)
      end
      return depth
    end

    -- A Lua number given to redis.call is printed with "%.17g", a slow floating-point
    -- conversion; scores shared by a whole batch are printed once, as integers.
    local function integerTexts()
      local texts = {}
      return function(n)
        local text = texts[n]
        if not text then text = string.format("%d", n); texts[n] = text end
        return text
      end
    end

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

    -- Upper bounds (ms) of the run-duration histogram; a run longer than all is "+Inf".
    local durationBuckets = {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000}

    -- Runs that ended ("processed" or "failed") are tallied in plain counters (no string
    -- is built per run), then stored once per script call: this minute's throughput, and
    -- the queue's totals per job type with their durations (stats:runs, read for /metrics).
    local function newTally() return {minute = {}, outcomes = {}, durations = {}} end

    local function tallyRun(tally, jobType, startedAt, now, outcome)
      jobType = jobType or "?"
      tally.minute[outcome] = (tally.minute[outcome] or 0) + 1
      local byType = tally.outcomes[outcome]
      if not byType then byType = {}; tally.outcomes[outcome] = byType end
      byType[jobType] = (byType[jobType] or 0) + 1
      if startedAt then
        local duration = math.max(0, now - tonumber(startedAt))
        local bucket = #durationBuckets + 1  -- "+Inf"
        for i, bound in ipairs(durationBuckets) do
          if duration <= bound then bucket = i; break end
        end
        local d = tally.durations[jobType]
        if not d then d = {ms = 0, buckets = {}}; tally.durations[jobType] = d end
        d.ms = d.ms + duration
        d.buckets[bucket] = (d.buckets[bucket] or 0) + 1
      end
    end

    local function storeRuns(tally, statsPrefix, now)
      local minuteKey = statsPrefix .. math.floor(now / 60000)
      local any = false
      for outcome, n in pairs(tally.minute) do
        redis.call("HINCRBY", minuteKey, outcome, n)
        any = true
      end
      if any then redis.call("EXPIRE", minuteKey, 7200) end
      local runs = statsPrefix .. "runs"
      for outcome, byType in pairs(tally.outcomes) do
        for jobType, n in pairs(byType) do redis.call("HINCRBY", runs, outcome .. "|" .. jobType, n) end
      end
      for jobType, d in pairs(tally.durations) do
        for bucket, n in pairs(d.buckets) do
          local bound = durationBuckets[bucket] and tostring(durationBuckets[bucket]) or "+Inf"
          redis.call("HINCRBY", runs, "le:" .. bound .. "|" .. jobType, n)
        end
        redis.call("HINCRBY", runs, "ms|" .. jobType, d.ms)
      end
    end

    local function recordRun(jobKey, statsPrefix, now, outcome)
      local job = redis.call("HMGET", jobKey, "type", "stime")
      local tally = newTally()
      tallyRun(tally, job[1], job[2], now, outcome)
      storeRuns(tally, statsPrefix, now)
    end

    local function makePending(levels, jobKey, id, front)
      pushPending(levels, {id}, redis.call("HGET", jobKey, "prio") or "0", front)
      redis.call("HSET", jobKey, "state", "pending")
    end

    -- Move due scheduled jobs (delayed or waiting for a retry) to pending.
    local function promoteDue(scheduled, levels, jobPrefix, now)
      local due = redis.call("ZRANGEBYSCORE", scheduled, "-inf", now, "LIMIT", 0, 1000)
      for _, id in ipairs(due) do
        if redis.call("EXISTS", jobPrefix .. id) == 1 then
          makePending(levels, jobPrefix .. id, id)
        end
      end
      if #due > 0 then redis.call("ZREM", scheduled, unpack(due)) end
      return #due
    end

    -- Bound the dead set by age and by count, deleting the jobs that fall out: at most 1,000
    -- of each per call (Lua's unpack takes about 8,000 values), so a bound lowered far below
    -- the set's size is reached over a few reaper passes, a second apart.
    local function trimDead(dead, jobPrefix, now, maxCount, maxAgeMs)
      local old = redis.call("ZRANGEBYSCORE", dead, "-inf", now - maxAgeMs, "LIMIT", 0, 1000)
      for _, id in ipairs(old) do redis.call("DEL", jobPrefix .. id) end
      if #old > 0 then redis.call("ZREM", dead, unpack(old)) end
      local excess = math.min(redis.call("ZCARD", dead) - maxCount, 1000)
      if excess > 0 then
        local oldest = redis.call("ZRANGE", dead, 0, excess - 1)
        for _, id in ipairs(oldest) do redis.call("DEL", jobPrefix .. id) end
        redis.call("ZREMRANGEBYRANK", dead, 0, excess - 1)
      end
    end

    -- Retention: the queue's own settings (its settings HASH: `result_ttl` and `dead_ttl` in
    -- seconds, `dead_max`) win over the defaults the calling process passes. Returns the
    -- result TTL (s), the dead set's max count and its max age (ms).
    local function retention(settings, resultTTL, deadMax, deadAgeMs)
      local s = redis.call("HMGET", settings, "result_ttl", "dead_max", "dead_ttl")
      return tonumber(s[1] or resultTTL), tonumber(s[2] or deadMax), s[3] and tonumber(s[3]) * 1000 or tonumber(deadAgeMs)
    end

    -- Completed and cancelled jobs are kept until their result TTL ends: the score in their
    -- finished set is that time, and sweeps delete the jobs whose time is up, a bounded
    -- number per call (as BullMQ and Asynq do), instead of an EXPIRE per job: a key
    -- lookup, an expiry-index entry and a Lua call less on every completion.
    local function sweepFinished(finishedSet, jobPrefix, now, limit)
      local due = redis.call("ZRANGEBYSCORE", finishedSet, "-inf", now, "LIMIT", 0, limit)
      if #due == 0 then return end
      local keys = {}
      for i, id in ipairs(due) do keys[i] = jobPrefix .. id end
      redis.call("DEL", unpack(keys))
      redis.call("ZREM", finishedSet, unpack(due))
    end

    local function finishKept(jobKey, finishedSet, id, now, ttlSeconds)
      redis.call("ZADD", finishedSet, now + ttlSeconds * 1000, id)
      sweepFinished(finishedSet, jobKey:sub(1, #jobKey - #id), now, 100)
    end

    -- One wake-up token per job made ready (`count`, default 1), so as many waiting
    -- workers wake as there are jobs for them; the list holds at most 64 tokens.
    local function wake(signal, count)
      local n = math.min(count or 1, 64 - redis.call("LLEN", signal))
      if n <= 0 then return end
      local tokens = {}
      for i = 1, n do tokens[i] = "1" end
      redis.call("LPUSH", signal, unpack(tokens))
    end

    -- Give an active job back to the front of pending without counting its run (`f`: its
    -- state, token, att, cancel, rttl); one whose cancellation was requested ends cancelled.
    local function giveBack(jobKey, id, f, active, levels, signal, events, cancelled, settings, eventsMax, now, defaultTTL)
      redis.call("ZREM", active, id)
      redis.call("HDEL", jobKey, "token", "cancel")
      if f[4] then
        redis.call("HSET", jobKey, "state", "cancelled", "ftime", now)
        finishKept(jobKey, cancelled, id, tonumber(now), tonumber(f[5]) or retention(settings, defaultTTL))
        emit(events, eventsMax, "cancelled", id)
        return
      end
      redis.call("HSET", jobKey, "att", math.max(0, tonumber(f[3] or "1") - 1))
      redis.call("HDEL", jobKey, "prog", "pmsg")  -- waiting again: the next run reports its own
      makePending(levels, jobKey, id, true)
      wake(signal)
      emit(events, eventsMax, "released", id)
    end
    """#

    package static let enqueue = script("enqueue", #"""
    -- Enqueue jobs of one queue in order, each one created or, when its idempotency key
    -- already names a job, answered with that job. API submits that arrive together ride one
    -- call (group commit), so the wake-up and the `submitted` event are paid once per call.
    -- KEYS[1] -> pending levels ZSET   KEYS[2] -> scheduled ZSET   KEYS[3] -> signal LIST
    -- KEYS[4] -> events STREAM         KEYS[5] -> settings HASH
    -- KEYS[4 + 2i], KEYS[5 + 2i] -> job i's HASH and its idempotency key (the HASH again
    --   when it has none)
    -- ARGV[1] -> now (ms)   ARGV[2] -> events max length   ARGV[3] -> idempotency TTL (s)
    -- ARGV[4..] -> per job: id, type, payload JSON, run at (ms, 0 = now), priority,
    --   max attempts, n, then n field/value pairs kept on the job (tmo, rttl, lease, idem)
    -- Output: three entries per job, in order: "created", id, state |
    --   "existing", id, state | "full", depth, max depth | "reused", id, "" (the key names
    --   a job of another type or payload); then 1 if the queue had no events stream (it is
    --   new, was removed, or Redis lost its data: the caller lists it again), else 0
    local fresh = redis.call("EXISTS", KEYS[4]) == 0
    -- The created time is not stored: the id's ULID carries it.
    local now = tonumber(ARGV[1])
    local maxDepth = tonumber(redis.call("HGET", KEYS[5], "max_depth") or "0")
    local depth = nil
    if maxDepth > 0 then depth = pendingDepth(KEYS[1]) + redis.call("ZCARD", KEYS[2]) end
    local out, created, types = {}, {}, {}
    local byLevel, levelOrder = {}, {}  -- pending ids per priority: one RPUSH per level
    local a, k = 4, 6
    while a <= #ARGV do
      local id, jobType, payload, runAtText, priority = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
      local maxAttempts, firstOption = ARGV[a + 5], a + 7
      local runAt = tonumber(runAtText)
      a = firstOption + 2 * tonumber(ARGV[a + 6])
      local jobKey, keyKey = KEYS[k], KEYS[k + 1]
      k = k + 2
      local useKey = keyKey ~= jobKey
      local existing, existingJob = nil, nil
      if useKey then
        existing = redis.call("GET", keyKey)
        -- A key whose job is gone (purged, or its result expired) names nothing: submit anew.
        if existing then existingJob = redis.call("HMGET", jobKey:sub(1, #jobKey - #id) .. existing, "state", "type", "payload") end
        if existingJob and not existingJob[1] then existingJob = nil end
      end
      local n = #out
      if existingJob and (existingJob[2] ~= jobType or existingJob[3] ~= payload) then
        out[n + 1], out[n + 2], out[n + 3] = "reused", existing, ""
      elseif existingJob then
        out[n + 1], out[n + 2], out[n + 3] = "existing", existing, existingJob[1]
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
    """#)

    package static let claim = script("claim", #"""
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
      local f = redis.call("HMGET", key, "type", "payload", "att", "max", "tmo", "lease", "state")
      if f[1] and f[7] == "pending" then
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
    """#)

    package static let complete = script("complete", #"""
    -- Store the results of finished runs whose caller still holds their lease; a worker
    -- sends the results that are ready together.
    -- KEYS[1] -> active ZSET   KEYS[2] -> completed ZSET   KEYS[3] -> events STREAM
    -- KEYS[4] -> settings HASH
    -- ARGV[1] -> now (ms)   ARGV[2] -> default result TTL (s)   ARGV[3] -> events max length
    -- ARGV[4] -> stats key prefix   ARGV[5] -> job key prefix
    -- ARGV[6..] -> triples: job id, lease token, result JSON
    -- Output: per job, in order: 1 completed | 0 the lease was lost (expired and reclaimed,
    --   or cancelled)
    local now = tonumber(ARGV[1])
    local resultTTL = retention(KEYS[4], ARGV[2])
    local out = {}
    local tally = newTally()
    -- One ZREM from the active set and one ZADD to the completed set for the whole batch.
    local ended, kept = {}, {}
    local keptUntil = integerTexts()
    for i = 6, #ARGV, 3 do
      local id = ARGV[i]
      local key = ARGV[5] .. id
      local f = redis.call("HMGET", key, "state", "token", "rttl", "type", "stime", "cancel")
      if f[1] ~= "active" or f[2] ~= ARGV[i + 1] then
        out[#out + 1] = 0
      else
        local ttl = tonumber(f[3]) or resultTTL
        -- The token is blanked rather than deleted: one command less per job.
        redis.call("HSET", key, "state", "completed", "result", ARGV[i + 2], "ftime", ARGV[1], "token", "")
        if f[6] then redis.call("HDEL", key, "cancel") end
        ended[#ended + 1] = id
        kept[#kept + 1], kept[#kept + 2] = keptUntil(now + ttl * 1000), id
        tallyRun(tally, f[4], f[5], now, "processed")
        out[#out + 1] = 1
      end
    end
    if #ended > 0 then
      redis.call("ZREM", KEYS[1], unpack(ended))
      redis.call("ZADD", KEYS[2], unpack(kept))
      emitBatch(KEYS[3], ARGV[3], "completed", ended)
    end
    -- Sweeping up to twice the jobs completed here keeps up with any completion rate.
    sweepFinished(KEYS[2], ARGV[5], now, 2 * #ended + 10)
    storeRuns(tally, ARGV[4], now)
    return out
    """#)

    package static let fail = script("fail", #"""
    -- Record a failed run: retry later, send to dead, or end as cancelled.
    -- KEYS[1] -> the job's HASH   KEYS[2] -> active ZSET   KEYS[3] -> scheduled ZSET
    -- KEYS[4] -> dead ZSET        KEYS[5] -> cancelled ZSET  KEYS[6] -> signal LIST
    -- KEYS[7] -> events STREAM   KEYS[8] -> settings HASH
    -- ARGV[1] -> job id   ARGV[2] -> lease token   ARGV[3] -> error JSON   ARGV[4] -> now (ms)
    -- ARGV[5] -> retry delay (ms)   ARGV[6] -> "retry" (if attempts remain) | "dead" | "cancel"
    -- ARGV[7] -> dead max count   ARGV[8] -> dead max age (ms)   ARGV[9] -> default result TTL (s)
    -- ARGV[10] -> job key prefix   ARGV[11] -> events max length   ARGV[12] -> stats key prefix
    --   A run whose cancellation was requested ends cancelled, whatever the caller asked: its
    --   process may have crashed or been killed for its timeout before the handler saw it.
    -- Output: "scheduled" | "dead" | "cancelled" | "lost" (the caller no longer holds the lease)
    local f = redis.call("HMGET", KEYS[1], "state", "token", "att", "max", "rttl", "cancel")
    if f[1] ~= "active" or f[2] ~= ARGV[2] then return "lost" end
    local id, now = ARGV[1], tonumber(ARGV[4])
    local disposition = f[6] and "cancel" or ARGV[6]
    redis.call("ZREM", KEYS[2], id)
    redis.call("HDEL", KEYS[1], "token", "cancel")
    redis.call("HSET", KEYS[1], "error", ARGV[3])
    recordRun(KEYS[1], ARGV[12], now, "failed")
    if disposition == "cancel" then
      redis.call("HSET", KEYS[1], "state", "cancelled", "ftime", ARGV[4])
      finishKept(KEYS[1], KEYS[5], id, now, tonumber(f[5]) or retention(KEYS[8], ARGV[9]))
      emit(KEYS[7], ARGV[11], "cancelled", id)
      return "cancelled"
    end
    if disposition == "retry" and tonumber(f[3] or "0") < tonumber(f[4] or "1") then
      local runAt = now + tonumber(ARGV[5])
      redis.call("HDEL", KEYS[1], "prog", "pmsg")  -- the next run reports its own
      redis.call("HSET", KEYS[1], "state", "scheduled", "run_at", runAt)
      redis.call("ZADD", KEYS[3], runAt, id)
      wake(KEYS[6])
      emit(KEYS[7], ARGV[11], "retrying", id, "error", ARGV[3], "run_at", runAt)
      return "scheduled"
    end
    redis.call("HSET", KEYS[1], "state", "dead", "ftime", ARGV[4])
    redis.call("ZADD", KEYS[4], now, id)
    local _, deadMax, deadAgeMs = retention(KEYS[8], ARGV[9], ARGV[7], ARGV[8])
    trimDead(KEYS[4], ARGV[10], now, deadMax, deadAgeMs)
    emit(KEYS[7], ARGV[11], "dead", id, "error", ARGV[3])
    return "dead"
    """#)

    package static let extendLeases = script("extend-leases", #"""
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
    """#)

    package static let reap = script("reap", #"""
    -- Return jobs whose lease expired (their worker died or stalled) to pending, or to
    -- dead when they have used their attempts, or to cancelled when cancellation was
    -- requested (the request must not be lost with the run). Then sweep finished jobs whose
    -- result TTL ended and dead jobs past the dead set's bounds, so they go even when no
    -- job finishes or dies. Safe to run from every process at once.
    -- KEYS[1] -> active ZSET   KEYS[2] -> pending levels ZSET   KEYS[3] -> dead ZSET
    -- KEYS[4] -> signal LIST   KEYS[5] -> events STREAM   KEYS[6] -> cancelled ZSET
    -- KEYS[7] -> completed ZSET   KEYS[8] -> settings HASH
    -- ARGV[1] -> now (ms)   ARGV[2] -> job key prefix   ARGV[3] -> max jobs
    -- ARGV[4] -> dead max count   ARGV[5] -> dead max age (ms)   ARGV[6] -> events max length
    -- ARGV[7] -> error JSON recorded on the job   ARGV[8] -> stats key prefix
    -- ARGV[9] -> default result TTL (s)
    -- Output: {requeued, dead} (cancelled jobs are in neither)
    local now = tonumber(ARGV[1])
    local expired = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", now, "LIMIT", 0, tonumber(ARGV[3]))
    local resultTTL, deadMax, deadAgeMs = retention(KEYS[8], ARGV[9], ARGV[4], ARGV[5])
    local requeued, died = 0, 0
    for _, id in ipairs(expired) do
      local key = ARGV[2] .. id
      redis.call("ZREM", KEYS[1], id)
      local f = redis.call("HMGET", key, "state", "att", "max", "cancel", "rttl")
      if f[1] == "active" then
        redis.call("HDEL", key, "token", "cancel")
        redis.call("HSET", key, "error", ARGV[7])
        recordRun(key, ARGV[8], now, "failed")
        if f[4] then
          redis.call("HSET", key, "state", "cancelled", "ftime", ARGV[1])
          finishKept(key, KEYS[6], id, now, tonumber(f[5]) or resultTTL)
          emit(KEYS[5], ARGV[6], "cancelled", id)
        elseif tonumber(f[2] or "0") < tonumber(f[3] or "1") then
          redis.call("HDEL", key, "prog", "pmsg")
          makePending(KEYS[2], key, id)
          emit(KEYS[5], ARGV[6], "retrying", id, "error", ARGV[7])
          requeued = requeued + 1
        else
          redis.call("HSET", key, "state", "dead", "ftime", ARGV[1])
          redis.call("ZADD", KEYS[3], now, id)
          emit(KEYS[5], ARGV[6], "dead", id, "error", ARGV[7])
          died = died + 1
        end
      end
    end
    if requeued > 0 then wake(KEYS[4], requeued) end
    trimDead(KEYS[3], ARGV[2], now, deadMax, deadAgeMs)
    sweepFinished(KEYS[7], ARGV[2], now, 1000)
    sweepFinished(KEYS[6], ARGV[2], now, 1000)
    return {requeued, died}
    """#)

    package static let progress = script("progress", #"""
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
    """#)

    package static let cancel = script("cancel", #"""
    -- Cancel a job: at once when it waits, through its handler when it runs.
    -- KEYS[1] -> the job's HASH   KEYS[2] -> pending levels ZSET   KEYS[3] -> scheduled ZSET
    -- KEYS[4] -> cancelled ZSET   KEYS[5] -> events STREAM   KEYS[6] -> settings HASH
    -- ARGV[1] -> job id   ARGV[2] -> now (ms)   ARGV[3] -> default result TTL (s)
    -- ARGV[4] -> events max length
    -- Output: "now-cancelled" (it was waiting) | "cancelling" (active: the flag is set) |
    --   "missing" | the finished state it already has ("completed", "dead", "cancelled")
    local f = redis.call("HMGET", KEYS[1], "state", "rttl", "prio")
    local state = f[1]
    if not state then return "missing" end
    if state == "active" then
      redis.call("HSET", KEYS[1], "cancel", "1")
      emit(KEYS[5], ARGV[4], "cancelling", ARGV[1])
      return "cancelling"
    end
    if state == "pending" then
      removePending(KEYS[2], ARGV[1], f[3] or "0")
    elseif state == "scheduled" then
      redis.call("ZREM", KEYS[3], ARGV[1])
    else
      return state
    end
    redis.call("HSET", KEYS[1], "state", "cancelled", "ftime", ARGV[2])
    finishKept(KEYS[1], KEYS[4], ARGV[1], tonumber(ARGV[2]), tonumber(f[2]) or retention(KEYS[6], ARGV[3]))
    emit(KEYS[5], ARGV[4], "cancelled", ARGV[1])
    return "now-cancelled"
    """#)

    package static let retry = script("retry", #"""
    -- Run a dead or cancelled job again, with fresh attempts.
    -- KEYS[1] -> the job's HASH   KEYS[2] -> dead ZSET   KEYS[3] -> cancelled ZSET
    -- KEYS[4] -> pending levels ZSET   KEYS[5] -> signal LIST   KEYS[6] -> events STREAM
    -- ARGV[1] -> job id   ARGV[2] -> events max length
    -- Output: "retried" (now pending) | "missing" | the state that cannot be retried
    local state = redis.call("HGET", KEYS[1], "state")
    if state ~= "dead" and state ~= "cancelled" then
      -- An entry of either set for a job that is gone or in another state is stale: drop
      -- it, so a caller walking the dead set always moves on.
      redis.call("ZREM", KEYS[2], ARGV[1])
      redis.call("ZREM", KEYS[3], ARGV[1])
      return state or "missing"
    end
    redis.call("ZREM", KEYS[2], ARGV[1])
    redis.call("ZREM", KEYS[3], ARGV[1])
    redis.call("HDEL", KEYS[1], "att", "error", "result", "ftime", "stime", "prog", "pmsg", "worker", "cancel")
    makePending(KEYS[4], KEYS[1], ARGV[1])
    wake(KEYS[5])
    emit(KEYS[6], ARGV[2], "retried", ARGV[1])
    return "retried"
    """#)

    package static let purge = script("purge", #"""
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
    """#)

    package static let release = script("release", #"""
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
    """#)

    package static let releaseWorker = script("release-worker", #"""
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
    """#)

    package static let queueState = script("queue-state", #"""
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
    """#)

    package static let removeQueue = script("remove-queue", #"""
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
    """#)

    package static let pendingPage = script("pending-page", #"""
    -- Read only: a page of pending job ids in the order they will be claimed.
    -- KEYS[1] -> pending levels ZSET
    -- ARGV[1] -> offset   ARGV[2] -> max ids
    -- Output: the ids
    local offset, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
    local ids = {}
    for _, level in ipairs(redis.call("ZRANGE", KEYS[1], 0, -1)) do
      local list = KEYS[1] .. ":" .. level
      local length = redis.call("LLEN", list)
      if offset >= length then
        offset = offset - length
      else
        for _, id in ipairs(redis.call("LRANGE", list, offset, offset + limit - #ids - 1)) do ids[#ids + 1] = id end
        offset = 0
        if #ids >= limit then break end
      end
    end
    return ids
    """#)

    package static let all: [RedisScript] = [
        enqueue, claim, complete, fail, extendLeases, reap, progress, cancel, retry, purge, release, releaseWorker, queueState,
        pendingPage, removeQueue,
    ]
}
