-- The post-mortem's prose fields (issue 16): impact, trigger and detection, set by `update`
-- as `field` events like the guide's fields.
ALTER TABLE incidents ADD COLUMN impact TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN trigger TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN detection TEXT NOT NULL DEFAULT '';
