-- Every submission, kept for ever: the durable record (Redis only caches and queues).
CREATE TABLE submissions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number       BIGINT      NOT NULL CHECK (number >= 0),
    submitted_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per distinct index, pointing at its latest submission, so "recent distinct indexes"
-- is an index scan instead of a GROUP BY over the whole history.
CREATE TABLE indexes (
    number               BIGINT      PRIMARY KEY CHECK (number >= 0),
    last_submission_id   BIGINT      NOT NULL REFERENCES submissions (id),
    last_submitted_at    TIMESTAMPTZ NOT NULL
);

CREATE INDEX indexes_by_recency ON indexes (last_submission_id DESC);
