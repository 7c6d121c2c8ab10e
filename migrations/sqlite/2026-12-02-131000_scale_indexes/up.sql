-- Users page oldest first by (created_at, id), by keyset: this index serves a page after
-- any cursor at the cost of the first page. (Exact phone and e-mail searches use
-- users_phone_idx and users_email_idx; a name part scans the organization's users.)
CREATE INDEX users_org_created_idx ON users (org_id, created_at, id);

-- How many users each organization has, kept by the database itself (triggers), so that
-- rows written by any means count exactly. SQLite has one writer at a time, so each
-- organization has one row, updated in place. (PostgreSQL appends rows instead; the same
-- query sums them.)
CREATE TABLE org_user_counts (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id TEXT NOT NULL UNIQUE,
    users  BIGINT NOT NULL
);

INSERT INTO org_user_counts (org_id, users)
SELECT org_id, count(*) FROM users GROUP BY org_id;

CREATE TRIGGER users_counted_inserted AFTER INSERT ON users
BEGIN
    INSERT INTO org_user_counts (org_id, users) VALUES (NEW.org_id, 1)
    ON CONFLICT (org_id) DO UPDATE SET users = users + 1;
END;

CREATE TRIGGER users_counted_deleted AFTER DELETE ON users
BEGIN
    UPDATE org_user_counts SET users = users - 1 WHERE org_id = OLD.org_id;
END;

CREATE TRIGGER users_counted_updated AFTER UPDATE OF org_id ON users
WHEN NEW.org_id <> OLD.org_id
BEGIN
    UPDATE org_user_counts SET users = users - 1 WHERE org_id = OLD.org_id;
    INSERT INTO org_user_counts (org_id, users) VALUES (NEW.org_id, 1)
    ON CONFLICT (org_id) DO UPDATE SET users = users + 1;
END;
