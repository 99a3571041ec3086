-- The decimal value last in its row: a long value spills into a chain of overflow pages, and a
-- column stored after it (digits, preview, computed_at) could only be read by walking that
-- chain. Every list read and every eviction read those columns.
CREATE TABLE computed_values_last (
    number      INTEGER PRIMARY KEY,
    digits      INTEGER NOT NULL,
    preview     TEXT    NOT NULL,
    computed_at INTEGER NOT NULL,
    value       TEXT    NOT NULL
);
INSERT INTO computed_values_last (number, digits, preview, computed_at, value)
SELECT number, digits, preview, computed_at, value FROM computed;
DROP TABLE computed;
ALTER TABLE computed_values_last RENAME TO computed;
CREATE INDEX computed_by_age ON computed (computed_at, number);
-- Dropping the table dropped its triggers; the running total is unchanged by the copy.
CREATE TRIGGER computed_added AFTER INSERT ON computed
BEGIN
    UPDATE totals SET value_bytes = value_bytes + NEW.digits WHERE id = 1;
END;
CREATE TRIGGER computed_removed AFTER DELETE ON computed
BEGIN
    UPDATE totals SET value_bytes = value_bytes - OLD.digits WHERE id = 1;
END;
