-- The members heard from recently, most recent first: Redis's time, then for each its name,
-- the milliseconds since it was heard, and its latest report.
-- KEYS: members by time last heard (sorted set), their latest reports (hash)
-- ARGV: milliseconds after which a silent member is forgotten, members listed at most
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local heard = redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', '(' .. (now_ms - tonumber(ARGV[1])),
  'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
local listed = {}
for i = 1, #heard, 2 do
  local report = redis.call('HGET', KEYS[2], heard[i])
  if report then
    listed[#listed + 1] = heard[i]
    listed[#listed + 1] = tostring(math.max(0, now_ms - tonumber(heard[i + 1])))
    listed[#listed + 1] = report
  end
end
return listed
