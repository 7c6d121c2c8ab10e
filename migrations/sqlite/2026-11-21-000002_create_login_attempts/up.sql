-- One row per started login, consumed once by its completion. `state_key` is the SHA-256
-- of the `state` (hex), so a copy of this table holds no live state.
CREATE TABLE login_attempts (
    state_key         TEXT NOT NULL PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES vipps_orgs (org_id) ON DELETE CASCADE,
    environment       TEXT NOT NULL,
    client_id         TEXT NOT NULL,
    nonce             TEXT NOT NULL,
    code_verifier     TEXT NOT NULL,
    redirect_uri      TEXT NOT NULL,
    scopes            TEXT NOT NULL,
    next_relative_url TEXT NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    expires_at        TIMESTAMP NOT NULL,
    consumed_at       TIMESTAMP
);

CREATE INDEX login_attempts_expires_idx ON login_attempts (expires_at);
CREATE INDEX login_attempts_org_idx ON login_attempts (org_id);
