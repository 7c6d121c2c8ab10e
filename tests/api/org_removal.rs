//! Removing an organization's Vipps configuration, through both adapters: the configuration
//! goes (every read answers 404 / `null`, pending logins and sessions end), the users, their
//! Vipps identities and the audit trail stay, and a re-created `org_id` finds the same users.
//! Erasing the registry is the explicit purge (`purgeUsers: true` / `?purge_users=true`).

use serde_json::{Value, json};
use vipps_identity::mock_vipps::MockUser;

use crate::audit::all_events;
use crate::helpers::{Auth, TestApp};
use crate::rig::{LoginRig, ORG_ID, error_code};
use crate::sessions::{
    Via, admin, assert_active, assert_ended, delete_org, login, login_rest, recreate_org,
};

const USERS: &str = "query($o: String!) { users(orgId: $o, limit: 100) { items { id email org { orgId } vippsIdentities { sub } } pagination { total } } }";

/// The organization's users as the admin lists them.
async fn users_of(app: &TestApp) -> Vec<Value> {
    let body = admin(app, USERS, json!({ "o": ORG_ID })).await;
    assert!(body["errors"].is_null(), "{body}");
    let page = &body["data"]["users"];
    assert_eq!(
        page["pagination"]["total"],
        page["items"].as_array().map_or(0, Vec::len),
        "{body}"
    );
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("users: {body}"))
        .clone()
}

fn ids(users: &[Value]) -> Vec<&str> {
    let mut ids: Vec<&str> = users.iter().filter_map(|u| u["id"].as_str()).collect();
    ids.sort_unstable();
    ids
}

