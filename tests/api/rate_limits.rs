//! Rate limits: login starts per client address (REST and GraphQL, every aliased or batched
//! mutation field counted), failed admin authentications, pending logins per organization,
//! trusted proxies, switching limits off, and public reads that are never limited.

use serde_json::{Value, json};

use crate::helpers::{Auth, TestApp, TestResponse, login_config, ny_klinikk};
use crate::rig::{LoginRig, ORG_ID, RigOptions, START};

/// A rig whose server runs with these extra flags.
async fn rig_with(args: &[&str]) -> LoginRig {
    LoginRig::with(RigOptions {
        server_args: args.iter().map(|a| (*a).to_owned()).collect(),
        ..RigOptions::default()
    })
    .await
}

/// `GET /vipps/login/start` for the rig's organization, with extra request headers.
async fn rest_start(rig: &LoginRig, headers: &[(&str, &str)]) -> TestResponse {
    let mut request =
        reqwest::Client::new().get(rig.app.url(&format!("/vipps/login/start?orgId={ORG_ID}")));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request reaches the server");
    TestResponse {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        text: response.text().await.expect("body"),
    }
}

/// Asserts a 429 `RATE_LIMITED` problem with a `Retry-After` of at least a second.
#[track_caller]
fn assert_rate_limited(response: &TestResponse) {
    response.problem(429, "RATE_LIMITED");
    let retry_after: u64 = response
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After: {:?}", response.headers));
    assert!(retry_after >= 1, "Retry-After {retry_after}");
}

