-- Users page oldest first by (created_at, id), by keyset: this index serves a page after
-- any cursor at the cost of the first page. (Exact phone and e-mail searches use
-- users_phone_idx and users_email_idx.)
CREATE INDEX users_org_created_idx ON users (org_id, created_at, id);

-- How many users each organization has, kept by the database itself, so that rows written
-- by any means (bulk imports with COPY or INSERT, deletes by hand, the cascade of an
-- organization's deletion) count exactly. Each statement on `users` appends one row per
-- organization it changed (+n or -n): appends never wait on one another, so concurrent
-- user creation in one organization does not serialize on a counter row. The background
-- purge folds an organization's rows into one; the count is their sum.
CREATE TABLE org_user_counts (
    id     BIGSERIAL PRIMARY KEY,
    org_id TEXT COLLATE "C" NOT NULL,
    users  BIGINT NOT NULL
);

CREATE INDEX org_user_counts_org_idx ON org_user_counts (org_id) INCLUDE (users);

INSERT INTO org_user_counts (org_id, users)
SELECT org_id, count(*) FROM users GROUP BY org_id;

CREATE FUNCTION org_user_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO org_user_counts (org_id, users)
    SELECT org_id, count(*) FROM counted_rows GROUP BY org_id;
    RETURN NULL;
END $$;

CREATE FUNCTION org_user_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO org_user_counts (org_id, users)
    SELECT org_id, -count(*) FROM counted_rows GROUP BY org_id;
    RETURN NULL;
END $$;

-- An update counts only when it moves users between organizations (logins update users
-- all the time and append nothing).
CREATE FUNCTION org_user_counts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO org_user_counts (org_id, users)
    SELECT org_id, sum(delta) FROM (
        SELECT org_id, 1 AS delta FROM new_rows
        UNION ALL
        SELECT org_id, -1 AS delta FROM old_rows
    ) moved
    GROUP BY org_id
    HAVING sum(delta) <> 0;
    RETURN NULL;
END $$;

CREATE FUNCTION org_user_counts_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM org_user_counts;
    RETURN NULL;
END $$;

CREATE TRIGGER users_counted_inserted AFTER INSERT ON users
    REFERENCING NEW TABLE AS counted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION org_user_counts_inserted();
CREATE TRIGGER users_counted_deleted AFTER DELETE ON users
    REFERENCING OLD TABLE AS counted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION org_user_counts_deleted();
CREATE TRIGGER users_counted_updated AFTER UPDATE ON users
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION org_user_counts_updated();
CREATE TRIGGER users_counted_truncated AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION org_user_counts_truncated();

-- Name search (`lower(name) LIKE '%part%'`) through a trigram index when the pg_trgm
-- extension is available and may be created; otherwise the search stays correct and scans
-- the organization's users. The index names the operator class in whatever schema holds
-- the extension.
DO $$
DECLARE
    trgm_schema TEXT;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')
        AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
        EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE 'pg_trgm could not be created (%): name search runs without an index', SQLERRM;
        END;
    END IF;
    SELECT n.nspname INTO trgm_schema
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
    IF trgm_schema IS NULL THEN
        RAISE NOTICE 'pg_trgm is not available: name search runs without an index';
    ELSE
        EXECUTE format(
            'CREATE INDEX users_name_trgm_idx ON users USING gin (lower(name) %I.gin_trgm_ops)',
            trgm_schema
        );
    END IF;
END $$;
