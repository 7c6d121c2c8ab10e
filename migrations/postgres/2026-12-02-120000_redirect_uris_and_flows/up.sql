-- More redirect URIs per organization, beside the default `redirect_uri` (a web and an app
-- callback of one sales unit, say): space-separated, as `scopes` (a redirect URI holds no
-- whitespace). Empty when the organization has none.
ALTER TABLE vipps_orgs ADD COLUMN additional_redirect_uris TEXT NOT NULL DEFAULT '';

-- The flow a login was started with (`browser`, `app_to_app`, `automatic_return`); the
-- chosen redirect URI is kept in `redirect_uri`, as before.
ALTER TABLE login_attempts ADD COLUMN flow TEXT NOT NULL DEFAULT 'browser';
