//! GraphQL over HTTP: content types, request-level errors, batches, GET, and the limits
//! that refuse hostile documents before they run.

use insta::assert_json_snapshot;
use serde_json::{Value, json};

use crate::helpers::{Auth, TestApp, ny_klinikk};
use crate::orgs_graphql::error_code;

/// Asserts a request-level failure: this status, a JSON `{"errors":[…]}` body, this code.
#[track_caller]
fn request_error(response: &crate::helpers::TestResponse, status: u16, code: &str) -> Value {
    assert_eq!(response.status, status, "{}", response.text);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let body = response.json();
    assert_eq!(body["errors"][0]["extensions"]["code"], code, "{body}");
    assert!(body["errors"][0]["message"].is_string(), "{body}");
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn only_json_bodies_are_accepted() {
    let app = TestApp::spawn().await;
    let query = br#"{"query":"{ vippsOrgs { pagination { total } } }"}"#.to_vec();
    for content_type in [Some("text/plain"), Some("application/graphql"), None] {
        let response = app
            .request(
                "POST",
                "/graphql",
                Auth::None,
                content_type,
                Some(query.clone()),
            )
            .await;
        request_error(&response, 415, "UNSUPPORTED_MEDIA_TYPE");
    }
    let ok = app
        .request(
            "POST",
            "/graphql",
            Auth::None,
            Some("application/json"),
            Some(query),
        )
        .await;
    assert_eq!(
        ok.json(),
        json!({ "data": { "vippsOrgs": { "pagination": { "total": 0 } } } })
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn request_level_failures_are_400_with_graphql_errors() {
    let app = TestApp::spawn().await;
    let cases: [(&[u8], &str); 7] = [
        (b"{not json", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"{}", "no `query`"),
        (br#"{"query": 42}"#, "`query` must be a string"),
        (br#"{"query": null}"#, "`query` must be a string"),
        (
            br#"{"query": "{ __typename }", "variables": "nope"}"#,
            "GraphQL request shape",
        ),
        (b"\"just a string\"", "JSON object"),
    ];
    for (body, expected) in cases {
        let response = app
            .request(
                "POST",
                "/graphql",
                Auth::None,
                Some("application/json"),
                Some(body.to_vec()),
            )
            .await;
        let errors = request_error(&response, 400, "INVALID_INPUT");
        let message = errors["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{message}");
    }
    let response = app
        .request(
            "POST",
            "/graphql",
            Auth::None,
            Some("application/json"),
            Some(b"{}".to_vec()),
        )
        .await;
    assert_json_snapshot!(response.json());
}

#[tokio::test(flavor = "multi_thread")]
async fn batches_run_up_to_ten_operations() {
    let app = TestApp::spawn().await;
    let one = json!({ "query": "{ __typename }" });
    let batch = app
        .send_json("POST", "/graphql", Auth::None, &json!([one, one]))
        .await;
    assert_eq!(
        batch.json(),
        json!([{ "data": { "__typename": "Query" } }, { "data": { "__typename": "Query" } }])
    );
    let ten = app
        .send_json(
            "POST",
            "/graphql",
            Auth::None,
            &Value::Array(vec![one.clone(); 10]),
        )
        .await;
    assert_eq!(ten.json().as_array().map(Vec::len), Some(10));
    let eleven = app
        .send_json(
            "POST",
            "/graphql",
            Auth::None,
            &Value::Array(vec![one.clone(); 11]),
        )
        .await;
    request_error(&eleven, 400, "INVALID_INPUT");
    let empty = app
        .send_json("POST", "/graphql", Auth::None, &json!([]))
        .await;
    request_error(&empty, 400, "INVALID_INPUT");
}

#[tokio::test(flavor = "multi_thread")]
async fn get_runs_queries_but_not_mutations() {
    let app = TestApp::spawn().await;
    app.create_org(&ny_klinikk()).await;
    let query = app.get("/graphql?query=%7B%20vippsOrg(orgId%3A%20%22org_ny_klinikk%22)%20%7B%20orgId%20%7D%20%7D").await;
    assert_eq!(query.status, 200);
    assert_eq!(
        query.json(),
        json!({ "data": { "vippsOrg": { "orgId": "org_ny_klinikk" } } })
    );

    let mutation = "mutation%20%7B%20deleteVippsOrg(orgId%3A%20%22org_ny_klinikk%22)%20%7B%20orgId%20%7D%20%7D";
    let refused = app
        .request(
            "GET",
            &format!("/graphql?query={mutation}"),
            Auth::Admin,
            None,
            None,
        )
        .await;
    request_error(&refused, 405, "METHOD_NOT_ALLOWED");
    assert_eq!(refused.header("allow"), Some("POST"));
    assert_eq!(app.org_count().await, 1);

    let document = "query%20Q%20%7B%20__typename%20%7D%20mutation%20M%20%7B%20deleteVippsOrg(orgId%3A%20%22org_ny_klinikk%22)%20%7B%20orgId%20%7D%20%7D";
    let chosen_query = app
        .request(
            "GET",
            &format!("/graphql?query={document}&operationName=Q"),
            Auth::Admin,
            None,
            None,
        )
        .await;
    assert_eq!(
        chosen_query.json(),
        json!({ "data": { "__typename": "Query" } })
    );
    let chosen_mutation = app
        .request(
            "GET",
            &format!("/graphql?query={document}&operationName=M"),
            Auth::Admin,
            None,
            None,
        )
        .await;
    request_error(&chosen_mutation, 405, "METHOD_NOT_ALLOWED");
    assert_eq!(app.org_count().await, 1);

    let with_variables = app
        .get("/graphql?query=query(%24id%3A%20String!)%20%7B%20vippsOrgStatus(orgId%3A%20%24id)%20%7B%20vippsEnabled%20%7D%20%7D&variables=%7B%22id%22%3A%22org_ny_klinikk%22%7D")
        .await;
    assert_eq!(
        with_variables.json(),
        json!({ "data": { "vippsOrgStatus": { "vippsEnabled": true } } })
    );

    request_error(&app.get("/graphql").await, 400, "INVALID_INPUT");
    request_error(
        &app.get("/graphql?query=%7B__typename%7D&variables=not-json")
            .await,
        400,
        "INVALID_INPUT",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn graphiqls_introspection_query_passes_the_limits() {
    let app = TestApp::spawn().await;
    let query = include_str!("fixtures/introspection.graphql");
    let body = app.graphql(Auth::None, query, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test(flavor = "multi_thread")]
async fn too_deep_documents_are_refused() {
    let app = TestApp::spawn().await;
    let mut selection = "name".to_owned();
    for _ in 0..16 {
        selection = format!("ofType {{ {selection} }}");
    }
    let query = format!("{{ __schema {{ types {{ fields {{ type {{ {selection} }} }} }} }} }}");
    let body = app.graphql(Auth::None, &query, json!({})).await;
    assert!(body["data"].is_null(), "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("nested too deep"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn too_complex_documents_are_refused() {
    let app = TestApp::spawn().await;
    let fields = "items { orgId clientId clientSecretRef redirectUri scopes vippsEnabled environment createdAt updatedAt } pagination { page limit total }";
    let aliases: Vec<String> = (0..20)
        .map(|i| format!("a{i}: vippsOrgs(limit: 100) {{ {fields} }}"))
        .collect();
    let body = app
        .graphql(
            Auth::None,
            &format!("{{ {} }}", aliases.join(" ")),
            json!({}),
        )
        .await;
    assert!(body["data"].is_null(), "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("too complex"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn too_many_aliases_are_refused() {
    let app = TestApp::spawn().await;
    let aliases: Vec<String> = (0..31).map(|i| format!("t{i}: __typename")).collect();
    let body = app
        .graphql(
            Auth::None,
            &format!("{{ {} }}", aliases.join(" ")),
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "INVALID_INPUT");
    assert!(body["data"].is_null(), "{body}");
    let thirty: Vec<String> = (0..30).map(|i| format!("t{i}: __typename")).collect();
    let ok = app
        .graphql(
            Auth::None,
            &format!("{{ {} }}", thirty.join(" ")),
            json!({}),
        )
        .await;
    assert_eq!(ok["data"]["t29"], "Query");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_over_the_limit_is_413() {
    let app = TestApp::spawn().await;
    let padding = " ".repeat(100 * 1024);
    let body = json!({ "query": format!("{{ __typename {padding} }}") });
    let response = app.send_json("POST", "/graphql", Auth::None, &body).await;
    request_error(&response, 413, "PAYLOAD_TOO_LARGE");
}

#[tokio::test(flavor = "multi_thread")]
async fn introspection_stays_on() {
    let app = TestApp::spawn().await;
    let body = app
        .graphql(
            Auth::None,
            "{ __schema { queryType { name } mutationType { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body,
        json!({ "data": { "__schema": { "queryType": { "name": "Query" }, "mutationType": { "name": "Mutation" } } } })
    );
    let described = app
        .graphql(
            Auth::None,
            r#"{ __type(name: "VippsOrg") { description fields { name description } } }"#,
            json!({}),
        )
        .await;
    let fields = described["data"]["__type"]["fields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!fields.is_empty());
    for field in fields {
        assert!(
            field["description"].as_str().is_some_and(|d| !d.is_empty()),
            "undocumented field: {field}"
        );
    }
}
