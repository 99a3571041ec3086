-- How many submissions there are, kept as they are inserted, so a page can say it without
-- counting the whole history.
ALTER TABLE totals ADD COLUMN submissions INTEGER NOT NULL DEFAULT 0;
UPDATE totals SET submissions = (SELECT count(*) FROM submissions) WHERE id = 1;
CREATE TRIGGER submission_counted AFTER INSERT ON submissions
BEGIN
    UPDATE totals SET submissions = submissions + 1 WHERE id = 1;
END;
