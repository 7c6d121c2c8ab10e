-- The phone number each Vipps identity last logged in with. A user's own number is cleared
-- when it passes to someone else (numbers are recycled), but a re-created Vipps profile of
-- the same person must still find the user by it.
ALTER TABLE vipps_identities ADD COLUMN phone_number TEXT;

CREATE INDEX vipps_identities_phone_idx ON vipps_identities (org_id, environment, phone_number);
