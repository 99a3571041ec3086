-- The trace of the request that queued each job (W3C trace context: trace id, parent id and
-- flags, 25 bytes), so the worker's log of a computation names the request that asked for it.
-- Jobs queued before this migration, and jobs queued without a request, have none.
ALTER TABLE jobs ADD COLUMN trace BLOB;
