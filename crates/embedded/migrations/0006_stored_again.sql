-- Computed values that were stored already, counted for the metrics: the work a redelivery cost.
ALTER TABLE totals ADD COLUMN stored_again INTEGER NOT NULL DEFAULT 0;
