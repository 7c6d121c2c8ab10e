//! Scale benchmark: one organization with N users and N/10 organizations, bulk-imported the
//! way operators do (COPY into `vipps_orgs` and `users`, then `VACUUM ANALYZE`), measured
//! over real sockets at the client.
//!
//! ```sh
//! createdb vipps_identity_scale
//! cargo run --release --example scale_bench -- \
//!     --database-url postgres://postgres@127.0.0.1:5432/vipps_identity_scale \
//!     --users 1000,10000,100000,1000000
//! ```
//!
//! Each size runs in the schema `scale_bench` of that database, dropped and created afresh
//! (nothing else in the database is touched). Prints the seeding time and a Markdown table
//! of medians in milliseconds, one column per size.

use std::collections::HashMap;
use std::io::Cursor;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Parser;
use futures::SinkExt as _;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use vipps_identity::auth::AdminToken;
use vipps_identity::config::LoginConfig;
use vipps_identity::db::DbPool;
use vipps_identity::domain::{Timestamp, UserCursor};
use vipps_identity::mock_vipps::{MockAuthMethod, MockConfig, MockVipps};
use vipps_identity::{App, serve};

const ADMIN_TOKEN: &str = "bench-admin-token-0123456789";
const CLIENT_ID: &str = "bench-client";
const CLIENT_SECRET: &str = "bench-secret";
const REDIRECT_URI: &str = "http://localhost:3000/vipps/callback";
const SCHEMA: &str = "scale_bench";
const BIG_ORG: &str = "org_big";
/// Imported users are created one millisecond apart from this moment on.
const FIRST_CREATED_MICROS: i64 = 1_735_689_600_000_000;
/// Rows per COPY chunk.
const CHUNK: u64 = 50_000;

#[derive(Parser)]
struct Args {
    /// A PostgreSQL database of the benchmark's own (it uses the schema `scale_bench`).
    #[arg(long)]
    database_url: String,
    /// Users in the big organization, one run per size; each run has a tenth as many
    /// organizations.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1000,10000,100000,1000000"
    )]
    users: Vec<u64>,
    /// Runs of each measurement; the table shows the median.
    #[arg(long, default_value_t = 20)]
    repeat: usize,
    #[command(flatten)]
    login: LoginConfig,
}

struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    async fn graphql(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        let body: Value = self
            .http
            .post(format!("{}/graphql", self.base))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await?
            .json()
            .await?;
        if !body["errors"].is_null() {
            bail!("GraphQL error: {body}");
        }
        Ok(body)
    }

    /// A full login of the mock's first user; returns the answer of `completeVippsLogin`
    /// and how long it took.
    async fn login(&self) -> anyhow::Result<(Value, Duration)> {
        let started = self
            .graphql(
                "mutation($input: StartVippsLoginInput!) { startVippsLogin(input: $input) { authorizationUrl completionToken } }",
                json!({ "input": { "orgId": BIG_ORG } }),
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
        let params: HashMap<String, String> = url::Url::parse(location)?
            .query_pairs()
            .into_owned()
            .collect();
        let began = Instant::now();
        let completed = self
            .graphql(
                "mutation($input: CompleteVippsLoginInput!) { completeVippsLogin(input: $input) { user { id } vippsUserInfo { subjectIdentifier } } }",
                json!({ "input": {
                    "state": params.get("state"),
                    "code": params.get("code"),
                    "completionToken": started["data"]["startVippsLogin"]["completionToken"],
                } }),
            )
            .await?;
        Ok((completed, began.elapsed()))
    }
}

/// The median of `runs` timings of `measure`, in milliseconds.
async fn median<F, Fut>(runs: usize, mut measure: F) -> anyhow::Result<f64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Duration>>,
{
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        times.push(measure().await?);
    }
    times.sort();
    Ok(times[times.len() / 2].as_secs_f64() * 1000.0)
}

async fn timed(client: &Client, query: &str, variables: Value) -> anyhow::Result<Duration> {
    let began = Instant::now();
    client.graphql(query, variables).await?;
    Ok(began.elapsed())
}

fn user_id(n: u64) -> String {
    format!("{:08x}-0000-4000-8000-{:012x}", n >> 32, n & 0xffff_ffff)
}

fn created_micros(n: u64) -> i64 {
    FIRST_CREATED_MICROS + i64::try_from(n).unwrap_or(i64::MAX / 2) * 1000
}

fn created_text(n: u64) -> anyhow::Result<String> {
    let at = chrono::DateTime::from_timestamp_micros(created_micros(n)).context("timestamp")?;
    Ok(at.format("%Y-%m-%d %H:%M:%S%.6f").to_string())
}

