//! TLS to PostgreSQL against the real local server: each `sslmode`, checked from the
//! server's side in `pg_stat_ssl`. Runs when `TEST_DATABASE_URL` is set and that server has
//! `ssl = on` (Debian's cluster does, with its self-signed "snakeoil" certificate for
//! `localhost`); elsewhere it says why it has nothing to test.

use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::json;
use vipps_identity::db::DbPool;

use crate::helpers::{TestApp, TestDb, login_config, org_body};

/// The control connection and the certificate file of a PostgreSQL with TLS on.
struct TlsServer {
    client: tokio_postgres::Client,
    cert_file: String,
}

async fn tls_server() -> Option<TlsServer> {
    let url = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("TEST_DATABASE_URL is set but PostgreSQL is unreachable");
    tokio::spawn(connection);
    let ssl: String = client.query_one("SHOW ssl", &[]).await.expect("ssl").get(0);
    if ssl != "on" {
        eprintln!("pg_tls: PostgreSQL runs with ssl = off; nothing to test");
        return None;
    }
    let cert_file: String = client
        .query_one("SHOW ssl_cert_file", &[])
        .await
        .expect("ssl_cert_file")
        .get(0);
    Some(TlsServer { client, cert_file })
}

static NEXT_APP_NAME: AtomicU32 = AtomicU32::new(0);

fn app_name() -> String {
    format!(
        "vi_tls_{}_{}",
        std::process::id(),
        NEXT_APP_NAME.fetch_add(1, Ordering::Relaxed)
    )
}

impl TlsServer {
    /// For every connection with `application_name`, whether it uses TLS.
    async fn tls_of(&self, application_name: &str) -> Vec<bool> {
        self.client
            .query(
                "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
                 WHERE a.application_name = $1",
                &[&application_name],
            )
            .await
            .expect("pg_stat_ssl")
            .iter()
            .map(|row| row.get(0))
            .collect()
    }

    /// Spawns the server with `params` in its `DATABASE_URL`, makes it write and read,
    /// and answers whether its connections use TLS.
    async fn server_connections_use_tls(&self, params: &str) -> Vec<bool> {
        let name = app_name();
        let db = TestDb::create()
            .await
            .with_url_params(&format!("{params}&application_name={name}"));
        let app = TestApp::spawn_on(db, login_config(&[])).await;
        app.create_org(&org_body("org_tls", json!({}))).await;
        let read = app.get("/api/v1/vipps-orgs/org_tls").await;
        assert_eq!(read.status, 200, "{}", read.text);
        let tls = self.tls_of(&name).await;
        drop(app);
        tls
    }
}

/// The test database's URL with `host` in place of its host.
fn url_with_host(host: &str, params: &str) -> String {
    let base = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
    let mut url = url::Url::parse(&base).expect("TEST_DATABASE_URL is a URL");
    url.set_host(Some(host)).expect("host");
    let separator = if url.as_str().contains('?') { '&' } else { '?' };
    format!("{url}{separator}{params}")
}

/// Opens the pool at `url` and runs one query; the error chain when it cannot.
async fn connect(url: &str) -> Result<(), String> {
    let pool = DbPool::connect(url, 2).map_err(|e| format!("{e:#}"))?;
    pool.migrate().await.map(drop).map_err(|e| format!("{e:#}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn require_encrypts_every_connection_of_the_server() {
    let Some(server) = tls_server().await else {
        return;
    };
    let tls = server.server_connections_use_tls("sslmode=require").await;
    assert!(!tls.is_empty(), "the server's connections are visible");
    assert!(
        tls.iter().all(|&on| on),
        "every connection uses TLS: {tls:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn prefer_is_the_default_and_takes_tls_when_offered() {
    let Some(server) = tls_server().await else {
        return;
    };
    let tls = server
        .server_connections_use_tls("connect_timeout=10")
        .await;
    assert!(!tls.is_empty());
    assert!(tls.iter().all(|&on| on), "{tls:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn disable_still_connects_in_the_clear() {
    let Some(server) = tls_server().await else {
        return;
    };
    let tls = server.server_connections_use_tls("sslmode=disable").await;
    assert!(!tls.is_empty());
    assert!(tls.iter().all(|&on| !on), "{tls:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_full_refuses_a_certificate_no_trusted_root_signed() {
    let Some(_server) = tls_server().await else {
        return;
    };
    let refused = connect(&url_with_host(
        "localhost",
        &format!(
            "sslmode=verify-full&sslrootcert={}",
            foreign_root_file().display()
        ),
    ))
    .await
    .expect_err("the self-signed certificate is not trusted");
    assert!(refused.contains("invalid peer certificate"), "{refused}");
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_full_without_a_root_refuses_to_start_instead_of_trusting_anything() {
    let Some(_server) = tls_server().await else {
        return;
    };
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    if home.is_some_and(|home| home.join(".postgresql/root.crt").exists()) {
        eprintln!("pg_tls: ~/.postgresql/root.crt exists; libpq's default root is in use");
        return;
    }
    let refused = connect(&url_with_host("localhost", "sslmode=verify-full"))
        .await
        .expect_err("no root to trust");
    assert!(refused.contains("need trusted roots"), "{refused}");
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_full_accepts_the_certificate_sslrootcert_names_for_its_host_only() {
    let Some(server) = tls_server().await else {
        return;
    };
    let root = format!("sslrootcert={}", server.cert_file);
    let name = app_name();
    connect(&url_with_host(
        "localhost",
        &format!("sslmode=verify-full&{root}&application_name={name}"),
    ))
    .await
    .expect("trusted and issued for localhost");

    let refused = connect(&url_with_host(
        "127.0.0.1",
        &format!("sslmode=verify-full&{root}"),
    ))
    .await
    .expect_err("the certificate does not name 127.0.0.1");
    assert!(refused.contains("not valid for name"), "{refused}");
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_ca_checks_the_chain_but_not_the_host_name() {
    let Some(server) = tls_server().await else {
        return;
    };
    let root = format!("sslrootcert={}", server.cert_file);
    connect(&url_with_host(
        "127.0.0.1",
        &format!("sslmode=verify-ca&{root}"),
    ))
    .await
    .expect("trusted chain, whatever the host name");
    let foreign = format!("sslrootcert={}", foreign_root_file().display());
    let refused = connect(&url_with_host(
        "127.0.0.1",
        &format!("sslmode=verify-ca&{foreign}"),
    ))
    .await
    .expect_err("no trusted root signed the certificate");
    assert!(refused.contains("invalid peer certificate"), "{refused}");
}

#[tokio::test(flavor = "multi_thread")]
async fn require_with_a_foreign_root_verifies_the_chain_like_libpq() {
    let Some(_server) = tls_server().await else {
        return;
    };
    let refused = connect(&url_with_host(
        "127.0.0.1",
        &format!(
            "sslmode=require&sslrootcert={}",
            foreign_root_file().display()
        ),
    ))
    .await
    .expect_err("a root that did not sign the server's certificate");
    assert!(refused.contains("invalid peer certificate"), "{refused}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_connection_does_not_show_the_password() {
    let Some(_server) = tls_server().await else {
        return;
    };
    let foreign = format!("sslrootcert={}", foreign_root_file().display());
    let refused = connect(&url_with_host(
        "localhost",
        &format!("sslmode=verify-full&{foreign}&password=hunter2-secret"),
    ))
    .await
    .expect_err("untrusted certificate");
    assert!(!refused.contains("hunter2-secret"), "{refused}");
}

/// A self-signed root of our own that signed nothing the server holds.
fn foreign_root_file() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/fixtures/foreign-root.pem")
}
