//! Migrations as operators meet them: applied once across instances, and upgrading a
//! database made by an earlier release in place.

use diesel::migration::MigrationSource;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncMigrationHarness, RunQueryDsl, SimpleAsyncConnection};
use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use futures::future::join_all;
use serde_json::json;
use vipps_identity::db::{Backend, DbPool};

use crate::helpers::{Auth, TestApp, TestDb, login_config};

/// On PostgreSQL any number of instances may start together against one database: an
/// advisory lock lets exactly one of them apply each migration. (SQLite is one instance per
/// file; there the same instance simply finds nothing left to apply on its next start.)
#[tokio::test(flavor = "multi_thread")]
async fn each_migration_is_applied_exactly_once() {
    let db = TestDb::create().await;
    let first = DbPool::connect(&db.url, 2).expect("pool");
    let applied = if first.backend() == Backend::Postgres {
        let mut pools = vec![first];
        pools.extend((0..3).map(|_| DbPool::connect(&db.url, 2).expect("pool")));
        let results = join_all(pools.iter().map(DbPool::migrate)).await;
        let applied: Vec<usize> = results
            .into_iter()
            .map(|r| r.expect("every instance starts"))
            .collect();
        assert_eq!(applied.len(), 4);
        applied.iter().sum::<usize>()
    } else {
        first.migrate().await.expect("migrate")
    };
    let migrations = std::fs::read_dir("migrations/postgres")
        .expect("migrations folder")
        .filter(|entry| entry.as_ref().is_ok_and(|e| e.path().is_dir()))
        .count();
    assert!(migrations >= 2);
    assert_eq!(applied, migrations, "each migration ran exactly once");
    let again = DbPool::connect(&db.url, 2).expect("pool");
    assert_eq!(again.migrate().await.expect("migrate again"), 0);
}

/// The first migration that keeps users when an organization's configuration is removed.
const KEEP_USERS: &str = "20261202130000";

const KARI: &str = "0b6f1a52-6a63-4c1e-9a51-1f0e2d3c4b5a";
const OLA: &str = "7d2c9e41-5b3a-4f8e-8c7d-6e5f4a3b2c1d";

/// Rows in every table the migration rebuilds, as the earlier schema held them.
const SEED: &str = "
INSERT INTO vipps_orgs (org_id, client_id, client_secret_ref, redirect_uri, scopes, environment,
                        created_at, updated_at)
    VALUES ('org_gym', 'gym-client', 'env://GYM_SECRET', 'https://gym.example.no/vipps/callback',
            'openid name phoneNumber', 'test', '2026-11-30 10:00:00', '2026-11-30 10:00:00');
INSERT INTO users (id, org_id, name, email, email_verified, phone_number, created_at, updated_at,
                   last_login_at)
    VALUES ('0b6f1a52-6a63-4c1e-9a51-1f0e2d3c4b5a', 'org_gym', 'Kari', NULL, FALSE, '4790000001',
            '2026-11-30 10:01:00', '2026-11-30 10:01:00', '2026-11-30 10:01:00'),
           ('7d2c9e41-5b3a-4f8e-8c7d-6e5f4a3b2c1d', 'org_gym', 'Ola', 'ola@example.no', TRUE, NULL,
            '2026-11-30 10:02:00', '2026-11-30 10:02:00', NULL);
INSERT INTO vipps_identities (org_id, environment, sub, user_id, linked_at, last_login_at,
                              phone_number)
    VALUES ('org_gym', 'test', 'sub-kari', '0b6f1a52-6a63-4c1e-9a51-1f0e2d3c4b5a',
            '2026-11-30 10:01:00', '2026-11-30 10:01:00', '4790000001');
INSERT INTO sessions (id, org_id, user_id, sub, created_at, expires_at)
    VALUES ('session-kari', 'org_gym', '0b6f1a52-6a63-4c1e-9a51-1f0e2d3c4b5a', 'sub-kari',
            '2026-11-30 10:01:00', '2099-01-01 00:00:00');
INSERT INTO login_attempts (state_key, org_id, environment, client_id, nonce, code_verifier,
                            redirect_uri, scopes, next_relative_url, created_at, expires_at,
                            completion_key)
    VALUES ('state-key', 'org_gym', 'test', 'gym-client', 'nonce', 'verifier',
            'https://gym.example.no/vipps/callback', 'openid', '/', '2026-11-30 10:03:00',
            '2099-01-01 00:00:00', 'completion-key');
INSERT INTO audit_events (occurred_at, org_id, kind, actor, detail)
    VALUES ('2026-11-30 10:00:00', 'org_gym', 'org.created', 'admin', '{}');
INSERT INTO consent_webhooks (org_id, secret, created_at)
    VALUES ('org_gym', 'gym-consent-secret-0123456789abcdef', '2026-11-30 10:00:00');
";

const TABLES: [&str; 7] = [
    "vipps_orgs",
    "users",
    "vipps_identities",
    "sessions",
    "login_attempts",
    "audit_events",
    "consent_webhooks",
];

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// A connection of its own to the test database, outside the server.
enum Direct {
    Postgres(Box<diesel_async::AsyncPgConnection>),
    Sqlite(SyncConnectionWrapper<diesel::SqliteConnection>),
}

/// Runs `$body` with `$conn` bound to the connection, whichever backend it is.
macro_rules! on {
    ($direct:expr, |$conn:ident| $body:expr) => {
        match $direct {
            Direct::Postgres($conn) => $body,
            Direct::Sqlite($conn) => $body,
        }
    };
}

