//! Two instances of the server on one database (behind a load balancer, with the same
//! session key): a login started on one completes on the other and is single-use across
//! both, sessions hold on both, the per-org cap on pending logins counts both, the
//! per-address limits are per instance (as the README says), and their background purges
//! share the work without deleting anything twice. CI runs this on PostgreSQL and on SQLite.

use serde_json::json;
use vipps_identity::service::maintenance::purge_expired;

use crate::helpers::Auth;
use crate::rig::{LoginRig, ORG_ID, RigOptions, START, error_code};
use crate::sessions::graphql_as;

const COMPLETE: &str = "mutation($input: CompleteVippsLoginInput!) { completeVippsLogin(input: $input) { sessionToken user { id } } }";

fn start_input() -> serde_json::Value {
    json!({ "input": { "orgId": ORG_ID } })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_started_on_one_instance_completes_on_the_other_once() {
    let rig = LoginRig::new().await;
    let other = rig.second_instance().await;

    let redirect = rig.approved_redirect().await;
    let input = json!({ "input": {
        "state": redirect["state"],
        "code": redirect["code"],
        "completionToken": rig.completion_token(&redirect),
    }});
    let done = other.graphql(Auth::None, COMPLETE, input.clone()).await;
    let result = &done["data"]["completeVippsLogin"];
    let token = result["sessionToken"]
        .as_str()
        .unwrap_or_else(|| panic!("completion on the other instance failed: {done}"));
    let user_id = result["user"]["id"].as_str().expect("user id");

    let replayed = rig.app.graphql(Auth::None, COMPLETE, input).await;
    assert_eq!(error_code(&replayed), "LOGIN_STATE_INVALID", "{replayed}");

    let me = graphql_as(&rig.app, token, "{ me { id } }", json!({})).await;
    assert_eq!(
        me["data"]["me"]["id"], user_id,
        "the first instance honours the session: {me}"
    );
    let out = graphql_as(
        &rig.app,
        token,
        "mutation { logout { loggedOut } }",
        json!({}),
    )
    .await;
    assert_eq!(out["data"]["logout"]["loggedOut"], true, "{out}");
    let after = graphql_as(&other, token, "{ me { id } }", json!({})).await;
    assert_eq!(
        after["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "a logout on one instance ends the session on both: {after}"
    );
}

/// A rig whose server runs with these extra settings.
async fn rig_with(args: &[&str]) -> LoginRig {
    LoginRig::with(RigOptions {
        server_args: args.iter().map(|a| a.to_string()).collect(),
        ..RigOptions::default()
    })
    .await
}

async fn start_code(app: &crate::helpers::TestApp) -> Option<String> {
    let started = app.graphql(Auth::None, START, start_input()).await;
    started["errors"][0]["extensions"]["code"]
        .as_str()
        .map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pending_login_cap_counts_the_logins_of_both_instances() {
    let rig = rig_with(&["--max-pending-logins-per-org", "3"]).await;
    let other = rig.second_instance().await;
    for app in [&rig.app, &rig.app, &other] {
        assert_eq!(start_code(app).await, None);
    }
    assert_eq!(start_code(&other).await.as_deref(), Some("RATE_LIMITED"));
    assert_eq!(start_code(&rig.app).await.as_deref(), Some("RATE_LIMITED"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_per_address_limits_are_per_instance() {
    let rig = rig_with(&["--rate-limit-login-per-minute", "2"]).await;
    let other = rig.second_instance().await;
    assert_eq!(start_code(&rig.app).await, None);
    assert_eq!(start_code(&rig.app).await, None);
    assert_eq!(start_code(&rig.app).await.as_deref(), Some("RATE_LIMITED"));
    assert_eq!(
        start_code(&other).await,
        None,
        "the other instance keeps its own count"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn purges_of_two_instances_share_the_work() {
    let rig = LoginRig::new().await;
    let other = rig.second_instance().await;
    let live = rig.start(None).await;
    crate::maintenance::insert_long_expired_for(&rig.app, ORG_ID, 30).await;

    let (first, second) =
        tokio::join!(purge_expired(&rig.app.app, 4), purge_expired(&other.app, 4));
    let (first, second) = (first.expect("purge"), second.expect("purge"));
    let rest = purge_expired(&other.app, 100).await.expect("purge");
    assert_eq!(
        first.login_attempts + second.login_attempts + rest.login_attempts,
        30,
        "every expired attempt deleted exactly once"
    );
    let redirect = rig
        .authorize(live["authorizationUrl"].as_str().expect("url"))
        .await;
    let completed = rig.callback(&redirect).await;
    assert_eq!(
        completed.status, 200,
        "the live login survived: {}",
        completed.text
    );
}
