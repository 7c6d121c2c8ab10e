-- Organizations may accept only users an administrator registered beforehand.
ALTER TABLE vipps_orgs ADD COLUMN pre_provisioned_users_only BOOLEAN NOT NULL DEFAULT FALSE;

-- The local user registry: one row per user of an organization.
CREATE TABLE users (
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

CREATE INDEX users_org_idx ON users (org_id, id);
CREATE INDEX users_phone_idx ON users (org_id, phone_number);
CREATE INDEX users_email_idx ON users (org_id, email);

-- Vipps identities linked to users. Vipps gives each merchant its own `sub` for a person,
-- so an identity is keyed by organization, environment and sub.
CREATE TABLE vipps_identities (
    org_id        TEXT NOT NULL REFERENCES vipps_orgs (org_id) ON DELETE CASCADE,
    environment   TEXT NOT NULL CHECK (environment IN ('production', 'test')),
    sub           TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    linked_at     TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, environment, sub)
);

CREATE INDEX vipps_identities_user_idx ON vipps_identities (user_id);
