-- Attached logs and command output get a full-text index of their own (version 8).

-- A stored chunk is a quarter MiB of log lines, and a common word occurs in nearly every one:
-- ranked by bm25 next to short texts, chunks cost most of a search's time (every position of
-- every occurrence is read to score them) for a score that says little (chunks are all about
-- the same length). Log lines are shown newest first instead, which FTS5 answers by walking
-- this index backwards and stopping after the few shown. rowid = search_docs.id, as in
-- `search`; the chunks indexed in `search` before are moved here by the migration.
CREATE VIRTUAL TABLE search_log USING fts5(
    text,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- How many action items were ever written, kept by triggers. A search compares it with how
-- many are indexed to tell whether some are not (an import keeps ids from its file; versions
-- before 6 indexed none): counting the table on every search instead cost half a millisecond
-- at 37,000 items, a tenth of a search.
ALTER TABLE search_state ADD COLUMN actions_written INTEGER NOT NULL DEFAULT 0;
UPDATE search_state SET actions_written = (SELECT count(*) FROM action_items);
CREATE TRIGGER action_items_written AFTER INSERT ON action_items
BEGIN
    UPDATE search_state SET actions_written = actions_written + 1 WHERE id = 1;
END;
CREATE TRIGGER action_items_removed AFTER DELETE ON action_items
BEGIN
    UPDATE search_state SET actions_written = actions_written - 1 WHERE id = 1;
END;
