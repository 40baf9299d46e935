-- `status=` and `username=` counts without counting rows (ADR-28): a kept count per
-- (kind, status, username), written like the other kept counts (ADR-22): the descriptors'
-- count trigger appends a delta, the catalogue folds the deltas into the base every second,
-- and a count reads the base and the deltas not folded yet in one statement. ADR-27's index
-- still finds the page; this replaces counting up to 100,000 of its entries.
-- `named` tells a NULL username from an empty one ('' is stored for NULL).
-- No descriptor is written between the initial fill and the triggers (another catalogue
-- of an older version may still be running): the lock lasts until the migration commits.
LOCK TABLE descriptors IN SHARE ROW EXCLUSIVE MODE;
CREATE TABLE owner_counts (
    kind     text NOT NULL,
    status   text NOT NULL,
    named    boolean NOT NULL,
    username text NOT NULL,
    n        bigint NOT NULL,
    PRIMARY KEY (kind, status, named, username)
);
CREATE TABLE owner_count_deltas (
    id       bigserial PRIMARY KEY,
    kind     text NOT NULL,
    status   text NOT NULL,
    named    boolean NOT NULL,
    username text NOT NULL,
    d        integer NOT NULL
);
CREATE INDEX owner_count_deltas_key ON owner_count_deltas (kind, status, named, username, d);
INSERT INTO owner_counts (kind, status, named, username, n)
    SELECT kind, status, username IS NOT NULL, COALESCE(username, ''), count(*)
    FROM descriptors GROUP BY 1, 2, 3, 4;

-- The insert/delete trigger of the descriptor counts writes both deltas (one trigger call).
CREATE OR REPLACE FUNCTION count_descriptor_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO row_count_deltas (name, d, created_at, uuid)
            VALUES ('descriptors:' || NEW.kind, 1, NEW.created_at, NEW.uuid);
        INSERT INTO owner_count_deltas (kind, status, named, username, d)
            VALUES (NEW.kind, NEW.status, NEW.username IS NOT NULL, COALESCE(NEW.username, ''), 1);
    ELSE
        INSERT INTO row_count_deltas (name, d, created_at, uuid)
            VALUES ('descriptors:' || OLD.kind, -1, OLD.created_at, OLD.uuid);
        INSERT INTO owner_count_deltas (kind, status, named, username, d)
            VALUES (OLD.kind, OLD.status, OLD.username IS NOT NULL, COALESCE(OLD.username, ''), -1);
    END IF;
    RETURN NULL;
END $$;

-- A status (or owner) change moves one record between counts.
CREATE FUNCTION move_owner_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO owner_count_deltas (kind, status, named, username, d) VALUES
        (OLD.kind, OLD.status, OLD.username IS NOT NULL, COALESCE(OLD.username, ''), -1),
        (NEW.kind, NEW.status, NEW.username IS NOT NULL, COALESCE(NEW.username, ''), 1);
    RETURN NULL;
END $$;
CREATE TRIGGER descriptors_owner_move AFTER UPDATE OF kind, status, username ON descriptors
    FOR EACH ROW
    WHEN (OLD.kind IS DISTINCT FROM NEW.kind OR OLD.status IS DISTINCT FROM NEW.status
          OR OLD.username IS DISTINCT FROM NEW.username)
    EXECUTE FUNCTION move_owner_count();
ALTER TABLE owner_count_deltas SET (autovacuum_vacuum_insert_scale_factor = 0.02);
