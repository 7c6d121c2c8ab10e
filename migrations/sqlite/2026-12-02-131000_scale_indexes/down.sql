DROP TRIGGER users_counted_updated;
DROP TRIGGER users_counted_deleted;
DROP TRIGGER users_counted_inserted;
DROP TABLE org_user_counts;
DROP INDEX users_org_created_idx;
