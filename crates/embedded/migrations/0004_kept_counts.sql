-- What every submission asks kept by the database instead of counted or written per request:
-- the number of jobs (the queue's bound is checked on each enqueue, and a count(*) grows with
-- the queue), and each index's latest submission (one statement records a submission).
ALTER TABLE totals ADD COLUMN jobs INTEGER NOT NULL DEFAULT 0;
UPDATE totals SET jobs = (SELECT count(*) FROM jobs) WHERE id = 1;
CREATE TRIGGER job_added AFTER INSERT ON jobs
BEGIN
    UPDATE totals SET jobs = jobs + 1 WHERE id = 1;
END;
CREATE TRIGGER job_removed AFTER DELETE ON jobs
BEGIN
    UPDATE totals SET jobs = jobs - 1 WHERE id = 1;
END;

CREATE TRIGGER submission_added AFTER INSERT ON submissions
BEGIN
    INSERT INTO indexes (number, last_submission_id) VALUES (NEW.number, NEW.id)
    ON CONFLICT (number) DO UPDATE SET last_submission_id = excluded.last_submission_id;
END;