/// The `extensions.code` of each GraphQL error.
fn error_codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    e["extensions"]["code"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_rest_starts_from_one_address_is_refused_after_the_allowance() {
    let rig = LoginRig::new().await;
    let began = std::time::Instant::now();
    let mut outcomes = Vec::new();
    for _ in 0..300 {
        outcomes.push(rest_start(&rig, &[]).await);
    }
    let elapsed = began.elapsed().as_secs();
    for (i, response) in outcomes.iter().take(60).enumerate() {
        assert_eq!(response.status, 200, "start {i}: {}", response.text);
    }
    // 60 at once, then one more a second.
    let accepted = outcomes.iter().filter(|r| r.status == 200).count() as u64;
    assert!(
        accepted <= 60 + elapsed + 1,
        "{accepted} of 300 starts accepted in {elapsed} s"
    );
    let last = outcomes.last().expect("outcomes");
    assert_rate_limited(last);
    assert!(
        outcomes.iter().all(|r| r.status == 200 || r.status == 429),
        "only successes and 429s"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_aliased_graphql_start_counts() {
    let rig = rig_with(&["--rate-limit-login-per-minute", "5"]).await;
    let fields: String = (0..20)
        .map(|i| format!(r#"s{i}: startVippsLogin(input: {{orgId: "{ORG_ID}"}}) {{ state }} "#))
        .collect();
    let body = rig
        .app
        .graphql(Auth::None, &format!("mutation {{ {fields} }}"), json!({}))
        .await;
    let started = (0..20)
        .filter(|i| body["data"][format!("s{i}")]["state"].is_string())
        .count();
    assert_eq!(started, 5, "{body}");
    let codes = error_codes(&body);
    assert_eq!(codes.len(), 15, "{body}");
    assert!(codes.iter().all(|c| c == "RATE_LIMITED"), "{codes:?}");
    assert!(
        body["errors"][0]["extensions"]["retryAfter"].as_u64() >= Some(1),
        "{body}"
    );
    // The address's allowance is spent for REST too.
    assert_rate_limited(&rest_start(&rig, &[]).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_start_in_a_batch_counts() {
    let rig = rig_with(&["--rate-limit-login-per-minute", "5"]).await;
    let operation = json!({ "query": START, "variables": { "input": { "orgId": ORG_ID } } });
    let batch = Value::Array(vec![operation; 10]);
    let response = rig
        .app
        .send_json("POST", "/graphql", Auth::None, &batch)
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    let answers = response.json();
    let answers = answers.as_array().expect("a batch answer");
    let started = answers
        .iter()
        .filter(|a| a["data"]["startVippsLogin"]["state"].is_string())
        .count();
    assert_eq!(started, 5, "{answers:?}");
    let limited = answers
        .iter()
        .filter(|a| error_codes(a) == ["RATE_LIMITED"])
        .count();
    assert_eq!(limited, 5, "{answers:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn completions_have_an_allowance_of_their_own() {
    let rig = rig_with(&["--rate-limit-login-per-minute", "2"]).await;
    let redirect = rig.approved_redirect().await;
    let bogus = json!({ "input": { "state": "unknown-state", "code": "x" } });
    let complete = r#"mutation($input: CompleteVippsLoginInput!) { completeVippsLogin(input: $input) { nextRelativeUrl } }"#;
    let first = rig.app.graphql(Auth::None, complete, bogus.clone()).await;
    assert_eq!(error_codes(&first), ["LOGIN_STATE_INVALID"], "{first}");
    let completed = rig.callback(&redirect).await;
    assert_eq!(completed.status, 200, "{}", completed.text);
    let third = rig.app.graphql(Auth::None, complete, bogus).await;
    assert_eq!(error_codes(&third), ["RATE_LIMITED"], "{third}");
    assert_rate_limited(&rig.callback(&redirect).await);
    // Starts are counted apart: one of two used.
    assert_eq!(rest_start(&rig, &[]).await.status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_admin_authentications_are_limited_per_address() {
    let app = TestApp::spawn_with(login_config(&[
        "--rate-limit-admin-failures-per-minute",
        "3",
    ]))
    .await;
    // Calls without credentials are not failures.
    for _ in 0..5 {
        app.send_json("POST", "/api/v1/vipps-orgs", Auth::None, &ny_klinikk())
            .await
            .problem(401, "UNAUTHENTICATED");
    }
    for _ in 0..3 {
        app.send_json("POST", "/api/v1/vipps-orgs", Auth::Wrong, &ny_klinikk())
            .await
            .problem(401, "UNAUTHENTICATED");
    }
    assert_rate_limited(
        &app.send_json("POST", "/api/v1/vipps-orgs", Auth::Wrong, &ny_klinikk())
            .await,
    );
    let body = app
        .graphql(
            Auth::Wrong,
            r#"mutation { deleteVippsOrg(orgId: "org_ny_klinikk") { deleted } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_codes(&body), ["RATE_LIMITED"], "{body}");
    // Public reads with the wrong token still answer.
    let list = app
        .request("GET", "/api/v1/vipps-orgs", Auth::Wrong, None, None)
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    // Documented choice: the right token is still accepted (only failures are counted).
    app.create_org(&ny_klinikk()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_org_takes_no_more_pending_logins_than_its_cap() {
    let rig = rig_with(&["--max-pending-logins-per-org", "3"]).await;
    let redirect = rig.approved_redirect().await;
    rig.start(None).await;
    assert_eq!(rest_start(&rig, &[]).await.status, 200);
    assert_rate_limited(&rest_start(&rig, &[]).await);
    let body = rig
        .app
        .graphql(Auth::None, START, json!({ "input": { "orgId": ORG_ID } }))
        .await;
    assert_eq!(error_codes(&body), ["RATE_LIMITED"], "{body}");
    // Queries still answer.
    let org = rig
        .app
        .graphql(
            Auth::None,
            &format!(r#"{{ vippsOrgStatus(orgId: "{ORG_ID}") {{ vippsEnabled }} }}"#),
            json!({}),
        )
        .await;
    assert_eq!(org["data"]["vippsOrgStatus"]["vippsEnabled"], true, "{org}");
    // A completed login frees its place.
    let completed = rig.callback(&redirect).await;
    assert_eq!(completed.status, 200, "{}", completed.text);
    assert_eq!(rest_start(&rig, &[]).await.status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    let direct = rig_with(&["--rate-limit-login-per-minute", "2"]).await;
    for i in 0..2 {
        let spoofed = format!("203.0.113.{i}");
        let response = rest_start(&direct, &[("x-forwarded-for", &spoofed)]).await;
        assert_eq!(response.status, 200, "{}", response.text);
    }
    assert_rate_limited(&rest_start(&direct, &[("x-forwarded-for", "203.0.113.99")]).await);

    let proxied = rig_with(&[
        "--rate-limit-login-per-minute",
        "2",
        "--trusted-proxies",
        "127.0.0.1,10.0.0.1",
    ])
    .await;
    let client = [("x-forwarded-for", "198.51.100.7, 10.0.0.1")];
    for _ in 0..2 {
        assert_eq!(rest_start(&proxied, &client).await.status, 200);
    }
    assert_rate_limited(&rest_start(&proxied, &client).await);
    // A client spoofing an address in front of its own is still itself.
    assert_rate_limited(
        &rest_start(&proxied, &[("x-forwarded-for", "192.0.2.1, 198.51.100.7")]).await,
    );
    let other = rest_start(&proxied, &[("x-forwarded-for", "198.51.100.8")]).await;
    assert_eq!(other.status, 200, "{}", other.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_switched_off_never_refuse() {
    let rig = rig_with(&[
        "--rate-limit-login-per-minute",
        "0",
        "--max-pending-logins-per-org",
        "0",
    ])
    .await;
    for i in 0..150 {
        let response = rest_start(&rig, &[]).await;
        assert_eq!(response.status, 200, "start {i}: {}", response.text);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn public_reads_are_not_limited_by_default() {
    let app = TestApp::spawn().await;
    app.create_org(&ny_klinikk()).await;
    for _ in 0..150 {
        assert_eq!(
            app.get("/api/v1/vipps-orgs/org_ny_klinikk").await.status,
            200
        );
        let body = app
            .graphql(
                Auth::None,
                r#"{ vippsOrg(orgId: "org_ny_klinikk") { orgId } }"#,
                json!({}),
            )
            .await;
        assert_eq!(
            body["data"]["vippsOrg"]["orgId"], "org_ny_klinikk",
            "{body}"
        );
    }
}
