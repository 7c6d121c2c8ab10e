//! `vault://` client-secret references against a fake HashiCorp Vault that speaks KV v2 over
//! HTTP (`GET /v1/<mount>/data/<path>` with `X-Vault-Token`).

use std::net::SocketAddr;

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::rig::{CLIENT_SECRET, LoginRig, RigOptions, error_code};

const VAULT_TOKEN: &str = "hvs.test-vault-token";

/// A Vault with one KV v2 secret at `kv/vipps/rig` (mount `kv`).
async fn fake_vault() -> SocketAddr {
    let read = |Path(path): Path<String>, headers: HeaderMap| async move {
        if headers.get("x-vault-token").and_then(|v| v.to_str().ok()) != Some(VAULT_TOKEN) {
            return (
                StatusCode::FORBIDDEN,
                axum::Json(json!({ "errors": ["permission denied"] })),
            );
        }
        if path != "vipps/rig" {
            return (StatusCode::NOT_FOUND, axum::Json(json!({ "errors": [] })));
        }
        (
            StatusCode::OK,
            axum::Json(json!({
                "data": {
                    "data": { "client_secret": CLIENT_SECRET },
                    "metadata": { "version": 3 }
                }
            })),
        )
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

#[tokio::test(flavor = "multi_thread")]
async fn vault_failures_are_secret_unavailable_naming_the_reference() {
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
    ] {
        let rig = rig(vault, token, reference).await;
        let redirect = rig.approved_redirect().await;
        let body = rig.complete(&redirect).await;
        assert_eq!(error_code(&body), "SECRET_UNAVAILABLE", "{reference}");
        let message = message(&body);
        assert!(message.contains(reference), "{message}");
        assert!(message.contains(reason), "{message}");
        assert!(!message.contains(CLIENT_SECRET) && !message.contains(VAULT_TOKEN));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_vault_is_secret_unavailable() {
    let closed: SocketAddr = "127.0.0.1:9".parse().expect("addr");
    let rig = rig(closed, VAULT_TOKEN, "vault://vipps/rig/client_secret").await;
    let redirect = rig.approved_redirect().await;
    let body = rig.complete(&redirect).await;
    assert_eq!(error_code(&body), "SECRET_UNAVAILABLE");
    assert!(message(&body).contains("Vault cannot be reached"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vault_reference_without_vault_configured_is_secret_unavailable() {
    let rig = LoginRig::with(RigOptions {
        org: json!({ "client_secret_ref": "vault://vipps/rig/client_secret" }),
        ..RigOptions::default()
    })
    .await;
    let redirect = rig.approved_redirect().await;
    let body = rig.complete(&redirect).await;
    assert_eq!(error_code(&body), "SECRET_UNAVAILABLE");
    assert!(message(&body).contains("VAULT_ADDR"), "{body}");
}
