//! Every write path needs the admin token; reads stay public.

use serde_json::json;

use crate::helpers::{Auth, TestApp, ny_klinikk};
use crate::orgs_graphql::{create_mutation, error_code, ny_klinikk_input};

#[tokio::test(flavor = "multi_thread")]
async fn rest_writes_without_the_admin_token_are_401_and_change_nothing() {
    let app = TestApp::spawn().await;
    app.create_org(&ny_klinikk()).await;
    let path = "/api/v1/vipps-orgs/org_ny_klinikk";
    let before = app.get(path).await.json();
    let mut other = ny_klinikk();
    other["org_id"] = json!("org_other");

    for auth in [Auth::None, Auth::Wrong] {
        let writes = [
            app.send_json("POST", "/api/v1/vipps-orgs", auth, &other)
                .await,
            app.send_json("PUT", path, auth, &json!({ "vipps_enabled": false }))
                .await,
            app.request("DELETE", path, auth, None, None).await,
        ];
        for response in writes {
            let problem = response.problem(401, "UNAUTHENTICATED");
            assert_eq!(response.header("www-authenticate"), Some("Bearer"));
            assert!(
                problem["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("Authorization: Bearer"))
            );
        }
    }
    assert_eq!(app.get(path).await.json(), before);
    assert_eq!(app.org_count().await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_is_checked_before_the_body() {
    let app = TestApp::spawn().await;
    let response = app
        .request(
            "POST",
            "/api/v1/vipps-orgs",
            Auth::None,
            Some("text/plain"),
            Some(b"garbage".to_vec()),
        )
        .await;
    response.problem(401, "UNAUTHENTICATED");
}

#[tokio::test(flavor = "multi_thread")]
async fn other_schemes_and_near_misses_are_refused() {
    let app = TestApp::spawn().await;
    let token = crate::helpers::ADMIN_TOKEN;
    let near_misses = [
        format!("Basic {token}"),
        token.to_owned(),
        format!("Bearer {}", &token[..token.len() - 1]),
        format!("Bearer {token}x"),
        "Bearer ".to_owned(),
    ];
    for header in near_misses {
        let response = reqwest::Client::new()
            .post(app.url("/api/v1/vipps-orgs"))
            .header("authorization", header)
            .json(&ny_klinikk())
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 401);
    }
    let lower_case = reqwest::Client::new()
        .post(app.url("/api/v1/vipps-orgs"))
        .header("authorization", format!("bearer {token}"))
        .json(&ny_klinikk())
        .send()
        .await
        .expect("send");
    assert_eq!(
        lower_case.status(),
        201,
        "the scheme name is case-insensitive"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn graphql_mutations_without_the_admin_token_are_unauthenticated() {
    let app = TestApp::spawn().await;
    app.create_org(&ny_klinikk()).await;
    let mut other = ny_klinikk_input();
    other["orgId"] = json!("org_other");
    let mutations = [
        (create_mutation(), json!({ "input": other })),
        (r#"mutation { updateVippsOrg(orgId: "org_ny_klinikk", input: { vippsEnabled: false }) { orgId } }"#.to_owned(), json!({})),
        (r#"mutation { deleteVippsOrg(orgId: "org_ny_klinikk") { orgId } }"#.to_owned(), json!({})),
    ];
    for auth in [Auth::None, Auth::Wrong] {
        for (query, variables) in &mutations {
            let body = app.graphql(auth, query, variables.clone()).await;
            assert!(body["data"].is_null(), "{body}");
            assert_eq!(error_code(&body), "UNAUTHENTICATED");
        }
    }
    let status = app
        .get("/api/v1/vipps-orgs/org_ny_klinikk/status")
        .await
        .json();
    assert_eq!(status["vipps_enabled"], true);
    assert_eq!(app.org_count().await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_are_public() {
    let app = TestApp::spawn().await;
    app.create_org(&ny_klinikk()).await;
    for path in [
        "/api/v1/vipps-orgs",
        "/api/v1/vipps-orgs/org_ny_klinikk",
        "/api/v1/vipps-orgs/org_ny_klinikk/status",
    ] {
        assert_eq!(app.get(path).await.status, 200, "{path}");
    }
    let body = app
        .graphql(
            Auth::None,
            r#"{ vippsOrg(orgId: "org_ny_klinikk") { orgId } vippsOrgs { pagination { total } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["vippsOrg"]["orgId"], "org_ny_klinikk");
}
