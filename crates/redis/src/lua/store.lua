-- Store computed values, acknowledge their jobs and announce them, all or nothing: one value,
-- or the batch a worker computed together.
-- KEYS: stored-order zset, cache-bytes counter, job stream, stored-again counter, then per value
--       its value hash and its queued marker
-- ARGV: consumer group, cache budget in bytes, value key prefix, event channel, then per value:
--       index, value, digits, preview, entry id, event payload
-- Returns, per value, 1 when stored, 0 when it was already there (a redelivered job), which the
-- stored-again counter counts.
local budget = tonumber(ARGV[2])
local now = redis.call('TIME')
local at_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local stored = {}
for n = 0, (#ARGV - 4) / 6 - 1 do
  local value_key, queued_key = KEYS[5 + 2 * n], KEYS[6 + 2 * n]
  local index, value, digits, preview, entry, event = unpack(ARGV, 5 + 6 * n, 10 + 6 * n)
  local fresh = redis.call('EXISTS', value_key) == 0
  if fresh then
    local size = string.len(value)
    -- Evict the oldest values first so the new one fits the budget (a single value larger than
    -- the whole budget is still kept: the cache then holds just that one).
    local total = tonumber(redis.call('GET', KEYS[2]) or '0')
    while total + size > budget do
      local oldest = redis.call('ZPOPMIN', KEYS[1])
      if #oldest == 0 then break end
      local key = ARGV[3] .. oldest[1]
      local evicted = redis.call('HSTRLEN', key, 'value')
      redis.call('DEL', key)
      total = redis.call('DECRBY', KEYS[2], evicted)
    end
    redis.call('HSET', value_key, 'value', value, 'digits', digits, 'preview', preview, 'at', at_ms)
    redis.call('INCRBY', KEYS[2], size)
    redis.call('ZADD', KEYS[1], at_ms, index)
  end
  redis.call('XACK', KEYS[3], ARGV[1], entry)
  redis.call('XDEL', KEYS[3], entry)
  if redis.call('GET', queued_key) == entry then redis.call('DEL', queued_key) end
  if fresh then redis.call('PUBLISH', ARGV[4], event) else redis.call('INCR', KEYS[4]) end
  stored[n + 1] = fresh and 1 or 0
end
return stored
