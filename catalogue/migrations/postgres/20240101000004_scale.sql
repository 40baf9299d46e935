-- What keeps lists and filters fast at 100,000 records and more (ADR-22).

-- 1. Record-Count without counting rows: a base count per kind/table, plus deltas that
-- triggers append. Writers only ever insert a delta (no shared row to wait on); the catalogue
-- folds the deltas into the base in the background. Base + deltas is read in one statement.
CREATE TABLE row_counts (
    name text PRIMARY KEY,
    n    bigint NOT NULL
);
CREATE TABLE row_count_deltas (
    id   bigserial PRIMARY KEY,
    name text NOT NULL,
    d    integer NOT NULL
);
CREATE INDEX row_count_deltas_name ON row_count_deltas (name, d);
INSERT INTO row_counts (name, n) SELECT 'descriptors:' || kind, count(*) FROM descriptors GROUP BY kind;
INSERT INTO row_counts (name, n) SELECT 'files', count(*) FROM files;
INSERT INTO row_counts (name, n) SELECT 'tgo_packages', count(*) FROM tgo_packages;

CREATE FUNCTION count_descriptor_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO row_count_deltas (name, d) VALUES ('descriptors:' || NEW.kind, 1);
    ELSE
        INSERT INTO row_count_deltas (name, d) VALUES ('descriptors:' || OLD.kind, -1);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER descriptors_count AFTER INSERT OR DELETE ON descriptors
    FOR EACH ROW EXECUTE FUNCTION count_descriptor_rows();

CREATE FUNCTION count_table_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO row_count_deltas (name, d)
        VALUES (TG_TABLE_NAME, CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END);
    RETURN NULL;
END $$;
CREATE TRIGGER files_count AFTER INSERT OR DELETE ON files
    FOR EACH ROW EXECUTE FUNCTION count_table_rows();
CREATE TRIGGER tgo_packages_count AFTER INSERT OR DELETE ON tgo_packages
    FOR EACH ROW EXECUTE FUNCTION count_table_rows();

-- 2. version=last without ranking every record: the pick of each (kind, name, vendor) group
-- (highest version in code point order, ties to the oldest record), kept by triggers.
CREATE TABLE descriptor_latest (
    kind       text NOT NULL,
    name       text NOT NULL,
    vendor     text NOT NULL,
    version    text NOT NULL,
    created_at timestamptz NOT NULL,
    uuid       uuid NOT NULL UNIQUE,
    PRIMARY KEY (kind, name, vendor)
);
CREATE INDEX descriptor_latest_order ON descriptor_latest
    (kind, version COLLATE "C" DESC, name COLLATE "C", vendor COLLATE "C");
INSERT INTO descriptor_latest (kind, name, vendor, version, created_at, uuid)
SELECT kind, name, vendor, version, created_at, uuid FROM (
    SELECT kind, name, vendor, version, created_at, uuid, ROW_NUMBER() OVER (
        PARTITION BY kind, name, vendor
        ORDER BY version COLLATE "C" DESC, created_at, uuid) AS pick
    FROM descriptors) AS ranked
WHERE pick = 1;

CREATE FUNCTION pick_latest_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO descriptor_latest AS l (kind, name, vendor, version, created_at, uuid)
        VALUES (NEW.kind, NEW.name, NEW.vendor, NEW.version, NEW.created_at, NEW.uuid)
    ON CONFLICT (kind, name, vendor) DO UPDATE
        SET version = excluded.version, created_at = excluded.created_at, uuid = excluded.uuid
        WHERE excluded.version COLLATE "C" > l.version COLLATE "C"
           OR (excluded.version = l.version
               AND (excluded.created_at, excluded.uuid) < (l.created_at, l.uuid));
    RETURN NULL;
END $$;
CREATE TRIGGER descriptors_latest_insert AFTER INSERT ON descriptors
    FOR EACH ROW EXECUTE FUNCTION pick_latest_on_insert();

CREATE FUNCTION pick_latest_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM descriptor_latest WHERE uuid = OLD.uuid;
    IF FOUND THEN
        INSERT INTO descriptor_latest (kind, name, vendor, version, created_at, uuid)
        SELECT kind, name, vendor, version, created_at, uuid FROM descriptors
        WHERE kind = OLD.kind AND name = OLD.name AND vendor = OLD.vendor
        ORDER BY version COLLATE "C" DESC, created_at, uuid
        LIMIT 1
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER descriptors_latest_delete AFTER DELETE ON descriptors
    FOR EACH ROW EXECUTE FUNCTION pick_latest_on_delete();

-- The number of groups, kept like the other counts (for version=last's count), and the
-- order of one vendor's picks.
INSERT INTO row_counts (name, n) SELECT 'latest:' || kind, count(*) FROM descriptor_latest GROUP BY kind;
CREATE FUNCTION count_latest_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO row_count_deltas (name, d) VALUES ('latest:' || NEW.kind, 1);
    ELSE
        INSERT INTO row_count_deltas (name, d) VALUES ('latest:' || OLD.kind, -1);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER descriptor_latest_count AFTER INSERT OR DELETE ON descriptor_latest
    FOR EACH ROW EXECUTE FUNCTION count_latest_rows();
CREATE INDEX descriptor_latest_vendor ON descriptor_latest
    (kind, vendor, version COLLATE "C" DESC, name COLLATE "C");

-- 3. Descriptor field filters from an index instead of evaluating every document: one row
-- per scalar a dotted path (or a deep key, path '**.<segments>') reaches, with the lax
-- array unwrapping of the query language. Written by the catalogue with the descriptor, in
-- the same transaction; rows written before this migration are indexed at start-up
-- (descriptors.fields_version below the service's).
-- t: 0 a string of at most 256 bytes, 1 a number, 2 a boolean, 3 a longer string (evaluated
-- from the document).
CREATE TABLE descriptor_fields (
    uuid uuid NOT NULL REFERENCES descriptors (uuid) ON DELETE CASCADE,
    path text NOT NULL,
    t    smallint NOT NULL,
    text text COLLATE "C",
    num  double precision
);
CREATE INDEX descriptor_fields_text ON descriptor_fields (path, t, text);
CREATE INDEX descriptor_fields_num ON descriptor_fields (path, num) WHERE num IS NOT NULL;
CREATE INDEX descriptor_fields_uuid ON descriptor_fields (uuid);
ALTER TABLE descriptors ADD COLUMN fields_version integer NOT NULL DEFAULT 0;

-- 4. Keep the visibility map fresh on insert-mostly tables, so list pages and counts stay
-- index-only scans.
ALTER TABLE descriptors SET (autovacuum_vacuum_insert_scale_factor = 0.02);
ALTER TABLE descriptor_fields SET (autovacuum_vacuum_insert_scale_factor = 0.02);
