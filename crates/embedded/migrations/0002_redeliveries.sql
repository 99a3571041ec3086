-- Deliveries of a job after its first, counted for the metrics: each one is a worker that
-- stopped mid-job (or a restart of the process), the only reason a value is computed twice.
ALTER TABLE totals ADD COLUMN redeliveries INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER job_redelivered AFTER UPDATE OF deliveries ON jobs
WHEN NEW.deliveries > 1
BEGIN
    UPDATE totals SET redeliveries = redeliveries + 1 WHERE id = 1;
END;
