-- A login completes only for whoever started it: the SHA-256 (hex) of the completion token
-- handed to the starter. Attempts started before this migration have none and cannot
-- complete bound (they expire within the login TTL).
ALTER TABLE login_attempts ADD COLUMN completion_key TEXT NOT NULL DEFAULT '';

-- Organizations whose users may come back in another browser (Vipps' automatic return)
-- can accept completions without the token.
ALTER TABLE vipps_orgs ADD COLUMN allow_unbound_completion BOOLEAN NOT NULL DEFAULT FALSE;

-- Issued sessions, so that they can end before they expire (logout, revocation, deletion).
-- The id is the session token's `jti`; `sub` is the Vipps identity the login came with, so
-- unlinking that identity ends the sessions it opened.
CREATE TABLE sessions (
    id         TEXT COLLATE "C" PRIMARY KEY,
    org_id     TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sub        TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    ended_at   TIMESTAMP
);

CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_org_idx ON sessions (org_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
