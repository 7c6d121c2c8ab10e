//! The six org operations through GraphQL, as a frontend or GraphiQL user sends them.

use insta::assert_json_snapshot;
use serde_json::{Value, json};

use crate::helpers::{Auth, TestApp, timestamp};

pub const ORG_FIELDS: &str = "orgId clientId clientSecretRef redirectUri scopes vippsEnabled environment \
    tokenEndpointAuthMethod merchantSerialNumber createdAt updatedAt";

pub fn create_mutation() -> String {
    format!(
        "mutation Create($input: CreateVippsOrgInput!) {{ createVippsOrg(input: $input) {{ {ORG_FIELDS} }} }}"
    )
}

pub fn ny_klinikk_input() -> Value {
    json!({
        "orgId": "org_ny_klinikk",
        "clientId": "fb492b5e-7907-4d83-ba20-c7fb60ca35de",
        "clientSecretRef": "vault://vipps/ny_klinikk/client_secret",
        "redirectUri": "https://ny-klinikk.no/auth/vipps/callback",
        "scopes": ["openid", "name", "phoneNumber"],
        "environment": "PRODUCTION"
    })
}

fn input(org_id: &str, environment: &str, enabled: bool) -> Value {
    json!({
        "orgId": org_id,
        "clientId": format!("client-{org_id}"),
        "clientSecretRef": "env://VIPPS_SECRET",
        "redirectUri": "myapp://vipps-callback",
        "scopes": ["openid"],
        "environment": environment,
        "vippsEnabled": enabled
    })
}

async fn create(app: &TestApp, input: Value) -> Value {
    let body = app
        .graphql(Auth::Admin, &create_mutation(), json!({ "input": input }))
        .await;
    assert!(body.get("errors").is_none(), "create failed: {body}");
    body
}

