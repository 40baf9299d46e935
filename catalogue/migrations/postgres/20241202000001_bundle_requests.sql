-- ADR-23: the request id of each stored or cancelled bundle. A bundle inserts its id in its
-- transaction; a cancel inserts it too (a tombstone, package_uuid NULL) or finds the package
-- the bundle stored: whichever comes second learns what the first did. Rows older than the
-- blob sweep's retention are removed by the sweep.
CREATE TABLE bundle_requests (
    request_id   TEXT PRIMARY KEY,
    package_uuid uuid,
    created_at   timestamptz NOT NULL
);
CREATE INDEX bundle_requests_created_at ON bundle_requests (created_at);
