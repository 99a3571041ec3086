-- When each job was queued, for the age of the oldest (a queue that is not drained shows there
-- first). Jobs queued before this migration have none and count as queued just now.
ALTER TABLE jobs ADD COLUMN queued_at INTEGER;
