-- Removing an organization's Vipps configuration keeps its user registry: users and Vipps
-- identities no longer reference `vipps_orgs`, so they outlive the configuration row and a
-- re-created `org_id` finds them again (erasing them is an explicit purge). The consent
-- revocation secret stays too, so Vipps can still reach the kept users at the URL it knows.
-- Pending login attempts still end with the configuration (they keep their cascade).
ALTER TABLE users DROP CONSTRAINT users_org_id_fkey;
ALTER TABLE vipps_identities DROP CONSTRAINT vipps_identities_org_id_fkey;
ALTER TABLE consent_webhooks DROP CONSTRAINT consent_webhooks_org_id_fkey;
