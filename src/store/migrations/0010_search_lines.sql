-- Search by line (version 10): every line of an attached log or command output is a row of
-- its own in `search_line`, so that AND, NOT, phrases and NEAR hold within one line and every
-- matching line is found (a chunk's row in `search_log` gave one line per chunk). The Rust
-- step of this migration indexes the lines of every stored log.

DELETE FROM search_docs WHERE chunk_id IS NOT NULL;
DROP INDEX search_docs_chunk;
DROP TABLE search_log;

-- One row per line that holds a word, rowid = blob id << 36 | line number (1-based): a blob's
-- lines are one range of rowids in file order. Contentless (the text is in the compressed
-- chunks) and without column sizes (lines are not ranked): its cost is the words' positions.
CREATE VIRTUAL TABLE search_line USING fts5(
    text,
    content = '',
    columnsize = 0,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Whether a blob's lines are in `search_line` (content attached twice is indexed once).
ALTER TABLE blobs ADD COLUMN indexed INTEGER NOT NULL DEFAULT 0;

-- Each chunk's line range without its data (a covering index): which chunks hold the lines a
-- search shows is read from a few index pages, not a table page per 16 KB chunk.
CREATE INDEX blob_chunks_lines ON blob_chunks (blob_id, first_line, seq, lines, size);
