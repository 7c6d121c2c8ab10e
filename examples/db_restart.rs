//! PostgreSQL restart under load: what clients hear while the database goes away and comes
//! back, and how long the server needs once it is back.
//!
//! ```sh
//! cargo run --release --example db_restart -- \
//!   --database-url postgres://postgres@127.0.0.1:5433/vipps_identity_restart \
//!   --restart "pg_ctlcluster --skip-systemctl-redirect 15 restart restart"
//! ```
//!
//! Runs the server in-process on that database, keeps `--concurrency` clients busy with
//! reads (REST org read, GraphQL `vippsOrgStatus`) and writes (REST org create), runs the
//! `--restart` command after two seconds, and watches the database with a connection
//! attempt every 10 ms. Prints every answer by status, whether any was not 200/201/503,
//! when the database was back, and how long after that the server answered only successes.
//! Use a cluster of its own: the restart ends every connection to it.

use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Parser;
use serde_json::json;
use tokio::net::TcpListener;
use vipps_identity::auth::AdminToken;
use vipps_identity::config::LoginConfig;
use vipps_identity::db::DbPool;
use vipps_identity::{App, serve};

const ADMIN_TOKEN: &str = "restart-admin-token-0123456789";

#[derive(Parser)]
struct Args {
    /// The PostgreSQL database to run on (a cluster of its own: it gets restarted).
    #[arg(long)]
    database_url: String,
    /// The shell command that restarts that PostgreSQL.
    #[arg(long)]
    restart: String,
    /// Clients sending requests back to back.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds of load in all (the restart comes after two).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

#[derive(Parser)]
struct Login {
    #[command(flatten)]
    login: LoginConfig,
}

/// One answer: when it came (since the start), what it was.
struct Answer {
    at: Duration,
    status: u16,
    code: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let pool = DbPool::connect(&args.database_url, 16)?;
    let mut login = Login::try_parse_from(["db_restart"])?.login;
    login.limits.off();
    let keys = std::env::temp_dir().join(format!("db-restart-{}", std::process::id()));
    std::fs::create_dir_all(&keys)?;
    login.session_key_file = keys.join("session-key.pem");
    let app = App::new(pool, AdminToken::new(ADMIN_TOKEN)?, &login)
        .await
        .context("the server starts (is the database up?)")?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(serve(app, listener, std::future::pending::<()>()));

    let client = reqwest::Client::new();
    let org = json!({
        "org_id": "org_restart", "client_id": "restart-client",
        "client_secret_ref": "env://RESTART_CLIENT_SECRET",
        "redirect_uri": "https://restart.example.no/callback", "scopes": ["openid"],
        "vipps_enabled": true, "environment": "test",
    });
    let created = client
        .post(format!("{base}/api/v1/vipps-orgs"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&org)
        .send()
        .await?;
    if !matches!(created.status().as_u16(), 201 | 409) {
        bail!("creating the org: {}", created.text().await?);
    }

    let began = Instant::now();
    let answers = Arc::new(Mutex::new(Vec::<Answer>::new()));
    let stop = began + Duration::from_secs(args.seconds);
    let mut clients = Vec::new();
    for worker in 0..args.concurrency {
        let (client, base, answers) = (client.clone(), base.clone(), answers.clone());
        clients.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < stop {
                n += 1;
                let request = match n % 3 {
                    0 => client.get(format!("{base}/api/v1/vipps-orgs/org_restart")),
                    1 => client.post(format!("{base}/graphql")).json(&json!({
                        "query": "{ vippsOrgStatus(orgId: \"org_restart\") { vippsEnabled } }"
                    })),
                    _ => client
                        .post(format!("{base}/api/v1/vipps-orgs"))
                        .bearer_auth(ADMIN_TOKEN)
                        .json(&json!({
                            "org_id": format!("org_r_{}_{worker}_{n}", std::process::id()),
                            "client_id": "restart-client",
                            "client_secret_ref": "env://RESTART_CLIENT_SECRET",
                            "redirect_uri": "https://restart.example.no/callback",
                            "scopes": ["openid"], "vipps_enabled": true, "environment": "test",
                        })),
                };
                let (status, code) = match request.send().await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let body: serde_json::Value =
                            response.json().await.unwrap_or(serde_json::Value::Null);
                        let code = body["code"]
                            .as_str()
                            .or(body["errors"][0]["extensions"]["code"].as_str())
                            .map(str::to_owned);
                        (status, code)
                    }
                    Err(_) => (0, Some("connection error".to_owned())),
                };
                answers.lock().expect("answers").push(Answer {
                    at: began.elapsed(),
                    status,
                    code,
                });
            }
        }));
    }

    let watcher = tokio::spawn(watch_database(args.database_url.clone(), began, stop));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let restart_at = began.elapsed();
    let restart = args.restart.clone();
    let restarted = tokio::task::spawn_blocking(move || {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(restart)
            .status()
    })
    .await??;
    if !restarted.success() {
        bail!("the restart command failed: {restarted}");
    }
    for client in clients {
        client.await?;
    }
    let (down, up) = watcher.await?;
    let answers = std::mem::take(&mut *answers.lock().expect("answers"));
    report(&answers, restart_at, down, up);
    Ok(())
}

/// Connects every 10 ms until `stop`; answers when the database was first found down and
/// when it was first found up again.
async fn watch_database(
    url: String,
    began: Instant,
    stop: Instant,
) -> (Option<Duration>, Option<Duration>) {
    let (mut down, mut up) = (None, None);
    while Instant::now() < stop && up.is_none() {
        let alive = match tokio_postgres::connect(&url, tokio_postgres::NoTls).await {
            Ok((client, connection)) => {
                tokio::spawn(connection);
                client.simple_query("SELECT 1").await.is_ok()
            }
            Err(_) => false,
        };
        match (alive, down) {
            (false, None) => down = Some(began.elapsed()),
            (true, Some(_)) => up = Some(began.elapsed()),
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (down, up)
}

fn report(answers: &[Answer], restart_at: Duration, down: Option<Duration>, up: Option<Duration>) {
    let mut by_status = std::collections::BTreeMap::<(u16, Option<&str>), usize>::new();
    for answer in answers {
        *by_status
            .entry((answer.status, answer.code.as_deref()))
            .or_default() += 1;
    }
    println!("answers: {}", answers.len());
    for ((status, code), count) in &by_status {
        println!("  {status} {}: {count}", code.unwrap_or("-"));
    }
    let unexpected = answers
        .iter()
        .filter(|a| !matches!(a.status, 200 | 201 | 503))
        .count();
    println!("answers other than 200/201/503: {unexpected}");
    println!("restart command at: {:.3} s", restart_at.as_secs_f64());
    let fmt =
        |t: Option<Duration>| t.map_or("never".to_owned(), |t| format!("{:.3} s", t.as_secs_f64()));
    println!("database down from: {}", fmt(down));
    println!("database up again at: {}", fmt(up));
    let last_failure = answers
        .iter()
        .filter(|a| a.status >= 500 || a.status == 0)
        .map(|a| a.at)
        .max();
    println!("last 503 answered at: {}", fmt(last_failure));
    if let (Some(up), Some(last)) = (up, last_failure) {
        let after = last.saturating_sub(up);
        println!(
            "server recovered within: {:.3} s of the database",
            after.as_secs_f64()
        );
    }
}
