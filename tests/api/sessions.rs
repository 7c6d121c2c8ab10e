//! Sessions that end, tried by an attacker through the public surface: logout (GraphQL and
//! REST), admin revocation, deleting the user, unlinking its last identity, switching the
//! organization off or deleting it (and re-creating its `org_id`), and the RFC 7662
//! introspection other backends ask. Every ending is checked with `me` *and* introspection.

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use vipps_identity::mock_vipps::{AuthorizeMode, Endpoint, Fault, MockUser};

use crate::helpers::{Auth, TestApp, TestResponse, org_body};
use crate::rig::{ALL_SCOPES, CLIENT_ID, LoginRig, ORG_ID, REDIRECT_URI, Redirect, error_code};

/// A session a login handed out.
pub(crate) struct Login {
    pub token: String,
    pub user_id: String,
}

const COMPLETE: &str = "mutation($input: CompleteVippsLoginInput!) { completeVippsLogin(input: $input) { sessionToken sessionExpiresAt user { id } } }";

/// `completeVippsLogin` for `redirect`, as the app that started the login sends it.
async fn complete(rig: &LoginRig, redirect: &Redirect) -> Value {
    let input = json!({
        "state": redirect["state"],
        "code": redirect["code"],
        "completionToken": rig.completion_token(redirect),
    });
    rig.app
        .graphql(Auth::None, COMPLETE, json!({ "input": input }))
        .await
}

/// Logs in as the mock's user `index` through GraphQL.
pub(crate) async fn login(rig: &LoginRig, index: usize) -> Login {
    rig.mock
        .set_authorize(AuthorizeMode::Approve { user: index });
    let redirect = rig.approved_redirect().await;
    let body = complete(rig, &redirect).await;
    let result = &body["data"]["completeVippsLogin"];
    Login {
        token: result["sessionToken"]
            .as_str()
            .unwrap_or_else(|| panic!("login failed: {body}"))
            .to_owned(),
        user_id: result["user"]["id"].as_str().expect("user id").to_owned(),
    }
}

/// Logs in as the mock's user `index` through the REST callback.
pub(crate) async fn login_rest(rig: &LoginRig, index: usize) -> Login {
    rig.mock
        .set_authorize(AuthorizeMode::Approve { user: index });
    let redirect = rig.approved_redirect().await;
    let response = rig.callback(&redirect).await;
    assert_eq!(response.status, 200, "callback: {}", response.text);
    let body = response.json();
    Login {
        token: body["sessionToken"].as_str().expect("token").to_owned(),
        user_id: body["userId"].as_str().expect("userId").to_owned(),
    }
}

