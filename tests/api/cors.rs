//! CORS: only the origins in `CORS_ALLOWED_ORIGINS`, preflights answered, credentials only
//! on the cookie-bound login routes.

use crate::helpers::{TestApp, login_config};

const ALLOWED: &str = "https://app.example.no";

async fn cors_app() -> TestApp {
    TestApp::spawn_with(login_config(&[
        "--cors-allowed-origins",
        &format!("{ALLOWED},http://localhost:3000"),
    ]))
    .await
}

/// A browser's preflight for a `method` request from `origin` to `path`.
async fn preflight(app: &TestApp, path: &str, origin: &str, method: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, app.url(path))
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .expect("preflight")
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn preflights_from_allowed_origins_are_allowed() {
    let app = cors_app().await;
    for (path, method) in [("/graphql", "POST"), ("/api/v1/vipps-orgs/org_x", "PUT")] {
        let response = preflight(&app, path, ALLOWED, method).await;
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            Some(ALLOWED)
        );
        let methods = header(&response, "access-control-allow-methods").unwrap_or_default();
        assert!(methods.contains(method), "{methods}");
        let headers = header(&response, "access-control-allow-headers")
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(
            headers.contains("authorization") && headers.contains("content-type"),
            "{headers}"
        );
        assert_eq!(
            header(&response, "access-control-allow-credentials"),
            None,
            "{path} is called with a bearer token, never a cookie"
        );
    }
    let login = preflight(
        &app,
        "/vipps/login/callback",
        "http://localhost:3000",
        "GET",
    )
    .await;
    assert_eq!(
        header(&login, "access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    assert_eq!(
        header(&login, "access-control-allow-credentials"),
        Some("true"),
        "the login callback reads the login cookie"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn other_origins_are_refused() {
    let app = cors_app().await;
    for origin in [
        "https://evil.example",
        "https://app.example.no.evil.example",
        "null",
    ] {
        let response = preflight(&app, "/graphql", origin, "POST").await;
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            None,
            "{origin}"
        );
        assert_eq!(header(&response, "access-control-allow-credentials"), None);
        let simple = reqwest::Client::new()
            .get(app.url("/api/v1/vipps-orgs"))
            .header("origin", origin)
            .send()
            .await
            .expect("get");
        assert_eq!(
            header(&simple, "access-control-allow-origin"),
            None,
            "{origin}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn answers_to_allowed_origins_expose_the_request_id() {
    let app = cors_app().await;
    let response = reqwest::Client::new()
        .get(app.url("/api/v1/vipps-orgs"))
        .header("origin", ALLOWED)
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some(ALLOWED)
    );
    let exposed = header(&response, "access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(exposed.contains("x-request-id"), "{exposed}");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_allowed_origins_no_cors_header_is_sent() {
    let app = TestApp::spawn().await;
    let response = preflight(&app, "/graphql", ALLOWED, "POST").await;
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    let simple = reqwest::Client::new()
        .get(app.url("/api/v1/vipps-orgs"))
        .header("origin", ALLOWED)
        .send()
        .await
        .expect("get");
    assert_eq!(simple.status(), 200);
    assert_eq!(header(&simple, "access-control-allow-origin"), None);
}
