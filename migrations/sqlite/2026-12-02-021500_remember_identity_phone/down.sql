DROP INDEX vipps_identities_phone_idx;
ALTER TABLE vipps_identities DROP COLUMN phone_number;