/// `POST path` with `Authorization: Bearer <token>` and an optional JSON body.
pub async fn post_bearer(
    app: &TestApp,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> TestResponse {
    let mut request = reqwest::Client::new()
        .post(app.url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request reaches the server");
    TestResponse {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        text: response.text().await.expect("body"),
    }
}

/// A GraphQL request carrying a session token.
pub async fn graphql_as(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let response = post_bearer(
        app,
        "/graphql",
        token,
        Some(json!({ "query": query, "variables": variables })),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()
}

async fn me(app: &TestApp, token: &str) -> Value {
    graphql_as(app, token, "{ me { id org { orgId } } }", json!({})).await
}

async fn logout(app: &TestApp, token: &str) -> Value {
    graphql_as(
        app,
        token,
        "mutation { logout { loggedOut endedAt } }",
        json!({}),
    )
    .await
}

async fn logout_rest(app: &TestApp, token: &str) -> TestResponse {
    post_bearer(app, "/vipps/logout", token, None).await
}

/// What introspection (as admin) answers for `token`.
async fn introspect(app: &TestApp, token: &str) -> Value {
    let response = app
        .post_form("/oauth2/introspect", Auth::Admin, &[("token", token)])
        .await;
    assert_eq!(response.status, 200, "introspection: {}", response.text);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    response.json()
}

/// `me` and introspection both accept the session, as the user it was issued to.
pub(crate) async fn assert_active(app: &TestApp, login: &Login, label: &str) {
    let body = me(app, &login.token).await;
    assert!(body["errors"].is_null(), "{label}: me refused: {body}");
    assert_eq!(body["data"]["me"]["id"], login.user_id.as_str(), "{label}");
    let answer = introspect(app, &login.token).await;
    assert_eq!(answer["active"], true, "{label}: {answer}");
    assert_eq!(answer["sub"], login.user_id.as_str(), "{label}: {answer}");
}

/// `me` refuses the token (`UNAUTHENTICATED`) and introspection says exactly `active: false`.
pub(crate) async fn assert_ended(app: &TestApp, token: &str, label: &str) {
    let body = me(app, token).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{label}: {body}");
    let answer = introspect(app, token).await;
    assert_eq!(answer, json!({ "active": false }), "{label}");
}

fn assert_logged_out(result: &Value) {
    assert_eq!(result["loggedOut"], true, "{result}");
    let ended_at = result["endedAt"].as_str().expect("endedAt");
    chrono::DateTime::parse_from_rfc3339(ended_at).expect("endedAt is RFC 3339");
}

/// The token's claims, unverified.
fn claims(token: &str) -> Value {
    jsonwebtoken::dangerous::insecure_decode::<Value>(token)
        .expect("a JWT")
        .claims
}

/// Signs `claims` as the server would (its own key, its `kid`).
fn sign_as_server(app: &TestApp, template: &str, claims: &Value) -> String {
    let pem = std::fs::read(app.keys.path().join("session-key.pem")).expect("key");
    let key = EncodingKey::from_ed_pem(&pem).expect("key");
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = jsonwebtoken::decode_header(template).expect("header").kid;
    jsonwebtoken::encode(&header, claims, &key).expect("sign")
}

pub(crate) async fn admin(app: &TestApp, query: &str, variables: Value) -> Value {
    app.graphql(Auth::Admin, query, variables).await
}

const REVOKE: &str =
    "mutation($id: String!) { revokeUserSessions(userId: $id) { userId revoked } }";

#[tokio::test(flavor = "multi_thread")]
async fn graphql_logout_ends_that_session_and_no_other() {
    let rig = LoginRig::new().await;
    let first = login(&rig, MockUser::ADA).await;
    let second = login(&rig, MockUser::ADA).await;
    assert_eq!(first.user_id, second.user_id, "one user, two sessions");
    assert_active(&rig.app, &first, "first before logout").await;

    let body = logout(&rig.app, &first.token).await;
    assert!(body["errors"].is_null(), "{body}");
    assert_logged_out(&body["data"]["logout"]);
    assert_ended(&rig.app, &first.token, "logged out").await;
    assert_active(&rig.app, &second, "the other session").await;

    let again = logout(&rig.app, &first.token).await;
    assert_eq!(error_code(&again), "UNAUTHENTICATED", "{again}");
    logout_rest(&rig.app, &first.token)
        .await
        .problem(401, "UNAUTHENTICATED");
    for auth in [Auth::None, Auth::Admin] {
        let body = rig
            .app
            .graphql(auth, "mutation { logout { loggedOut } }", json!({}))
            .await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    }
    assert_active(&rig.app, &second, "still, after the refused logouts").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rest_logout_ends_that_session_and_no_other() {
    let rig = LoginRig::new().await;
    let first = login_rest(&rig, MockUser::ADA).await;
    let second = login_rest(&rig, MockUser::ADA).await;
    let graphql = login(&rig, MockUser::ADA).await;
    assert_eq!(first.user_id, graphql.user_id);
    assert_active(&rig.app, &first, "REST session").await;

    let response = logout_rest(&rig.app, &first.token).await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_logged_out(&response.json());
    assert_ended(&rig.app, &first.token, "logged out over REST").await;
    assert_active(&rig.app, &second, "the other REST session").await;
    assert_active(&rig.app, &graphql, "the GraphQL session").await;

    logout_rest(&rig.app, &first.token)
        .await
        .problem(401, "UNAUTHENTICATED");
    let again = logout(&rig.app, &first.token).await;
    assert_eq!(error_code(&again), "UNAUTHENTICATED", "{again}");
    for auth in [Auth::None, Auth::Admin, Auth::Wrong] {
        rig.app
            .request("POST", "/vipps/logout", auth, None, None)
            .await
            .problem(401, "UNAUTHENTICATED");
    }
    // A GraphQL session ends over REST just the same.
    assert_logged_out(&logout_rest(&rig.app, &graphql.token).await.json());
    assert_ended(
        &rig.app,
        &graphql.token,
        "GraphQL session logged out over REST",
    )
    .await;
    assert_active(&rig.app, &second, "the last one").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn revoking_a_users_sessions_ends_all_of_them_and_no_one_elses() {
    let rig = LoginRig::new().await;
    let ada = login(&rig, MockUser::ADA).await;
    let ada_rest = login_rest(&rig, MockUser::ADA).await;
    let grace = login(&rig, MockUser::GRACE).await;
    assert_eq!(ada.user_id, ada_rest.user_id);
    assert_ne!(ada.user_id, grace.user_id);
    let id = json!({ "id": ada.user_id });

    for auth in [Auth::None, Auth::Wrong] {
        let body = rig.app.graphql(auth, REVOKE, id.clone()).await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
    }
    let body = graphql_as(&rig.app, &ada.token, REVOKE, id.clone()).await;
    assert_eq!(
        error_code(&body),
        "UNAUTHENTICATED",
        "a session is not an admin: {body}"
    );
    assert_active(&rig.app, &ada, "after the refused revocations").await;

    let unknown = admin(
        &rig.app,
        REVOKE,
        json!({ "id": "00000000-0000-4000-8000-000000000000" }),
    )
    .await;
    assert_eq!(error_code(&unknown), "NOT_FOUND", "{unknown}");
    let malformed = admin(&rig.app, REVOKE, json!({ "id": "nope" })).await;
    assert_eq!(error_code(&malformed), "INVALID_INPUT", "{malformed}");

    let body = admin(&rig.app, REVOKE, id.clone()).await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(
        body["data"]["revokeUserSessions"],
        json!({ "userId": ada.user_id, "revoked": 2 })
    );
    assert_ended(&rig.app, &ada.token, "revoked (GraphQL login)").await;
    assert_ended(&rig.app, &ada_rest.token, "revoked (REST login)").await;
    assert_active(&rig.app, &grace, "another user").await;

    let again = admin(&rig.app, REVOKE, id).await;
    assert_eq!(again["data"]["revokeUserSessions"]["revoked"], 0, "{again}");
    let back = login(&rig, MockUser::ADA).await;
    assert_eq!(back.user_id, ada.user_id);
    assert_active(&rig.app, &back, "a new login after revocation").await;
    assert_ended(&rig.app, &ada.token, "still, after a new login").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_a_user_ends_its_sessions() {
    let rig = LoginRig::new().await;
    let ada = login(&rig, MockUser::ADA).await;
    let ada_rest = login_rest(&rig, MockUser::ADA).await;
    let grace = login(&rig, MockUser::GRACE).await;
    let body = admin(
        &rig.app,
        "mutation($id: String!) { deleteUser(id: $id) { deleted } }",
        json!({ "id": ada.user_id }),
    )
    .await;
    assert_eq!(body["data"]["deleteUser"]["deleted"], true, "{body}");
    assert_ended(&rig.app, &ada.token, "deleted user").await;
    assert_ended(&rig.app, &ada_rest.token, "deleted user (REST)").await;
    let refused = logout(&rig.app, &ada.token).await;
    assert_eq!(error_code(&refused), "UNAUTHENTICATED", "{refused}");
    assert_active(&rig.app, &grace, "another user").await;
    let revoke = admin(&rig.app, REVOKE, json!({ "id": ada.user_id })).await;
    assert_eq!(error_code(&revoke), "NOT_FOUND", "{revoke}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unlinking_an_identity_ends_its_sessions_and_the_last_one_ends_all() {
    let rig = LoginRig::new().await;
    let kari = login(&rig, MockUser::KARI).await;
    let recreated = login_rest(&rig, MockUser::KARI_RECREATED).await;
    assert_eq!(kari.user_id, recreated.user_id, "same name and number");
    let grace = login(&rig, MockUser::GRACE).await;
    let user = admin(
        &rig.app,
        "query($id: String!) { user(id: $id) { vippsIdentities { sub } } }",
        json!({ "id": kari.user_id }),
    )
    .await;
    let subs: Vec<String> = user["data"]["user"]["vippsIdentities"]
        .as_array()
        .unwrap_or_else(|| panic!("{user}"))
        .iter()
        .map(|i| i["sub"].as_str().expect("sub").to_owned())
        .collect();
    assert_eq!(subs.len(), 2, "{user}");
    // Identities are listed oldest first: subs[0] is the one Kari's first login brought.
    let unlink = "mutation($id: String!, $sub: String!) { unlinkVippsIdentity(userId: $id, sub: $sub) { vippsIdentities { sub } } }";

    let body = admin(
        &rig.app,
        unlink,
        json!({ "id": kari.user_id, "sub": subs[0] }),
    )
    .await;
    assert_eq!(
        body["data"]["unlinkVippsIdentity"]["vippsIdentities"],
        json!([{ "sub": subs[1] }]),
        "{body}"
    );
    assert_ended(&rig.app, &kari.token, "the session its identity opened").await;
    assert_active(&rig.app, &recreated, "the other identity's session (REST)").await;

    let body = admin(
        &rig.app,
        unlink,
        json!({ "id": kari.user_id, "sub": subs[1] }),
    )
    .await;
    assert_eq!(
        body["data"]["unlinkVippsIdentity"]["vippsIdentities"],
        json!([]),
        "{body}"
    );
    assert_ended(&rig.app, &kari.token, "last identity unlinked").await;
    assert_ended(&rig.app, &recreated.token, "last identity unlinked (REST)").await;
    assert_active(&rig.app, &grace, "another user").await;
}

/// How an administrator switches the organization on or off.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Via {
    GraphQl,
    Rest,
}

async fn set_enabled(app: &TestApp, via: Via, enabled: bool) {
    match via {
        Via::GraphQl => {
            let body = admin(
                app,
                "mutation($id: String!, $on: Boolean!) { updateVippsOrg(orgId: $id, input: { vippsEnabled: $on }) { vippsEnabled } }",
                json!({ "id": ORG_ID, "on": enabled }),
            )
            .await;
            assert_eq!(
                body["data"]["updateVippsOrg"]["vippsEnabled"], enabled,
                "{body}"
            );
        }
        Via::Rest => {
            let response = app
                .send_json(
                    "PUT",
                    &format!("/api/v1/vipps-orgs/{ORG_ID}"),
                    Auth::Admin,
                    &json!({ "vipps_enabled": enabled }),
                )
                .await;
            assert_eq!(response.status, 200, "{}", response.text);
            assert_eq!(response.json()["vipps_enabled"], enabled);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn switching_vipps_off_ends_the_sessions_and_switching_it_on_does_not_revive_them() {
    for via in [Via::GraphQl, Via::Rest] {
        let rig = LoginRig::new().await;
        let ada = login(&rig, MockUser::ADA).await;
        let grace = login_rest(&rig, MockUser::GRACE).await;
        set_enabled(&rig.app, via, true).await;
        assert_active(&rig.app, &ada, &format!("{via:?}: left on")).await;

        set_enabled(&rig.app, via, false).await;
        assert_ended(&rig.app, &ada.token, &format!("{via:?}: off")).await;
        assert_ended(&rig.app, &grace.token, &format!("{via:?}: off (REST)")).await;
        rig.mock.set_authorize(AuthorizeMode::Approve {
            user: MockUser::ADA,
        });
        let started = rig
            .app
            .graphql(
                Auth::None,
                crate::rig::START,
                json!({ "input": { "orgId": ORG_ID } }),
            )
            .await;
        assert_eq!(error_code(&started), "VIPPS_DISABLED", "{via:?}: {started}");

        set_enabled(&rig.app, via, true).await;
        assert_ended(&rig.app, &ada.token, &format!("{via:?}: on again")).await;
        assert_ended(&rig.app, &grace.token, &format!("{via:?}: on again (REST)")).await;
        let back = login(&rig, MockUser::ADA).await;
        assert_active(&rig.app, &back, &format!("{via:?}: a new login")).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_completing_while_vipps_is_switched_off_gets_no_live_session() {
    let rig = LoginRig::new().await;
    let ada = login(&rig, MockUser::ADA).await;
    let redirect = rig.approved_redirect().await;
    rig.mock.inject(Fault::Slow {
        endpoint: Endpoint::Userinfo,
        delay: Duration::from_millis(800),
    });
    let switch_off = async {
        // The completion is past its checks and waiting for userinfo by now.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(rig.mock.request_count(Endpoint::Token), 2, "mid-completion");
        set_enabled(&rig.app, Via::GraphQl, false).await;
    };
    let (body, ()) = tokio::join!(complete(&rig, &redirect), switch_off);
    rig.mock.clear_faults();
    assert_ended(&rig.app, &ada.token, "switched off").await;
    if let Some(token) = body["data"]["completeVippsLogin"]["sessionToken"].as_str() {
        assert_ended(&rig.app, token, "issued while switching off").await;
        set_enabled(&rig.app, Via::GraphQl, true).await;
        assert_ended(&rig.app, token, "issued while switching off, on again").await;
    }
    assert_eq!(error_code(&body), "VIPPS_DISABLED", "{body}");
}

/// Removes the rig's organization through `via`, with its users when `purge_users`.
pub(crate) async fn delete_org(app: &TestApp, via: Via, purge_users: bool) {
    match via {
        Via::GraphQl => {
            let body = admin(
                app,
                "mutation($id: String!, $purge: Boolean!) { deleteVippsOrg(orgId: $id, purgeUsers: $purge) { deleted } }",
                json!({ "id": ORG_ID, "purge": purge_users }),
            )
            .await;
            assert_eq!(body["data"]["deleteVippsOrg"]["deleted"], true, "{body}");
        }
        Via::Rest => {
            let response = app
                .request(
                    "DELETE",
                    &format!("/api/v1/vipps-orgs/{ORG_ID}?purge_users={purge_users}"),
                    Auth::Admin,
                    None,
                    None,
                )
                .await;
            assert_eq!(response.status, 200, "{}", response.text);
        }
    }
}

/// Creates the rig's organization again: the same `org_id` and Vipps client as before.
pub(crate) async fn recreate_org(rig: &LoginRig) {
    let secret = rig.secret_dir.path().join("client_secret");
    rig.app
        .create_org(&org_body(
            ORG_ID,
            json!({
                "client_id": CLIENT_ID,
                "client_secret_ref": format!("file://{}", secret.display()),
                "redirect_uri": REDIRECT_URI,
                "scopes": ALL_SCOPES,
                "token_endpoint_auth_method": "client_secret_basic",
            }),
        ))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_purged_and_recreated_org_does_not_revive_old_sessions() {
    for via in [Via::GraphQl, Via::Rest] {
        let rig = LoginRig::new().await;
        let ada = login(&rig, MockUser::ADA).await;
        let grace = login_rest(&rig, MockUser::GRACE).await;
        delete_org(&rig.app, via, true).await;
        assert_ended(&rig.app, &ada.token, &format!("{via:?}: deleted")).await;
        assert_ended(&rig.app, &grace.token, &format!("{via:?}: deleted (REST)")).await;

        recreate_org(&rig).await;
        assert_ended(&rig.app, &ada.token, &format!("{via:?}: re-created")).await;
        let old_user = admin(
            &rig.app,
            "query($id: String!) { user(id: $id) { id } }",
            json!({ "id": ada.user_id }),
        )
        .await;
        assert!(
            old_user["data"]["user"].is_null(),
            "{via:?}: the old user went with the purge: {old_user}"
        );

        // A user in the re-created org, then a login linking to it by phone number.
        let created = admin(
            &rig.app,
            "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
            json!({ "input": { "orgId": ORG_ID, "phoneNumber": "4712345678" } }),
        )
        .await;
        let new_id = created["data"]["createUser"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{created}"))
            .to_owned();
        assert_ne!(new_id, ada.user_id);
        assert_ended(&rig.app, &ada.token, &format!("{via:?}: with a new user")).await;
        let fresh = login(&rig, MockUser::ADA).await;
        assert_eq!(fresh.user_id, new_id, "{via:?}: linked by phone");
        assert_active(&rig.app, &fresh, &format!("{via:?}: new session")).await;
        assert_ended(&rig.app, &ada.token, &format!("{via:?}: after a new login")).await;
        assert_ended(
            &rig.app,
            &grace.token,
            &format!("{via:?}: after a new login (REST)"),
        )
        .await;

        // Tokens signed with the server's own key, as if the old sessions had the new `sub`,
        // or were issued again: only recorded open sessions count.
        let now = chrono::Utc::now().timestamp();
        let old = claims(&ada.token);
        let new = claims(&fresh.token);
        let resigned = |sub: &str, jti: &Value| {
            let mut c = old.clone();
            c["sub"] = json!(sub);
            c["jti"] = jti.clone();
            c["iat"] = json!(now);
            c["exp"] = json!(now + 600);
            sign_as_server(&rig.app, &ada.token, &c)
        };
        let control = resigned(&new_id, &new["jti"]);
        assert_eq!(
            introspect(&rig.app, &control).await["active"],
            true,
            "{via:?}: the control (the new session, re-signed) is active"
        );
        for (label, token) in [
            (
                "the old session re-signed",
                resigned(&ada.user_id, &old["jti"]),
            ),
            (
                "the old session with the new sub",
                resigned(&new_id, &old["jti"]),
            ),
            (
                "an unrecorded session of the new user",
                resigned(&new_id, &json!("never-issued")),
            ),
            (
                "the new session with the old sub",
                resigned(&ada.user_id, &new["jti"]),
            ),
        ] {
            assert_ended(&rig.app, &token, &format!("{via:?}: {label}")).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn introspection_needs_the_admin_and_a_form_with_one_token() {
    let rig = LoginRig::new().await;
    let ada = login(&rig, MockUser::ADA).await;
    let form = [("token", ada.token.as_str())];
    for auth in [Auth::None, Auth::Wrong] {
        rig.app
            .post_form("/oauth2/introspect", auth, &form)
            .await
            .problem(401, "UNAUTHENTICATED");
    }
    let as_session = reqwest::Client::new()
        .post(rig.app.url("/oauth2/introspect"))
        .bearer_auth(&ada.token)
        .form(&form)
        .send()
        .await
        .expect("request");
    assert_eq!(as_session.status(), 401, "a session is not an admin");

    let json_body = json!({ "token": ada.token }).to_string().into_bytes();
    for content_type in [Some("application/json"), Some("text/plain"), None] {
        rig.app
            .request(
                "POST",
                "/oauth2/introspect",
                Auth::Admin,
                content_type,
                Some(json_body.clone()),
            )
            .await
            .problem(415, "UNSUPPORTED_MEDIA_TYPE");
    }
    let charset = rig
        .app
        .request(
            "POST",
            "/oauth2/introspect",
            Auth::Admin,
            Some("Application/X-WWW-Form-Urlencoded; charset=utf-8"),
            Some(format!("token={}", ada.token).into_bytes()),
        )
        .await;
    assert_eq!(charset.json()["active"], true, "{}", charset.text);

    for fields in [
        vec![],
        vec![("token_type_hint", "access_token")],
        vec![("token", "")],
        vec![("token", ada.token.as_str()), ("token", "other")],
    ] {
        rig.app
            .post_form("/oauth2/introspect", Auth::Admin, &fields)
            .await
            .problem(400, "INVALID_INPUT");
    }
    assert_eq!(
        rig.app
            .request("GET", "/oauth2/introspect", Auth::Admin, None, None)
            .await
            .status,
        405
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn introspection_answers_active_only_for_a_live_session_of_ours() {
    let rig = LoginRig::new().await;
    let ada = login(&rig, MockUser::ADA).await;
    let claimed = claims(&ada.token);

    let answer = introspect(&rig.app, &ada.token).await;
    assert_eq!(
        answer,
        json!({
            "active": true,
            "token_type": "Bearer",
            "iss": "vipps-identity",
            "sub": ada.user_id,
            "aud": ORG_ID,
            "org_id": ORG_ID,
            "jti": claimed["jti"],
            "iat": claimed["iat"],
            "exp": claimed["exp"],
        })
    );

    let now = chrono::Utc::now().timestamp();
    let with = |changes: Value| {
        let mut c = claimed.clone();
        for (name, value) in changes.as_object().expect("object") {
            c[name] = value.clone();
        }
        c
    };
    let control = sign_as_server(&rig.app, &ada.token, &with(json!({ "exp": now + 300 })));
    assert_eq!(
        introspect(&rig.app, &control).await["active"],
        true,
        "the control: the same session re-signed"
    );

    let other_pair = aws_lc_rs::signature::Ed25519KeyPair::generate().expect("key");
    let other_key = EncodingKey::from_ed_der(other_pair.to_pkcs8v1().expect("der").as_ref());
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = jsonwebtoken::decode_header(&ada.token).expect("header").kid;
    let forged = jsonwebtoken::encode(&header, &claimed, &other_key).expect("sign");
    let b64 = |v: &Value| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let unsigned = format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "typ": "JWT" })),
        b64(&claimed)
    );
    let (head, _) = ada.token.rsplit_once('.').expect("three parts");
    let signature_swapped = format!("{head}.{}", control.rsplit_once('.').expect("parts").1);

    let cases = [
        ("garbage", "garbage".to_owned()),
        ("three empty parts", "..".to_owned()),
        ("the admin token", crate::helpers::ADMIN_TOKEN.to_owned()),
        ("signed with another key under our kid", forged),
        ("alg none", unsigned),
        ("another token's signature", signature_swapped),
        (
            "expired",
            sign_as_server(
                &rig.app,
                &ada.token,
                &with(json!({ "iat": now - 1200, "exp": now - 300 })),
            ),
        ),
        (
            "another organization",
            sign_as_server(&rig.app, &ada.token, &with(json!({ "aud": "org_other" }))),
        ),
        (
            "another issuer",
            sign_as_server(
                &rig.app,
                &ada.token,
                &with(json!({ "iss": "someone-else" })),
            ),
        ),
        (
            "an unrecorded session",
            sign_as_server(&rig.app, &ada.token, &with(json!({ "jti": "made-up" }))),
        ),
    ];
    for (label, token) in cases {
        assert_eq!(
            introspect(&rig.app, &token).await,
            json!({ "active": false }),
            "{label}"
        );
    }
    assert_active(&rig.app, &ada, "the real token, after all that").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_last_fifteen_minutes_by_default() {
    let rig = LoginRig::new().await;
    rig.mock.set_authorize(AuthorizeMode::Approve {
        user: MockUser::ADA,
    });
    let redirect = rig.approved_redirect().await;
    let body = complete(&rig, &redirect).await;
    let result = &body["data"]["completeVippsLogin"];
    let token = result["sessionToken"].as_str().expect("token");
    let rest = login_rest(&rig, MockUser::ADA).await;
    for (label, token) in [("GraphQL", token), ("REST", rest.token.as_str())] {
        let c = claims(token);
        let (iat, exp) = (
            c["iat"].as_i64().expect("iat"),
            c["exp"].as_i64().expect("exp"),
        );
        assert_eq!(exp - iat, 900, "{label}: {c}");
        let now = chrono::Utc::now().timestamp();
        assert!((now - 60..=now).contains(&iat), "{label}: issued now: {c}");
        let answer = introspect(&rig.app, token).await;
        assert_eq!(answer["exp"], exp, "{label}");
        assert_eq!(answer["iat"], iat, "{label}");
    }
    let expires_at = chrono::DateTime::parse_from_rfc3339(
        result["sessionExpiresAt"]
            .as_str()
            .expect("sessionExpiresAt"),
    )
    .expect("RFC 3339");
    assert_eq!(
        expires_at.timestamp(),
        claims(token)["exp"].as_i64().expect("exp")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stolen_redirect_without_the_completion_token_gets_no_session() {
    let rig = LoginRig::new().await;
    rig.mock.set_authorize(AuthorizeMode::Approve {
        user: MockUser::ADA,
    });
    let redirect = rig.approved_redirect().await;
    rig.callback_unbound(&redirect)
        .await
        .problem(422, "LOGIN_NOT_BOUND");
    for token in [None, Some("not-the-completion-token")] {
        let body = rig.complete_with_token(&redirect, token).await;
        assert_eq!(error_code(&body), "LOGIN_NOT_BOUND", "{token:?}: {body}");
    }
    // The login stays usable for whoever started it, and only that session exists.
    let response = rig.callback(&redirect).await;
    assert_eq!(response.status, 200, "{}", response.text);
    let body = response.json();
    let ada = Login {
        token: body["sessionToken"].as_str().expect("token").to_owned(),
        user_id: body["userId"].as_str().expect("userId").to_owned(),
    };
    assert_active(&rig.app, &ada, "the starter's session").await;
    let revoked = admin(&rig.app, REVOKE, json!({ "id": ada.user_id })).await;
    assert_eq!(
        revoked["data"]["revokeUserSessions"]["revoked"], 1,
        "one session was issued: {revoked}"
    );
}
