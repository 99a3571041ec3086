-- Store a computed value, acknowledge its job and announce it, all or nothing.
-- KEYS: value hash, stored-order zset, cache-bytes counter, queued marker, job stream
-- ARGV: index, value, digits, preview, entry id, consumer group, cache budget in bytes,
--       value key prefix, event payload, event channel
-- Returns 1 when stored, 0 when the value was already there (a redelivered job).
local fresh = redis.call('EXISTS', KEYS[1]) == 0
if fresh then
  local size = string.len(ARGV[2])
  local budget = tonumber(ARGV[7])
  -- Evict the oldest values first so the new one fits the budget (a single value larger than
  -- the whole budget is still kept: the cache then holds just that one).
  local total = tonumber(redis.call('GET', KEYS[3]) or '0')
  while total + size > budget do
    local oldest = redis.call('ZPOPMIN', KEYS[2])
    if #oldest == 0 then break end
    local key = ARGV[8] .. oldest[1]
    local evicted = redis.call('HSTRLEN', key, 'value')
    redis.call('DEL', key)
    total = redis.call('DECRBY', KEYS[3], evicted)
  end
  local now = redis.call('TIME')
  local at_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  redis.call('HSET', KEYS[1], 'value', ARGV[2], 'digits', ARGV[3], 'preview', ARGV[4], 'at', at_ms)
  redis.call('INCRBY', KEYS[3], size)
  redis.call('ZADD', KEYS[2], at_ms, ARGV[1])
end
redis.call('XACK', KEYS[5], ARGV[6], ARGV[5])
redis.call('XDEL', KEYS[5], ARGV[5])
if redis.call('GET', KEYS[4]) == ARGV[5] then redis.call('DEL', KEYS[4]) end
if fresh then redis.call('PUBLISH', ARGV[10], ARGV[9]) end
if fresh then return 1 else return 0 end
