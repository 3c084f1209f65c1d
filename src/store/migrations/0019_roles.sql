-- Roles and services (issue 16 item 2): who holds which role in an incident, and the services
-- it affects, as its role and service events leave them. Incidents recorded before have no such
-- events: their opener is their commander, and they affect no service yet.
ALTER TABLE incidents ADD COLUMN roles TEXT NOT NULL DEFAULT '{}';
ALTER TABLE incidents ADD COLUMN services TEXT NOT NULL DEFAULT '[]';
UPDATE incidents SET roles = json_object('commander', created_by);