/// Registers a member ahead of their first login; returns the user id.
async fn pre_provision(app: &TestApp, email: &str) -> Result<String, Value> {
    let body = admin(
        app,
        "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
        json!({ "input": { "orgId": ORG_ID, "email": email } }),
    )
    .await;
    body["data"]["createUser"]["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or(body)
}

/// Asserts that no read, REST or GraphQL, shows the organization.
async fn assert_gone_from_reads(app: &TestApp, label: &str) {
    for path in [
        format!("/api/v1/vipps-orgs/{ORG_ID}"),
        format!("/api/v1/vipps-orgs/{ORG_ID}/status"),
    ] {
        app.get(&path).await.problem(404, "NOT_FOUND");
    }
    let list = app
        .get("/api/v1/vipps-orgs?include_disabled=true&limit=100")
        .await
        .json();
    assert!(
        !list["data"].to_string().contains(ORG_ID),
        "{label}: listed: {list}"
    );
    let body = admin(
        app,
        "query($o: String!) { vippsOrg(orgId: $o) { orgId } vippsOrgStatus(orgId: $o) { orgId } vippsOrgs(includeDisabled: true, limit: 100) { items { orgId } } }",
        json!({ "o": ORG_ID }),
    )
    .await;
    assert!(body["errors"].is_null(), "{label}: {body}");
    assert!(body["data"]["vippsOrg"].is_null(), "{label}: {body}");
    assert!(body["data"]["vippsOrgStatus"].is_null(), "{label}: {body}");
    assert!(
        !body["data"]["vippsOrgs"].to_string().contains(ORG_ID),
        "{label}: {body}"
    );
}

/// The `org.deleted` events of the rig's organization, newest first.
async fn deletions(app: &TestApp) -> Vec<Value> {
    all_events(app, ORG_ID, Some(json!(["ORG_DELETED"])), 50).await
}

#[tokio::test(flavor = "multi_thread")]
async fn removing_the_configuration_keeps_the_users_and_a_new_login_finds_the_same_user() {
    for via in [Via::GraphQl, Via::Rest] {
        let rig = LoginRig::new().await;
        let ada = login(&rig, MockUser::ADA).await;
        let grace = login_rest(&rig, MockUser::GRACE).await;
        let member = pre_provision(&rig.app, "member@example.no")
            .await
            .expect("member");
        let before = users_of(&rig.app).await;
        assert_eq!(before.len(), 3, "{via:?}: {before:#?}");
        let pending = rig.approved_redirect().await;

        delete_org(&rig.app, via, false).await;

        assert_gone_from_reads(&rig.app, &format!("{via:?}")).await;
        assert_ended(&rig.app, &ada.token, &format!("{via:?}: removed")).await;
        assert_ended(&rig.app, &grace.token, &format!("{via:?}: removed (REST)")).await;
        let kept = users_of(&rig.app).await;
        assert_eq!(ids(&kept), ids(&before), "{via:?}: the users stay");
        for user in &kept {
            assert!(user["org"].is_null(), "{via:?}: no configuration: {user}");
        }
        let identities: Vec<&Value> = kept
            .iter()
            .filter(|u| u["id"] == ada.user_id.as_str())
            .map(|u| &u["vippsIdentities"])
            .collect();
        assert_eq!(
            identities[0].as_array().map(Vec::len),
            Some(1),
            "{via:?}: the identity stays: {kept:#?}"
        );
        let refused = pre_provision(&rig.app, "late@example.no")
            .await
            .expect_err("no new users without a configuration");
        assert_eq!(error_code(&refused), "NOT_FOUND", "{refused}");
        let events = deletions(&rig.app).await;
        assert_eq!(events.len(), 1, "{via:?}: {events:#?}");
        assert_eq!(events[0]["actor"], "admin");
        assert_eq!(events[0]["detail"]["purge_users"], false);
        assert_eq!(events[0]["detail"]["users_purged"], 0);
        assert_eq!(events[0]["detail"]["configuration_removed"], true);
        assert_eq!(events[0]["detail"]["sessions_ended"], 2);

        recreate_org(&rig).await;

        // A login started before the removal ended with it.
        let stale = rig.complete(&pending).await;
        assert_eq!(
            error_code(&stale),
            "LOGIN_STATE_INVALID",
            "{via:?}: {stale}"
        );
        assert_ended(&rig.app, &ada.token, &format!("{via:?}: re-created")).await;
        let back = login(&rig, MockUser::ADA).await;
        assert_eq!(back.user_id, ada.user_id, "{via:?}: the same user");
        assert_active(&rig.app, &back, &format!("{via:?}: new session")).await;
        let grace_back = login_rest(&rig, MockUser::GRACE).await;
        assert_eq!(grace_back.user_id, grace.user_id, "{via:?}: the same user");
        let after = users_of(&rig.app).await;
        assert_eq!(ids(&after), ids(&before), "{via:?}: no user was added");
        let member_row = after
            .iter()
            .find(|u| u["id"] == member.as_str())
            .expect("member");
        assert_eq!(member_row["org"]["orgId"], ORG_ID, "{member_row}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn purging_erases_the_users_identities_and_sessions() {
    for via in [Via::GraphQl, Via::Rest] {
        let rig = LoginRig::new().await;
        let ada = login(&rig, MockUser::ADA).await;
        pre_provision(&rig.app, "member@example.no")
            .await
            .expect("member");

        delete_org(&rig.app, via, true).await;

        assert_gone_from_reads(&rig.app, &format!("{via:?}")).await;
        assert_eq!(users_of(&rig.app).await, Vec::<Value>::new(), "{via:?}");
        assert_ended(&rig.app, &ada.token, &format!("{via:?}: purged")).await;
        let events = deletions(&rig.app).await;
        assert_eq!(events.len(), 1, "{via:?}: {events:#?}");
        assert_eq!(events[0]["actor"], "admin");
        assert_eq!(events[0]["detail"]["purge_users"], true);
        assert_eq!(events[0]["detail"]["users_purged"], 2);
        assert!(
            all_events(&rig.app, ORG_ID, None, 50).await.len() > 1,
            "{via:?}: the earlier events stay"
        );

        recreate_org(&rig).await;
        let fresh = login(&rig, MockUser::ADA).await;
        assert_ne!(fresh.user_id, ada.user_id, "{via:?}: a new user");
        assert_eq!(ids(&users_of(&rig.app).await), [fresh.user_id.as_str()]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_users_of_a_removed_configuration_can_be_purged_later() {
    for via in [Via::GraphQl, Via::Rest] {
        let rig = LoginRig::new().await;
        let ada = login(&rig, MockUser::ADA).await;
        delete_org(&rig.app, via, false).await;
        assert_eq!(ids(&users_of(&rig.app).await), [ada.user_id.as_str()]);

        delete_org(&rig.app, via, true).await;
        assert_eq!(users_of(&rig.app).await, Vec::<Value>::new(), "{via:?}");
        let events = deletions(&rig.app).await;
        assert_eq!(events.len(), 2, "{via:?}: {events:#?}");
        assert_eq!(events[0]["detail"]["configuration_removed"], false);
        assert_eq!(events[0]["detail"]["users_purged"], 1);

        // Nothing is left to remove, with or without a purge.
        for purge in [false, true] {
            let path = format!("/api/v1/vipps-orgs/{ORG_ID}?purge_users={purge}");
            rig.app
                .request("DELETE", &path, Auth::Admin, None, None)
                .await
                .problem(404, "NOT_FOUND");
            let body = admin(
                &rig.app,
                "mutation($id: String!, $purge: Boolean!) { deleteVippsOrg(orgId: $id, purgeUsers: $purge) { deleted } }",
                json!({ "id": ORG_ID, "purge": purge }),
            )
            .await;
            assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rest_answer_keeps_its_shape_and_odd_query_parameters_are_refused() {
    let rig = LoginRig::new().await;
    let ada = login(&rig, MockUser::ADA).await;
    for query in [
        "purge_users=yes",
        "purge_users=",
        "purge_users=TRUE",
        "purge_users=true&purge_users=false",
        "purge=true",
        "purge_users=false&force=1",
    ] {
        let path = format!("/api/v1/vipps-orgs/{ORG_ID}?{query}");
        rig.app
            .request("DELETE", &path, Auth::Admin, None, None)
            .await
            .problem(400, "INVALID_INPUT");
    }
    let untouched = rig.app.get(&format!("/api/v1/vipps-orgs/{ORG_ID}")).await;
    assert_eq!(untouched.status, 200, "{}", untouched.text);
    assert_active(&rig.app, &ada, "after refused deletes").await;

    let response = rig
        .app
        .request(
            "DELETE",
            &format!("/api/v1/vipps-orgs/{ORG_ID}"),
            Auth::Admin,
            None,
            None,
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    let body = response.json();
    let mut keys: Vec<&String> = body.as_object().expect("object").keys().collect();
    keys.sort_unstable();
    assert_eq!(keys, ["deleted", "deleted_at", "org_id"], "{body}");
    assert_eq!(body["org_id"], ORG_ID);
    assert_eq!(body["deleted"], true);
    assert_eq!(ids(&users_of(&rig.app).await), [ada.user_id.as_str()]);
}

/// A session issued while the configuration was being removed (a completion racing the
/// delete, so that ending the org's sessions missed it) must not come back to life when the
/// `org_id` is created again.
#[tokio::test(flavor = "multi_thread")]
async fn a_session_that_escaped_the_removal_stays_dead_after_the_org_is_created_again() {
    let rig = LoginRig::new().await;
    let ada = login(&rig, MockUser::ADA).await;
    delete_org(&rig.app, Via::GraphQl, false).await;
    // What the race leaves behind: the session still open.
    rig.app.run_sql("UPDATE sessions SET ended_at = NULL").await;
    assert_ended(&rig.app, &ada.token, "removed").await;
    recreate_org(&rig).await;
    assert_ended(&rig.app, &ada.token, "created again").await;
    let back = login(&rig, MockUser::ADA).await;
    assert_active(&rig.app, &back, "a new session").await;
}
