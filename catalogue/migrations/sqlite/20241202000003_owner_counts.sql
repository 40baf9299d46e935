-- `status=` and `username=` counts without counting rows (ADR-28): a kept count per
-- (kind, status, username), as on PostgreSQL: triggers append deltas, the catalogue folds
-- them into the base every second. `named` tells a NULL username from an empty one.
CREATE TABLE owner_counts (
    kind     TEXT NOT NULL,
    status   TEXT NOT NULL,
    named    INTEGER NOT NULL,
    username TEXT NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (kind, status, named, username)
);
CREATE TABLE owner_count_deltas (
    id       INTEGER PRIMARY KEY,
    kind     TEXT NOT NULL,
    status   TEXT NOT NULL,
    named    INTEGER NOT NULL,
    username TEXT NOT NULL,
    d        INTEGER NOT NULL
);
CREATE INDEX owner_count_deltas_key ON owner_count_deltas (kind, status, named, username, d);
INSERT INTO owner_counts (kind, status, named, username, n)
    SELECT kind, status, username IS NOT NULL, COALESCE(username, ''), count(*)
    FROM descriptors GROUP BY 1, 2, 3, 4;

CREATE TRIGGER descriptors_owner_insert AFTER INSERT ON descriptors BEGIN
    INSERT INTO owner_count_deltas (kind, status, named, username, d)
        VALUES (NEW.kind, NEW.status, NEW.username IS NOT NULL, COALESCE(NEW.username, ''), 1);
END;
CREATE TRIGGER descriptors_owner_delete AFTER DELETE ON descriptors BEGIN
    INSERT INTO owner_count_deltas (kind, status, named, username, d)
        VALUES (OLD.kind, OLD.status, OLD.username IS NOT NULL, COALESCE(OLD.username, ''), -1);
END;
CREATE TRIGGER descriptors_owner_move AFTER UPDATE OF kind, status, username ON descriptors
    WHEN OLD.kind IS NOT NEW.kind OR OLD.status IS NOT NEW.status
         OR OLD.username IS NOT NEW.username
BEGIN
    INSERT INTO owner_count_deltas (kind, status, named, username, d) VALUES
        (OLD.kind, OLD.status, OLD.username IS NOT NULL, COALESCE(OLD.username, ''), -1),
        (NEW.kind, NEW.status, NEW.username IS NOT NULL, COALESCE(NEW.username, ''), 1);
END;
