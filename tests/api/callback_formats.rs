//! The legacy callback's content negotiation, as ServiceStack did it: `?format=json|jsv`, the
//! `.json` / `.jsv` suffixes and the `Accept` header; JSON by default, 406 for the rest.

use crate::helpers::TestResponse;
use crate::rig::{LoginRig, Redirect};

/// `GET {path}?{the redirect's query}&completionToken=…[&{extra}]` with an optional `Accept`.
async fn callback(
    rig: &LoginRig,
    path: &str,
    redirect: &Redirect,
    extra: &[(&str, &str)],
    accept: Option<&str>,
) -> TestResponse {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(redirect.iter());
    if let Some(token) = rig.completion_token(redirect) {
        query.append_pair("completionToken", &token);
    }
    query.extend_pairs(extra);
    let mut request =
        reqwest::Client::new().get(rig.app.url(&format!("{path}?{}", query.finish())));
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.expect("callback reaches the server");
    TestResponse {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        text: response.text().await.expect("body"),
    }
}

/// A way of asking: path, extra query parameters, `Accept`, and the content type expected.
type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    Option<&'static str>,
    &'static str,
);

/// The JSV answer with the values that change from login to login replaced.
fn redact_jsv(text: &str) -> String {
    let mut redacted = text.to_owned();
    for key in [
        "sessionIdentifier",
        "userId",
        "sessionToken",
        "sessionExpiresAt",
    ] {
        let marker = format!("{key}:");
        let start = redacted
            .find(&marker)
            .unwrap_or_else(|| panic!("no {key} in {text}"))
            + marker.len();
        let len = redacted[start..]
            .find([',', '}'])
            .unwrap_or_else(|| panic!("{key} does not end in {text}"));
        redacted.replace_range(start..start + len, &format!("[{key}]"));
    }
    redacted
}

#[tokio::test(flavor = "multi_thread")]
async fn jsv_answers_the_legacy_profile_in_servicestack_text() {
    let rig = LoginRig::new().await;
    let redirect = rig.approved_redirect().await;
    let response = callback(
        &rig,
        "/vipps/login/callback",
        &redirect,
        &[("format", "jsv")],
        None,
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.header("content-type"),
        Some("text/jsv; charset=utf-8")
    );
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let expires_at = response
        .text
        .split("sessionExpiresAt:\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a quoted sessionExpiresAt");
    chrono::DateTime::parse_from_rfc3339(expires_at).expect("RFC 3339");
    insta::assert_snapshot!("rest_login_result_jsv", redact_jsv(&response.text));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_way_of_asking_picks_its_format() {
    let rig = LoginRig::new().await;
    let cases: [Case; 11] = [
        ("/vipps/login/callback", &[], None, "application/json"),
        (
            "/vipps/login/callback",
            &[],
            Some("*/*"),
            "application/json",
        ),
        (
            "/vipps/login/callback",
            &[],
            Some("application/json"),
            "application/json",
        ),
        (
            "/vipps/login/callback",
            &[],
            Some("text/jsv"),
            "text/jsv; charset=utf-8",
        ),
        (
            "/vipps/login/callback",
            &[("format", "json")],
            Some("text/jsv"),
            "application/json",
        ),
        (
            "/vipps/login/callback",
            &[("Format", "JSV")],
            None,
            "text/jsv; charset=utf-8",
        ),
        ("/vipps/login/callback.json", &[], None, "application/json"),
        (
            "/vipps/login/callback.json",
            &[],
            Some("text/jsv"),
            "application/json",
        ),
        (
            "/vipps/login/callback.jsv",
            &[],
            None,
            "text/jsv; charset=utf-8",
        ),
        (
            "/vipps/login/callback.jsv",
            &[("format", "json")],
            Some("application/xml"),
            "text/jsv; charset=utf-8",
        ),
        (
            "/vipps/login/callback",
            &[],
            Some("application/xml, text/jsv;q=0.5"),
            "text/jsv; charset=utf-8",
        ),
    ];
    for (path, extra, accept, content_type) in cases {
        let redirect = rig.approved_redirect().await;
        let response = callback(&rig, path, &redirect, extra, accept).await;
        let case = format!("{path} {extra:?} {accept:?}");
        assert_eq!(response.status, 200, "{case}: {}", response.text);
        assert_eq!(
            response.header("content-type"),
            Some(content_type),
            "{case}"
        );
        if content_type == "application/json" {
            assert!(response.json()["sessionToken"].is_string(), "{case}");
        } else {
            assert!(
                response.text.starts_with("{vippsUserInfo:{"),
                "{case}: {}",
                response.text
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unsupported_format_is_406_and_leaves_the_login_unspent() {
    let rig = LoginRig::new().await;
    let redirect = rig.approved_redirect().await;
    for (extra, accept) in [
        (&[("format", "xml")][..], None),
        (&[][..], Some("application/xml")),
        (&[][..], Some("text/html, application/json;q=0")),
    ] {
        let response = callback(&rig, "/vipps/login/callback", &redirect, extra, accept).await;
        response.problem(406, "NOT_ACCEPTABLE");
    }
    let completed = callback(&rig, "/vipps/login/callback", &redirect, &[], None).await;
    assert_eq!(completed.status, 200, "{}", completed.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_stay_problem_json_when_jsv_is_asked_for() {
    let rig = LoginRig::new().await;
    let redirect = rig.approved_redirect().await;
    let mut forged = redirect.clone();
    forged.insert("state".to_owned(), "not-a-started-login".to_owned());
    callback(&rig, "/vipps/login/callback.jsv", &forged, &[], None)
        .await
        .problem(422, "LOGIN_STATE_INVALID");
    callback(
        &rig,
        "/vipps/login/callback",
        &forged,
        &[],
        Some("text/jsv"),
    )
    .await
    .problem(422, "LOGIN_STATE_INVALID");
}
