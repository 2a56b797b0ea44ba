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
