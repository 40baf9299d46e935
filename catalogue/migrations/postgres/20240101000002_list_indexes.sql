-- Indexes for list and filter queries at scale (100,000 records and more).
-- version=last picks the first row per (name, vendor) ordered by version (code point order),
-- then age: this index hands the window its rows already in that order.
CREATE INDEX descriptors_version_pick ON descriptors
    (kind, name COLLATE "C", vendor COLLATE "C", version COLLATE "C" DESC, created_at, uuid);
DROP INDEX descriptors_version_last;
-- Descriptor field filters are `descriptor @? <jsonpath>`, served by descriptors_body_gin.
-- Blob lists filtered by name.
CREATE INDEX files_file_name ON files (file_name);
CREATE INDEX tgo_packages_file_name ON tgo_packages (file_name);
