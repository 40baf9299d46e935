-- Deep list pages without skipping every record before them (ADR-24): kept list positions.
-- `list_anchors` holds every ANCHOR_GAP-th record of a kind in list order with the number
-- of records before it (storage/positions.rs); the count deltas of descriptors now carry the
-- record's list-order key, so a position is exact between folds (the anchor's n_before plus
-- the deltas before it). The fold moves the anchors and adds or rebuilds them.
ALTER TABLE row_count_deltas ADD COLUMN created_at timestamptz, ADD COLUMN uuid uuid;
CREATE OR REPLACE FUNCTION count_descriptor_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO row_count_deltas (name, d, created_at, uuid)
            VALUES ('descriptors:' || NEW.kind, 1, NEW.created_at, NEW.uuid);
    ELSE
        INSERT INTO row_count_deltas (name, d, created_at, uuid)
            VALUES ('descriptors:' || OLD.kind, -1, OLD.created_at, OLD.uuid);
    END IF;
    RETURN NULL;
END $$;
CREATE TABLE list_anchors (
    kind       text NOT NULL,
    created_at timestamptz NOT NULL,
    uuid       uuid NOT NULL,
    n_before   bigint NOT NULL
);
CREATE INDEX list_anchors_order ON list_anchors (kind, created_at, uuid);
