-- A member's report: kept as its latest, with Redis's time of hearing it; members silent for
-- too long are forgotten, and past the bound the quietest go first.
-- KEYS: members by time last heard (sorted set), their latest reports (hash)
-- ARGV: name, report, milliseconds after which a silent member is forgotten, members kept at most
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZADD', KEYS[1], now_ms, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now_ms - tonumber(ARGV[3])))
local extra = redis.call('ZCARD', KEYS[1]) - #gone - tonumber(ARGV[4])
if extra > 0 then
  -- The quietest beyond those already going, oldest first.
  local quiet = redis.call('ZRANGE', KEYS[1], #gone, #gone + extra - 1)
  for _, name in ipairs(quiet) do gone[#gone + 1] = name end
end
for _, name in ipairs(gone) do
  redis.call('ZREM', KEYS[1], name)
  redis.call('HDEL', KEYS[2], name)
end
return #gone
