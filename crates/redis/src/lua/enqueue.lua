-- Queue a job for an index unless its value is stored, it has failed, or a job for it is queued.
-- KEYS: value hash, failed hash, queued marker, job stream
-- ARGV: index, queue limit, consumer group, the submitting request's traceparent ('' for none)
if redis.call('EXISTS', KEYS[1]) == 1 then return 'done' end
if redis.call('EXISTS', KEYS[2]) == 1 then return 'failed' end
local queued_id = redis.call('GET', KEYS[3])
if queued_id and #redis.call('XRANGE', KEYS[4], queued_id, queued_id) > 0 then
  return 'queued'
end
if redis.call('EXISTS', KEYS[4]) == 0 then
  -- A new (or wiped) Redis: the group must exist before workers read, from the first entry on.
  redis.call('XGROUP', 'CREATE', KEYS[4], ARGV[3], '0', 'MKSTREAM')
end
if redis.call('XLEN', KEYS[4]) >= tonumber(ARGV[2]) then return 'full' end
local id
if ARGV[4] == '' then
  id = redis.call('XADD', KEYS[4], '*', 'index', ARGV[1])
else
  id = redis.call('XADD', KEYS[4], '*', 'index', ARGV[1], 'trace', ARGV[4])
end
redis.call('SET', KEYS[3], id)
return 'added'
