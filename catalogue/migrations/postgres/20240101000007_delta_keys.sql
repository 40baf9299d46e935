-- The deltas before an anchor are read per anchor (storage/lists.rs): an index on the key, so
-- that read is a range of an index, not a scan of the delta table (which the fold empties
-- every second but whose heap stays as large as its busiest second), ADR-24. It also covers
-- the sums of `counted` (name, d), which replaces the old index.
DROP INDEX row_count_deltas_name;
CREATE INDEX row_count_deltas_key ON row_count_deltas (name, created_at, uuid, d);
