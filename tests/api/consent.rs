//! Consent revocation as Vipps and as strangers send it: `POST /vipps/consent/{org_id}/{secret}`
//! with an unsigned JWT. Strangers guessing the URL or using another organization's secret
//! get 404 and change nothing; a valid event clears the Vipps profile data, ends the
//! sessions and is recorded; rotation retires the old URL; garbage is a 400.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use vipps_identity::domain::Timestamp;

use crate::audit::all_events;
use crate::helpers::{Auth, TestApp, TestResponse, login_config, org_body};
use crate::rig::{LoginRig, ORG_ID};
use crate::sessions::recreate_org;

const LOGIN: &str = "mutation($input: CompleteVippsLoginInput!) { completeVippsLogin(input: $input) { sessionToken user { id } vippsUserInfo { subjectIdentifier } } }";
const PROFILE: &str = "query($id: String!) { user(id: $id) { id name givenName familyName email emailVerified phoneNumber } }";

/// A login's session token, user id and Vipps `sub`.
struct Login {
    token: String,
    user_id: String,
    sub: String,
}

async fn login(rig: &LoginRig) -> Login {
    let redirect = rig.approved_redirect().await;
    let input = json!({
        "state": redirect["state"],
        "code": redirect["code"],
        "completionToken": rig.completion_token(&redirect),
    });
    let body = rig
        .app
        .graphql(Auth::None, LOGIN, json!({ "input": input }))
        .await;
    let result = &body["data"]["completeVippsLogin"];
    Login {
        token: result["sessionToken"]
            .as_str()
            .unwrap_or_else(|| panic!("login: {body}"))
            .to_owned(),
        user_id: result["user"]["id"].as_str().expect("id").to_owned(),
        sub: result["vippsUserInfo"]["subjectIdentifier"]
            .as_str()
            .expect("sub")
            .to_owned(),
    }
}

