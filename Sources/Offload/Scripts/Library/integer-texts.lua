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
