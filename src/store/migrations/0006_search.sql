-- Full-text search over everything recorded (version 6).

-- What each entry of the `search` index is. A field, note, snapshot text or command line keeps
-- its text in `body`; a stored chunk of an attached log or command output points at the chunk
-- (whose compressed data is the text) and is joined to its attachments and command runs when
-- searched, so content attached twice is indexed once.
CREATE TABLE search_docs (
    id          INTEGER PRIMARY KEY,
    -- field, note, snapshot, command (a command line), chunk
    kind        TEXT NOT NULL,
    -- NULL for a chunk: its attachments and command runs say whose it is.
    incident_pk INTEGER REFERENCES incidents (pk),
    -- Which field, snapshot item or command run: 'root_cause', 'snapshot 1 logs/app=updater'.
    ref         TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL DEFAULT '',
    body        TEXT,
    chunk_id    INTEGER REFERENCES blob_chunks (id)
);

CREATE INDEX search_docs_incident ON search_docs (incident_pk, kind, ref);
CREATE INDEX search_docs_chunk ON search_docs (chunk_id) WHERE chunk_id IS NOT NULL;

-- The index itself, rowid = search_docs.id. Contentless: the text is in search_docs.body or
-- in the compressed chunk, not stored a second time (uncompressed) here.
CREATE VIRTUAL TABLE search USING fts5(
    text,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Notes are indexed in batches when `search` runs, not by `note` itself: a note stays one
-- insert on the hot path. The events up to this id are in the index.
CREATE TABLE search_state (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    notes_through INTEGER NOT NULL
);
INSERT INTO search_state (id, notes_through) VALUES (1, 0);
