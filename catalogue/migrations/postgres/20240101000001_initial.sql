-- Descriptors of every kind (nsd, vnfd, testd, pd) in one table; the identity is unique.
CREATE TABLE descriptors (
    uuid        uuid PRIMARY KEY,
    kind        text NOT NULL,
    vendor      text NOT NULL,
    name        text NOT NULL,
    version     text NOT NULL,
    platform    text NOT NULL DEFAULT '',  -- '' for kinds without a platform
    body        text NOT NULL,              -- the descriptor as sent (key order kept)
    descriptor  jsonb GENERATED ALWAYS AS (body::jsonb) STORED,  -- for queries
    status      text NOT NULL DEFAULT 'active',
    pkg_ref     bigint NOT NULL DEFAULT 1,
    md5         text NOT NULL,
    username    text,
    signature   text,
    son_package_uuid uuid,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX descriptors_identity ON descriptors (kind, vendor, name, version, platform);
CREATE INDEX descriptors_list_order ON descriptors (kind, created_at, uuid);
CREATE INDEX descriptors_name_vendor ON descriptors (kind, name, vendor);
CREATE INDEX descriptors_version_last
    ON descriptors (kind, name COLLATE "C", vendor COLLATE "C", version COLLATE "C" DESC);
CREATE INDEX descriptors_status ON descriptors (kind, status);
CREATE INDEX descriptors_username ON descriptors (kind, username);
CREATE INDEX descriptors_body_gin ON descriptors USING gin (descriptor jsonb_path_ops);

-- Content-addressed blobs; the bytes live in the blob store under the sha256.
CREATE TABLE blobs (
    sha256      text PRIMARY KEY,
    md5         text NOT NULL,
    size        bigint NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE files (
    uuid        uuid PRIMARY KEY,
    sha256      text NOT NULL REFERENCES blobs (sha256),
    md5         text NOT NULL,
    size        bigint NOT NULL,
    file_name   text NOT NULL,
    pkg_ref     bigint NOT NULL DEFAULT 1,
    username    text,
    signature   text,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX files_content_name ON files (sha256, file_name);
CREATE INDEX files_list_order ON files (created_at, uuid);
CREATE INDEX files_md5 ON files (md5);

CREATE TABLE tgo_packages (
    uuid        uuid PRIMARY KEY,
    sha256      text NOT NULL REFERENCES blobs (sha256),
    md5         text NOT NULL,
    size        bigint NOT NULL,
    file_name   text NOT NULL,
    pkg_ref     bigint NOT NULL DEFAULT 1,
    username    text,
    signature   text,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX tgo_packages_sha256 ON tgo_packages (sha256);
CREATE INDEX tgo_packages_list_order ON tgo_packages (created_at, uuid);
