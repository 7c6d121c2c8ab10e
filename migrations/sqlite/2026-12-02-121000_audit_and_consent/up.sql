-- The audit trail: one row per event (login outcomes, user and org changes, session ends,
-- consent revocations). No foreign keys: events outlive the organizations and users they
-- name. `detail` is a small JSON object that never holds a secret or token. The id grows
-- with every event, so admin reads page by (org_id, id).
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at TIMESTAMP NOT NULL,
    org_id      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    user_id     TEXT,
    detail      TEXT NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_events_org_idx ON audit_events (org_id, id);
-- Reads filtered by kind page along this one.
CREATE INDEX audit_events_org_kind_idx ON audit_events (org_id, kind, id);
CREATE INDEX audit_events_occurred_idx ON audit_events (occurred_at);

-- The secret in the path of each organization's consent revocation URL. Stored readable, as
-- administrators must be able to show the URL they register at Vipps; it goes with the
-- organization's configuration.
CREATE TABLE consent_webhooks (
    org_id     TEXT NOT NULL PRIMARY KEY REFERENCES vipps_orgs (org_id) ON DELETE CASCADE,
    secret     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
