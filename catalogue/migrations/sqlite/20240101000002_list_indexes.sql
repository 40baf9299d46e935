-- Indexes for list and filter queries (the lists run in SQL, as on PostgreSQL).
CREATE INDEX descriptors_version_pick ON descriptors
    (kind, name, vendor, version DESC, created_at, uuid);
CREATE INDEX descriptors_status ON descriptors (kind, status);
CREATE INDEX descriptors_username ON descriptors (kind, username);
CREATE INDEX files_file_name ON files (file_name);
CREATE INDEX files_md5 ON files (md5);
CREATE INDEX tgo_packages_file_name ON tgo_packages (file_name);
