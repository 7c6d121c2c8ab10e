//! `vault://` client-secret references against a fake HashiCorp Vault that speaks KV v2 over
//! HTTP (`GET /v1/<mount>/data/<path>` with `X-Vault-Token`).

use std::net::SocketAddr;

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse as _;
use axum::routing::get;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::login_secrets::captured_logs;
use crate::rig::{CLIENT_SECRET, LoginRig, RigOptions, error_code};

const VAULT_TOKEN: &str = "hvs.test-vault-token";

/// What the public error says about any unreadable secret.
const PUBLIC_MESSAGE: &str = "the organization's client secret cannot be read right now";

/// A Vault with one KV v2 secret at `kv/vipps/rig` (mount `kv`), and at `kv/vipps/huge` a
/// valid answer padded to 2 MiB and streamed in chunks without `Content-Length`.
async fn fake_vault() -> SocketAddr {
    let read = |Path(path): Path<String>, headers: HeaderMap| async move {
        if headers.get("x-vault-token").and_then(|v| v.to_str().ok()) != Some(VAULT_TOKEN) {
            let body = json!({ "errors": ["permission denied"] });
            return (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
        }
        let answer = |padding: String| {
            json!({
                "data": {
                    "data": { "client_secret": CLIENT_SECRET },
                    "metadata": { "version": 3, "padding": padding }
                }
            })
        };
        match path.as_str() {
            "vipps/rig" => axum::Json(answer(String::new())).into_response(),
            "vipps/huge" => {
                let text = answer("x".repeat(2 * 1024 * 1024)).to_string().into_bytes();
                let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
                    text.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
                axum::body::Body::from_stream(futures::stream::iter(chunks)).into_response()
            }
            _ => (StatusCode::NOT_FOUND, axum::Json(json!({ "errors": [] }))).into_response(),
        }
    };
    let router = axum::Router::new().route("/v1/kv/data/{*path}", get(read));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind vault");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

async fn rig(vault: SocketAddr, token: &str, reference: &str) -> LoginRig {
    LoginRig::with(RigOptions {
        server_args: vec![
            "--vault-addr".into(),
            format!("http://{vault}"),
            "--vault-token".into(),
            token.into(),
            "--vault-kv-mount".into(),
            "kv".into(),
        ],
        org: json!({ "client_secret_ref": reference }),
        ..RigOptions::default()
    })
    .await
}

fn message(body: &Value) -> String {
    body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vault_reference_resolves_and_the_login_completes() {
    let vault = fake_vault().await;
    let rig = rig(vault, VAULT_TOKEN, "vault://vipps/rig/client_secret").await;
    let redirect = rig.approved_redirect().await;
    let body = rig.complete(&redirect).await;
    assert!(body["errors"].is_null(), "{body}");
}

/// Asserts a `SECRET_UNAVAILABLE` whose public message names neither `reference` nor
/// `reason`, while the log line has both.
fn assert_unavailable_logged(body: &Value, logs: &str, reference: &str, reason: &str) {
    assert_eq!(error_code(body), "SECRET_UNAVAILABLE", "{reference}");
    let message = message(body);
    assert_eq!(message, PUBLIC_MESSAGE, "{body}");
    assert!(!body.to_string().contains(reference), "{body}");
    let logged = logs.lines().any(|line| {
        line.contains("secret unavailable") && line.contains(reference) && line.contains(reason)
    });
    assert!(logged, "no log line with `{reference}` and `{reason}`");
}

#[tokio::test(flavor = "multi_thread")]
async fn vault_failures_are_secret_unavailable_logging_the_reference() {
    let logs = captured_logs();
    let vault = fake_vault().await;
    for (token, reference, reason) in [
        (
            "wrong-token",
            "vault://vipps/rig/client_secret",
            "permission denied",
        ),
        (
            VAULT_TOKEN,
            "vault://vipps/other/client_secret",
            "no secret at this path",
        ),
        (
            VAULT_TOKEN,
            "vault://vipps/rig/missing_key",
            "no string field `missing_key`",
        ),
        (
            VAULT_TOKEN,
            "vault://vipps/huge/client_secret",
            "larger than 1048576 bytes",
        ),
    ] {
        let rig = rig(vault, token, reference).await;
        let redirect = rig.approved_redirect().await;
        let body = rig.complete(&redirect).await;
        let text = String::from_utf8_lossy(&logs.lock().expect("logs")).into_owned();
        assert_unavailable_logged(&body, &text, reference, reason);
        assert!(!text.contains(CLIENT_SECRET) && !text.contains(VAULT_TOKEN));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_vault_is_secret_unavailable() {
    let logs = captured_logs();
    let closed: SocketAddr = "127.0.0.1:9".parse().expect("addr");
    let rig = rig(
        closed,
        VAULT_TOKEN,
        "vault://vipps/unreachable/client_secret",
    )
    .await;
    let redirect = rig.approved_redirect().await;
    let body = rig.complete(&redirect).await;
    let text = String::from_utf8_lossy(&logs.lock().expect("logs")).into_owned();
    assert_unavailable_logged(
        &body,
        &text,
        "vault://vipps/unreachable/client_secret",
        "Vault cannot be reached",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vault_reference_without_vault_configured_is_secret_unavailable() {
    let logs = captured_logs();
    let rig = LoginRig::with(RigOptions {
        org: json!({ "client_secret_ref": "vault://vipps/unconfigured/client_secret" }),
        ..RigOptions::default()
    })
    .await;
    let redirect = rig.approved_redirect().await;
    let body = rig.complete(&redirect).await;
    let text = String::from_utf8_lossy(&logs.lock().expect("logs")).into_owned();
    assert_unavailable_logged(
        &body,
        &text,
        "vault://vipps/unconfigured/client_secret",
        "VAULT_ADDR",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn vault_path_prefix_refuses_other_paths_at_create() {
    let vault = fake_vault().await;
    let rig = LoginRig::with(RigOptions {
        server_args: vec![
            "--vault-addr".into(),
            format!("http://{vault}"),
            "--vault-token".into(),
            VAULT_TOKEN.into(),
            "--vault-kv-mount".into(),
            "kv".into(),
            "--vault-path-prefix".into(),
            "vipps".into(),
        ],
        org: json!({ "client_secret_ref": "vault://vipps/rig/client_secret" }),
        ..RigOptions::default()
    })
    .await;
    let body = rig.complete(&rig.approved_redirect().await).await;
    assert!(body["errors"].is_null(), "inside the prefix: {body}");
    let refused = rig
        .app
        .send_json(
            "PUT",
            "/api/v1/vipps-orgs/org_rig",
            crate::helpers::Auth::Admin,
            &json!({ "client_secret_ref": "vault://other/rig/client_secret" }),
        )
        .await
        .problem(400, "INVALID_INPUT");
    assert_eq!(refused["field"], "client_secret_ref", "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("VAULT_PATH_PREFIX")),
        "{refused}"
    );
}
