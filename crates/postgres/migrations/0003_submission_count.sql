-- How many submissions there are, kept as they are inserted, so a page can say it without
-- counting the whole history. A statement trigger, so every writer keeps it (a replica still on
-- the previous release too) and a batch costs one update, not one per row.
CREATE TABLE submission_count (
    only_row    BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    submissions BIGINT  NOT NULL
);
INSERT INTO submission_count (submissions) SELECT count(*) FROM submissions;

CREATE FUNCTION count_submissions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE submission_count SET submissions = submissions + (SELECT count(*) FROM inserted);
    RETURN NULL;
END;
$$;

CREATE TRIGGER submissions_counted
    AFTER INSERT ON submissions
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION count_submissions();
