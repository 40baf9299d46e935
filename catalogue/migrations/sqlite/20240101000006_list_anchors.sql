-- Deep list pages without skipping every record before them (ADR-24): kept list positions.
-- `list_anchors` holds every ANCHOR_GAP-th record of a kind in list order with the number
-- of records before it (storage/positions.rs); the count deltas of descriptors now carry the
-- record's list-order key, so a position is exact between folds (the anchor's n_before plus
-- the deltas before it). The fold moves the anchors and adds or rebuilds them.
--
-- The delta table is rebuilt without AUTOINCREMENT (which wrote sqlite_sequence on every
-- insert; the fold deletes every delta, ids only need to be distinct); the triggers that
-- append to it are dropped first and created again.
DROP TRIGGER descriptors_count_insert;
DROP TRIGGER descriptors_count_delete;
DROP TRIGGER files_count_insert;
DROP TRIGGER files_count_delete;
DROP TRIGGER tgo_packages_count_insert;
DROP TRIGGER tgo_packages_count_delete;
DROP TRIGGER descriptor_latest_count_insert;
DROP TRIGGER descriptor_latest_count_delete;
CREATE TABLE row_count_deltas_keyed (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    d          INTEGER NOT NULL,
    created_at TEXT,
    uuid       BLOB
);
INSERT INTO row_count_deltas_keyed (name, d) SELECT name, d FROM row_count_deltas;
DROP TABLE row_count_deltas;
ALTER TABLE row_count_deltas_keyed RENAME TO row_count_deltas;
CREATE INDEX row_count_deltas_name ON row_count_deltas (name, d);

CREATE TRIGGER descriptors_count_insert AFTER INSERT ON descriptors BEGIN
    INSERT INTO row_count_deltas (name, d, created_at, uuid)
        VALUES ('descriptors:' || NEW.kind, 1, NEW.created_at, NEW.uuid);
END;
CREATE TRIGGER descriptors_count_delete AFTER DELETE ON descriptors BEGIN
    INSERT INTO row_count_deltas (name, d, created_at, uuid)
        VALUES ('descriptors:' || OLD.kind, -1, OLD.created_at, OLD.uuid);
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
CREATE TRIGGER descriptor_latest_count_insert AFTER INSERT ON descriptor_latest BEGIN
    INSERT INTO row_count_deltas (name, d) VALUES ('latest:' || NEW.kind, 1);
END;
CREATE TRIGGER descriptor_latest_count_delete AFTER DELETE ON descriptor_latest BEGIN
    INSERT INTO row_count_deltas (name, d) VALUES ('latest:' || OLD.kind, -1);
END;

CREATE TABLE list_anchors (
    kind       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    uuid       BLOB NOT NULL,
    n_before   INTEGER NOT NULL
);
CREATE INDEX list_anchors_order ON list_anchors (kind, created_at, uuid);
