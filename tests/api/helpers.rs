//! `TestApp`: the real server on a real socket, with a database of its own.
//!
//! Each test gets a fresh database: a temporary SQLite file by default, or its own
//! PostgreSQL schema when `TEST_DATABASE_URL` is set (CI runs the suite both ways). Tests
//! talk to the server over HTTP with reqwest, exactly as a client would.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use clap::Parser as _;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use vipps_identity::auth::AdminToken;
use vipps_identity::config::LoginConfig;
use vipps_identity::db::DbPool;
use vipps_identity::{App, serve};

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// Which credentials a request carries.
#[derive(Clone, Copy)]
pub enum Auth {
    Admin,
    None,
    Wrong,
}

impl Auth {
    fn header(self) -> Option<String> {
        match self {
            Auth::Admin => Some(format!("Bearer {ADMIN_TOKEN}")),
            Auth::None => None,
            Auth::Wrong => Some("Bearer not-the-admin-token-at-all".to_owned()),
        }
    }
}

/// A database of a test's own, removed when dropped.
pub struct TestDb {
    pub url: String,
    kind: TestDbKind,
}

enum TestDbKind {
    Sqlite {
        _dir: tempfile::TempDir,
    },
    Postgres {
        base_url: String,
        schema: String,
    },
    /// Another instance's database, which that instance removes.
    Shared,
}

pub struct TestApp {
    pub addr: SocketAddr,
    /// The server's state, for what no client can see (the statement counter).
    pub app: Arc<App>,
    client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    _db: TestDb,
    /// The folder holding the server's session key (`session-key.pem`).
    pub keys: tempfile::TempDir,
}

/// A status, headers and body as the client saw them.
pub struct TestResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl TestResponse {
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json error with this status and code; returns the body.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status, status,
            "unexpected status, body: {}",
            self.text
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "body: {}",
            self.text
        );
        let body = self.json();
        assert_eq!(body["code"], code, "body: {body}");
        assert_eq!(body["status"], status, "body: {body}");
        assert!(
            body["title"].is_string() && body["type"].is_string() && body["detail"].is_string(),
            "body: {body}"
        );
        assert!(
            body["instance"].is_string()
                && body["instance"].as_str() == self.header("x-request-id"),
            "`instance` is not the request id {:?}: {body}",
            self.header("x-request-id")
        );
        body
    }
}

static NEXT_SCHEMA: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    /// A temporary SQLite file, or a fresh schema in `TEST_DATABASE_URL` when it is set.
    pub async fn create() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(base_url) if !base_url.is_empty() => {
                let schema = format!(
                    "test_{}_{}_{}",
                    std::process::id(),
                    NEXT_SCHEMA.fetch_add(1, Ordering::Relaxed),
                    chrono::Utc::now().timestamp_subsec_nanos()
                );
                let (client, connection) =
                    tokio_postgres::connect(&base_url, tokio_postgres::NoTls)
                        .await
                        .unwrap_or_else(|e| {
                            panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}")
                        });
                tokio::spawn(connection);
                client
                    .batch_execute(&format!("CREATE SCHEMA {schema}"))
                    .await
                    .expect("create test schema");
                let separator = if base_url.contains('?') { '&' } else { '?' };
                let url = format!("{base_url}{separator}options=-c%20search_path%3D{schema}");
                Self {
                    url,
                    kind: TestDbKind::Postgres { base_url, schema },
                }
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                Self {
                    url,
                    kind: TestDbKind::Sqlite { _dir: dir },
                }
            }
        }
    }
}

impl TestDb {
    /// Adds `params` (`key=value&…`) to the URL the server connects with.
    pub fn with_url_params(mut self, params: &str) -> Self {
        let separator = if self.url.contains('?') { '&' } else { '?' };
        self.url = format!("{}{separator}{params}", self.url);
        self
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDbKind::Postgres { base_url, schema } = &self.kind {
            let (base_url, schema) = (base_url.clone(), schema.clone());
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async {
                    if let Ok((client, connection)) =
                        tokio_postgres::connect(&base_url, tokio_postgres::NoTls).await
                    {
                        tokio::spawn(connection);
                        let _ = client
                            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                            .await;
                    }
                });
            });
            let _ = dropped.join();
        }
    }
}

