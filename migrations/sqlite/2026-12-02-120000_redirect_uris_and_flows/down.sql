ALTER TABLE login_attempts DROP COLUMN flow;
ALTER TABLE vipps_orgs DROP COLUMN additional_redirect_uris;
