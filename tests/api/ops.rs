//! Health checks, unknown routes and methods.

use serde_json::json;

use crate::helpers::{Auth, TestApp};

#[tokio::test(flavor = "multi_thread")]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    let alive = app.get("/healthz").await;
    assert_eq!(
        (alive.status, alive.json()),
        (200, json!({ "status": "ok" }))
    );
    let ready = app.get("/readyz").await;
    assert_eq!(
        (ready.status, ready.json()),
        (200, json!({ "status": "ready" }))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_routes_and_methods_are_problems() {
    let app = TestApp::spawn().await;
    app.get("/api/v1/nothing-here")
        .await
        .problem(404, "NOT_FOUND");
    app.request("PATCH", "/api/v1/vipps-orgs/org_a", Auth::Admin, None, None)
        .await
        .problem(405, "METHOD_NOT_ALLOWED");
    app.request("DELETE", "/api/v1/vipps-orgs", Auth::Admin, None, None)
        .await
        .problem(405, "METHOD_NOT_ALLOWED");
}
