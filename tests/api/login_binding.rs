//! A login completes only for whoever started it. The attacker here holds what travels in
//! the redirect URL (`state` and `code`, or a forged `error`), as a malicious app registered
//! for the same URL scheme, or a page pushing its own login into a victim's browser, would.
//! Before logins were bound, every one of these completions answered with the victim's
//! session and profile.

use serde_json::{Value, json};
use vipps_identity::mock_vipps::Endpoint;

use crate::helpers::{Auth, TestResponse};
use crate::rig::{LoginRig, ORG_ID, Redirect, RigOptions, error_code};

/// How many token requests reached the mock: a spent code shows up here.
fn token_requests(rig: &LoginRig) -> usize {
    rig.mock
        .requests()
        .iter()
        .filter(|r| r.endpoint == Endpoint::Token)
        .count()
}

/// The redirect with Vipps' cancel error instead of a code, as an attacker could forge it.
fn forged_cancel(redirect: &Redirect) -> Redirect {
    let mut forged = Redirect::new();
    forged.insert("state".into(), redirect["state"].clone());
    forged.insert("error".into(), "access_denied".into());
    forged
}

#[tokio::test(flavor = "multi_thread")]
async fn graphql_completion_without_the_token_neither_completes_nor_burns_the_login() {
    let rig = LoginRig::new().await;
    let redirect = rig.approved_redirect().await;

    let missing = rig.complete_with_token(&redirect, None).await;
    assert_eq!(error_code(&missing), "LOGIN_NOT_BOUND", "{missing}");
    let other = rig.start(None).await;
    let foreign = other["completionToken"].as_str().expect("token");
    let wrong = rig.complete_with_token(&redirect, Some(foreign)).await;
    assert_eq!(error_code(&wrong), "LOGIN_NOT_BOUND", "{wrong}");
    let guessed = rig.complete_with_token(&redirect, Some("")).await;
    assert_eq!(error_code(&guessed), "LOGIN_NOT_BOUND", "{guessed}");
    let cancel = rig
        .complete_with_token(&forged_cancel(&redirect), None)
        .await;
    assert_eq!(error_code(&cancel), "LOGIN_NOT_BOUND", "{cancel}");
    assert_eq!(token_requests(&rig), 0, "the code was never spent");

    let real = rig.complete(&redirect).await;
    assert!(
        real["errors"].is_null(),
        "the starter still completes: {real}"
    );
    assert_eq!(
        real["data"]["completeVippsLogin"]["nextRelativeUrl"],
        "/after"
    );
    let replay = rig.complete(&redirect).await;
    assert_eq!(error_code(&replay), "LOGIN_STATE_INVALID");
}