/// The `extensions.code` of the first error.
#[track_caller]
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code: {body}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn create_returns_the_whole_org() {
    let app = TestApp::spawn().await;
    let body = create(&app, ny_klinikk_input()).await;
    assert_json_snapshot!(body, {
        ".data.createVippsOrg.createdAt" => timestamp(),
        ".data.createVippsOrg.updatedAt" => timestamp(),
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn vipps_org_reads_it_back_and_is_null_when_absent() {
    let app = TestApp::spawn().await;
    create(&app, ny_klinikk_input()).await;
    let query = format!(
        r#"{{ found: vippsOrg(orgId: "org_ny_klinikk") {{ {ORG_FIELDS} }} missing: vippsOrg(orgId: "org_none") {{ orgId }} }}"#
    );
    let body = app.graphql(Auth::None, &query, json!({})).await;
    assert_json_snapshot!(body, {
        ".data.found.createdAt" => timestamp(),
        ".data.found.updatedAt" => timestamp(),
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn vipps_orgs_pages_and_filters() {
    let app = TestApp::spawn().await;
    create(&app, input("org_b", "TEST", true)).await;
    create(&app, input("org_a", "PRODUCTION", true)).await;
    create(&app, input("org_c", "TEST", false)).await;

    let query = "query($page: Int!, $limit: Int!, $all: Boolean!, $env: VippsEnvironment) {
        vippsOrgs(page: $page, limit: $limit, includeDisabled: $all, environment: $env) {
            items { orgId vippsEnabled environment } pagination { page limit total } } }";
    let enabled = app
        .graphql(
            Auth::None,
            query,
            json!({ "page": 1, "limit": 20, "all": false }),
        )
        .await;
    assert_json_snapshot!(enabled);

    let page_two = app
        .graphql(
            Auth::None,
            query,
            json!({ "page": 2, "limit": 2, "all": true }),
        )
        .await;
    assert_eq!(
        page_two["data"]["vippsOrgs"]["items"],
        json!([{ "orgId": "org_c", "vippsEnabled": false, "environment": "TEST" }])
    );
    assert_eq!(
        page_two["data"]["vippsOrgs"]["pagination"],
        json!({ "page": 2, "limit": 2, "total": 3 })
    );

    let test_only = app
        .graphql(
            Auth::None,
            query,
            json!({ "page": 1, "limit": 20, "all": true, "env": "TEST" }),
        )
        .await;
    assert_eq!(test_only["data"]["vippsOrgs"]["pagination"]["total"], 2);

    let defaults = app
        .graphql(
            Auth::None,
            "{ vippsOrgs { pagination { page limit total } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        defaults["data"]["vippsOrgs"]["pagination"],
        json!({ "page": 1, "limit": 20, "total": 2 })
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn update_is_partial_and_can_clear_the_msn() {
    let app = TestApp::spawn().await;
    let mut org = ny_klinikk_input();
    org["merchantSerialNumber"] = json!("123456");
    create(&app, org).await;
    let mutation = format!(
        "mutation($id: String!, $input: UpdateVippsOrgInput!) {{ updateVippsOrg(orgId: $id, input: $input) {{ {ORG_FIELDS} }} }}"
    );
    let body = app
        .graphql(
            Auth::Admin,
            &mutation,
            json!({ "id": "org_ny_klinikk", "input": { "vippsEnabled": false, "merchantSerialNumber": null, "tokenEndpointAuthMethod": "CLIENT_SECRET_POST" } }),
        )
        .await;
    assert_json_snapshot!(body, {
        ".data.updateVippsOrg.createdAt" => timestamp(),
        ".data.updateVippsOrg.updatedAt" => timestamp(),
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_frees_the_org_id() {
    let app = TestApp::spawn().await;
    create(&app, ny_klinikk_input()).await;
    let delete =
        r#"mutation { deleteVippsOrg(orgId: "org_ny_klinikk") { orgId deleted deletedAt } }"#;
    let body = app.graphql(Auth::Admin, delete, json!({})).await;
    assert_json_snapshot!(body, { ".data.deleteVippsOrg.deletedAt" => timestamp() });

    let gone = app.graphql(Auth::None, r#"{ vippsOrg(orgId: "org_ny_klinikk") { orgId } vippsOrgStatus(orgId: "org_ny_klinikk") { orgId } }"#, json!({})).await;
    assert_eq!(
        gone,
        json!({ "data": { "vippsOrg": null, "vippsOrgStatus": null } })
    );

    let again = app.graphql(Auth::Admin, delete, json!({})).await;
    assert_eq!(error_code(&again), "NOT_FOUND");
    create(&app, ny_klinikk_input()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn status_answers_the_four_fields() {
    let app = TestApp::spawn().await;
    create(&app, ny_klinikk_input()).await;
    let body = app
        .graphql(Auth::None, r#"{ vippsOrgStatus(orgId: "org_ny_klinikk") { orgId vippsEnabled clientId environment } }"#, json!({}))
        .await;
    assert_json_snapshot!(body);
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_carry_a_code_and_the_camel_case_field() {
    let app = TestApp::spawn().await;
    let mut bad = ny_klinikk_input();
    bad["redirectUri"] = json!("http://ny-klinikk.no/callback");
    let body = app
        .graphql(Auth::Admin, &create_mutation(), json!({ "input": bad }))
        .await;
    assert_json_snapshot!(body);
    assert_eq!(app.org_count().await, 0);

    create(&app, ny_klinikk_input()).await;
    let duplicate = app
        .graphql(
            Auth::Admin,
            &create_mutation(),
            json!({ "input": ny_klinikk_input() }),
        )
        .await;
    assert_eq!(error_code(&duplicate), "CONFLICT");

    let update_missing = app
        .graphql(Auth::Admin, r#"mutation { updateVippsOrg(orgId: "org_none", input: { vippsEnabled: false }) { orgId } }"#, json!({}))
        .await;
    assert_eq!(error_code(&update_missing), "NOT_FOUND");

    let bad_id = app
        .graphql(
            Auth::None,
            r#"{ vippsOrg(orgId: "Not Valid") { orgId } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&bad_id), "INVALID_INPUT");
    assert_eq!(bad_id["errors"][0]["extensions"]["field"], "orgId");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_arguments_are_invalid_input_and_change_nothing() {
    let app = TestApp::spawn().await;
    create(&app, ny_klinikk_input()).await;
    for (query, field) in [
        ("{ vippsOrgs(page: 0) { pagination { total } } }", "page"),
        (
            "{ vippsOrgs(limit: 1000) { pagination { total } } }",
            "limit",
        ),
        ("{ vippsOrgs(limit: 0) { pagination { total } } }", "limit"),
        (
            r#"mutation { updateVippsOrg(orgId: "org_ny_klinikk", input: { vippsEnabled: null }) { orgId } }"#,
            "vippsEnabled",
        ),
        (
            r#"mutation { updateVippsOrg(orgId: "org_ny_klinikk", input: { clientId: "" }) { orgId } }"#,
            "clientId",
        ),
        (
            r#"mutation { updateVippsOrg(orgId: "org_ny_klinikk", input: { scopes: ["openid", "openid"] }) { orgId } }"#,
            "scopes",
        ),
        (
            r#"mutation { updateVippsOrg(orgId: "org_ny_klinikk", input: { redirectUri: "http://localhost/cb" }) { orgId } }"#,
            "redirectUri",
        ),
        (
            r#"mutation { updateVippsOrg(orgId: "org_ny_klinikk", input: { environment: TEST, redirectUri: "http://localhost/cb" }) { orgId } }"#,
            "none",
        ),
        (
            r#"mutation { deleteVippsOrg(orgId: "../etc") { orgId } }"#,
            "orgId",
        ),
    ] {
        let body = app.graphql(Auth::Admin, query, json!({})).await;
        if field == "none" {
            assert!(
                body.get("errors").is_none(),
                "test + localhost is allowed: {body}"
            );
            continue;
        }
        assert_eq!(error_code(&body), "INVALID_INPUT", "{query}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["field"], field,
            "{query}: {body}"
        );
    }
    let empty = app
        .graphql(
            Auth::Admin,
            r#"mutation { updateVippsOrg(orgId: "org_ny_klinikk", input: {}) { orgId } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&empty), "INVALID_INPUT");
    let status = app.get("/api/v1/vipps-orgs/org_ny_klinikk").await.json();
    assert_eq!(status["vipps_enabled"], true);
    assert_eq!(status["environment"], "test");
}

#[tokio::test(flavor = "multi_thread")]
async fn schema_level_mistakes_are_errors_not_failures() {
    let app = TestApp::spawn().await;
    for (query, variables) in [
        (
            "query($p: Int!) { vippsOrgs(page: $p) { pagination { total } } }",
            json!({ "p": "one" }),
        ),
        ("{ vippsOrgs { nope } }", json!({})),
        ("{ vippsOrg }", json!({})),
        (
            "mutation { createVippsOrg(input: { orgId: \"a\" }) { orgId } }",
            json!({}),
        ),
        (
            "{ vippsOrgs(page: 99999999999) { pagination { total } } }",
            json!({}),
        ),
        ("{", json!({})),
    ] {
        let body = app.graphql(Auth::Admin, query, variables).await;
        assert!(body["data"].is_null(), "{query}: {body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{query}: {body}"
        );
    }
    assert_eq!(app.org_count().await, 0);
}
