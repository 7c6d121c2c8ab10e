//! `GET /metrics`: the Prometheus text exposition, read with a Prometheus text parser.

use prometheus_parse::{Scrape, Value as Sample};
use serde_json::json;

use crate::helpers::{Auth, TestApp, login_config, ny_klinikk};
use crate::rig::{LoginRig, ORG_ID};

/// The metrics as a scraper reads them.
async fn scrape(app: &TestApp, token: Option<&str>) -> Scrape {
    let mut request = reqwest::Client::new().get(app.url("/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("scrape");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = response.text().await.expect("body");
    Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("Prometheus text format")
}

/// The value of the one sample `name` with these labels (others may be present).
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let matching: Vec<f64> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .filter_map(|s| match s.value {
            Sample::Counter(v) | Sample::Gauge(v) | Sample::Untyped(v) => Some(v),
            _ => None,
        })
        .collect();
    assert!(matching.len() <= 1, "{name} {labels:?}: {matching:?}");
    matching.first().copied()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_and_a_failed_admin_call_show_in_the_metrics() {
    let rig = LoginRig::new().await;
    let redirect = rig.approved_redirect().await;
    let body = rig.complete(&redirect).await;
    assert!(body["errors"].is_null(), "{body}");
    let subject = body["data"]["completeVippsLogin"]["vippsUserInfo"]["subjectIdentifier"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    rig.app
        .send_json("POST", "/api/v1/vipps-orgs", Auth::Wrong, &ny_klinikk())
        .await
        .problem(401, "UNAUTHENTICATED");
    let unknown = rig
        .app
        .graphql(
            Auth::None,
            "mutation($input: StartVippsLoginInput!) { startVippsLogin(input: $input) { state } }",
            json!({ "input": { "orgId": "org_that_does_not_exist" } }),
        )
        .await;
    assert_eq!(unknown["errors"][0]["extensions"]["code"], "NOT_FOUND");
    let aliased = rig
        .app
        .graphql(
            Auth::None,
            "query Mine { first: vippsOrgs(limit: 1) { pagination { total } } ...More } \
             fragment More on Query { second: vippsOrgs(limit: 2) { pagination { total } } }",
            json!({}),
        )
        .await;
    assert!(aliased["errors"].is_null(), "{aliased}");
    let broken = rig
        .app
        .graphql(Auth::None, "{ vippsOrgs {", json!({}))
        .await;
    assert_eq!(broken["errors"][0]["extensions"]["code"], "INVALID_INPUT");

    let scrape = scrape(&rig.app, None).await;
    let counter = |name: &str, labels: &[(&str, &str)]| value(&scrape, name, labels);
    assert_eq!(
        counter(
            "vipps_identity_http_requests_total",
            &[
                ("route", "/api/v1/vipps-orgs"),
                ("method", "POST"),
                ("status", "401")
            ]
        ),
        Some(1.0)
    );
    assert!(
        counter(
            "vipps_identity_http_request_duration_seconds_count",
            &[("route", "/graphql"), ("method", "POST")]
        )
        .is_some_and(|n| n >= 3.0)
    );
    for name in [
        "vipps_identity_logins_started_total",
        "vipps_identity_logins_completed_total",
    ] {
        assert_eq!(
            counter(name, &[("org", ORG_ID), ("outcome", "ok")]),
            Some(1.0),
            "{name}"
        );
    }
    assert_eq!(
        counter(
            "vipps_identity_logins_started_total",
            &[("org", ""), ("outcome", "NOT_FOUND")]
        ),
        Some(1.0),
        "an organization that does not exist is never a label"
    );
    assert_eq!(
        counter(
            "vipps_identity_graphql_operations_total",
            &[
                ("operation", "completeVippsLogin"),
                ("kind", "mutation"),
                ("outcome", "ok")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        counter(
            "vipps_identity_graphql_operations_total",
            &[
                ("operation", "startVippsLogin"),
                ("kind", "mutation"),
                ("outcome", "NOT_FOUND")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        counter(
            "vipps_identity_graphql_operations_total",
            &[
                ("operation", "vippsOrgs"),
                ("kind", "query"),
                ("outcome", "ok")
            ]
        ),
        Some(2.0),
        "aliases and fragments count under the field's name"
    );
    assert_eq!(
        counter(
            "vipps_identity_graphql_operations_total",
            &[
                ("operation", "<none>"),
                ("kind", "<none>"),
                ("outcome", "INVALID_INPUT")
            ]
        ),
        Some(1.0)
    );
    for kind in ["discovery", "jwks", "token", "userinfo"] {
        assert_eq!(
            counter(
                "vipps_identity_upstream_requests_total",
                &[("kind", kind), ("outcome", "ok")]
            ),
            Some(1.0),
            "{kind}"
        );
        assert_eq!(
            counter(
                "vipps_identity_upstream_request_duration_seconds_count",
                &[("kind", kind)]
            ),
            Some(1.0),
            "{kind}"
        );
    }
    let pool_max = counter("vipps_identity_db_pool_max_connections", &[]);
    assert!(pool_max.is_some_and(|n| n >= 1.0), "{pool_max:?}");
    for gauge in [
        "vipps_identity_db_pool_connections",
        "vipps_identity_db_pool_connections_in_use",
        "vipps_identity_db_pool_waiting",
    ] {
        assert!(counter(gauge, &[]).is_some(), "{gauge}");
    }

    let state = redirect.get("state").cloned().unwrap_or_default();
    let code = redirect.get("code").cloned().unwrap_or_default();
    for sample in &scrape.samples {
        for secret in [&subject, &state, &code] {
            assert!(
                !secret.is_empty() && !format!("{:?}", sample.labels).contains(secret.as_str()),
                "{} carries a user's identifier or a login secret: {:?}",
                sample.metric,
                sample.labels
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_refusals_are_counted() {
    let app = TestApp::spawn_with(login_config(&[
        "--rate-limit-admin-failures-per-minute",
        "1",
    ]))
    .await;
    for expected in [(401, "UNAUTHENTICATED"), (429, "RATE_LIMITED")] {
        app.send_json("POST", "/api/v1/vipps-orgs", Auth::Wrong, &ny_klinikk())
            .await
            .problem(expected.0, expected.1);
    }
    let scrape = scrape(&app, None).await;
    assert_eq!(
        value(
            &scrape,
            "vipps_identity_rate_limited_total",
            &[("limit", "admin_failures")]
        ),
        Some(1.0)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_metrics_token_guards_the_metrics() {
    let token = "metrics-token-0123456789";
    let app = TestApp::spawn_with(login_config(&["--metrics-token", token])).await;
    for auth in [Auth::None, Auth::Admin, Auth::Wrong] {
        app.request("GET", "/metrics", auth, None, None)
            .await
            .problem(401, "UNAUTHENTICATED");
    }
    let scrape = scrape(&app, Some(token)).await;
    assert_eq!(
        value(
            &scrape,
            "vipps_identity_http_requests_total",
            &[("route", "/metrics"), ("method", "GET"), ("status", "401")]
        ),
        Some(3.0)
    );
}
