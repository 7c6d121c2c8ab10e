//! Request ids: `X-Request-Id` taken when well-formed, otherwise generated; echoed in the
//! answer, the problem body's `instance`, and on every log line of the request.

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, TestApp};

async fn get_with_id(app: &TestApp, path: &str, id: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(app.url(path));
    if let Some(id) = id {
        request = request.header("x-request-id", id);
    }
    request.send().await.expect("get")
}

fn request_id(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("an X-Request-Id in every answer")
        .to_owned()
}

fn well_formed(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_well_formed_id_is_echoed_and_names_the_problem() {
    let app = TestApp::spawn().await;
    let id = "checkout-7.retry_2";
    let response = get_with_id(&app, "/api/v1/vipps-orgs/org_absent", Some(id)).await;
    assert_eq!(response.status(), 404);
    assert_eq!(request_id(&response), id);
    let problem: Value = response.json().await.expect("json");
    assert_eq!(problem["instance"], id);
    assert_eq!(problem["code"], "NOT_FOUND");

    let longest = "x".repeat(128);
    let ok = get_with_id(&app, "/healthz", Some(&longest)).await;
    assert_eq!(request_id(&ok), longest);
}

#[tokio::test(flavor = "multi_thread")]
async fn other_ids_are_replaced_by_generated_ones() {
    let app = TestApp::spawn().await;
    let mut seen = Vec::new();
    for sent in [
        None,
        Some(""),
        Some("has space"),
        Some("a/b"),
        Some(&*"x".repeat(129)),
    ] {
        let response = get_with_id(&app, "/healthz", sent).await;
        let id = request_id(&response);
        assert!(well_formed(&id), "{id}");
        assert_ne!(Some(id.as_str()), sent);
        assert!(!seen.contains(&id), "{id} was handed out twice");
        seen.push(id);
    }
}

/// Starts the binary with JSON logs on a free port; returns it and its address.
fn start_server(dir: &std::path::Path) -> (std::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_vipps-identity"))
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG")
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("ADMIN_TOKEN", ADMIN_TOKEN)
        .env("LOG_FORMAT", "json")
        .env("VIPPS_TEST_ISSUER", "http://127.0.0.1:9/access/")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start");
    (child, format!("http://127.0.0.1:{port}"))
}

#[test]
fn every_log_line_of_a_request_carries_its_id() {
    let dir = tempfile::tempdir().expect("dir");
    let (mut child, url) = start_server(dir.path());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let status = runtime.block_on(async {
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client.get(format!("{url}/readyz")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let created = client
            .post(format!("{url}/api/v1/vipps-orgs"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({
                "org_id": "org_logs",
                "client_id": "client-logs",
                "client_secret_ref": "env://LOGS_CLIENT_SECRET",
                "redirect_uri": "https://app.example.no/callback",
                "scopes": ["openid"],
                "environment": "test",
            }))
            .send()
            .await
            .expect("create");
        assert_eq!(created.status(), 201);
        client
            .get(format!("{url}/vipps/login/start?orgId=org_logs"))
            .header("x-request-id", "trace-me-1")
            .send()
            .await
            .expect("start")
            .status()
    });
    assert_eq!(status, 502, "the provider is unreachable");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let mut logs = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut logs)
        .expect("logs");
    child.wait().expect("wait");

    let lines: Vec<Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let traced: Vec<&Value> = lines
        .iter()
        .filter(|l| l["span"]["request_id"] == "trace-me-1")
        .collect();
    let messages: Vec<&str> = traced
        .iter()
        .filter_map(|l| l["message"].as_str())
        .collect();
    assert!(
        messages.contains(&"Vipps unavailable") && messages.contains(&"request"),
        "{messages:?}\n{logs}"
    );
    let access = lines
        .iter()
        .filter(|l| l["message"] == "request")
        .collect::<Vec<_>>();
    assert!(access.len() >= 3, "{logs}");
    assert!(
        access
            .iter()
            .all(|l| l["span"]["request_id"].as_str().is_some_and(well_formed)),
        "{logs}"
    );
}