#[tokio::test(flavor = "multi_thread")]
async fn rest_callback_without_the_token_neither_completes_nor_burns_the_login() {
    let rig = LoginRig::new().await;
    let redirect = rig.approved_redirect().await;

    let missing = rig.callback_unbound(&redirect).await;
    let problem = missing.problem(422, "LOGIN_NOT_BOUND");
    assert!(problem.get("sessionToken").is_none());
    let mut wrong = redirect.clone();
    wrong.insert("completionToken".into(), "A".repeat(43));
    rig.callback_unbound(&wrong)
        .await
        .problem(422, "LOGIN_NOT_BOUND");
    rig.callback_unbound(&forged_cancel(&redirect))
        .await
        .problem(422, "LOGIN_NOT_BOUND");
    assert_eq!(token_requests(&rig), 0, "the code was never spent");

    let real = rig.callback(&redirect).await;
    assert_eq!(real.status, 200, "{}", real.text);
    assert!(real.json()["sessionToken"].is_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_is_accepted_as_header_and_cancel_needs_it_too() {
    let rig = LoginRig::new().await;
    let redirect = rig.approved_redirect().await;
    let token = rig.completion_token(&redirect).expect("token");

    let cancelled = rig.complete(&forged_cancel(&redirect)).await;
    assert_eq!(
        error_code(&cancelled),
        "LOGIN_CANCELLED",
        "the starter may cancel"
    );

    let redirect = rig.approved_redirect().await;
    let token_of_second = rig.completion_token(&redirect).expect("token");
    assert_ne!(token, token_of_second, "each login has its own token");
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(redirect.iter())
        .finish();
    let response = reqwest::Client::new()
        .get(rig.app.url(&format!("/vipps/login/callback?{query}")))
        .header("X-Completion-Token", &token_of_second)
        .send()
        .await
        .expect("callback");
    assert_eq!(response.status(), 200);
}

/// A browser that keeps cookies by hand: the REST flow with `redirect=true`.
async fn browser_get(rig: &LoginRig, path_or_url: &str, cookie: Option<&str>) -> TestResponse {
    let url = if path_or_url.starts_with("http") {
        path_or_url.to_owned()
    } else {
        rig.app.url(path_or_url)
    };
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut request = client.get(url);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.expect("request");
    TestResponse {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        text: response.text().await.expect("body"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_browser_flow_carries_the_token_in_a_cookie_only_the_starter_has() {
    let rig = LoginRig::new().await;
    let start = browser_get(
        &rig,
        &format!("/vipps/login/start?orgId={ORG_ID}&nextRelativeUrl=%2Fhome&redirect=true"),
        None,
    )
    .await;
    assert_eq!(start.status, 302, "{}", start.text);
    let set_cookie = start.header("set-cookie").expect("cookie").to_owned();
    let attributes: Vec<&str> = set_cookie.split("; ").collect();
    for expected in [
        "Path=/vipps/login",
        "Max-Age=600",
        "HttpOnly",
        "SameSite=Lax",
    ] {
        assert!(attributes.contains(&expected), "{expected} in {set_cookie}");
    }
    assert!(
        !set_cookie.contains("Secure"),
        "http deployment: {set_cookie}"
    );
    let cookie = attributes[0].to_owned();
    let token = cookie.split_once('=').expect("name=value").1.to_owned();
    assert!(token.len() >= 22, "at least 128 bits: {token}");
    let location = start.header("location").expect("location").to_owned();
    assert!(
        !location.contains(&token),
        "the token never travels in a URL"
    );

    let redirect = rig.authorize(&location).await;
    assert!(redirect.values().all(|v| !v.contains(&token)));
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(redirect.iter())
        .finish();
    let callback = format!("/vipps/login/callback?{query}");

    let stranger = browser_get(&rig, &callback, None).await;
    stranger.problem(422, "LOGIN_NOT_BOUND");
    let other_login = browser_get(
        &rig,
        &callback,
        Some(&format!(
            "{}=wrong-token-value",
            cookie.split('=').next().expect("name")
        )),
    )
    .await;
    other_login.problem(422, "LOGIN_NOT_BOUND");

    let browser = browser_get(&rig, &callback, Some(&format!("theme=dark; {cookie}"))).await;
    assert_eq!(browser.status, 200, "{}", browser.text);
    assert_eq!(browser.json()["nextRelativeUrl"], "/home");
    let cleared = browser.header("set-cookie").expect("cookie cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cookie_is_secure_when_the_public_url_is_https() {
    let rig = LoginRig::with(RigOptions {
        server_args: vec!["--public-base-url".into(), "https://id.example.no".into()],
        ..RigOptions::default()
    })
    .await;
    let start = browser_get(
        &rig,
        &format!("/vipps/login/start?orgId={ORG_ID}&redirect=true"),
        None,
    )
    .await;
    let set_cookie = start.header("set-cookie").expect("cookie");
    assert!(set_cookie.ends_with("; Secure"), "{set_cookie}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_org_may_allow_unbound_completion_through_both_adapters() {
    let rig = LoginRig::new().await;
    let shown = rig
        .app
        .get(&format!("/api/v1/vipps-orgs/{ORG_ID}"))
        .await
        .json();
    assert_eq!(shown["allow_unbound_completion"], false, "off by default");

    let updated = rig
        .app
        .send_json(
            "PUT",
            &format!("/api/v1/vipps-orgs/{ORG_ID}"),
            Auth::Admin,
            &json!({ "allow_unbound_completion": true }),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.json()["allow_unbound_completion"], true);
    let redirect = rig.approved_redirect().await;
    let body = rig.complete_with_token(&redirect, None).await;
    assert!(
        body["errors"].is_null(),
        "unbound completion allowed: {body}"
    );

    let off = rig
        .app
        .graphql(
            Auth::Admin,
            "mutation { updateVippsOrg(orgId: \"org_rig\", input: {allowUnboundCompletion: false}) { allowUnboundCompletion } }",
            Value::Null,
        )
        .await;
    assert_eq!(
        off["data"]["updateVippsOrg"]["allowUnboundCompletion"], false,
        "{off}"
    );
    let redirect = rig.approved_redirect().await;
    let body = rig.complete_with_token(&redirect, None).await;
    assert_eq!(error_code(&body), "LOGIN_NOT_BOUND");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_outage_does_not_burn_the_login() {
    let rig = LoginRig::new().await;
    let redirect = rig.approved_redirect().await;
    let secret = rig.secret_dir.path().join("client_secret");
    let kept = std::fs::read(&secret).expect("secret file");
    std::fs::remove_file(&secret).expect("remove secret");
    let down = rig.complete(&redirect).await;
    assert_eq!(error_code(&down), "SECRET_UNAVAILABLE", "{down}");
    assert_eq!(token_requests(&rig), 0, "the code was not spent");

    std::fs::write(&secret, kept).expect("restore secret");
    let again = rig.complete(&redirect).await;
    assert!(
        again["errors"].is_null(),
        "the same login completes: {again}"
    );
}
