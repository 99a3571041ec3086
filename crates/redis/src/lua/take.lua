-- Hand a worker the jobs waiting now, without waiting for any: up to a batch, stopping after the
-- first large one, so no job waits in a worker's hands behind a long computation (others take
-- it meanwhile).
-- KEYS: job stream
-- ARGV: consumer group, consumer, most jobs, smallest large index
-- Returns the stream entries taken, as XREADGROUP gives them: {id, {field, value, …}}.
local taken = {}
for _ = 1, tonumber(ARGV[3]) do
  local reply = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', 1, 'STREAMS', KEYS[1], '>')
  if not reply then break end
  local entry = reply[1][2][1]
  taken[#taken + 1] = entry
  local fields = entry[2]
  local index
  for i = 1, #fields, 2 do
    if fields[i] == 'index' then index = tonumber(fields[i + 1]) end
  end
  -- An unreadable entry is failed by the worker at once: it ends nothing either.
  if index and index >= tonumber(ARGV[4]) then break end
end
return taken
