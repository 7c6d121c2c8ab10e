CREATE TABLE vipps_orgs (
    org_id                     TEXT COLLATE "C" PRIMARY KEY,
    client_id                  TEXT NOT NULL,
    client_secret_ref          TEXT NOT NULL,
    redirect_uri               TEXT NOT NULL,
    scopes                     TEXT NOT NULL,
    vipps_enabled              BOOLEAN NOT NULL DEFAULT TRUE,
    environment                TEXT NOT NULL CHECK (environment IN ('production', 'test')),
    token_endpoint_auth_method TEXT NOT NULL DEFAULT 'client_secret_basic'
        CHECK (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post')),
    merchant_serial_number     TEXT,
    created_at                 TIMESTAMP NOT NULL,
    updated_at                 TIMESTAMP NOT NULL
);

CREATE INDEX vipps_orgs_enabled_idx ON vipps_orgs (vipps_enabled, org_id);
