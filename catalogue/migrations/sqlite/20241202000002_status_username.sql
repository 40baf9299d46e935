-- `status=` and `username=` lists (ADR-27): one index on (kind, status, username) in list
-- order, so a filter on both is counted from the index alone and its page read in list
-- order from it. It replaces the (kind, status) index, whose searches it serves as a prefix.
-- Planner statistics like migration 3's (a few statuses, few users); a later ANALYZE
-- replaces them.
DROP INDEX descriptors_status;
DELETE FROM sqlite_stat1 WHERE tbl = 'descriptors' AND idx = 'descriptors_status';
CREATE INDEX descriptors_status_username ON descriptors (kind, status, username, created_at, uuid);
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
    ('descriptors', 'descriptors_status_username', '1000000 250000 200000 50000 1 1');
ANALYZE sqlite_schema;
