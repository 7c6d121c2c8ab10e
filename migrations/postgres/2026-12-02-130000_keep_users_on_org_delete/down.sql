-- Back to the cascade: the registry of each removed configuration is erased first (a
-- reference to a missing organization cannot be restored).
DELETE FROM users WHERE org_id NOT IN (SELECT org_id FROM vipps_orgs);
DELETE FROM vipps_identities WHERE org_id NOT IN (SELECT org_id FROM vipps_orgs);
DELETE FROM consent_webhooks WHERE org_id NOT IN (SELECT org_id FROM vipps_orgs);
ALTER TABLE users ADD CONSTRAINT users_org_id_fkey
    FOREIGN KEY (org_id) REFERENCES vipps_orgs (org_id) ON DELETE CASCADE;
ALTER TABLE vipps_identities ADD CONSTRAINT vipps_identities_org_id_fkey
    FOREIGN KEY (org_id) REFERENCES vipps_orgs (org_id) ON DELETE CASCADE;
ALTER TABLE consent_webhooks ADD CONSTRAINT consent_webhooks_org_id_fkey
    FOREIGN KEY (org_id) REFERENCES vipps_orgs (org_id) ON DELETE CASCADE;
