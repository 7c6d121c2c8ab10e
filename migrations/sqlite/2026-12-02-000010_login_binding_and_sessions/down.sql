DROP TABLE sessions;
ALTER TABLE vipps_orgs DROP COLUMN allow_unbound_completion;
ALTER TABLE login_attempts DROP COLUMN completion_key;
