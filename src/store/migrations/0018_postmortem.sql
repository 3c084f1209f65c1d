-- The post-mortem's prose fields (issue 16): impact, trigger and detection, set by `update`
-- as `field` events like the guide's fields.
ALTER TABLE incidents ADD COLUMN impact TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN trigger TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN detection TEXT NOT NULL DEFAULT '';
-- When its post-mortem was published, while that is its status (`postmortem` events): the
-- post-mortem clock stops at this or the close, the earlier.
ALTER TABLE incidents ADD COLUMN published_at TEXT;
