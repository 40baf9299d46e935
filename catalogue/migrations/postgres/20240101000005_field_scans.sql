-- Lists and field filters that match thousands of records, at 100,000 records (ADR-24).

-- 1. `vendor=` lists: the page in list order straight from an index (it read and sorted
-- every match).
CREATE INDEX descriptors_vendor_order ON descriptors (kind, vendor, created_at, uuid);

-- 2. The field index rows carry what a filter's count and page need, so both are answered
-- from the index alone (index-only scans): the descriptor's kind and list-order key
-- (created_at, uuid), and `sole`, whether the row is its descriptor's only one at the path
-- (then matching rows are matching descriptors, without de-duplication). Rebuilt empty: the
-- catalogue re-indexes every descriptor at start-up (query/fields.rs FIELDS_VERSION 2) when
-- the index is on.
DROP TABLE descriptor_fields;
CREATE TABLE descriptor_fields (
    uuid       uuid NOT NULL REFERENCES descriptors (uuid) ON DELETE CASCADE,
    kind       text NOT NULL,
    created_at timestamptz NOT NULL,
    path       text NOT NULL,
    sole       boolean NOT NULL,
    t          smallint NOT NULL,
    text       text COLLATE "C",
    num        double precision
);
CREATE INDEX descriptor_fields_text ON descriptor_fields (kind, path, sole, t, text, created_at, uuid);
CREATE INDEX descriptor_fields_num ON descriptor_fields (kind, path, sole, num, created_at, uuid)
    WHERE num IS NOT NULL;
-- A page driven from the list order checks one descriptor's row at a path.
CREATE INDEX descriptor_fields_uuid ON descriptor_fields (uuid, path);
ALTER TABLE descriptor_fields SET (autovacuum_vacuum_insert_scale_factor = 0.02);
