//! The six `/api/v1/vipps-orgs` routes, through REST as a legacy client uses them.

use futures::future::join_all;
use insta::assert_json_snapshot;
use serde_json::json;

use crate::helpers::{Auth, TestApp, ny_klinikk, org_body, timestamp};

#[tokio::test(flavor = "multi_thread")]
async fn create_answers_201_with_the_summary() {
    let app = TestApp::spawn().await;
    let response = app
        .send_json("POST", "/api/v1/vipps-orgs", Auth::Admin, &ny_klinikk())
        .await;
    assert_eq!(response.status, 201, "{}", response.text);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_json_snapshot!(response.json(), { ".created_at" => timestamp() });
}

#[tokio::test(flavor = "multi_thread")]
async fn get_returns_every_stored_field() {
    let app = TestApp::spawn().await;
    app.create_org(&ny_klinikk()).await;
    let response = app.get("/api/v1/vipps-orgs/org_ny_klinikk").await;
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(body["created_at"], body["updated_at"]);
    assert_json_snapshot!(body, { ".created_at" => timestamp(), ".updated_at" => timestamp() });
}

#[tokio::test(flavor = "multi_thread")]
async fn create_keeps_optional_settings() {
    let app = TestApp::spawn().await;
    let body = org_body(
        "org_partner",
        json!({
            "vipps_enabled": false,
            "token_endpoint_auth_method": "client_secret_post",
            "merchant_serial_number": "123456",
            "redirect_uri": "http://localhost:3000/callback",
            "scopes": ["openid", "name", "email", "phoneNumber", "address", "birthDate", "nin"]
        }),
    );
    let created = app.create_org(&body).await;
    assert_eq!(created["vipps_enabled"], false);
    let stored = app.get("/api/v1/vipps-orgs/org_partner").await.json();
    assert_eq!(stored["token_endpoint_auth_method"], "client_secret_post");
    assert_eq!(stored["merchant_serial_number"], "123456");
    assert_eq!(stored["redirect_uri"], "http://localhost:3000/callback");
    assert_eq!(stored["scopes"], body["scopes"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_pages_enabled_orgs_in_org_id_order() {
    let app = TestApp::spawn().await;
    for id in ["org_c", "org_a", "org_b"] {
        app.create_org(&org_body(id, json!({}))).await;
    }
    app.create_org(&org_body(
        "org_0_disabled",
        json!({ "vipps_enabled": false }),
    ))
    .await;

    let all = app.get("/api/v1/vipps-orgs").await;
    assert_eq!(all.status, 200);
    assert_json_snapshot!(all.json(), { ".data[].created_at" => timestamp() });

    let second = app.get("/api/v1/vipps-orgs?page=2&limit=1").await.json();
    assert_eq!(second["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(second["data"][0]["org_id"], "org_b");
    assert_eq!(
        second["pagination"],
        json!({ "page": 2, "limit": 1, "total": 3 })
    );

    let beyond = app.get("/api/v1/vipps-orgs?page=5&limit=1").await.json();
    assert_eq!(beyond["data"], json!([]));
    assert_eq!(beyond["pagination"]["total"], 3);

    let with_disabled = app
        .get("/api/v1/vipps-orgs?include_disabled=true&limit=100")
        .await
        .json();
    assert_eq!(with_disabled["pagination"]["total"], 4);
    assert_eq!(with_disabled["data"][0]["org_id"], "org_0_disabled");
}

#[tokio::test(flavor = "multi_thread")]
async fn list_filters_by_environment() {
    let app = TestApp::spawn().await;
    app.create_org(&ny_klinikk()).await;
    app.create_org(&org_body("org_test", json!({}))).await;
    let production = app
        .get("/api/v1/vipps-orgs?environment=production")
        .await
        .json();
    assert_eq!(production["pagination"]["total"], 1);
    assert_eq!(production["data"][0]["org_id"], "org_ny_klinikk");
    let test = app.get("/api/v1/vipps-orgs?environment=test").await.json();
    assert_eq!(test["data"][0]["org_id"], "org_test");
}

#[tokio::test(flavor = "multi_thread")]
async fn update_changes_only_the_sent_fields_and_answers_with_them() {
    let app = TestApp::spawn().await;
    app.create_org(&ny_klinikk()).await;
    let before = app.get("/api/v1/vipps-orgs/org_ny_klinikk").await.json();
    let response = app
        .send_json(
            "PUT",
            "/api/v1/vipps-orgs/org_ny_klinikk",
            Auth::Admin,
            &json!({ "redirect_uri": "https://ny-klinikk.no/vipps/cb", "scopes": ["openid", "email"] }),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_json_snapshot!(response.json(), { ".updated_at" => timestamp() });

    let after = app.get("/api/v1/vipps-orgs/org_ny_klinikk").await.json();
    assert_eq!(after["redirect_uri"], "https://ny-klinikk.no/vipps/cb");
    assert_eq!(after["scopes"], json!(["openid", "email"]));
    for kept in [
        "client_id",
        "client_secret_ref",
        "vipps_enabled",
        "environment",
        "created_at",
    ] {
        assert_eq!(after[kept], before[kept], "{kept} changed");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn update_sets_and_clears_the_merchant_serial_number() {
    let app = TestApp::spawn().await;
    app.create_org(&org_body("org_msn", json!({}))).await;
    let path = "/api/v1/vipps-orgs/org_msn";
    let set = app
        .send_json(
            "PUT",
            path,
            Auth::Admin,
            &json!({ "merchant_serial_number": "654321" }),
        )
        .await
        .json();
    assert_eq!(set["merchant_serial_number"], "654321");
    assert_eq!(
        app.get(path).await.json()["merchant_serial_number"],
        "654321"
    );
    let cleared = app
        .send_json(
            "PUT",
            path,
            Auth::Admin,
            &json!({ "merchant_serial_number": null }),
        )
        .await;
    assert_eq!(cleared.status, 200);
    assert_eq!(cleared.json()["merchant_serial_number"], json!(null));
    assert_eq!(
        app.get(path).await.json()["merchant_serial_number"],
        json!(null)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn update_can_move_an_org_between_environments() {
    let app = TestApp::spawn().await;
    app.create_org(&org_body("org_move", json!({}))).await;
    let response = app
        .send_json(
            "PUT",
            "/api/v1/vipps-orgs/org_move",
            Auth::Admin,
            &json!({ "environment": "production", "vipps_enabled": false }),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    let status = app.get("/api/v1/vipps-orgs/org_move/status").await.json();
    assert_eq!(status["environment"], "production");
    assert_eq!(status["vipps_enabled"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn update_of_a_missing_org_is_404() {
    let app = TestApp::spawn().await;
    let response = app
        .send_json(
            "PUT",
            "/api/v1/vipps-orgs/org_missing",
            Auth::Admin,
            &json!({ "vipps_enabled": false }),
        )
        .await;
    response.problem(404, "NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_updates_of_different_fields_all_land() {
    let app = TestApp::spawn().await;
    app.create_org(&org_body("org_busy", json!({}))).await;
    let path = "/api/v1/vipps-orgs/org_busy";
    let changes = [
        json!({ "client_id": "client-new" }),
        json!({ "vipps_enabled": false }),
        json!({ "merchant_serial_number": "777" }),
        json!({ "token_endpoint_auth_method": "client_secret_post" }),
        json!({ "client_secret_ref": "vault://vipps/busy/client_secret" }),
        json!({ "scopes": ["openid", "nin"] }),
    ];
    let responses = join_all(
        changes
            .iter()
            .map(|body| app.send_json("PUT", path, Auth::Admin, body)),
    )
    .await;
    for response in &responses {
        assert_eq!(response.status, 200, "{}", response.text);
    }
    let stored = app.get(path).await.json();
    assert_eq!(stored["client_id"], "client-new");
    assert_eq!(stored["vipps_enabled"], false);
    assert_eq!(stored["merchant_serial_number"], "777");
    assert_eq!(stored["token_endpoint_auth_method"], "client_secret_post");
    assert_eq!(
        stored["client_secret_ref"],
        "vault://vipps/busy/client_secret"
    );
    assert_eq!(stored["scopes"], json!(["openid", "nin"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_frees_the_org_id() {
    let app = TestApp::spawn().await;
    app.create_org(&ny_klinikk()).await;
    let response = app
        .request(
            "DELETE",
            "/api/v1/vipps-orgs/org_ny_klinikk",
            Auth::Admin,
            None,
            None,
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_json_snapshot!(response.json(), { ".deleted_at" => timestamp() });

    app.get("/api/v1/vipps-orgs/org_ny_klinikk")
        .await
        .problem(404, "NOT_FOUND");
    app.get("/api/v1/vipps-orgs/org_ny_klinikk/status")
        .await
        .problem(404, "NOT_FOUND");
    app.request(
        "DELETE",
        "/api/v1/vipps-orgs/org_ny_klinikk",
        Auth::Admin,
        None,
        None,
    )
    .await
    .problem(404, "NOT_FOUND");
    assert_eq!(app.org_count().await, 0);

    app.create_org(&ny_klinikk()).await;
    assert_eq!(
        app.get("/api/v1/vipps-orgs/org_ny_klinikk").await.status,
        200
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn status_reports_the_switch_and_client() {
    let app = TestApp::spawn().await;
    app.create_org(&ny_klinikk()).await;
    let response = app.get("/api/v1/vipps-orgs/org_ny_klinikk/status").await;
    assert_eq!(response.status, 200);
    assert_json_snapshot!(response.json());
    app.get("/api/v1/vipps-orgs/org_unknown/status")
        .await
        .problem(404, "NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_duplicate_org_id_is_a_conflict_and_keeps_the_first() {
    let app = TestApp::spawn().await;
    app.create_org(&ny_klinikk()).await;
    let mut second = ny_klinikk();
    second["client_id"] = json!("someone-else");
    let response = app
        .send_json("POST", "/api/v1/vipps-orgs", Auth::Admin, &second)
        .await;
    let body = response.problem(409, "CONFLICT");
    assert_json_snapshot!(body, { ".instance" => "[request id]" });
    let stored = app.get("/api/v1/vipps-orgs/org_ny_klinikk").await.json();
    assert_eq!(stored["client_id"], "fb492b5e-7907-4d83-ba20-c7fb60ca35de");
}
