-- `status=` and `username=` lists (ADR-27): one index on (kind, status, username) in list
-- order, so a filter on both is counted from the index alone and its page read in list
-- order from it (they were bitmap-combined from two single-column indexes and counted from
-- the table: 110-154 ms at 100,000 matches). It replaces the (kind, status) index, whose
-- searches it serves as a prefix; writes keep the same number of index entries.
DROP INDEX descriptors_status;
CREATE INDEX descriptors_status_username ON descriptors (kind, status, username, created_at, uuid);
