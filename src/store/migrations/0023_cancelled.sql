-- The CANCELLED status (version 23): an incident opened by mistake, noise or a duplicate
-- (`incident cancel`). The status column's CHECK gains the value. SQLite cannot alter a CHECK,
-- and rebuilding `incidents` would rename it in every reference, so the Rust step edits the
-- table's definition in place (SQLite's documented writable_schema procedure): a looser
-- constraint, which every stored row already meets.
SELECT 1;
