//! Every kind of bad input gets a clear 4xx with a stable code, and nothing is stored.

use insta::assert_json_snapshot;
use serde_json::{Value, json};

use crate::helpers::{Auth, TestApp, ny_klinikk, org_body};

const ORGS: &str = "/api/v1/vipps-orgs";

/// Sends a create body and expects 400 `INVALID_INPUT`; returns the problem's `detail`.
async fn refused_create(app: &TestApp, body: &Value) -> String {
    let response = app.send_json("POST", ORGS, Auth::Admin, body).await;
    let problem = response.problem(400, "INVALID_INPUT");
    problem["detail"].as_str().unwrap_or_default().to_owned()
}

fn with(field: &str, value: Value) -> Value {
    let mut body = ny_klinikk();
    body[field] = value;
    body
}

fn without(field: &str) -> Value {
    let mut body = ny_klinikk();
    body.as_object_mut().map(|o| o.remove(field));
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_json_is_400() {
    let app = TestApp::spawn().await;
    for raw in [
        &b"{\"org_id\": "[..],
        b"not json",
        b"",
        b"[1,2]",
        b"\"a string\"",
        b"{\"org_id\":\"a\",}",
    ] {
        let response = app
            .request(
                "POST",
                ORGS,
                Auth::Admin,
                Some("application/json"),
                Some(raw.to_vec()),
            )
            .await;
        response.problem(400, "INVALID_INPUT");
    }
    assert_eq!(app.org_count().await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_utf8_in_the_body_is_400() {
    let app = TestApp::spawn().await;
    let mut raw = ny_klinikk().to_string().into_bytes();
    let at = raw.iter().position(|b| *b == b'k').unwrap_or(0);
    raw[at] = 0xff;
    let response = app
        .request(
            "POST",
            ORGS,
            Auth::Admin,
            Some("application/json"),
            Some(raw),
        )
        .await;
    response.problem(400, "INVALID_INPUT");
    assert_eq!(app.org_count().await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_or_missing_content_type_is_415() {
    let app = TestApp::spawn().await;
    let body = ny_klinikk().to_string().into_bytes();
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let response = app
            .request("POST", ORGS, Auth::Admin, content_type, Some(body.clone()))
            .await;
        let problem = response.problem(415, "UNSUPPORTED_MEDIA_TYPE");
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains("application/json"))
        );
    }
    let update = app
        .request(
            "PUT",
            "/api/v1/vipps-orgs/org_ny_klinikk",
            Auth::Admin,
            Some("text/plain"),
            Some(b"{}".to_vec()),
        )
        .await;
    update.problem(415, "UNSUPPORTED_MEDIA_TYPE");
    let charset = app
        .request(
            "POST",
            ORGS,
            Auth::Admin,
            Some("application/json; charset=utf-8"),
            Some(body),
        )
        .await;
    assert_eq!(charset.status, 201, "{}", charset.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_fields_are_named() {
    let app = TestApp::spawn().await;
    let detail = refused_create(&app, &with("client_secret", json!("hunter2"))).await;
    assert!(detail.contains("unknown field `client_secret`"), "{detail}");
    app.create_org(&ny_klinikk()).await;
    let response = app
        .send_json(
            "PUT",
            "/api/v1/vipps-orgs/org_ny_klinikk",
            Auth::Admin,
            &json!({ "org_id": "other" }),
        )
        .await;
    let problem = response.problem(400, "INVALID_INPUT");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("unknown field `org_id`")),
        "{problem}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_types_and_missing_fields_name_the_field() {
    let app = TestApp::spawn().await;
    let cases = [
        (with("org_id", json!(42)), "org_id"),
        (with("scopes", json!("openid name")), "scopes"),
        (with("scopes", json!([1])), "scopes"),
        (with("vipps_enabled", json!("yes")), "vipps_enabled"),
        (with("environment", json!(null)), "environment"),
        (without("client_id"), "client_id"),
        (without("redirect_uri"), "redirect_uri"),
        (without("environment"), "environment"),
    ];
    for (body, field) in cases {
        let detail = refused_create(&app, &body).await;
        assert!(
            detail.contains(field),
            "detail should name `{field}`: {detail}"
        );
    }
    assert_eq!(app.org_count().await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_strings_are_refused_for_every_field() {
    let app = TestApp::spawn().await;
    for field in [
        "org_id",
        "client_id",
        "client_secret_ref",
        "redirect_uri",
        "environment",
        "token_endpoint_auth_method",
        "merchant_serial_number",
    ] {
        let response = app
            .send_json("POST", ORGS, Auth::Admin, &with(field, json!("")))
            .await;
        let problem = response.problem(400, "INVALID_INPUT");
        assert_eq!(problem["field"], field, "{problem}");
    }
    refused_create(&app, &with("scopes", json!([]))).await;
    refused_create(&app, &with("scopes", json!([""]))).await;
    assert_eq!(app.org_count().await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn over_long_values_are_refused() {
    let app = TestApp::spawn().await;
    let cases = [
        ("org_id", json!("a".repeat(65))),
        ("client_id", json!("c".repeat(256))),
        (
            "client_secret_ref",
            json!(format!("env://{}", "V".repeat(600))),
        ),
        (
            "redirect_uri",
            json!(format!("https://x.no/{}", "p".repeat(2100))),
        ),
        ("merchant_serial_number", json!("12345678901")),
    ];
    for (field, value) in cases {
        let response = app
            .send_json("POST", ORGS, Auth::Admin, &with(field, value))
            .await;
        assert_eq!(response.problem(400, "INVALID_INPUT")["field"], field);
    }
    assert_eq!(app.org_count().await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn nul_bytes_and_control_characters_never_reach_the_database() {
    let app = TestApp::spawn().await;
    for bad in [
        "a\u{0}b",
        "tab\there",
        "line\nbreak",
        "bell\u{7}",
        "del\u{7f}",
    ] {
        for field in ["client_id", "redirect_uri", "client_secret_ref", "org_id"] {
            let response = app
                .send_json("POST", ORGS, Auth::Admin, &with(field, json!(bad)))
                .await;
            assert_eq!(
                response.problem(400, "INVALID_INPUT")["field"],
                field,
                "{field} = {bad:?}"
            );
        }
    }
    app.create_org(&ny_klinikk()).await;
    let update = app
        .send_json(
            "PUT",
            "/api/v1/vipps-orgs/org_ny_klinikk",
            Auth::Admin,
            &json!({ "client_id": "x\u{0}" }),
        )
        .await;
    update.problem(400, "INVALID_INPUT");
    assert_eq!(
        app.get("/api/v1/vipps-orgs/org_ny_klinikk").await.json()["client_id"],
        ny_klinikk()["client_id"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn odd_path_org_ids_are_400() {
    let app = TestApp::spawn().await;
    for path in [
        "Org_Upper",
        "%FF%FE",
        "has%20space",
        "a%00b",
        "_lead",
        "%C3%A6%C3%B8%C3%A5",
        &"x".repeat(65),
    ] {
        for suffix in ["", "/status"] {
            let response = app.get(&format!("{ORGS}/{path}{suffix}")).await;
            assert_eq!(
                response.problem(400, "INVALID_INPUT")["field"],
                "org_id",
                "{path}{suffix}"
            );
        }
        let delete = app
            .request("DELETE", &format!("{ORGS}/{path}"), Auth::Admin, None, None)
            .await;
        delete.problem(400, "INVALID_INPUT");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pagination_bounds_are_enforced() {
    let app = TestApp::spawn().await;
    for (query, field) in [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=1000", "limit"),
        ("limit=", "limit"),
        ("include_disabled=maybe", "include_disabled"),
        ("environment=staging", "environment"),
    ] {
        let response = app.get(&format!("{ORGS}?{query}")).await;
        assert_eq!(
            response.problem(400, "INVALID_INPUT")["field"],
            field,
            "{query}"
        );
    }
    assert_eq!(
        app.get(&format!("{ORGS}?page=1&limit=100")).await.status,
        200
    );
    assert_eq!(
        app.get(&format!("{ORGS}?page=99999&limit=1")).await.status,
        200
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_over_the_limit_is_413() {
    let app = TestApp::spawn().await;
    let huge = with("client_id", json!("c".repeat(100 * 1024)));
    let response = app.send_json("POST", ORGS, Auth::Admin, &huge).await;
    response.problem(413, "PAYLOAD_TOO_LARGE");
    assert_eq!(app.org_count().await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn redirect_uri_rules() {
    let app = TestApp::spawn().await;
    for uri in [
        "http://ny-klinikk.no/callback",
        "http://localhost:3000/callback",
        "https://ny-klinikk.no/cb?next=/x",
        "https://ny-klinikk.no/cb#top",
        "/relative/callback",
        "javascript://alert(1)",
        "https://user:pw@ny-klinikk.no/cb",
        "myapp://",
    ] {
        let detail = refused_create(&app, &with("redirect_uri", json!(uri))).await;
        assert!(detail.starts_with("`redirect_uri`"), "{uri}: {detail}");
    }
    let test_env = org_body(
        "org_local",
        json!({ "redirect_uri": "http://127.0.0.1:8000/cb" }),
    );
    app.create_org(&test_env).await;
    let to_production = app
        .send_json(
            "PUT",
            "/api/v1/vipps-orgs/org_local",
            Auth::Admin,
            &json!({ "environment": "production" }),
        )
        .await;
    let problem = to_production.problem(400, "INVALID_INPUT");
    assert_json_snapshot!(problem, { ".instance" => "[request id]" });
    assert_eq!(
        app.get("/api/v1/vipps-orgs/org_local").await.json()["environment"],
        "test"
    );
    app.create_org(&org_body(
        "org_app",
        json!({ "redirect_uri": "no.klinikk.app:/vipps", "environment": "production" }),
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_raw_secret_is_refused_and_never_echoed() {
    let app = TestApp::spawn().await;
    let secret = "s3cr3t-Vipps-Cl1ent-Secret-value";
    for value in [
        secret.to_owned(),
        format!("https://vault.example/{secret}"),
        format!("vault://{secret}"),
    ] {
        let response = app
            .send_json(
                "POST",
                ORGS,
                Auth::Admin,
                &with("client_secret_ref", json!(value)),
            )
            .await;
        assert!(
            !response.text.contains(secret),
            "the secret was echoed: {}",
            response.text
        );
        assert_eq!(
            response.problem(400, "INVALID_INPUT")["field"],
            "client_secret_ref"
        );
    }
    let response = app
        .send_json(
            "POST",
            ORGS,
            Auth::Admin,
            &with("client_secret_ref", json!(secret)),
        )
        .await;
    let problem = response.problem(400, "INVALID_INPUT");
    assert_json_snapshot!(problem, { ".instance" => "[request id]" });
    assert_eq!(app.org_count().await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn scope_rules() {
    let app = TestApp::spawn().await;
    for (scopes, expected) in [
        (json!(["name"]), "must contain `openid`"),
        (json!(["openid", "profile"]), "unknown scope `profile`"),
        (json!(["openid", "name", "name"]), "`name` is listed twice"),
        (json!(["openid", "Email"]), "unknown scope `Email`"),
    ] {
        let detail = refused_create(&app, &with("scopes", scopes)).await;
        assert!(detail.contains(expected), "{detail}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn enum_fields_accept_only_their_values() {
    let app = TestApp::spawn().await;
    refused_create(&app, &with("environment", json!("Production"))).await;
    refused_create(&app, &with("environment", json!("staging"))).await;
    refused_create(
        &app,
        &with("token_endpoint_auth_method", json!("private_key_jwt")),
    )
    .await;
    refused_create(&app, &with("merchant_serial_number", json!("12ab"))).await;
    refused_create(&app, &with("org_id", json!("Org-With-Caps"))).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_updates_change_nothing() {
    let app = TestApp::spawn().await;
    app.create_org(&ny_klinikk()).await;
    let path = "/api/v1/vipps-orgs/org_ny_klinikk";
    let before = app.get(path).await.json();
    for body in [
        json!({}),
        json!({ "client_id": null }),
        json!({ "vipps_enabled": null }),
        json!({ "scopes": ["name"] }),
        json!({ "vipps_enabled": false, "redirect_uri": "ftp://x.no/cb" }),
        json!({ "client_secret_ref": "raw-secret" }),
    ] {
        let response = app.send_json("PUT", path, Auth::Admin, &body).await;
        response.problem(400, "INVALID_INPUT");
    }
    assert_eq!(app.get(path).await.json(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn json_arrays_are_not_objects() {
    let app = TestApp::spawn().await;
    app.create_org(&ny_klinikk()).await;
    let path = "/api/v1/vipps-orgs/org_ny_klinikk";
    let before = app.get(path).await.json();
    for body in [
        json!(["newclient"]),
        json!([]),
        json!([
            "org_x",
            "c",
            "env://X",
            "https://x.no/cb",
            ["openid"],
            "test"
        ]),
    ] {
        let update = app.send_json("PUT", path, Auth::Admin, &body).await;
        update.problem(400, "INVALID_INPUT");
        let create = app.send_json("POST", ORGS, Auth::Admin, &body).await;
        create.problem(400, "INVALID_INPUT");
    }
    assert_eq!(app.get(path).await.json(), before);
    assert_eq!(app.org_count().await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn org_ids_sort_bytewise_on_every_backend() {
    let app = TestApp::spawn().await;
    for id in ["ab", "a_b", "a1", "a-c", "a0", "a-a"] {
        app.create_org(&org_body(id, json!({}))).await;
    }
    let body = app.get(&format!("{ORGS}?limit=100")).await.json();
    let ids: Vec<&str> = body["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["org_id"].as_str())
        .collect();
    assert_eq!(ids, ["a-a", "a-c", "a0", "a1", "a_b", "ab"]);
}
