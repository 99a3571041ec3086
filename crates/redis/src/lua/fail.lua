-- Give up on a job: mark its index failed for a while, drop the job, announce it.
-- KEYS: failed hash, queued marker, job stream
-- ARGV: reason, seconds to remember the failure, entry id, consumer group, event payload
--       (empty: nothing to announce), channel
local now = redis.call('TIME')
local at_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('HSET', KEYS[1], 'reason', ARGV[1], 'at', at_ms)
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('XACK', KEYS[3], ARGV[4], ARGV[3])
redis.call('XDEL', KEYS[3], ARGV[3])
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
if ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[6], ARGV[5]) end
return 1
