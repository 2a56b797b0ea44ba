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
