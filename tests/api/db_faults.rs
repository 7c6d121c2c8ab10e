//! A database connection killed in the middle of a request (`pg_terminate_backend`, what a
//! PostgreSQL restart or failover does to every connection): a read is retried once on a
//! fresh connection, a write answers 503 `DATABASE_UNAVAILABLE` (never 500) and loses
//! nothing, and the next request finds the pool healthy again. PostgreSQL only: SQLite has
//! no server to lose.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::json;

use crate::helpers::{Auth, TestApp, TestDb, login_config, org_body};

static NEXT_APP_NAME: AtomicU32 = AtomicU32::new(0);

/// The server on a PostgreSQL schema of its own whose connections carry a name of their
/// own, and a control connection to the same schema; `None` without `TEST_DATABASE_URL`.
async fn server_and_control() -> Option<(TestApp, tokio_postgres::Client, String)> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())?;
    let name = format!(
        "vi_fault_{}_{}",
        std::process::id(),
        NEXT_APP_NAME.fetch_add(1, Ordering::Relaxed)
    );
    let db = TestDb::create().await;
    let control_url = db.url.clone();
    let db = db.with_url_params(&format!("application_name={name}"));
    let app = TestApp::spawn_on(db, login_config(&[])).await;
    let (control, connection) = tokio_postgres::connect(&control_url, tokio_postgres::NoTls)
        .await
        .expect("control connection");
    tokio::spawn(connection);
    Some((app, control, name))
}

/// Locks `vipps_orgs`, so that the server's next query of it waits.
async fn hold_the_orgs_table(control: &tokio_postgres::Client) {
    control
        .batch_execute("BEGIN; LOCK TABLE vipps_orgs IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock");
}

/// Waits until the server's connection named `name` waits for the lock, kills that
/// connection, and lets go of the lock.
async fn kill_the_waiting_connection(control: &tokio_postgres::Client, name: &str) {
    let mut killed = false;
    for _ in 0..200 {
        let rows = control
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE application_name = $1 AND wait_event_type = 'Lock'",
                &[&name],
            )
            .await
            .expect("terminate");
        if !rows.is_empty() {
            killed = rows.iter().all(|row| row.get::<_, bool>(0));
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    control.batch_execute("COMMIT").await.expect("unlock");
    assert!(killed, "the server's query never waited on the lock");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_whose_connection_is_killed_mid_query_is_answered_on_a_fresh_one() {
    let Some((app, control, name)) = server_and_control().await else {
        eprintln!("db_faults: TEST_DATABASE_URL is not set; PostgreSQL only");
        return;
    };
    app.create_org(&org_body("org_fault", json!({}))).await;

    hold_the_orgs_table(&control).await;
    let (read, ()) = tokio::join!(
        app.get("/api/v1/vipps-orgs/org_fault"),
        kill_the_waiting_connection(&control, &name)
    );
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.json()["org_id"], "org_fault");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_whose_connection_is_killed_answers_503_loses_nothing_and_the_next_succeeds() {
    let Some((app, control, name)) = server_and_control().await else {
        eprintln!("db_faults: TEST_DATABASE_URL is not set; PostgreSQL only");
        return;
    };
    let body = org_body("org_written", json!({}));
    hold_the_orgs_table(&control).await;
    let (write, ()) = tokio::join!(
        app.send_json("POST", "/api/v1/vipps-orgs", Auth::Admin, &body),
        kill_the_waiting_connection(&control, &name)
    );
    write.problem(503, "DATABASE_UNAVAILABLE");
    assert_eq!(
        write.header("retry-after"),
        Some("1"),
        "{:?}",
        write.header("retry-after")
    );

    let absent = app.get("/api/v1/vipps-orgs/org_written").await;
    assert_eq!(absent.status, 404, "the killed write did not commit");
    app.create_org(&body).await;
    let read = app.get("/api/v1/vipps-orgs/org_written").await;
    assert_eq!(read.status, 200, "{}", read.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_connection_killed_between_requests_costs_no_request_an_error() {
    let Some((app, control, name)) = server_and_control().await else {
        eprintln!("db_faults: TEST_DATABASE_URL is not set; PostgreSQL only");
        return;
    };
    app.create_org(&org_body("org_idle", json!({}))).await;
    for _ in 0..3 {
        let killed = control
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                &[&name],
            )
            .await
            .expect("terminate");
        assert!(!killed.is_empty(), "the server holds pooled connections");
        let read = app.get("/api/v1/vipps-orgs/org_idle").await;
        assert_eq!(read.status, 200, "{}", read.text);
        let query = app
            .graphql(
                Auth::None,
                r#"{ vippsOrgStatus(orgId: "org_idle") { orgId } }"#,
                json!({}),
            )
            .await;
        assert_eq!(
            query["data"]["vippsOrgStatus"]["orgId"], "org_idle",
            "{query}"
        );
    }
}
