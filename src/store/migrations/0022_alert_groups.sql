-- The alert intake (issue 17 item 2, version 22): each Alertmanager alert group (receiver +
-- groupKey) and the incident it feeds, as last notified, and each of its alerts with its
-- labels, annotations and generator link. A group whose incident is done and fires again gets a
-- new row for its new incident; the newest row of a group is the one notifications update.
CREATE TABLE alert_groups (
    id           INTEGER PRIMARY KEY,
    receiver     TEXT NOT NULL,
    group_key    TEXT NOT NULL,
    incident_pk  INTEGER NOT NULL REFERENCES incidents (pk),
    -- The group's status in its last notification.
    status       TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
    -- How many alerts Alertmanager left out of its last notification.
    truncated    INTEGER NOT NULL DEFAULT 0,
    updated_at   TEXT NOT NULL
);
CREATE INDEX alert_groups_by_key ON alert_groups (receiver, group_key, id);
CREATE INDEX alert_groups_by_incident ON alert_groups (incident_pk);

CREATE TABLE alerts (
    group_id      INTEGER NOT NULL REFERENCES alert_groups (id),
    -- Alertmanager's fingerprint (the labels' JSON when a sender gives none).
    fingerprint   TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
    labels        TEXT NOT NULL,   -- JSON object
    annotations   TEXT NOT NULL,   -- JSON object
    generator_url TEXT NOT NULL DEFAULT '',
    starts_at     TEXT NOT NULL,
    ends_at       TEXT,
    PRIMARY KEY (group_id, fingerprint)
);
