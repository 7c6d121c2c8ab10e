//! Login benchmark: N full logins against the mock Vipps provider, over real sockets.
//!
//! ```sh
//! cargo run --release --example login_bench -- --logins 1000 --concurrency 8
//! cargo run --release --example login_bench -- --database-url postgres://postgres@127.0.0.1:5432/vipps_identity_bench
//! ```
//!
//! Prints logins per second (start + authorize at the mock + complete), the p50/p99 latency
//! of `completeVippsLogin`, and the upstream requests per warm login by endpoint (the goal:
//! exactly 2, token and userinfo; discovery and JWKS come from cache).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Parser;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use vipps_identity::auth::AdminToken;
use vipps_identity::config::LoginConfig;
use vipps_identity::db::DbPool;
use vipps_identity::mock_vipps::{Endpoint, MockAuthMethod, MockConfig, MockVipps};
use vipps_identity::{App, serve};

const ADMIN_TOKEN: &str = "bench-admin-token-0123456789";
const CLIENT_ID: &str = "bench-client";
const CLIENT_SECRET: &str = "bench-secret";
const REDIRECT_URI: &str = "http://localhost:3000/vipps/callback";

#[derive(Parser)]
struct Args {
    /// Logins to measure (after a warm-up of 5).
    #[arg(long, default_value_t = 500)]
    logins: usize,
    /// Logins in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Database (default: a temporary SQLite file).
    #[arg(long)]
    database_url: Option<String>,
    #[command(flatten)]
    login: LoginConfig,
}

struct Bench {
    graphql: String,
    http: reqwest::Client,
}

impl Bench {
    async fn graphql(&self, query: &str, input: Value) -> anyhow::Result<Value> {
        let body: Value = self
            .http
            .post(&self.graphql)
            .json(&json!({ "query": query, "variables": { "input": input } }))
            .send()
            .await?
            .json()
            .await?;
        if !body["errors"].is_null() {
            bail!("GraphQL error: {body}");
        }
        Ok(body)
    }

    /// One login; returns how long `completeVippsLogin` took.
    async fn login(&self) -> anyhow::Result<Duration> {
        let started = self
            .graphql(
                "mutation($input: StartVippsLoginInput!) { startVippsLogin(input: $input) { authorizationUrl completionToken } }",
                json!({ "orgId": "org_bench" }),
            )
            .await?;
        let url = started["data"]["startVippsLogin"]["authorizationUrl"]
            .as_str()
            .context("authorizationUrl")?;
        let redirect = self.http.get(url).send().await?;
        let location = redirect
            .headers()
            .get("location")
            .context("the mock did not redirect")?
            .to_str()?;
        let params: std::collections::HashMap<String, String> = url::Url::parse(location)?
            .query_pairs()
            .into_owned()
            .collect();
        let began = Instant::now();
        self.graphql(
            "mutation($input: CompleteVippsLoginInput!) { completeVippsLogin(input: $input) { nextRelativeUrl vippsUserInfo { subjectIdentifier name phoneNumber } } }",
            json!({
                "state": params.get("state"),
                "code": params.get("code"),
                "completionToken": started["data"]["startVippsLogin"]["completionToken"],
            }),
        )
        .await?;
        Ok(began.elapsed())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    let mock = MockVipps::start(
        MockConfig::single_client(
            CLIENT_ID,
            CLIENT_SECRET,
            vec![REDIRECT_URI.to_owned()],
            MockAuthMethod::ClientSecretBasic,
        ),
        TcpListener::bind("127.0.0.1:0").await?,
    )
    .await?;
    args.login.vipps_test_issuer = mock.issuer();

    let dir = tempfile::tempdir()?;
    let database_url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let secret_dir = dir.path().canonicalize()?;
    let secret_file = secret_dir.join("secret");
    std::fs::write(&secret_file, CLIENT_SECRET)?;
    args.login.secret_file_dir = Some(secret_dir);
    // Thousands of logins from 127.0.0.1: measure the server, not its rate limits.
    args.login.limits.off();
    let app = App::new(
        DbPool::connect(&database_url, 8)?,
        AdminToken::new(ADMIN_TOKEN)?,
        &args.login,
    )
    .await?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(serve(app, listener, std::future::pending()));

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let created = http
        .post(format!("http://{addr}/api/v1/vipps-orgs"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({
            "org_id": "org_bench", "client_id": CLIENT_ID,
            "client_secret_ref": format!("file://{}", secret_file.display()),
            "redirect_uri": REDIRECT_URI, "scopes": ["openid", "name", "phoneNumber"],
            "environment": "test"
        }))
        .send()
        .await?;
    if !created.status().is_success() && created.status().as_u16() != 409 {
        bail!("creating the org: {}", created.text().await?);
    }
    let bench = Arc::new(Bench {
        graphql: format!("http://{addr}/graphql"),
        http,
    });

    for _ in 0..5 {
        bench.login().await?;
    }
    mock.reset_requests();

    let began = Instant::now();
    let per_task = args.logins.div_ceil(args.concurrency.max(1));
    let mut tasks = Vec::new();
    for task in 0..args.concurrency.max(1) {
        let bench = bench.clone();
        let count = per_task.min(args.logins.saturating_sub(task * per_task));
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(count);
            for _ in 0..count {
                latencies.push(bench.login().await?);
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::with_capacity(args.logins);
    for task in tasks {
        latencies.extend(task.await??);
    }
    let elapsed = began.elapsed();
    latencies.sort();
    let logins = latencies.len();
    let percentile = |p: f64| {
        let index = ((logins as f64 * p).ceil() as usize).clamp(1, logins) - 1;
        latencies[index].as_secs_f64() * 1000.0
    };
    let upstream = |endpoint| mock.request_count(endpoint) as f64 / logins as f64;
    println!(
        "backend:            {}",
        database_url.split(':').next().unwrap_or("?")
    );
    println!(
        "logins:             {logins} ({} in flight)",
        args.concurrency
    );
    println!("wall time:          {:.2} s", elapsed.as_secs_f64());
    println!(
        "logins/s:           {:.1}",
        logins as f64 / elapsed.as_secs_f64()
    );
    println!(
        "completeVippsLogin: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(0.50),
        percentile(0.99),
        percentile(1.0)
    );
    println!(
        "upstream per login: {:.2} (token {:.2}, userinfo {:.2}, discovery {:.2}, jwks {:.2})",
        upstream(Endpoint::Token)
            + upstream(Endpoint::Userinfo)
            + upstream(Endpoint::Discovery)
            + upstream(Endpoint::Jwks),
        upstream(Endpoint::Token),
        upstream(Endpoint::Userinfo),
        upstream(Endpoint::Discovery),
        upstream(Endpoint::Jwks),
    );
    mock.shutdown().await;
    Ok(())
}
