DROP TABLE vipps_identities;
DROP TABLE users;
ALTER TABLE vipps_orgs DROP COLUMN pre_provisioned_users_only;
