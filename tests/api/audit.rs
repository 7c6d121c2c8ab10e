//! The audit trail, read as an admin through GraphQL: login outcomes, admin changes (kept
//! after the organization is deleted), cursor paging, the kinds filter, who may read it,
//! and the retention purge.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Value, json};
use vipps_identity::domain::Timestamp;
use vipps_identity::mock_vipps::AuthorizeMode;
use vipps_identity::service::maintenance::{purge_audit, purge_audit_before};

use crate::helpers::{Auth, TestApp, org_body};
use crate::rig::{CLIENT_SECRET, LoginRig, ORG_ID, error_code};

const EVENTS: &str = r#"query($orgId: String!, $kinds: [AuditEventKind!], $after: String, $limit: Int! = 50) {
  auditEvents(orgId: $orgId, kinds: $kinds, after: $after, limit: $limit) {
    items { occurredAt orgId kind actor userId detail }
    nextCursor
  }
}"#;

const COMPLETE: &str = "mutation($input: CompleteVippsLoginInput!) { completeVippsLogin(input: $input) { sessionToken user { id } vippsUserInfo { subjectIdentifier } } }";

/// One page of the organization's events as the admin reads it.
pub async fn page(
    app: &TestApp,
    org: &str,
    kinds: Option<Value>,
    after: Option<&str>,
    limit: i64,
) -> Value {
    let body = app
        .graphql(
            Auth::Admin,
            EVENTS,
            json!({ "orgId": org, "kinds": kinds, "after": after, "limit": limit }),
        )
        .await;
    assert!(body["errors"].is_null(), "auditEvents failed: {body}");
    body["data"]["auditEvents"].clone()
}

/// Every event of the organization (newest first), read page by page.
pub async fn all_events(app: &TestApp, org: &str, kinds: Option<Value>, limit: i64) -> Vec<Value> {
    let mut events = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..1000 {
        let page = page(app, org, kinds.clone(), after.as_deref(), limit).await;
        let items = page["items"].as_array().expect("items");
        assert!(items.len() as i64 <= limit, "page over the limit: {page}");
        events.extend(items.iter().cloned());
        match page["nextCursor"].as_str() {
            Some(cursor) => {
                assert!(!items.is_empty(), "a cursor after an empty page: {page}");
                after = Some(cursor.to_owned());
            }
            None => return events,
        }
    }
    panic!("paging never ended");
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect()
}