/// Streams `rows` lines made by `line` into `COPY <target> FROM STDIN`.
async fn copy_rows(
    db: &tokio_postgres::Client,
    target: &str,
    rows: u64,
    line: impl Fn(u64, &mut String) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let sink = db.copy_in(&format!("COPY {target} FROM STDIN")).await?;
    let mut sink = std::pin::pin!(sink);
    let mut start = 0;
    while start < rows {
        let end = (start + CHUNK).min(rows);
        let mut text = String::with_capacity(160 * CHUNK as usize);
        for n in start..end {
            line(n, &mut text)?;
        }
        sink.send(Cursor::new(text.into_bytes())).await?;
        start = end;
    }
    sink.as_mut().finish().await?;
    Ok(())
}

/// One size: a fresh schema, the server, the import, then every measurement.
async fn run(args: &Args, users: u64) -> anyhow::Result<Vec<(&'static str, f64)>> {
    let (db, connection) = tokio_postgres::connect(&args.database_url, tokio_postgres::NoTls)
        .await
        .context("connecting to --database-url")?;
    tokio::spawn(connection);
    db.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}; SET search_path TO {SCHEMA}"
    ))
    .await?;

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
    let dir = tempfile::tempdir()?;
    let secret_dir = dir.path().canonicalize()?;
    let secret_file = secret_dir.join("secret");
    std::fs::write(&secret_file, CLIENT_SECRET)?;
    let mut login = args.login.clone();
    login.vipps_test_issuer = mock.issuer();
    login.secret_file_dir = Some(secret_dir.clone());
    login.session_key_file = secret_dir.join("session-key.pem");
    login.limits.off();
    let separator = if args.database_url.contains('?') {
        '&'
    } else {
        '?'
    };
    let url = format!(
        "{}{separator}options=-c%20search_path%3D{SCHEMA}",
        args.database_url
    );
    let app = App::new(
        DbPool::connect(&url, 8)?,
        AdminToken::new(ADMIN_TOKEN)?,
        &login,
    )
    .await?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(serve(app, listener, std::future::pending()));
    let client = Client {
        base: format!("http://{addr}"),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?,
    };
    let created = client
        .http
        .post(format!("{}/api/v1/vipps-orgs", client.base))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({
            "org_id": BIG_ORG, "client_id": CLIENT_ID,
            "client_secret_ref": format!("file://{}", secret_file.display()),
            "redirect_uri": REDIRECT_URI, "scopes": ["openid", "name", "phoneNumber"],
            "environment": "test"
        }))
        .send()
        .await?;
    if !created.status().is_success() {
        bail!("creating the org: {}", created.text().await?);
    }

    let orgs = (users / 10).max(1);
    let seeding = Instant::now();
    let stamp = created_text(0)?;
    copy_rows(
        &db,
        "vipps_orgs (org_id, client_id, client_secret_ref, redirect_uri, scopes, vipps_enabled, environment, created_at, updated_at)",
        orgs,
        |n, text| {
            use std::fmt::Write as _;
            writeln!(
                text,
                "org_{n:07}\tclient-{n}\tenv://VIPPS_SECRET_{n}\thttps://org-{n}.example.no/cb\topenid name\tt\tproduction\t{stamp}\t{stamp}"
            )?;
            Ok(())
        },
    )
    .await?;
    copy_rows(
        &db,
        "users (id, org_id, name, given_name, family_name, email, email_verified, phone_number, created_at, updated_at)",
        users,
        |n, text| {
            use std::fmt::Write as _;
            let at = created_text(n)?;
            writeln!(
                text,
                "{}\t{BIG_ORG}\tUser {n}\tUser\tNumber {n}\tuser{n}@example.no\tt\t{}\t{at}\t{at}",
                user_id(n),
                4_790_000_000 + n
            )?;
            Ok(())
        },
    )
    .await?;
    db.batch_execute("VACUUM ANALYZE").await?;
    let seeded = seeding.elapsed();
    eprintln!(
        "{users} users, {orgs} orgs: imported and analyzed in {:.1} s",
        seeded.as_secs_f64()
    );

    let runs = args.repeat;
    let last = users - 1;
    let deep = users * 9 / 10;
    let cursor = UserCursor {
        created_at: Timestamp::from_unix_micros(created_micros(deep)).context("cursor time")?,
        id: user_id(deep),
    }
    .encode();
    let page = "query($after: String, $page: Int! = 1, $search: String) {
        users(orgId: \"org_big\", limit: 20, page: $page, after: $after, search: $search) { items { id } nextCursor } }";
    let page_total = "query($after: String) {
        users(orgId: \"org_big\", limit: 20, after: $after) { items { id } nextCursor pagination { total } } }";
    let search_total = "query($search: String) {
        users(orgId: \"org_big\", search: $search) { items { id name } pagination { total } } }";
    let mut rows = vec![("import + VACUUM ANALYZE (s)", seeded.as_secs_f64())];
    // Warm the connection pool and the plans.
    for _ in 0..5 {
        timed(&client, page, json!({})).await?;
    }
    rows.push((
        "first page",
        median(runs, || timed(&client, page, json!({}))).await?,
    ));
    rows.push((
        "first page with `total`",
        median(runs, || timed(&client, page_total, json!({}))).await?,
    ));
    rows.push((
        "page after 90 % by cursor",
        median(runs, || timed(&client, page, json!({ "after": cursor }))).await?,
    ));
    rows.push((
        "page after 90 % by cursor, with `total`",
        median(runs, || {
            timed(&client, page_total, json!({ "after": cursor }))
        })
        .await?,
    ));
    rows.push((
        "page after 90 % by `page` number (3 runs)",
        median(3, || timed(&client, page, json!({ "page": deep / 20 + 1 }))).await?,
    ));
    for (label, search, expected) in [
        (
            "search: exact phone, with `total`",
            (4_790_000_000 + last).to_string(),
            1,
        ),
        (
            "search: exact e-mail, with `total`",
            format!("user{last}@example.no"),
            1,
        ),
        ("search: name part, with `total`", format!("User {last}"), 1),
    ] {
        let found = client
            .graphql(search_total, json!({ "search": search }))
            .await?;
        let total = found["data"]["users"]["pagination"]["total"].as_u64();
        if total != Some(expected) {
            bail!("search {search:?} found {total:?}: {found}");
        }
        rows.push((
            label,
            median(runs, || {
                timed(&client, search_total, json!({ "search": search }))
            })
            .await?,
        ));
    }

    // Logins: the first creates the user; then by `sub`; then, unlinked each time, by phone.
    let (first, _) = client.login().await?;
    let user = first["data"]["completeVippsLogin"]["user"]["id"]
        .as_str()
        .context("user id")?
        .to_owned();
    let sub = first["data"]["completeVippsLogin"]["vippsUserInfo"]["subjectIdentifier"]
        .as_str()
        .context("sub")?
        .to_owned();
    rows.push((
        "login by `sub` (completeVippsLogin)",
        median(runs, || async {
            let (answer, took) = client.login().await?;
            if answer["data"]["completeVippsLogin"]["user"]["id"] != user.as_str() {
                bail!("the login found another user: {answer}");
            }
            Ok(took)
        })
        .await?,
    ));
    rows.push((
        "login by phone (completeVippsLogin)",
        median(runs, || async {
            client
                .graphql(
                    "mutation($user: String!, $sub: String!) { unlinkVippsIdentity(userId: $user, sub: $sub) { id } }",
                    json!({ "user": user, "sub": sub }),
                )
                .await?;
            let (answer, took) = client.login().await?;
            if answer["data"]["completeVippsLogin"]["user"]["id"] != user.as_str() {
                bail!("the login found another user: {answer}");
            }
            Ok(took)
        })
        .await?,
    ));

    let rest_page = |page: u64| {
        let url = format!(
            "{}/api/v1/vipps-orgs?page={page}&limit=20&include_disabled=true",
            client.base
        );
        let http = client.http.clone();
        async move {
            let began = Instant::now();
            let answer = http.get(url).send().await?;
            if !answer.status().is_success() {
                bail!("REST org list answered {}", answer.status());
            }
            answer.bytes().await?;
            Ok(began.elapsed())
        }
    };
    rows.push((
        "REST org list, first page",
        median(runs, || rest_page(1)).await?,
    ));
    rows.push((
        "REST org list, last page",
        median(runs, || rest_page((orgs + 1).div_ceil(20))).await?,
    ));
    mock.shutdown().await;
    Ok(rows)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if !args.database_url.starts_with("postgres") {
        bail!("--database-url must be a PostgreSQL database of the benchmark's own");
    }
    let mut columns = Vec::new();
    for &users in &args.users {
        if users < 10 {
            bail!("--users: at least 10 per run");
        }
        columns.push((users, run(&args, users).await?));
    }
    let header: Vec<String> = columns
        .iter()
        .map(|(users, _)| format!("{users} users, {} orgs", (users / 10).max(1) + 1))
        .collect();
    println!(
        "| ms (median of {}) | {} |",
        args.repeat,
        header.join(" | ")
    );
    println!("|---|{}", "---:|".repeat(columns.len()));
    if let Some((_, first)) = columns.first() {
        for (row, (label, _)) in first.iter().enumerate() {
            let cells: Vec<String> = columns
                .iter()
                .map(|(_, values)| format!("{:.1}", values[row].1))
                .collect();
            println!("| {label} | {} |", cells.join(" | "));
        }
    }
    Ok(())
}