/// An issuer nobody listens on: tests that do not log in never reach the internet.
const UNREACHABLE_ISSUER: &str = "http://127.0.0.1:9/access-management-1.0/access/";

#[derive(clap::Parser)]
struct LoginArgs {
    #[command(flatten)]
    login: LoginConfig,
}

/// Login settings from command-line style `args`; both issuers default to an unreachable one.
pub fn login_config(args: &[&str]) -> LoginConfig {
    let mut argv = vec!["vipps-identity"];
    for flag in ["--vipps-production-issuer", "--vipps-test-issuer"] {
        if !args.contains(&flag) {
            argv.extend([flag, UNREACHABLE_ISSUER]);
        }
    }
    argv.extend(args);
    LoginArgs::try_parse_from(argv)
        .expect("login settings")
        .login
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(login_config(&[])).await
    }

    /// The server with these login settings (and a session key of its own).
    pub async fn spawn_with(login: LoginConfig) -> Self {
        Self::spawn_on(TestDb::create().await, login).await
    }

    /// The server on the database `db`.
    pub async fn spawn_on(db: TestDb, login: LoginConfig) -> Self {
        Self::spawn_with_keys(db, tempfile::tempdir().expect("key dir"), login).await
    }

    /// A second instance of the server on this one's database, with the same session key,
    /// as operators run several behind a load balancer.
    pub async fn spawn_beside(&self, login: LoginConfig) -> Self {
        let db = TestDb {
            url: self._db.url.clone(),
            kind: TestDbKind::Shared,
        };
        let keys = tempfile::tempdir().expect("key dir");
        std::fs::copy(
            self.keys.path().join("session-key.pem"),
            keys.path().join("session-key.pem"),
        )
        .expect("the first instance's session key");
        Self::spawn_with_keys(db, keys, login).await
    }

    /// The server on `db`, keeping its session key in `keys`.
    async fn spawn_with_keys(db: TestDb, keys: tempfile::TempDir, mut login: LoginConfig) -> Self {
        login.session_key_file = keys.path().join("session-key.pem");
        let pool = DbPool::connect(&db.url, 4).expect("pool");
        let app = App::new(pool, AdminToken::new(ADMIN_TOKEN).expect("token"), &login)
            .await
            .expect("app starts");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(serve(app.clone(), listener, async move {
            let _ = stopped.await;
        }));
        Self {
            addr,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            shutdown: Some(shutdown),
            _db: db,
            app,
            keys,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends a request; `body` goes out verbatim with `content_type` when given.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        auth: Auth,
        content_type: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> TestResponse {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.client.request(method, self.url(path));
        if let Some(header) = auth.header() {
            request = request.header("authorization", header);
        }
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.expect("request reaches the server");
        TestResponse {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            text: response.text().await.expect("body"),
        }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request("GET", path, Auth::None, None, None).await
    }

    /// A JSON request (`application/json`).
    pub async fn send_json(
        &self,
        method: &str,
        path: &str,
        auth: Auth,
        body: &Value,
    ) -> TestResponse {
        self.request(
            method,
            path,
            auth,
            Some("application/json"),
            Some(body.to_string().into_bytes()),
        )
        .await
    }

    /// A form request (`application/x-www-form-urlencoded`) with these fields, encoded.
    pub async fn post_form(&self, path: &str, auth: Auth, fields: &[(&str, &str)]) -> TestResponse {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.request(
            "POST",
            path,
            auth,
            Some("application/x-www-form-urlencoded"),
            Some(body.into_bytes()),
        )
        .await
    }

    /// Creates an organization through REST as admin; panics unless it is created.
    pub async fn create_org(&self, body: &Value) -> Value {
        let response = self
            .send_json("POST", "/api/v1/vipps-orgs", Auth::Admin, body)
            .await;
        assert_eq!(response.status, 201, "create failed: {}", response.text);
        response.json()
    }

    /// A GraphQL request over `POST /graphql`; returns the whole response body.
    pub async fn graphql(&self, auth: Auth, query: &str, variables: Value) -> Value {
        let response = self
            .send_json(
                "POST",
                "/graphql",
                auth,
                &json!({ "query": query, "variables": variables }),
            )
            .await;
        assert_eq!(
            response.status, 200,
            "GraphQL answered {}: {}",
            response.status, response.text
        );
        response.json()
    }

    /// Runs `sql` (several statements) straight on the server's database, as an operator
    /// importing rows with their own tools would.
    pub async fn run_sql(&self, sql: &str) {
        if self._db.url.starts_with("postgres") {
            let (client, connection) =
                tokio_postgres::connect(&self._db.url, tokio_postgres::NoTls)
                    .await
                    .expect("connect to the test schema");
            tokio::spawn(connection);
            client.batch_execute(sql).await.expect("run SQL");
        } else {
            use diesel::Connection as _;
            use diesel::connection::SimpleConnection as _;
            let path = self._db.url.trim_start_matches("sqlite://").to_owned();
            let sql = sql.to_owned();
            tokio::task::spawn_blocking(move || {
                let mut conn =
                    diesel::SqliteConnection::establish(&path).expect("open the test file");
                conn.batch_execute("PRAGMA busy_timeout = 5000")
                    .and_then(|()| conn.batch_execute(&sql))
                    .expect("run SQL");
            })
            .await
            .expect("SQL task");
        }
    }

    /// How many organizations exist, disabled ones included.
    pub async fn org_count(&self) -> u64 {
        let body = self
            .get("/api/v1/vipps-orgs?include_disabled=true")
            .await
            .json();
        body["pagination"]["total"].as_u64().expect("total")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// The `org_ny_klinikk` example body from the REST contract.
pub fn ny_klinikk() -> Value {
    json!({
        "org_id": "org_ny_klinikk",
        "client_id": "fb492b5e-7907-4d83-ba20-c7fb60ca35de",
        "client_secret_ref": "vault://vipps/ny_klinikk/client_secret",
        "redirect_uri": "https://ny-klinikk.no/auth/vipps/callback",
        "scopes": ["openid", "name", "phoneNumber"],
        "vipps_enabled": true,
        "environment": "production"
    })
}

/// A valid create body for `org_id`, with `overrides` merged in.
pub fn org_body(org_id: &str, overrides: Value) -> Value {
    let mut body = json!({
        "org_id": org_id,
        "client_id": format!("client-{org_id}"),
        "client_secret_ref": format!("env://SECRET_{}", org_id.to_uppercase().replace('-', "_")),
        "redirect_uri": format!("https://{}.example.no/vipps/callback", org_id.replace('_', "-")),
        "scopes": ["openid", "name"],
        "environment": "test"
    });
    if let (Some(target), Value::Object(extra)) = (body.as_object_mut(), overrides) {
        target.extend(extra);
    }
    body
}

/// A shape-checking redaction: the value must be an RFC 3339 UTC timestamp with whole
/// seconds (`2026-03-26T10:00:00Z`), and is then replaced by `[timestamp]`.
pub fn timestamp() -> insta::internals::Redaction {
    insta::dynamic_redaction(|value, _path| {
        let text = value
            .as_str()
            .unwrap_or_else(|| panic!("timestamp is not a string: {value:?}"));
        assert_eq!(text.len(), 20, "not `YYYY-MM-DDTHH:MM:SSZ`: {text}");
        assert!(text.ends_with('Z'), "not UTC: {text}");
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap_or_else(|e| panic!("not RFC 3339 ({e}): {text}"));
        "[timestamp]"
    })
}
