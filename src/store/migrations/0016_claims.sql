-- Delivery claims across working copies (team schema version 4): a reminder another copy
-- claimed in the team log is recorded here as 'sending', claimed by that copy's author, so this
-- copy does not send it; once the claim expires it is claimed again, and the team log decides.
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
