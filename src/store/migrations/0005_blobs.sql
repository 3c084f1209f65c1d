-- Version 5: attached logs and recorded command runs, their content stored once per hash.

-- Content stored once however many attachments or command runs refer to it. `hash` is the
-- SHA-256 of the content as stored (after redaction); while an attach is still streaming it is
-- a provisional 'pending:…' key, replaced or dropped before the transaction commits.
CREATE TABLE blobs (
    id          INTEGER PRIMARY KEY,
    hash        TEXT NOT NULL UNIQUE,
    -- Uncompressed bytes, lines (a last line without a newline counts), compressed bytes.
    size        INTEGER NOT NULL DEFAULT 0,
    lines       INTEGER NOT NULL DEFAULT 0,
    stored      INTEGER NOT NULL DEFAULT 0
);

-- A blob's content in order, in pieces of about 1 MiB cut at a line boundary when one is near,
-- each zstd-compressed on its own: reading, tailing and indexing go chunk by chunk with bounded
-- memory, and first_line (1-based) lets a hit inside a chunk be turned into a line number.
CREATE TABLE blob_chunks (
    id          INTEGER PRIMARY KEY,
    blob_id     INTEGER NOT NULL REFERENCES blobs (id),
    seq         INTEGER NOT NULL,
    first_line  INTEGER NOT NULL,
    -- Newlines in the chunk, and its uncompressed size.
    lines       INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    data        BLOB NOT NULL,
    UNIQUE (blob_id, seq)
);

-- Logs attached to an incident (`incident attach`), numbered 1, 2, … within it.
CREATE TABLE attachments (
    id          INTEGER PRIMARY KEY,
    incident_pk INTEGER NOT NULL REFERENCES incidents (pk),
    seq         INTEGER NOT NULL,
    name        TEXT NOT NULL,
    blob_id     INTEGER NOT NULL REFERENCES blobs (id),
    -- Secrets replaced while streaming it in.
    redactions  INTEGER NOT NULL DEFAULT 0,
    added_at    TEXT NOT NULL,
    added_by    TEXT NOT NULL,
    UNIQUE (incident_pk, seq)
);

CREATE INDEX attachments_blob ON attachments (blob_id);

-- Commands run through `incident exec`, numbered 1, 2, … within an incident. The command line
-- and the output are redacted; the output is cut at output_cap bytes.
CREATE TABLE command_runs (
    id           INTEGER PRIMARY KEY,
    incident_pk  INTEGER NOT NULL REFERENCES incidents (pk),
    seq          INTEGER NOT NULL,
    command      TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    duration_ms  INTEGER NOT NULL,
    -- One of the two: the exit code, or the signal that killed it.
    exit_code    INTEGER,
    signal       INTEGER,
    -- stdout and stderr interleaved as they arrived.
    output_blob_id INTEGER NOT NULL REFERENCES blobs (id),
    output_bytes INTEGER NOT NULL,
    output_cap   INTEGER NOT NULL,
    run_by       TEXT NOT NULL,
    UNIQUE (incident_pk, seq)
);

CREATE INDEX command_runs_blob ON command_runs (output_blob_id);
