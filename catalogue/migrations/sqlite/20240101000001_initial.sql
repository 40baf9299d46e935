-- The embedded schema: the same tables as PostgreSQL; descriptor queries run in the service.
CREATE TABLE descriptors (
    uuid        BLOB PRIMARY KEY,
    kind        TEXT NOT NULL,
    vendor      TEXT NOT NULL,
    name        TEXT NOT NULL,
    version     TEXT NOT NULL,
    platform    TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'active',
    pkg_ref     INTEGER NOT NULL DEFAULT 1,
    md5         TEXT NOT NULL,
    username    TEXT,
    signature   TEXT,
    son_package_uuid BLOB,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX descriptors_identity ON descriptors (kind, vendor, name, version, platform);
CREATE INDEX descriptors_list_order ON descriptors (kind, created_at, uuid);

CREATE TABLE blobs (
    sha256      TEXT PRIMARY KEY,
    md5         TEXT NOT NULL,
    size        INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE files (
    uuid        BLOB PRIMARY KEY,
    sha256      TEXT NOT NULL REFERENCES blobs (sha256),
    md5         TEXT NOT NULL,
    size        INTEGER NOT NULL,
    file_name   TEXT NOT NULL,
    pkg_ref     INTEGER NOT NULL DEFAULT 1,
    username    TEXT,
    signature   TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX files_content_name ON files (sha256, file_name);
CREATE INDEX files_list_order ON files (created_at, uuid);

CREATE TABLE tgo_packages (
    uuid        BLOB PRIMARY KEY,
    sha256      TEXT NOT NULL REFERENCES blobs (sha256),
    md5         TEXT NOT NULL,
    size        INTEGER NOT NULL,
    file_name   TEXT NOT NULL,
    pkg_ref     INTEGER NOT NULL DEFAULT 1,
    username    TEXT,
    signature   TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX tgo_packages_sha256 ON tgo_packages (sha256);
CREATE INDEX tgo_packages_list_order ON tgo_packages (created_at, uuid);
