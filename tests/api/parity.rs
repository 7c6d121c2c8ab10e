//! One behaviour, two adapters: the same scenario through REST and GraphQL gives the same
//! outcome, code and reason.

use serde_json::{Value, json};

use crate::helpers::{Auth, TestApp, ny_klinikk};
use crate::orgs_graphql::{ORG_FIELDS, create_mutation, error_code, ny_klinikk_input};

/// The REST and GraphQL spelling of the same bad create input.
fn bad_inputs() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("org_id", "orgId", json!("Bad Id")),
        ("client_id", "clientId", json!("")),
        (
            "client_secret_ref",
            "clientSecretRef",
            json!("plain-secret"),
        ),
        (
            "redirect_uri",
            "redirectUri",
            json!("http://ny-klinikk.no/cb"),
        ),
        (
            "redirect_uri",
            "redirectUri",
            json!("https://ny-klinikk.no/cb?x=1"),
        ),
        ("scopes", "scopes", json!(["name"])),
        (
            "merchant_serial_number",
            "merchantSerialNumber",
            json!("12a"),
        ),
        ("client_id", "clientId", json!("nul\u{0}byte")),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_gets_the_same_code_and_reason_through_both_adapters() {
    let app = TestApp::spawn().await;
    for (rest_field, graphql_field, value) in bad_inputs() {
        let mut rest_body = ny_klinikk();
        rest_body[rest_field] = value.clone();
        let rest = app
            .send_json("POST", "/api/v1/vipps-orgs", Auth::Admin, &rest_body)
            .await;
        let problem = rest.problem(400, "INVALID_INPUT");

        let mut input = ny_klinikk_input();
        input[graphql_field] = value;
        let graphql = app
            .graphql(Auth::Admin, &create_mutation(), json!({ "input": input }))
            .await;
        assert_eq!(error_code(&graphql), "INVALID_INPUT");
        assert_eq!(graphql["errors"][0]["extensions"]["field"], graphql_field);
        assert_eq!(problem["field"], rest_field);

        let rest_detail = problem["detail"].as_str().unwrap_or_default();
        let graphql_message = graphql["errors"][0]["message"].as_str().unwrap_or_default();
        assert_eq!(
            rest_detail.replacen(&format!("`{rest_field}`"), "", 1),
            graphql_message.replacen(&format!("`{graphql_field}`"), "", 1),
            "the reasons differ"
        );
    }
    assert_eq!(app.org_count().await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn what_one_adapter_writes_the_other_reads() {
    let app = TestApp::spawn().await;
    app.create_org(&ny_klinikk()).await;
    let query = format!(r#"{{ vippsOrg(orgId: "org_ny_klinikk") {{ {ORG_FIELDS} }} }}"#);
    let graphql = app.graphql(Auth::None, &query, json!({})).await["data"]["vippsOrg"].clone();
    let rest = app.get("/api/v1/vipps-orgs/org_ny_klinikk").await.json();
    for (rest_field, graphql_field) in [
        ("org_id", "orgId"),
        ("client_id", "clientId"),
        ("client_secret_ref", "clientSecretRef"),
        ("redirect_uri", "redirectUri"),
        ("scopes", "scopes"),
        ("vipps_enabled", "vippsEnabled"),
        ("merchant_serial_number", "merchantSerialNumber"),
        ("created_at", "createdAt"),
        ("updated_at", "updatedAt"),
    ] {
        assert_eq!(rest[rest_field], graphql[graphql_field], "{rest_field}");
    }
    assert_eq!(graphql["environment"], "PRODUCTION");
    assert_eq!(graphql["tokenEndpointAuthMethod"], "CLIENT_SECRET_BASIC");

    let mut second = ny_klinikk_input();
    second["orgId"] = json!("org_from_graphql");
    second["environment"] = json!("TEST");
    second["tokenEndpointAuthMethod"] = json!("CLIENT_SECRET_POST");
    app.graphql(Auth::Admin, &create_mutation(), json!({ "input": second }))
        .await;
    let via_rest = app.get("/api/v1/vipps-orgs/org_from_graphql").await.json();
    assert_eq!(via_rest["environment"], "test");
    assert_eq!(via_rest["token_endpoint_auth_method"], "client_secret_post");

    app.graphql(
        Auth::Admin,
        r#"mutation { deleteVippsOrg(orgId: "org_from_graphql") { deleted } }"#,
        json!({}),
    )
    .await;
    app.get("/api/v1/vipps-orgs/org_from_graphql")
        .await
        .problem(404, "NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread")]
async fn conflicts_and_missing_orgs_match() {
    let app = TestApp::spawn().await;
    app.create_org(&ny_klinikk()).await;
    let rest = app
        .send_json("POST", "/api/v1/vipps-orgs", Auth::Admin, &ny_klinikk())
        .await;
    let graphql = app
        .graphql(
            Auth::Admin,
            &create_mutation(),
            json!({ "input": ny_klinikk_input() }),
        )
        .await;
    assert_eq!(
        rest.problem(409, "CONFLICT")["detail"],
        graphql["errors"][0]["message"]
    );
    assert_eq!(error_code(&graphql), "CONFLICT");

    let rest = app
        .request(
            "DELETE",
            "/api/v1/vipps-orgs/org_none",
            Auth::Admin,
            None,
            None,
        )
        .await;
    let graphql = app
        .graphql(
            Auth::Admin,
            r#"mutation { deleteVippsOrg(orgId: "org_none") { deleted } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        rest.problem(404, "NOT_FOUND")["detail"],
        graphql["errors"][0]["message"]
    );
}
