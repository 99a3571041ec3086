-- When each job was queued, for the age of the oldest (a queue that is not drained shows there
-- first) and its submission-to-value latency; jobs queued before this migration have none and
-- count as queued just now. And the W3C traceparent of the request that queued it, which the
-- worker's log names.
ALTER TABLE jobs ADD COLUMN queued_at INTEGER;
ALTER TABLE jobs ADD COLUMN trace TEXT;
