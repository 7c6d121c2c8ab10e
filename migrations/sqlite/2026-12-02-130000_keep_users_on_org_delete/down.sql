-- Back to the cascade: the registry of each removed configuration is erased first (a
-- reference to a missing organization cannot be restored), then the tables are rebuilt
-- with their foreign keys to `vipps_orgs`, as in the up migration.
DELETE FROM users WHERE org_id NOT IN (SELECT org_id FROM vipps_orgs);
DELETE FROM vipps_identities WHERE org_id NOT IN (SELECT org_id FROM vipps_orgs);
DELETE FROM consent_webhooks WHERE org_id NOT IN (SELECT org_id FROM vipps_orgs);

CREATE TABLE users_old (
    id             TEXT NOT NULL PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES vipps_orgs (org_id) ON DELETE CASCADE,
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
INSERT INTO users_old (id, org_id, name, given_name, family_name, email, email_verified,
                       phone_number, created_at, updated_at, last_login_at)
    SELECT id, org_id, name, given_name, family_name, email, email_verified,
           phone_number, created_at, updated_at, last_login_at
    FROM users;

CREATE TABLE vipps_identities_old (
    org_id        TEXT NOT NULL REFERENCES vipps_orgs (org_id) ON DELETE CASCADE,
    environment   TEXT NOT NULL CHECK (environment IN ('production', 'test')),
    sub           TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users_old (id) ON DELETE CASCADE,
    linked_at     TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP NOT NULL,
    phone_number  TEXT,
    PRIMARY KEY (org_id, environment, sub)
);
INSERT INTO vipps_identities_old (org_id, environment, sub, user_id, linked_at, last_login_at,
                                  phone_number)
    SELECT org_id, environment, sub, user_id, linked_at, last_login_at, phone_number
    FROM vipps_identities;

CREATE TABLE sessions_old (
    id         TEXT NOT NULL PRIMARY KEY,
    org_id     TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users_old (id) ON DELETE CASCADE,
    sub        TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    ended_at   TIMESTAMP
);
INSERT INTO sessions_old (id, org_id, user_id, sub, created_at, expires_at, ended_at)
    SELECT id, org_id, user_id, sub, created_at, expires_at, ended_at
    FROM sessions;

CREATE TABLE consent_webhooks_old (
    org_id     TEXT NOT NULL PRIMARY KEY REFERENCES vipps_orgs (org_id) ON DELETE CASCADE,
    secret     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO consent_webhooks_old (org_id, secret, created_at)
    SELECT org_id, secret, created_at
    FROM consent_webhooks;

DROP TABLE vipps_identities;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE consent_webhooks;

ALTER TABLE users_old RENAME TO users;
ALTER TABLE vipps_identities_old RENAME TO vipps_identities;
ALTER TABLE sessions_old RENAME TO sessions;
ALTER TABLE consent_webhooks_old RENAME TO consent_webhooks;

CREATE INDEX users_org_idx ON users (org_id, id);
CREATE INDEX users_phone_idx ON users (org_id, phone_number);
CREATE INDEX users_email_idx ON users (org_id, email);
CREATE INDEX vipps_identities_user_idx ON vipps_identities (user_id);
CREATE INDEX vipps_identities_phone_idx ON vipps_identities (org_id, environment, phone_number);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_org_idx ON sessions (org_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
