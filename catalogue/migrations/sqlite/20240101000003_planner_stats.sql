-- Planner statistics for the descriptor indexes. Without them SQLite walks the list-order
-- index to avoid a sort even when an identity filter (vendor, name) would find a few rows
-- directly: at 100,000 records that is a full scan per query. These figures describe a large
-- catalogue (a million records, a few kinds, a thousand records per vendor, three versions
-- per name, few users); a later ANALYZE replaces them with measured ones.
ANALYZE;
DELETE FROM sqlite_stat1 WHERE tbl = 'descriptors';
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
    ('descriptors', 'descriptors_identity', '1000000 250000 1000 3 1 1'),
    ('descriptors', 'descriptors_list_order', '1000000 250000 1 1'),
    ('descriptors', 'descriptors_version_pick', '1000000 250000 3 1 1 1 1'),
    ('descriptors', 'descriptors_status', '1000000 250000 200000'),
    ('descriptors', 'descriptors_username', '1000000 250000 50000');
ANALYZE sqlite_schema;
