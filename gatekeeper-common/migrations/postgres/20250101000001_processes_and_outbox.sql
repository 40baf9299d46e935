-- On-boarding processes and the callback outbox. Times are Unix epoch milliseconds, ids are
-- canonical lower-case UUID text and JSON is text, so the same queries run on SQLite.
CREATE TABLE processes (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deadline_at BIGINT NOT NULL,
    username TEXT,
    callback_url TEXT,
    file_name TEXT,
    event TEXT
);
CREATE INDEX processes_open_by_deadline ON processes (state, deadline_at);

CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    process_id TEXT NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    target_url TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_by TEXT,
    claimed_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_by_process ON deliveries (process_id);
