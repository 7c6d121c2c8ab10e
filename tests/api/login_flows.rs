//! Several redirect URIs per organization and Vipps' login flows: what the authorize URL
//! carries for each, which combinations are refused, and that the code exchange sends the
//! redirect URI the login chose.

use std::collections::HashMap;

use serde_json::{Value, json};
use vipps_identity::mock_vipps::Endpoint;

use crate::helpers::{Auth, TestApp, org_body};
use crate::rig::{LoginRig, ORG_ID, REDIRECT_URI, RigOptions, START, error_code};

/// An app's own callback, registered at the mock and as the org's additional redirect URI.
const APP_URI: &str = "no.rig.app://vipps-callback";
/// A second web callback, registered at the mock and at the org.
const WEB_URI: &str = "https://rig.example.no/vipps/callback";

async fn rig_with_uris(extra_org: Value) -> LoginRig {
    let mut org = json!({ "additional_redirect_uris": [APP_URI, WEB_URI] });
    if let (Some(org), Some(extra)) = (org.as_object_mut(), extra_org.as_object()) {
        org.extend(extra.clone());
    }
    LoginRig::with(RigOptions {
        org,
        mock_redirect_uris: vec![APP_URI.to_owned(), WEB_URI.to_owned()],
        ..RigOptions::default()
    })
    .await
}

/// `startVippsLogin` with `extra` merged into the input; the whole response body.
async fn start_with(rig: &LoginRig, extra: Value) -> Value {
    let mut input = json!({ "orgId": ORG_ID, "nextRelativeUrl": "/after" });
    if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
        input.extend(extra.clone());
    }
    rig.app
        .graphql(Auth::None, START, json!({ "input": input }))
        .await
}

/// Starts a login that must succeed; returns the start answer.
async fn started(rig: &LoginRig, extra: Value) -> Value {
    let body = start_with(rig, extra).await;
    assert!(body["errors"].is_null(), "start failed: {body}");
    let started = body["data"]["startVippsLogin"].clone();
    rig.remember(&started);
    started
}

fn query_of(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .expect("url")
        .query_pairs()
        .into_owned()
        .collect()
}