/// The organization's revocation URL as the admin reads it.
async fn consent_url(app: &TestApp, org: &str) -> String {
    let body = app
        .graphql(
            Auth::Admin,
            "query($o: String!) { vippsOrg(orgId: $o) { consentRevocationUrl } }",
            json!({ "o": org }),
        )
        .await;
    body["data"]["vippsOrg"]["consentRevocationUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("no URL: {body}"))
        .to_owned()
}

/// The unsigned JWT Vipps sends.
fn event(sub: &str, iat: i64) -> String {
    let header = URL_SAFE_NO_PAD.encode(json!({ "alg": "none", "typ": "JWT" }).to_string());
    let claims =
        json!({ "sub": sub, "event": "CONSENT_REVOKED", "iat": iat, "nbf": iat, "exp": iat + 300 });
    format!("{header}.{}.", URL_SAFE_NO_PAD.encode(claims.to_string()))
}

fn recent() -> i64 {
    Timestamp::now().unix() - 5
}

async fn post(app: &TestApp, path: &str, body: &str) -> TestResponse {
    app.request(
        "POST",
        path,
        Auth::None,
        Some("text/plain"),
        Some(body.as_bytes().to_vec()),
    )
    .await
}

async fn profile(app: &TestApp, user_id: &str) -> Value {
    let body = app
        .graphql(Auth::Admin, PROFILE, json!({ "id": user_id }))
        .await;
    body["data"]["user"].clone()
}

async fn me_code(app: &TestApp, token: &str) -> Option<String> {
    let response = reqwest::Client::new()
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .expect("me");
    let body: Value = response.json().await.expect("json");
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .map(str::to_owned)
}

fn consent_events(events: &[Value]) -> Vec<&Value> {
    events
        .iter()
        .filter(|e| e["kind"] == "CONSENT_REVOKED")
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn strangers_guessing_the_url_or_using_another_orgs_secret_get_404_and_change_nothing() {
    let rig = LoginRig::new().await;
    let kari = login(&rig).await;
    let before = profile(&rig.app, &kari.user_id).await;
    assert!(before["name"].is_string(), "{before}");
    rig.app.create_org(&org_body("org_other", json!({}))).await;
    let ours = consent_url(&rig.app, ORG_ID).await;
    let theirs = consent_url(&rig.app, "org_other").await;
    let our_secret = ours.rsplit('/').next().expect("secret").to_owned();
    let their_secret = theirs.rsplit('/').next().expect("secret").to_owned();
    assert_ne!(our_secret, their_secret);

    let body = event(&kari.sub, recent());
    for path in [
        format!("/vipps/consent/{ORG_ID}/{their_secret}"),
        format!("/vipps/consent/{ORG_ID}/{}", "A".repeat(our_secret.len())),
        format!(
            "/vipps/consent/{ORG_ID}/{}",
            &our_secret[..our_secret.len() - 1]
        ),
        format!("/vipps/consent/{ORG_ID}/{our_secret}x"),
        format!("/vipps/consent/{ORG_ID}/%00"),
        format!("/vipps/consent/org_missing/{our_secret}"),
        format!("/vipps/consent/ORG-BAD!/{our_secret}"),
        format!("/vipps/consent/{ORG_ID}"),
        format!("/vipps/consent/{ORG_ID}/{our_secret}/more"),
    ] {
        let response = post(&rig.app, &path, &body).await;
        let problem = response.problem(404, "NOT_FOUND");
        assert!(!response.text.contains(&our_secret), "{problem}");
    }
    // The other organization's own URL with our user's sub: that sub is not theirs.
    let response = post(&rig.app, &theirs, &body).await;
    assert_eq!(response.status, 200, "{}", response.text);
    // An organization never shown its URL has none: no secret opens it.
    rig.app.create_org(&org_body("org_fresh", json!({}))).await;
    post(&rig.app, "/vipps/consent/org_fresh/x", &body)
        .await
        .problem(404, "NOT_FOUND");

    assert_eq!(
        profile(&rig.app, &kari.user_id).await,
        before,
        "nothing changed"
    );
    assert_eq!(
        me_code(&rig.app, &kari.token).await,
        None,
        "the session still works"
    );
    let events = all_events(&rig.app, ORG_ID, None, 50).await;
    assert!(consent_events(&events).is_empty(), "{events:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revocation_clears_the_profile_ends_sessions_and_is_recorded() {
    let rig = LoginRig::new().await;
    let kari = login(&rig).await;
    let second = login(&rig).await;
    assert_eq!(second.user_id, kari.user_id);
    let url = consent_url(&rig.app, ORG_ID).await;
    // Vipps stamps whole seconds: the revocation comes in a later second than the logins.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let issued = Timestamp::now().unix();
    let response = post(&rig.app, &url, &event(&kari.sub, issued)).await;
    assert_eq!(response.status, 200, "{}", response.text);

    assert_eq!(
        profile(&rig.app, &kari.user_id).await,
        json!({
            "id": kari.user_id, "name": null, "givenName": null, "familyName": null,
            "email": null, "emailVerified": false, "phoneNumber": null
        }),
        "the user stays, without what Vipps gave"
    );
    for token in [&kari.token, &second.token] {
        assert_eq!(
            me_code(&rig.app, token).await.as_deref(),
            Some("UNAUTHENTICATED")
        );
    }
    let events = all_events(&rig.app, ORG_ID, None, 50).await;
    let revoked = consent_events(&events);
    assert_eq!(revoked.len(), 1, "{events:#?}");
    assert_eq!(revoked[0]["actor"], "vipps");
    assert_eq!(revoked[0]["userId"], kari.user_id.as_str());
    assert_eq!(revoked[0]["detail"]["sessions_ended"], 2);

    // The user logs in again (consent given anew): a replay of the old event changes nothing.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let again = login(&rig).await;
    assert_eq!(again.user_id, kari.user_id, "the same local user");
    let refilled = profile(&rig.app, &kari.user_id).await;
    assert!(refilled["name"].is_string(), "{refilled}");
    let replay = post(&rig.app, &url, &event(&kari.sub, issued)).await;
    assert_eq!(replay.status, 200, "{}", replay.text);
    assert_eq!(profile(&rig.app, &kari.user_id).await, refilled);
    assert_eq!(me_code(&rig.app, &again.token).await, None);
    assert_eq!(
        consent_events(&all_events(&rig.app, ORG_ID, None, 50).await).len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_sub_is_accepted_and_changes_nothing() {
    let rig = LoginRig::new().await;
    let kari = login(&rig).await;
    let before = profile(&rig.app, &kari.user_id).await;
    let url = consent_url(&rig.app, ORG_ID).await;
    let response = post(&rig.app, &url, &event("someone-else", recent())).await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(profile(&rig.app, &kari.user_id).await, before);
    assert_eq!(me_code(&rig.app, &kari.token).await, None);
    assert!(consent_events(&all_events(&rig.app, ORG_ID, None, 50).await).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn rotation_retires_the_old_url_and_only_admins_see_or_rotate_it() {
    let app = TestApp::spawn_with(login_config(&[
        "--public-base-url",
        "https://id.example.no/",
    ]))
    .await;
    app.create_org(&org_body("org_a", json!({}))).await;
    let old = consent_url(&app, "org_a").await;
    assert!(
        old.starts_with("https://id.example.no/vipps/consent/org_a/"),
        "{old}"
    );
    assert_eq!(
        consent_url(&app, "org_a").await,
        old,
        "the URL stays until rotated"
    );
    let secret = old.rsplit('/').next().expect("secret");
    assert!(secret.len() >= 43, "at least 256 bits: {old}");

    let rotate = "mutation($o: String!) { rotateConsentRevocationSecret(orgId: $o) { consentRevocationUrl } }";
    for auth in [Auth::None, Auth::Wrong] {
        let body = app.graphql(auth, rotate, json!({ "o": "org_a" })).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{body}"
        );
        let body = app
            .graphql(
                auth,
                "{ vippsOrg(orgId: \"org_a\") { orgId consentRevocationUrl } }",
                json!({}),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{body}"
        );
        assert!(!body.to_string().contains(secret), "{body}");
    }
    assert_eq!(
        consent_url(&app, "org_a").await,
        old,
        "refused rotations rotate nothing"
    );
    let body = app
        .graphql(Auth::Admin, rotate, json!({ "o": "org_a" }))
        .await;
    let new = body["data"]["rotateConsentRevocationSecret"]["consentRevocationUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    assert_ne!(new, old);
    let path = |url: &str| url.trim_start_matches("https://id.example.no").to_owned();
    post(&app, &path(&old), &event("sub", recent()))
        .await
        .problem(404, "NOT_FOUND");
    assert_eq!(
        post(&app, &path(&new), &event("sub", recent()))
            .await
            .status,
        200
    );
    let body = app
        .graphql(Auth::Admin, rotate, json!({ "o": "org_missing" }))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{body}"
    );
    let events = all_events(&app, "org_a", Some(json!(["CONSENT_URL_ROTATED"])), 50).await;
    assert_eq!(events.len(), 1);
    assert!(
        !serde_json::to_string(&events)
            .expect("json")
            .contains(secret)
    );

    let plain = TestApp::spawn().await;
    plain.create_org(&org_body("org_b", json!({}))).await;
    // Concurrent first reads agree on the one URL made.
    let (one, two) = tokio::join!(consent_url(&plain, "org_b"), consent_url(&plain, "org_b"));
    assert_eq!(one, two);
    assert!(one.starts_with("/vipps/consent/org_b/"), "{one}");
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_is_refused_with_400_and_a_big_body_with_413() {
    let app = TestApp::spawn().await;
    app.create_org(&org_body("org_a", json!({}))).await;
    let url = consent_url(&app, "org_a").await;
    let b64 = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let now = Timestamp::now().unix();
    let claims = |extra: Value| {
        let mut c = json!({ "sub": "s", "event": "CONSENT_REVOKED", "iat": now, "exp": now + 300 });
        if let (Some(c), Some(extra)) = (c.as_object_mut(), extra.as_object()) {
            c.extend(extra.clone());
        }
        c
    };
    let none = json!({ "alg": "none" });
    let cases = [
        String::new(),
        "not a jwt".to_owned(),
        "a.b".to_owned(),
        "a.b.c.d".to_owned(),
        format!(
            "{}.{}.",
            b64(json!({ "alg": "HS256" })),
            b64(claims(json!({})))
        ),
        format!("{}.{}.c2ln", b64(none.clone()), b64(claims(json!({})))),
        format!(
            "{}.{}.",
            b64(none.clone()),
            b64(claims(json!({ "event": "SOMETHING_ELSE" })))
        ),
        format!(
            "{}.{}.",
            b64(none.clone()),
            b64(claims(json!({ "sub": null })))
        ),
        format!(
            "{}.{}.",
            b64(none.clone()),
            b64(claims(json!({ "sub": 42 })))
        ),
        format!(
            "{}.{}.",
            b64(none.clone()),
            b64(claims(json!({ "exp": now - 3600 })))
        ),
        format!(
            "{}.{}.",
            b64(none.clone()),
            b64(claims(json!({ "iat": "yesterday" })))
        ),
        format!(
            "{}.{}.",
            b64(none.clone()),
            b64(claims(json!({ "iat": now + 3600, "exp": now + 7200 })))
        ),
        format!("{}.{}.", b64(none.clone()), b64(json!([1, 2]))),
        format!(
            "{}.{}.",
            b64(none.clone()),
            URL_SAFE_NO_PAD.encode("{not json")
        ),
        format!("{}.{}.", b64(none.clone()), "***"),
    ];
    for body in cases {
        post(&app, &url, &body).await.problem(400, "INVALID_INPUT");
    }
    let response = app
        .request(
            "POST",
            &url,
            Auth::None,
            Some("text/plain"),
            Some(vec![0xff, 0xfe, b'.', b'.']),
        )
        .await;
    response.problem(400, "INVALID_INPUT");
    let big = format!("{}.{}.", b64(none.clone()), "A".repeat(9 * 1024));
    post(&app, &url, &big)
        .await
        .problem(413, "PAYLOAD_TOO_LARGE");
    assert!(
        all_events(&app, "org_a", Some(json!(["CONSENT_REVOKED"])), 50)
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn revocations_reach_the_kept_users_of_a_removed_configuration_until_a_purge() {
    let rig = LoginRig::new().await;
    let kari = login(&rig).await;
    let url = consent_url(&rig.app, ORG_ID).await;
    let org_path = format!("/api/v1/vipps-orgs/{ORG_ID}");
    let removed = rig
        .app
        .request("DELETE", &org_path, Auth::Admin, None, None)
        .await;
    assert_eq!(removed.status, 200, "{}", removed.text);
    let rotated = rig
        .app
        .graphql(
            Auth::Admin,
            "mutation($o: String!) { rotateConsentRevocationSecret(orgId: $o) { orgId } }",
            json!({ "o": ORG_ID }),
        )
        .await;
    assert_eq!(
        rotated["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "no configuration, no URL to rotate: {rotated}"
    );

    // Vipps stamps whole seconds: the revocation comes in a later second than the login.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let response = post(&rig.app, &url, &event(&kari.sub, Timestamp::now().unix())).await;
    assert_eq!(response.status, 200, "{}", response.text);
    let cleared = profile(&rig.app, &kari.user_id).await;
    assert!(
        cleared["name"].is_null() && cleared["phoneNumber"].is_null(),
        "the kept user loses what Vipps gave: {cleared}"
    );
    let events = all_events(&rig.app, ORG_ID, None, 50).await;
    assert_eq!(consent_events(&events).len(), 1, "{events:#?}");

    // Re-created, the organization answers at the URL registered at Vipps before.
    recreate_org(&rig).await;
    assert_eq!(consent_url(&rig.app, ORG_ID).await, url);

    // A purge takes the URL with the users.
    let purged = rig
        .app
        .request(
            "DELETE",
            &format!("{org_path}?purge_users=true"),
            Auth::Admin,
            None,
            None,
        )
        .await;
    assert_eq!(purged.status, 200, "{}", purged.text);
    post(&rig.app, &url, &event(&kari.sub, Timestamp::now().unix()))
        .await
        .problem(404, "NOT_FOUND");
}