impl Direct {
    async fn open(url: &str) -> Self {
        match Backend::from_url(url).expect("backend") {
            Backend::Postgres => Self::Postgres(Box::new(
                diesel_async::AsyncPgConnection::establish(url)
                    .await
                    .expect("connect"),
            )),
            Backend::Sqlite => Self::Sqlite(
                SyncConnectionWrapper::<diesel::SqliteConnection>::establish(url)
                    .await
                    .expect("open"),
            ),
        }
    }

    /// Applies the migrations from before `KEEP_USERS`, as an older release did.
    fn migrate_before_keep_users(self) -> Self {
        let folder = match self {
            Self::Postgres(_) => "migrations/postgres",
            Self::Sqlite(_) => "migrations/sqlite",
        };
        let source = FileBasedMigrations::from_path(folder).expect("migrations");
        on!(self, |conn| {
            let mut migrations = MigrationSource::migrations(&source).expect("migrations");
            migrations.sort_by_key(|m| m.name().version().to_string());
            let mut harness = AsyncMigrationHarness::new(conn);
            assert_eq!(harness.applied_migrations().expect("a new database"), []);
            for migration in migrations
                .iter()
                .filter(|m| m.name().version().to_string().as_str() < KEEP_USERS)
            {
                harness
                    .run_migration(&**migration)
                    .expect("older migration");
            }
            harness.into_inner().into()
        })
    }

    async fn run(&mut self, sql: &str) {
        on!(self, |conn| conn.batch_execute(sql).await.expect("sql"));
    }

    /// How many rows each of [`TABLES`] holds.
    async fn counts(&mut self) -> Vec<(&'static str, i64)> {
        let mut counts = Vec::new();
        for table in TABLES {
            let query = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"));
            let count: Count = on!(self, |conn| query.get_result(conn).await.expect("count"));
            counts.push((table, count.n));
        }
        counts
    }
}

impl From<Box<diesel_async::AsyncPgConnection>> for Direct {
    fn from(conn: Box<diesel_async::AsyncPgConnection>) -> Self {
        Self::Postgres(conn)
    }
}

impl From<SyncConnectionWrapper<diesel::SqliteConnection>> for Direct {
    fn from(conn: SyncConnectionWrapper<diesel::SqliteConnection>) -> Self {
        Self::Sqlite(conn)
    }
}

/// A database created by the migrations before users were kept upgrades in place: every
/// row of every rebuilt table survives with its values, the foreign keys that stay still
/// act, and removing the configuration afterwards keeps the users.
#[tokio::test(flavor = "multi_thread")]
async fn a_database_from_before_kept_users_upgrades_in_place_with_its_rows() {
    let db = TestDb::create().await;
    let url = db.url.clone();
    let mut direct = Direct::open(&url).await.migrate_before_keep_users();
    direct.run(SEED).await;
    let before = direct.counts().await;
    assert!(before.iter().all(|(_, n)| *n > 0), "{before:?}");

    let pool = DbPool::connect(&url, 2).expect("pool");
    let from_keep_users = std::fs::read_dir("migrations/sqlite")
        .expect("migrations")
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .replace('-', "")
                .as_str()
                >= KEEP_USERS
        })
        .count();
    assert_eq!(
        pool.migrate().await.expect("upgrade"),
        from_keep_users,
        "the upgrade and every later migration ran"
    );
    assert_eq!(direct.counts().await, before, "every row survives");

    let app = TestApp::spawn_on(db, login_config(&[])).await;
    let users = app
        .graphql(
            Auth::Admin,
            r#"{ users(orgId: "org_gym") { items { id name email emailVerified phoneNumber lastLoginAt vippsIdentities { sub environment } } } vippsOrg(orgId: "org_gym") { consentRevocationUrl } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        users["data"]["users"]["items"],
        json!([
            { "id": KARI, "name": "Kari", "email": null, "emailVerified": false,
              "phoneNumber": "4790000001", "lastLoginAt": "2026-11-30T10:01:00Z",
              "vippsIdentities": [{ "sub": "sub-kari", "environment": "TEST" }] },
            { "id": OLA, "name": "Ola", "email": "ola@example.no", "emailVerified": true,
              "phoneNumber": null, "lastLoginAt": null, "vippsIdentities": [] },
        ]),
        "{users}"
    );
    assert_eq!(
        users["data"]["vippsOrg"]["consentRevocationUrl"],
        "/vipps/consent/org_gym/gym-consent-secret-0123456789abcdef"
    );

    let removed = app
        .request(
            "DELETE",
            "/api/v1/vipps-orgs/org_gym",
            Auth::Admin,
            None,
            None,
        )
        .await;
    assert_eq!(removed.status, 200, "{}", removed.text);
    let count = |counts: Vec<(&str, i64)>, table: &str| {
        counts
            .into_iter()
            .find(|(t, _)| *t == table)
            .map(|(_, n)| n)
    };
    let after = direct.counts().await;
    assert_eq!(count(after.clone(), "vipps_orgs"), Some(0));
    assert_eq!(
        count(after.clone(), "login_attempts"),
        Some(0),
        "attempts end"
    );
    for table in ["users", "vipps_identities", "sessions", "consent_webhooks"] {
        assert_eq!(
            count(after.clone(), table),
            count(before.clone(), table),
            "{table} stays"
        );
    }

    // The rebuilt tables still cascade from `users`: a deleted user takes its identity and
    // session along.
    let deleted = app
        .graphql(
            Auth::Admin,
            "mutation($id: String!) { deleteUser(id: $id) { deleted } }",
            json!({ "id": KARI }),
        )
        .await;
    assert_eq!(deleted["data"]["deleteUser"]["deleted"], true, "{deleted}");
    let last = direct.counts().await;
    assert_eq!(count(last.clone(), "users"), Some(1));
    assert_eq!(count(last.clone(), "vipps_identities"), Some(0));
    assert_eq!(count(last, "sessions"), Some(0));
}