/// The parameters of the last authorize request the mock received.
fn last_authorize(rig: &LoginRig) -> HashMap<String, String> {
    let request = rig
        .mock
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.endpoint == Endpoint::Authorize)
        .expect("an authorize request");
    url::form_urlencoded::parse(request.query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// The form fields of the last token request the mock received.
fn last_token_form(rig: &LoginRig) -> HashMap<String, String> {
    let request = rig
        .mock
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.endpoint == Endpoint::Token)
        .expect("a token request");
    url::form_urlencoded::parse(request.body.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn orgs_keep_additional_redirect_uris_through_rest_and_graphql() {
    let app = TestApp::spawn().await;
    let created = app
        .send_json(
            "POST",
            "/api/v1/vipps-orgs",
            Auth::Admin,
            &org_body(
                "org_multi",
                json!({ "additional_redirect_uris": [APP_URI] }),
            ),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let got = app.get("/api/v1/vipps-orgs/org_multi").await.json();
    assert_eq!(got["additional_redirect_uris"], json!([APP_URI]));

    let updated = app
        .send_json(
            "PUT",
            "/api/v1/vipps-orgs/org_multi",
            Auth::Admin,
            &json!({ "additional_redirect_uris": [WEB_URI, APP_URI] }),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    let updated = updated.json();
    assert_eq!(
        updated["additional_redirect_uris"],
        json!([WEB_URI, APP_URI])
    );
    assert!(updated.get("redirect_uri").is_none(), "{updated}");

    let read = app
        .graphql(
            Auth::None,
            r#"{ vippsOrg(orgId: "org_multi") { redirectUri additionalRedirectUris } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        read["data"]["vippsOrg"]["additionalRedirectUris"],
        json!([WEB_URI, APP_URI])
    );

    let cleared = app
        .graphql(
            Auth::Admin,
            r#"mutation { updateVippsOrg(orgId: "org_multi", input: {additionalRedirectUris: []}) { additionalRedirectUris } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        cleared["data"]["updateVippsOrg"]["additionalRedirectUris"],
        json!([])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn additional_redirect_uris_follow_the_redirect_uri_rules() {
    let app = TestApp::spawn().await;
    let default_uri = "https://org-bad.example.no/vipps/callback";
    for bad in [
        json!(["https://x.example.no/cb?a=1"]),
        json!(["http://evil.example/cb"]),
        json!(["javascript://alert(1)"]),
        json!([APP_URI, APP_URI]),
        json!([default_uri]),
    ] {
        let response = app
            .send_json(
                "POST",
                "/api/v1/vipps-orgs",
                Auth::Admin,
                &org_body("org_bad", json!({ "additional_redirect_uris": bad })),
            )
            .await;
        let problem = response.problem(400, "INVALID_INPUT");
        assert_eq!(problem["field"], "additional_redirect_uris", "{bad}");
    }
    let production = app
        .send_json(
            "POST",
            "/api/v1/vipps-orgs",
            Auth::Admin,
            &org_body(
                "org_bad",
                json!({ "environment": "production", "additional_redirect_uris": ["http://localhost:3000/cb"] }),
            ),
        )
        .await;
    assert_eq!(
        production.problem(400, "INVALID_INPUT")["field"],
        "additional_redirect_uris"
    );
    let graphql = app
        .graphql(
            Auth::Admin,
            r#"mutation { createVippsOrg(input: {orgId: "org_bad", clientId: "c", clientSecretRef: "env://SECRET_X",
                redirectUri: "https://x.example.no/cb", additionalRedirectUris: ["myapp://"],
                scopes: ["openid"], environment: TEST}) { orgId } }"#,
            json!({}),
        )
        .await;
    assert_eq!(graphql["errors"][0]["extensions"]["code"], "INVALID_INPUT");
    assert_eq!(
        graphql["errors"][0]["extensions"]["field"],
        "additionalRedirectUris"
    );
    assert_eq!(app.org_count().await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_through_an_additional_redirect_uri_exchanges_with_it_and_finds_the_same_user() {
    let rig = rig_with_uris(json!({})).await;

    let web = rig.approved_redirect().await;
    let web_login = rig.callback(&web).await;
    assert_eq!(web_login.status, 200, "{}", web_login.text);
    assert_eq!(last_token_form(&rig)["redirect_uri"], REDIRECT_URI);

    let app_start = started(
        &rig,
        json!({ "redirectUri": APP_URI, "flow": "APP_TO_APP" }),
    )
    .await;
    let authorization_url = app_start["authorizationUrl"].as_str().expect("url");
    assert_eq!(query_of(authorization_url)["redirect_uri"], APP_URI);
    let app_redirect = rig.authorize_to(authorization_url, APP_URI).await;
    let app_login = rig.callback(&app_redirect).await;
    assert_eq!(app_login.status, 200, "{}", app_login.text);
    assert_eq!(last_token_form(&rig)["redirect_uri"], APP_URI);

    assert_eq!(
        web_login.json()["userId"],
        app_login.json()["userId"],
        "web and app logins of one person land on one user"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn start_refuses_a_redirect_uri_the_org_does_not_have() {
    let rig = rig_with_uris(json!({})).await;
    for unlisted in [
        "https://evil.example/cb",
        "https://rig.example.no/vipps/callback/",
        "HTTPS://rig.example.no/vipps/callback",
        "not a uri",
    ] {
        let body = start_with(&rig, json!({ "redirectUri": unlisted })).await;
        assert_eq!(error_code(&body), "INVALID_INPUT", "{unlisted}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "redirectUri");
    }
    let rest = rig
        .app
        .get(&format!(
            "/vipps/login/start?orgId={ORG_ID}&redirectUri=https%3A%2F%2Fevil.example%2Fcb"
        ))
        .await;
    assert_eq!(rest.problem(400, "INVALID_INPUT")["field"], "redirectUri");
    assert_eq!(rig.mock.request_count(Endpoint::Authorize), 0);

    let listed = rig
        .app
        .get(&format!(
            "/vipps/login/start?orgId={ORG_ID}&redirectUri={}",
            url::form_urlencoded::byte_serialize(WEB_URI.as_bytes()).collect::<String>()
        ))
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let url = listed.json()["authorizationUrl"]
        .as_str()
        .expect("url")
        .to_owned();
    assert_eq!(query_of(&url)["redirect_uri"], WEB_URI);
}

#[tokio::test(flavor = "multi_thread")]
async fn each_flow_sends_the_documented_authorize_parameters() {
    let rig = rig_with_uris(json!({})).await;
    let cases: [(Value, &str, Option<&str>, Option<&str>); 4] = [
        (json!({}), REDIRECT_URI, None, None),
        (
            json!({ "redirectUri": APP_URI }),
            APP_URI,
            None,
            Some("true"),
        ),
        (
            json!({ "flow": "APP_TO_APP", "redirectUri": APP_URI }),
            APP_URI,
            Some("app_to_app_v2"),
            Some("true"),
        ),
        (
            json!({ "flow": "AUTOMATIC_RETURN", "redirectUri": WEB_URI }),
            WEB_URI,
            Some("automatic_return_from_vipps_app"),
            None,
        ),
    ];
    for (input, redirect_uri, requested_flow, final_redirect_is_app) in cases {
        let start = started(&rig, input.clone()).await;
        let redirect = rig
            .authorize_to(
                start["authorizationUrl"].as_str().expect("url"),
                redirect_uri,
            )
            .await;
        assert!(redirect.contains_key("code"), "{input}: {redirect:?}");
        let recorded = last_authorize(&rig);
        assert_eq!(recorded["redirect_uri"], redirect_uri, "{input}");
        assert_eq!(recorded["code_challenge_method"], "S256", "{input}");
        assert_eq!(
            recorded.get("requested_flow").map(String::as_str),
            requested_flow,
            "{input}"
        );
        assert_eq!(
            recorded.get("final_redirect_is_app").map(String::as_str),
            final_redirect_is_app,
            "{input}"
        );
        assert!(!recorded.contains_key("app_callback_uri"), "{input}");
    }

    let rest = rig
        .app
        .get(&format!(
            "/vipps/login/start?orgId={ORG_ID}&flow=AUTOMATIC_RETURN&redirectUri={}&redirect=true",
            url::form_urlencoded::byte_serialize(WEB_URI.as_bytes()).collect::<String>()
        ))
        .await;
    assert_eq!(rest.status, 302, "{}", rest.text);
    let location = query_of(rest.header("location").expect("location"));
    assert_eq!(
        location["requested_flow"],
        "automatic_return_from_vipps_app"
    );
    assert_eq!(location["redirect_uri"], WEB_URI);
}

#[tokio::test(flavor = "multi_thread")]
async fn flows_refuse_redirect_uris_they_cannot_return_through() {
    let rig = rig_with_uris(json!({})).await;
    for input in [
        json!({ "flow": "APP_TO_APP" }),
        json!({ "flow": "APP_TO_APP", "redirectUri": WEB_URI }),
        json!({ "flow": "AUTOMATIC_RETURN", "redirectUri": APP_URI }),
    ] {
        let body = start_with(&rig, input.clone()).await;
        assert_eq!(error_code(&body), "INVALID_INPUT", "{input}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "flow", "{input}");
    }
    let unknown = start_with(&rig, json!({ "flow": "APP_TO_WEB" })).await;
    assert!(unknown["errors"][0]["message"].is_string(), "{unknown}");

    let rest = |query: String| {
        let rig = &rig;
        async move {
            rig.app
                .get(&format!("/vipps/login/start?orgId={ORG_ID}&{query}"))
                .await
        }
    };
    let app_to_app = rest("flow=APP_TO_APP".to_owned()).await;
    assert_eq!(app_to_app.problem(400, "INVALID_INPUT")["field"], "flow");
    let app_uri: String = url::form_urlencoded::byte_serialize(APP_URI.as_bytes()).collect();
    let automatic = rest(format!("flow=AUTOMATIC_RETURN&redirectUri={app_uri}")).await;
    assert_eq!(automatic.problem(400, "INVALID_INPUT")["field"], "flow");
    let unknown = rest("flow=app_to_web".to_owned()).await;
    assert_eq!(unknown.problem(400, "INVALID_INPUT")["field"], "flow");
    assert_eq!(rig.mock.request_count(Endpoint::Authorize), 0);
    assert_eq!(rig.mock.request_count(Endpoint::Discovery), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn automatic_return_keeps_the_binding_unless_the_org_waives_it() {
    let bound = rig_with_uris(json!({})).await;
    let start = started(&bound, json!({ "flow": "AUTOMATIC_RETURN" })).await;
    let redirect = bound
        .authorize(start["authorizationUrl"].as_str().expect("url"))
        .await;
    bound
        .callback_unbound(&redirect)
        .await
        .problem(422, "LOGIN_NOT_BOUND");
    let completed = bound.callback(&redirect).await;
    assert_eq!(completed.status, 200, "{}", completed.text);

    let unbound = rig_with_uris(json!({ "allow_unbound_completion": true })).await;
    let start = started(&unbound, json!({ "flow": "AUTOMATIC_RETURN" })).await;
    let redirect = unbound
        .authorize(start["authorizationUrl"].as_str().expect("url"))
        .await;
    let other_browser = unbound.callback_unbound(&redirect).await;
    assert_eq!(other_browser.status, 200, "{}", other_browser.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_mock_refuses_unknown_flows_and_app_to_app_without_s256() {
    let rig = rig_with_uris(json!({})).await;
    let start = started(&rig, json!({})).await;
    let url = start["authorizationUrl"].as_str().expect("url");

    let unknown = rig
        .authorize(&format!("{url}&requested_flow=app_to_web"))
        .await;
    assert_eq!(unknown["error"], "invalid_request");

    let plain = url.replace("code_challenge_method=S256", "code_challenge_method=plain");
    let without_s256 = rig
        .authorize(&format!("{plain}&requested_flow=app_to_app_v2"))
        .await;
    assert_eq!(without_s256["error"], "invalid_request");
    assert!(
        without_s256["error_description"].contains("S256"),
        "{without_s256:?}"
    );

    let bad_flag = rig
        .authorize(&format!("{url}&final_redirect_is_app=yes"))
        .await;
    assert_eq!(bad_flag["error"], "invalid_request");
}
