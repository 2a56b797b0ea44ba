-- Free the uniqueness key a job holds (its `uniq` field names it) when the key still
-- names the job: once its TTL ran out, another job may hold it.
local function freeUnique(uniqueKey, id)
  if uniqueKey and redis.call("GET", uniqueKey) == id then redis.call("DEL", uniqueKey) end
end

-- The same, reading the key's name from the job.
local function freeJobUnique(jobKey, id)
  freeUnique(redis.call("HGET", jobKey, "uniq"), id)
end
