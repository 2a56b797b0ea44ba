-- One wake-up token per job made ready (`count`, default 1), so as many waiting
-- workers wake as there are jobs for them; the list holds at most 64 tokens.
local function wake(signal, count)
  local n = math.min(count or 1, 64 - redis.call("LLEN", signal))
  if n <= 0 then return end
  local tokens = {}
  for i = 1, n do tokens[i] = "1" end
  redis.call("LPUSH", signal, unpack(tokens))
end
