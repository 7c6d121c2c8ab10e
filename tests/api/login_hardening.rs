//! Smaller holes closed in the login: `at_hash`, the ID token's `sid`, size caps on every
//! answer from the provider, and `nextRelativeUrl` tricks that survive normalization.

use serde_json::json;
use vipps_identity::mock_vipps::{Endpoint, Fault, IdTokenForgery};

use crate::helpers::Auth;
use crate::login_secrets::captured_logs;
use crate::rig::{LoginRig, ORG_ID, START, error_code};

/// Padding that pushes any answer over the server's 1 MiB cap.
const OVER_CAP: usize = 2 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_at_hash_is_id_token_invalid_and_a_missing_one_is_accepted() {
    let rig = LoginRig::new().await;
    let redirect = rig.approved_redirect().await;
    rig.mock.inject(Fault::IdToken(IdTokenForgery::WrongAtHash));
    let body = rig.complete(&redirect).await;
    assert_eq!(error_code(&body), "ID_TOKEN_INVALID", "{body}");

    rig.mock.clear_faults();
    let redirect = rig.approved_redirect().await;
    rig.mock.inject(Fault::IdToken(IdTokenForgery::WrongAtHash));
    rig.callback(&redirect)
        .await
        .problem(422, "ID_TOKEN_INVALID");

    rig.mock.clear_faults();
    let redirect = rig.approved_redirect().await;
    rig.mock
        .inject(Fault::IdToken(IdTokenForgery::MissingAtHash));
    let body = rig.complete(&redirect).await;
    assert!(body["errors"].is_null(), "at_hash is optional: {body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_id_tokens_sid_fills_session_identifier_when_userinfo_has_none() {
    let rig = LoginRig::new().await;
    let redirect = rig.approved_redirect().await;
    rig.mock.inject(Fault::UserinfoWithoutSid);
    let body = rig.complete(&redirect).await;
    assert!(body["errors"].is_null(), "{body}");
    let sid = body["data"]["completeVippsLogin"]["vippsUserInfo"]["sessionIdentifier"]
        .as_str()
        .unwrap_or_else(|| panic!("sessionIdentifier from the ID token: {body}"));
    assert_eq!(sid.len(), 36, "the mock's sid is a UUID: {sid}");
    assert_eq!(
        sid.matches('-').count(),
        4,
        "the mock's sid is a UUID: {sid}"
    );

    let userinfo = rig
        .mock
        .requests()
        .into_iter()
        .filter(|r| r.endpoint == Endpoint::Userinfo)
        .count();
    assert_eq!(userinfo, 1, "userinfo was asked (and answered without sid)");
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_answers_from_the_provider_are_vipps_unavailable() {
    let logs = captured_logs();
    let rig = LoginRig::new().await;

    let redirect = rig.approved_redirect().await;
    rig.mock.inject(Fault::Oversized {
        endpoint: Endpoint::Userinfo,
        padding: 64 * 1024,
    });
    let body = rig.complete(&redirect).await;
    assert!(
        body["errors"].is_null(),
        "a padded answer under the cap is fine: {body}"
    );

    for endpoint in [Endpoint::Token, Endpoint::Userinfo] {
        rig.mock.clear_faults();
        let redirect = rig.approved_redirect().await;
        rig.mock.inject(Fault::Oversized {
            endpoint,
            padding: OVER_CAP,
        });
        let body = rig.complete(&redirect).await;
        assert_eq!(
            error_code(&body),
            "VIPPS_UNAVAILABLE",
            "{endpoint:?}: {body}"
        );
    }

    // Discovery and JWKS are cached after the first login: fresh rigs fetch them.
    let fresh = LoginRig::new().await;
    let redirect = fresh.approved_redirect().await;
    fresh.mock.inject(Fault::Oversized {
        endpoint: Endpoint::Jwks,
        padding: OVER_CAP,
    });
    let body = fresh.complete(&redirect).await;
    assert_eq!(error_code(&body), "VIPPS_UNAVAILABLE", "JWKS: {body}");

    let fresh = LoginRig::new().await;
    fresh.mock.inject(Fault::Oversized {
        endpoint: Endpoint::Discovery,
        padding: OVER_CAP,
    });
    let body = fresh
        .app
        .graphql(Auth::None, START, json!({ "input": { "orgId": ORG_ID } }))
        .await;
    assert_eq!(error_code(&body), "VIPPS_UNAVAILABLE", "discovery: {body}");

    let logs = String::from_utf8_lossy(&logs.lock().expect("logs")).into_owned();
    for what in [
        "token endpoint",
        "userinfo endpoint",
        "JWKS",
        "discovery document",
    ] {
        let capped = logs.lines().any(|line| {
            line.contains("Vipps unavailable")
                && line.contains(what)
                && line.contains("larger than 1048576 bytes")
        });
        assert!(capped, "{what} was refused for its size");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn next_relative_urls_that_normalize_off_site_are_refused() {
    let rig = LoginRig::new().await;
    for next in [
        "/..//evil.example",
        "/%2e%2e//evil.example",
        "/%2F%2Fevil.example",
        "/%5Cevil.example",
    ] {
        let body = rig
            .app
            .graphql(
                Auth::None,
                START,
                json!({ "input": { "orgId": ORG_ID, "nextRelativeUrl": next } }),
            )
            .await;
        assert_eq!(error_code(&body), "INVALID_INPUT", "{next}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "nextRelativeUrl");

        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("orgId", ORG_ID)
            .append_pair("nextRelativeUrl", next)
            .finish();
        let problem = rig
            .app
            .get(&format!("/vipps/login/start?{query}"))
            .await
            .problem(400, "INVALID_INPUT");
        assert_eq!(problem["field"], "nextRelativeUrl", "{next}");
    }
}
