-- The field index is written after the descriptor, in batches (ADR-30): a new descriptor
-- (or one whose rows an older extraction wrote) waits here, with no index rows, until the
-- catalogue's indexer writes its rows and removes it. Field filters evaluate the documents
-- of the descriptors waiting here, and take the index for the others.
CREATE TABLE descriptor_fields_pending (
    uuid       uuid PRIMARY KEY REFERENCES descriptors (uuid) ON DELETE CASCADE,
    kind       text NOT NULL,
    created_at timestamptz NOT NULL
);
