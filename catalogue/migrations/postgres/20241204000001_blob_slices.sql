-- A blob may be a byte range of another blob (ADR-31): a file stored uncompressed in a
-- package archive keeps its bytes there instead of a second copy. Such a row has no bytes of
-- its own in the store; they are `size` bytes at `within_offset` of blob `within_sha256`,
-- which is kept while any such row names it.
ALTER TABLE blobs ADD COLUMN within_sha256 text REFERENCES blobs (sha256);
ALTER TABLE blobs ADD COLUMN within_offset bigint;
CREATE INDEX blobs_within ON blobs (within_sha256) WHERE within_sha256 IS NOT NULL;
