-- What keeps lists and filters fast at 100,000 records and more (ADR-22); the same tables
-- as on PostgreSQL.

-- 1. Record-Count without counting rows: base counts plus deltas appended by triggers,
-- folded into the base in the background.
CREATE TABLE row_counts (
    name TEXT PRIMARY KEY,
    n    INTEGER NOT NULL
);
CREATE TABLE row_count_deltas (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    d    INTEGER NOT NULL
);
CREATE INDEX row_count_deltas_name ON row_count_deltas (name, d);
INSERT INTO row_counts (name, n) SELECT 'descriptors:' || kind, count(*) FROM descriptors GROUP BY kind;
INSERT INTO row_counts (name, n) SELECT 'files', count(*) FROM files;
INSERT INTO row_counts (name, n) SELECT 'tgo_packages', count(*) FROM tgo_packages;

CREATE TRIGGER descriptors_count_insert AFTER INSERT ON descriptors BEGIN
    INSERT INTO row_count_deltas (name, d) VALUES ('descriptors:' || NEW.kind, 1);
END;
CREATE TRIGGER descriptors_count_delete AFTER DELETE ON descriptors BEGIN
    INSERT INTO row_count_deltas (name, d) VALUES ('descriptors:' || OLD.kind, -1);
END;
CREATE TRIGGER files_count_insert AFTER INSERT ON files BEGIN
    INSERT INTO row_count_deltas (name, d) VALUES ('files', 1);
END;
CREATE TRIGGER files_count_delete AFTER DELETE ON files BEGIN
    INSERT INTO row_count_deltas (name, d) VALUES ('files', -1);
END;
CREATE TRIGGER tgo_packages_count_insert AFTER INSERT ON tgo_packages BEGIN
    INSERT INTO row_count_deltas (name, d) VALUES ('tgo_packages', 1);
END;
CREATE TRIGGER tgo_packages_count_delete AFTER DELETE ON tgo_packages BEGIN
    INSERT INTO row_count_deltas (name, d) VALUES ('tgo_packages', -1);
END;

-- 2. version=last: the pick of each (kind, name, vendor) group, kept by triggers.
CREATE TABLE descriptor_latest (
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    vendor     TEXT NOT NULL,
    version    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    uuid       BLOB NOT NULL UNIQUE,
    PRIMARY KEY (kind, name, vendor)
);
CREATE INDEX descriptor_latest_order ON descriptor_latest (kind, version DESC, name, vendor);
INSERT INTO descriptor_latest (kind, name, vendor, version, created_at, uuid)
SELECT kind, name, vendor, version, created_at, uuid FROM (
    SELECT kind, name, vendor, version, created_at, uuid, ROW_NUMBER() OVER (
        PARTITION BY kind, name, vendor ORDER BY version DESC, created_at, uuid) AS pick
    FROM descriptors)
WHERE pick = 1;

CREATE TRIGGER descriptors_latest_insert AFTER INSERT ON descriptors BEGIN
    INSERT INTO descriptor_latest (kind, name, vendor, version, created_at, uuid)
        VALUES (NEW.kind, NEW.name, NEW.vendor, NEW.version, NEW.created_at, NEW.uuid)
    ON CONFLICT (kind, name, vendor) DO UPDATE
        SET version = excluded.version, created_at = excluded.created_at, uuid = excluded.uuid
        WHERE excluded.version > descriptor_latest.version
           OR (excluded.version = descriptor_latest.version
               AND (excluded.created_at, excluded.uuid)
                   < (descriptor_latest.created_at, descriptor_latest.uuid));
END;
CREATE TRIGGER descriptors_latest_delete AFTER DELETE ON descriptors
WHEN EXISTS (SELECT 1 FROM descriptor_latest WHERE uuid = OLD.uuid) BEGIN
    DELETE FROM descriptor_latest WHERE uuid = OLD.uuid;
    INSERT INTO descriptor_latest (kind, name, vendor, version, created_at, uuid)
    SELECT kind, name, vendor, version, created_at, uuid FROM descriptors
    WHERE kind = OLD.kind AND name = OLD.name AND vendor = OLD.vendor
    ORDER BY version DESC, created_at, uuid
    LIMIT 1;
END;

-- The number of groups, kept like the other counts, and the order of one vendor's picks.
INSERT INTO row_counts (name, n) SELECT 'latest:' || kind, count(*) FROM descriptor_latest GROUP BY kind;
CREATE TRIGGER descriptor_latest_count_insert AFTER INSERT ON descriptor_latest BEGIN
    INSERT INTO row_count_deltas (name, d) VALUES ('latest:' || NEW.kind, 1);
END;
CREATE TRIGGER descriptor_latest_count_delete AFTER DELETE ON descriptor_latest BEGIN
    INSERT INTO row_count_deltas (name, d) VALUES ('latest:' || OLD.kind, -1);
END;
CREATE INDEX descriptor_latest_vendor ON descriptor_latest (kind, vendor, version DESC, name);

-- 3. Descriptor field filters from an index (see the PostgreSQL migration for the shape).
CREATE TABLE descriptor_fields (
    uuid BLOB NOT NULL REFERENCES descriptors (uuid) ON DELETE CASCADE,
    path TEXT NOT NULL,
    t    INTEGER NOT NULL,
    text TEXT,
    num  REAL
);
CREATE INDEX descriptor_fields_text ON descriptor_fields (path, t, text);
CREATE INDEX descriptor_fields_num ON descriptor_fields (path, num) WHERE num IS NOT NULL;
CREATE INDEX descriptor_fields_uuid ON descriptor_fields (uuid);
ALTER TABLE descriptors ADD COLUMN fields_version INTEGER NOT NULL DEFAULT 0;