/// Completes a login the rig started, as its starter.
async fn complete(rig: &LoginRig, redirect: &crate::rig::Redirect) -> Value {
    let input = json!({
        "state": redirect["state"],
        "code": redirect.get("code"),
        "error": redirect.get("error"),
        "errorDescription": redirect.get("error_description"),
        "completionToken": rig.completion_token(redirect),
    });
    rig.app
        .graphql(Auth::None, COMPLETE, json!({ "input": input }))
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn logins_record_success_failure_and_cancel_and_unlinking_is_recorded() {
    let rig = LoginRig::new().await;
    let body = complete(&rig, &rig.approved_redirect().await).await;
    let result = &body["data"]["completeVippsLogin"];
    let user_id = result["user"]["id"].as_str().expect("login").to_owned();
    let sub = result["vippsUserInfo"]["subjectIdentifier"]
        .as_str()
        .expect("sub")
        .to_owned();
    let token = result["sessionToken"].as_str().expect("token").to_owned();

    for (error, code) in [
        ("server_error", "LOGIN_FAILED"),
        ("access_denied", "LOGIN_CANCELLED"),
    ] {
        rig.mock.set_authorize(AuthorizeMode::Deny {
            error: error.to_owned(),
            description: "no".to_owned(),
            hint: None,
        });
        let body = complete(&rig, &rig.approved_redirect().await).await;
        assert_eq!(error_code(&body), code);
    }
    let unlinked = rig
        .app
        .graphql(
            Auth::Admin,
            "mutation($u: String!, $s: String!) { unlinkVippsIdentity(userId: $u, sub: $s) { id } }",
            json!({ "u": user_id, "s": sub }),
        )
        .await;
    assert!(unlinked["errors"].is_null(), "{unlinked}");

    let events = all_events(&rig.app, ORG_ID, None, 50).await;
    assert_eq!(
        kinds(&events),
        [
            "USER_UNLINKED",
            "LOGIN_CANCELLED",
            "LOGIN_FAILED",
            "LOGIN_SUCCEEDED",
            "USER_LINKED",
            "USER_CREATED",
            "ORG_CREATED"
        ],
        "{events:#?}"
    );
    let actor = format!("user:{user_id}");
    for login_event in &events[3..6] {
        assert_eq!(login_event["actor"], actor.as_str(), "{login_event}");
        assert_eq!(login_event["userId"], user_id.as_str(), "{login_event}");
        assert_eq!(login_event["orgId"], ORG_ID);
    }
    assert_eq!(events[5]["detail"]["via"], "login");
    assert_eq!(events[2]["detail"]["code"], "LOGIN_FAILED");
    assert_eq!(events[2]["detail"]["vipps_error"], "server_error");
    assert_eq!(events[2]["actor"], "anonymous");
    assert!(events[2]["userId"].is_null());
    assert_eq!(events[1]["detail"]["code"], "LOGIN_CANCELLED");
    assert_eq!(events[0]["actor"], "admin");
    assert_eq!(events[0]["detail"]["last_identity"], true);
    assert_eq!(events[0]["detail"]["sessions_ended"], 1);

    let text = serde_json::to_string(&events).expect("json");
    for secret in [token.as_str(), CLIENT_SECRET] {
        assert!(
            !text.contains(secret),
            "a secret in the audit trail: {text}"
        );
    }
    for claim in [sub.as_str(), "ada@example.com", "4712345678", "Lovelace"] {
        assert!(
            !text.contains(claim),
            "profile data in the audit trail: {text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_changes_are_recorded_and_outlive_the_organization() {
    let app = TestApp::spawn().await;
    app.create_org(&org_body("org_a", json!({}))).await;
    let updated = app
        .send_json(
            "PUT",
            "/api/v1/vipps-orgs/org_a",
            Auth::Admin,
            &json!({ "vipps_enabled": false, "scopes": ["openid"] }),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    let created = app
        .graphql(
            Auth::Admin,
            "mutation { createUser(input: {orgId: \"org_a\", email: \"kari@example.no\"}) { id } }",
            json!({}),
        )
        .await;
    let user_id = created["data"]["createUser"]["id"]
        .as_str()
        .expect("user")
        .to_owned();
    let deleted = app
        .graphql(
            Auth::Admin,
            "mutation($id: String!) { deleteUser(id: $id) { deleted } }",
            json!({ "id": user_id }),
        )
        .await;
    assert!(deleted["errors"].is_null(), "{deleted}");
    let gone = app
        .request(
            "DELETE",
            "/api/v1/vipps-orgs/org_a",
            Auth::Admin,
            None,
            None,
        )
        .await;
    assert_eq!(gone.status, 200, "{}", gone.text);

    let events = all_events(&app, "org_a", None, 50).await;
    assert_eq!(
        kinds(&events),
        [
            "ORG_DELETED",
            "USER_DELETED",
            "USER_CREATED",
            "ORG_UPDATED",
            "ORG_CREATED"
        ]
    );
    assert!(events.iter().all(|e| e["actor"] == "admin"), "{events:#?}");
    assert_eq!(events[1]["userId"], user_id.as_str());
    assert_eq!(events[2]["detail"]["via"], "admin");
    assert_eq!(
        events[3]["detail"]["fields"],
        json!(["scopes", "vipps_enabled"])
    );
    assert_eq!(events[4]["detail"]["environment"], "test");
    let text = serde_json::to_string(&events).expect("json");
    assert!(
        !text.contains("env://"),
        "no secret reference in the trail: {text}"
    );

    // Re-creating the org_id finds the old trail, and adds to it.
    app.create_org(&org_body("org_a", json!({}))).await;
    assert_eq!(all_events(&app, "org_a", None, 50).await.len(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn cursor_paging_returns_every_event_exactly_once_and_kinds_filter() {
    let app = TestApp::spawn().await;
    app.create_org(&org_body("org_p", json!({}))).await;
    app.create_org(&org_body("org_other", json!({}))).await;
    for n in 0..7 {
        let body = app
            .graphql(
                Auth::Admin,
                "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
                json!({ "i": { "orgId": "org_p", "email": format!("u{n}@example.no") } }),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }
    for enabled in [false, true, false] {
        let response = app
            .send_json(
                "PUT",
                "/api/v1/vipps-orgs/org_p",
                Auth::Admin,
                &json!({ "vipps_enabled": enabled }),
            )
            .await;
        assert_eq!(response.status, 200);
    }

    let whole = page(&app, "org_p", None, None, 200).await;
    assert!(whole["nextCursor"].is_null(), "one page holds all: {whole}");
    let whole = whole["items"].as_array().expect("items").clone();
    assert_eq!(whole.len(), 11, "{whole:#?}");
    for limit in [1, 3, 10, 11] {
        let paged = all_events(&app, "org_p", None, limit).await;
        assert_eq!(paged, whole, "paging by {limit} differs");
    }
    let stamps: Vec<&str> = whole
        .iter()
        .map(|e| e["occurredAt"].as_str().expect("at"))
        .collect();
    assert!(
        stamps.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {stamps:?}"
    );

    let created = all_events(&app, "org_p", Some(json!(["USER_CREATED"])), 2).await;
    assert_eq!(created.len(), 7);
    let user_ids: HashSet<&str> = created
        .iter()
        .map(|e| e["userId"].as_str().expect("id"))
        .collect();
    assert_eq!(user_ids.len(), 7, "each user once");
    let two_kinds = all_events(
        &app,
        "org_p",
        Some(json!(["ORG_UPDATED", "ORG_CREATED"])),
        3,
    )
    .await;
    assert_eq!(
        kinds(&two_kinds),
        ["ORG_UPDATED", "ORG_UPDATED", "ORG_UPDATED", "ORG_CREATED"]
    );
    let other = all_events(&app, "org_other", None, 50).await;
    assert_eq!(
        kinds(&other),
        ["ORG_CREATED"],
        "organizations see only their own events"
    );
    assert!(all_events(&app, "org_none", None, 50).await.is_empty());

    for (after, limit) in [
        (Some("bm90LWEtY3Vyc29y"), 5),
        (Some("%%%"), 5),
        (None, 0),
        (None, 201),
    ] {
        let body = app
            .graphql(
                Auth::Admin,
                EVENTS,
                json!({ "orgId": "org_p", "after": after, "limit": limit }),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "INVALID_INPUT",
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn only_admins_read_the_trail() {
    let app = TestApp::spawn().await;
    app.create_org(&org_body("org_a", json!({}))).await;
    for auth in [Auth::None, Auth::Wrong] {
        let body = app.graphql(auth, EVENTS, json!({ "orgId": "org_a" })).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{body}"
        );
        assert!(body["data"].is_null(), "{body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_retention_purge_deletes_old_events_in_batches() {
    let app = TestApp::spawn().await;
    for n in 0..5 {
        app.create_org(&org_body(&format!("org_{n}"), json!({})))
            .await;
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    let cutoff = Timestamp::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    app.create_org(&org_body("org_new", json!({}))).await;

    assert_eq!(
        purge_audit(&app.app, 0, 2).await.expect("purge"),
        0,
        "0 keeps for ever"
    );
    assert_eq!(
        purge_audit(&app.app, 365, 2).await.expect("purge"),
        0,
        "nothing a year old"
    );
    assert_eq!(
        purge_audit_before(&app.app, cutoff, 2)
            .await
            .expect("purge"),
        5
    );
    for n in 0..5 {
        assert!(
            all_events(&app, &format!("org_{n}"), None, 50)
                .await
                .is_empty()
        );
    }
    assert_eq!(
        kinds(&all_events(&app, "org_new", None, 50).await),
        ["ORG_CREATED"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_and_revocation_record_session_ends() {
    let rig = LoginRig::new().await;
    let first = complete(&rig, &rig.approved_redirect().await).await;
    let token = first["data"]["completeVippsLogin"]["sessionToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let user_id = first["data"]["completeVippsLogin"]["user"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    complete(&rig, &rig.approved_redirect().await).await;
    let logout = reqwest::Client::new()
        .post(rig.app.url("/vipps/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("logout");
    assert_eq!(logout.status(), 200);
    let revoked = rig
        .app
        .graphql(
            Auth::Admin,
            "mutation($u: String!) { revokeUserSessions(userId: $u) { revoked } }",
            json!({ "u": user_id }),
        )
        .await;
    assert_eq!(
        revoked["data"]["revokeUserSessions"]["revoked"], 1,
        "{revoked}"
    );

    let ended = all_events(&rig.app, ORG_ID, Some(json!(["SESSION_ENDED"])), 50).await;
    assert_eq!(ended.len(), 2, "{ended:#?}");
    assert_eq!(ended[0]["actor"], "admin");
    assert_eq!(
        ended[0]["detail"],
        json!({ "reason": "revoke", "sessions_ended": 1 })
    );
    assert_eq!(ended[1]["actor"], format!("user:{user_id}"));
    assert_eq!(
        ended[1]["detail"],
        json!({ "reason": "logout", "sessions_ended": 1 })
    );
    assert!(ended.iter().all(|e| e["userId"] == user_id.as_str()));
}
