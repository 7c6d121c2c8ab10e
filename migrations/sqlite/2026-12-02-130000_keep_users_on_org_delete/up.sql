-- Removing an organization's Vipps configuration keeps its user registry: users and Vipps
-- identities no longer reference `vipps_orgs`, so they outlive the configuration row and a
-- re-created `org_id` finds them again (erasing them is an explicit purge). The consent
-- revocation secret stays too, so Vipps can still reach the kept users at the URL it knows.
-- Pending login attempts still end with the configuration (they keep their cascade).
--
-- SQLite cannot drop a foreign key: each table is rebuilt (create, copy, drop, rename,
-- index). Foreign keys are on while this runs, and dropping a table deletes its rows first
-- (with their cascades), so every table that references `users` is rebuilt against the new
-- copy before the old `users` goes: no row is lost. Renaming `users_new` rewrites the
-- references of the new child tables to `users`.
CREATE TABLE users_new (
    id             TEXT NOT NULL PRIMARY KEY,
    org_id         TEXT NOT NULL,
    name           TEXT,
    given_name     TEXT,
    family_name    TEXT,
    email          TEXT,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    phone_number   TEXT,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    last_login_at  TIMESTAMP
);
INSERT INTO users_new (id, org_id, name, given_name, family_name, email, email_verified,
                       phone_number, created_at, updated_at, last_login_at)
    SELECT id, org_id, name, given_name, family_name, email, email_verified,
           phone_number, created_at, updated_at, last_login_at
    FROM users;

CREATE TABLE vipps_identities_new (
    org_id        TEXT NOT NULL,
    environment   TEXT NOT NULL CHECK (environment IN ('production', 'test')),
    sub           TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users_new (id) ON DELETE CASCADE,
    linked_at     TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP NOT NULL,
    phone_number  TEXT,
    PRIMARY KEY (org_id, environment, sub)
);
INSERT INTO vipps_identities_new (org_id, environment, sub, user_id, linked_at, last_login_at,
                                  phone_number)
    SELECT org_id, environment, sub, user_id, linked_at, last_login_at, phone_number
    FROM vipps_identities;

CREATE TABLE sessions_new (
    id         TEXT NOT NULL PRIMARY KEY,
    org_id     TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users_new (id) ON DELETE CASCADE,
    sub        TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    ended_at   TIMESTAMP
);
INSERT INTO sessions_new (id, org_id, user_id, sub, created_at, expires_at, ended_at)
    SELECT id, org_id, user_id, sub, created_at, expires_at, ended_at
    FROM sessions;

CREATE TABLE consent_webhooks_new (
    org_id     TEXT NOT NULL PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO consent_webhooks_new (org_id, secret, created_at)
    SELECT org_id, secret, created_at
    FROM consent_webhooks;

DROP TABLE vipps_identities;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE consent_webhooks;

ALTER TABLE users_new RENAME TO users;
ALTER TABLE vipps_identities_new RENAME TO vipps_identities;
ALTER TABLE sessions_new RENAME TO sessions;
ALTER TABLE consent_webhooks_new RENAME TO consent_webhooks;

CREATE INDEX users_org_idx ON users (org_id, id);
CREATE INDEX users_phone_idx ON users (org_id, phone_number);
CREATE INDEX users_email_idx ON users (org_id, email);
CREATE INDEX vipps_identities_user_idx ON vipps_identities (user_id);
CREATE INDEX vipps_identities_phone_idx ON vipps_identities (org_id, environment, phone_number);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_org_idx ON sessions (org_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
