-- Times are milliseconds since the Unix epoch.

-- Every submission, kept for ever: the durable record.
CREATE TABLE submissions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    number       INTEGER NOT NULL CHECK (number >= 0),
    submitted_at INTEGER NOT NULL
);

-- One row per distinct index, pointing at its latest submission, so "recent distinct indexes"
-- is an index scan instead of a GROUP BY over the whole history.
CREATE TABLE indexes (
    number             INTEGER PRIMARY KEY,
    last_submission_id INTEGER NOT NULL REFERENCES submissions (id)
);
CREATE INDEX indexes_by_recency ON indexes (last_submission_id DESC);

-- Computed values. Bounded like the Redis cache: past the byte budget the oldest are evicted,
-- and a value that is asked for again is computed again.
CREATE TABLE computed (
    number      INTEGER PRIMARY KEY,
    value       TEXT    NOT NULL,
    digits      INTEGER NOT NULL,
    preview     TEXT    NOT NULL,
    computed_at INTEGER NOT NULL
);
CREATE INDEX computed_by_age ON computed (computed_at, number);

-- The running total of stored digits, kept by triggers so a store need not sum the table.
CREATE TABLE totals (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    value_bytes INTEGER NOT NULL
);
INSERT INTO totals (id, value_bytes) VALUES (1, 0);
CREATE TRIGGER computed_added AFTER INSERT ON computed
BEGIN
    UPDATE totals SET value_bytes = value_bytes + NEW.digits WHERE id = 1;
END;
CREATE TRIGGER computed_removed AFTER DELETE ON computed
BEGIN
    UPDATE totals SET value_bytes = value_bytes - OLD.digits WHERE id = 1;
END;

-- The queue: one row per index waiting (claimed_until NULL) or running (claimed until then; a
-- job whose claim ran out belongs to a worker that stopped and is delivered again).
CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    number        INTEGER NOT NULL UNIQUE,
    deliveries    INTEGER NOT NULL DEFAULT 0,
    claimed_until INTEGER
);

-- Indexes given up on, not queued again before `until`.
CREATE TABLE failures (
    number INTEGER PRIMARY KEY,
    reason TEXT    NOT NULL,
    until  INTEGER NOT NULL
);
