//! The server keeps parsed documents by query text. A document answered from that cache
//! must be treated exactly as a freshly parsed one: every limit checked, the variables of
//! each request validated, a mutation still refused over GET.

use serde_json::json;

use crate::helpers::{Auth, TestApp, org_body};
use crate::orgs_graphql::error_code;

#[tokio::test(flavor = "multi_thread")]
async fn a_document_seen_before_is_checked_against_every_limit_again() {
    let app = TestApp::spawn().await;
    let aliases: Vec<String> = (0..31).map(|i| format!("t{i}: __typename")).collect();
    let too_many_aliases = format!("{{ {} }}", aliases.join(" "));
    let mut selection = "name".to_owned();
    for _ in 0..16 {
        selection = format!("ofType {{ {selection} }}");
    }
    let too_deep = format!("{{ __schema {{ types {{ fields {{ type {{ {selection} }} }} }} }} }}");
    for query in [too_many_aliases, too_deep] {
        let first = app.graphql(Auth::None, &query, json!({})).await;
        assert_eq!(error_code(&first), "INVALID_INPUT", "{first}");
        for _ in 0..3 {
            let again = app.graphql(Auth::None, &query, json!({})).await;
            assert_eq!(again, first, "the same refusal every time");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_document_seen_before_is_validated_against_each_requests_variables() {
    let app = TestApp::spawn().await;
    app.create_org(&org_body("org_docs", json!({}))).await;
    let query = "query($orgId: String!) { vippsOrgStatus(orgId: $orgId) { orgId } }";
    let found = app
        .graphql(Auth::None, query, json!({ "orgId": "org_docs" }))
        .await;
    assert_eq!(
        found["data"]["vippsOrgStatus"]["orgId"], "org_docs",
        "{found}"
    );
    for variables in [json!({}), json!({ "orgId": 5 }), json!({ "orgId": null })] {
        let refused = app.graphql(Auth::None, query, variables.clone()).await;
        assert!(
            refused["errors"][0]["message"].is_string(),
            "{variables}: {refused}"
        );
        assert!(refused["data"].is_null(), "{variables}: {refused}");
    }
    let again = app
        .graphql(Auth::None, query, json!({ "orgId": "org_docs" }))
        .await;
    assert_eq!(again, found);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mutation_seen_through_post_is_still_refused_over_get() {
    let app = TestApp::spawn().await;
    let mutation = "mutation { logout { loggedOut } }";
    let posted = app.graphql(Auth::None, mutation, json!({})).await;
    assert_eq!(error_code(&posted), "UNAUTHENTICATED", "{posted}");
    let query: String = url::form_urlencoded::byte_serialize(mutation.as_bytes()).collect();
    let over_get = app.get(&format!("/graphql?query={query}")).await;
    assert_eq!(over_get.status, 405, "{}", over_get.text);
}
