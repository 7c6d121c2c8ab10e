//! The binary as an operator runs it: subcommands, help, a first run with no set-up, and
//! graceful shutdown.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_vipps-identity");

fn command(dir: &std::path::Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("ADMIN_TOKEN")
        .env_remove("BIND_ADDR")
        .env_remove("LOG_FORMAT")
        .env_remove("RUST_LOG");
    command
}

#[test]
fn schema_prints_the_sdl() {
    let dir = tempfile::tempdir().expect("dir");
    let output = command(dir.path()).arg("schema").output().expect("run");
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        vipps_identity::graphql::sdl()
    );
}

#[test]
fn help_documents_every_setting() {
    let dir = tempfile::tempdir().expect("dir");
    let output = command(dir.path()).arg("--help").output().expect("run");
    let help = String::from_utf8_lossy(&output.stdout);
    for setting in [
        "BIND_ADDR",
        "DATABASE_URL",
        "DATABASE_POOL_SIZE",
        "ADMIN_TOKEN",
        "LOG_FORMAT",
        "RUST_LOG",
        "CORS_ALLOWED_ORIGINS",
        "METRICS_TOKEN",
        "serve",
        "migrate",
        "schema",
    ] {
        assert!(
            help.contains(setting),
            "--help does not mention {setting}:\n{help}"
        );
    }
}

#[test]
fn migrate_applies_once_and_bad_urls_fail_clearly() {
    let dir = tempfile::tempdir().expect("dir");
    for _ in 0..2 {
        let status = command(dir.path()).arg("migrate").status().expect("run");
        assert!(status.success());
    }
    assert!(
        dir.path().join("vipps-identity.db").exists(),
        "the default SQLite file is created"
    );
    let output = command(dir.path())
        .args(["migrate", "--database-url", "mysql://x"])
        .output()
        .expect("run");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("DATABASE_URL must start with"));
}

#[test]
fn a_first_run_generates_an_admin_token_and_stops_gracefully() {
    let dir = tempfile::tempdir().expect("dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut child = command(dir.path())
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut token = None;
    let mut stderr_lines = Vec::new();
    for line in stderr.lines() {
        let line = line.expect("line");
        stderr_lines.push(line.clone());
        if line.starts_with("    ") && line.trim().len() == 64 {
            token = Some(line.trim().to_owned());
            break;
        }
    }
    let token = token.unwrap_or_else(|| panic!("no generated token on stderr: {stderr_lines:?}"));
    assert!(
        stderr_lines
            .iter()
            .any(|l| l.contains("WARNING: ADMIN_TOKEN is not set"))
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let created = runtime.block_on(async {
        let client = reqwest::Client::new();
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if client.get(format!("{url}/readyz")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let unauthenticated = client
            .post(format!("{url}/api/v1/vipps-orgs"))
            .json(&crate::helpers::ny_klinikk())
            .send()
            .await;
        assert_eq!(unauthenticated.expect("send").status(), 401);
        client
            .post(format!("{url}/api/v1/vipps-orgs"))
            .bearer_auth(&token)
            .json(&crate::helpers::ny_klinikk())
            .send()
            .await
            .expect("send")
            .status()
    });
    assert_eq!(created, 201);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let output = child.wait_with_output().expect("wait");
    assert!(
        output.status.success(),
        "exit after SIGTERM: {:?}",
        output.status
    );

    let logs = String::from_utf8_lossy(&output.stdout);
    assert!(!logs.contains(&token), "the admin token reached the logs");
    let requests: Vec<Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["message"] == "request")
        .collect();
    let create = requests
        .iter()
        .find(|l| l["status"] == 201)
        .unwrap_or_else(|| panic!("no request log line: {logs}"));
    assert_eq!(create["method"], "POST");
    assert_eq!(create["route"], "/api/v1/vipps-orgs");
    assert!(create["latency_ms"].is_number());
    assert!(logs.contains("shutting down"), "{logs}");
}
