//! The user registry: linking logins to users, sessions, and the admin operations, through
//! GraphQL as a client (and an administrator) would use them.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Value, json};
use vipps_identity::mock_vipps::AuthorizeMode;

use crate::helpers::Auth;
use crate::rig::{LoginRig, ORG_ID, RigOptions, error_code};

const USER_FIELDS: &str = "id name givenName familyName email emailVerified phoneNumber createdAt lastLoginAt org { orgId } vippsIdentities { environment sub linkedAt lastLoginAt }";

/// Logs in as the mock's user `index`; the whole `completeVippsLogin` answer.
async fn login_as(rig: &LoginRig, index: usize) -> Value {
    rig.mock
        .set_authorize(AuthorizeMode::Approve { user: index });
    let redirect = rig.approved_redirect().await;
    let query = format!(
        "mutation($input: CompleteVippsLoginInput!) {{ completeVippsLogin(input: $input) {{ sessionToken sessionExpiresAt vippsUserInfo {{ subjectIdentifier }} user {{ {USER_FIELDS} }} }} }}"
    );
    let input = json!({
        "state": redirect["state"],
        "code": redirect["code"],
        "completionToken": rig.completion_token(&redirect),
    });
    rig.app
        .graphql(Auth::None, &query, json!({ "input": input }))
        .await
}

/// The user a successful login linked to.
async fn logged_in_user(rig: &LoginRig, index: usize) -> Value {
    let body = login_as(rig, index).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["completeVippsLogin"]["user"].clone()
}

async fn create_user(rig: &LoginRig, input: Value) -> Value {
    let query = format!(
        "mutation($input: CreateUserInput!) {{ createUser(input: $input) {{ {USER_FIELDS} }} }}"
    );
    rig.app
        .graphql(Auth::Admin, &query, json!({ "input": input }))
        .await
}

async fn users(rig: &LoginRig) -> Value {
    let query = format!(
        "query {{ users(orgId: \"{ORG_ID}\", limit: 100) {{ items {{ {USER_FIELDS} }} pagination {{ page limit total }} }} }}"
    );
    let body = rig.app.graphql(Auth::Admin, &query, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["users"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_first_login_creates_a_user_and_the_next_finds_it() {
    let rig = LoginRig::new().await;
    let first = logged_in_user(&rig, 0).await;
    assert_eq!(first["name"], "Ada Lovelace");
    assert_eq!(first["phoneNumber"], "4712345678");
    assert_eq!(first["email"], "ada@example.com");
    assert_eq!(first["emailVerified"], true);
    assert_eq!(first["org"]["orgId"], ORG_ID);
    assert_eq!(first["vippsIdentities"][0]["environment"], "TEST");
    let second = logged_in_user(&rig, 0).await;
    assert_eq!(second["id"], first["id"]);
    assert!(second["lastLoginAt"].as_str() >= first["lastLoginAt"].as_str());
    let listed = users(&rig).await;
    assert_eq!(listed["pagination"]["total"], 1);
    assert_eq!(listed["items"][0]["id"], first["id"]);
    assert_eq!(
        listed["items"][0]["vippsIdentities"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pre_provisioned_user_is_linked_by_phone_and_updated_from_the_claims() {
    let rig = LoginRig::new().await;
    let created = create_user(
        &rig,
        json!({ "orgId": ORG_ID, "phoneNumber": "+47 123 45 678", "name": "A. L." }),
    )
    .await;
    let created = &created["data"]["createUser"];
    assert_eq!(created["phoneNumber"], "4712345678");
    assert!(created["lastLoginAt"].is_null());
    assert_eq!(created["vippsIdentities"], json!([]));
    let linked = logged_in_user(&rig, 0).await;
    assert_eq!(linked["id"], created["id"], "linked, not duplicated");
    assert_eq!(linked["name"], "Ada Lovelace", "profile from the claims");
    assert_eq!(linked["email"], "ada@example.com");
    assert!(linked["lastLoginAt"].is_string());
    assert_eq!(users(&rig).await["pagination"]["total"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_verified_email_links_and_an_unverified_one_does_not() {
    let rig = LoginRig::new().await;
    let ada = create_user(&rig, json!({ "orgId": ORG_ID, "email": "ADA@example.com" })).await;
    let linked = logged_in_user(&rig, 0).await;
    assert_eq!(linked["id"], ada["data"]["createUser"]["id"]);

    let kari = create_user(
        &rig,
        json!({ "orgId": ORG_ID, "email": "kari@example.net" }),
    )
    .await;
    let kari_id = kari["data"]["createUser"]["id"].clone();
    let logged_in = logged_in_user(&rig, 2).await;
    assert_ne!(
        logged_in["id"], kari_id,
        "Vipps has not verified Kari's e-mail: no link by it"
    );
    assert_eq!(logged_in["emailVerified"], false);
    assert_eq!(users(&rig).await["pagination"]["total"], 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn several_matches_are_ambiguous_and_link_nothing() {
    let rig = LoginRig::new().await;
    create_user(
        &rig,
        json!({ "orgId": ORG_ID, "phoneNumber": "4712345678" }),
    )
    .await;
    create_user(&rig, json!({ "orgId": ORG_ID, "email": "ada@example.com" })).await;
    let body = login_as(&rig, 0).await;
    assert_eq!(error_code(&body), "LINK_AMBIGUOUS");
    let listed = users(&rig).await;
    assert_eq!(listed["pagination"]["total"], 2);
    for user in listed["items"].as_array().expect("items") {
        assert_eq!(user["vippsIdentities"], json!([]));
    }
    let redirect = {
        rig.mock.set_authorize(AuthorizeMode::Approve { user: 0 });
        rig.approved_redirect().await
    };
    rig.callback(&redirect).await.problem(422, "LINK_AMBIGUOUS");
}

#[tokio::test(flavor = "multi_thread")]
async fn pre_provisioned_only_orgs_refuse_strangers() {
    let rig = LoginRig::with(RigOptions {
        org: json!({ "pre_provisioned_users_only": true }),
        ..RigOptions::default()
    })
    .await;
    assert_eq!(error_code(&login_as(&rig, 0).await), "NO_ACCOUNT");
    assert_eq!(users(&rig).await["pagination"]["total"], 0);
    let grace = create_user(
        &rig,
        json!({ "orgId": ORG_ID, "phoneNumber": "4798765432" }),
    )
    .await;
    let linked = logged_in_user(&rig, 1).await;
    assert_eq!(linked["id"], grace["data"]["createUser"]["id"]);
    assert_eq!(error_code(&login_as(&rig, 0).await), "NO_ACCOUNT");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_first_logins_of_one_person_create_one_user() {
    let rig = LoginRig::new().await;
    let mut redirects = Vec::new();
    for _ in 0..6 {
        redirects.push(rig.approved_redirect().await);
    }
    let bodies = futures::future::join_all(redirects.iter().map(|r| rig.complete(r))).await;
    for body in &bodies {
        assert!(body["errors"].is_null(), "{body}");
    }
    let listed = users(&rig).await;
    assert_eq!(listed["pagination"]["total"], 1, "{listed}");
    assert_eq!(
        listed["items"][0]["vippsIdentities"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_logins_of_a_known_user_all_succeed() {
    let rig = LoginRig::new().await;
    let known = logged_in_user(&rig, 0).await;
    let mut redirects = Vec::new();
    for _ in 0..12 {
        redirects.push(rig.approved_redirect().await);
    }
    let bodies = futures::future::join_all(redirects.iter().map(|r| rig.complete(r))).await;
    for body in &bodies {
        assert!(body["errors"].is_null(), "{body}");
    }
    let listed = users(&rig).await;
    assert_eq!(listed["pagination"]["total"], 1);
    assert_eq!(listed["items"][0]["id"], known["id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_token_answers_me() {
    let rig = LoginRig::new().await;
    let body = login_as(&rig, 0).await;
    let result = &body["data"]["completeVippsLogin"];
    let token = result["sessionToken"].as_str().expect("token");
    let me = me(&rig, Some(token)).await;
    assert!(me["errors"].is_null(), "{me}");
    assert_eq!(me["data"]["me"]["id"], result["user"]["id"]);

    let redirect = rig.approved_redirect().await;
    let legacy = rig.callback(&redirect).await.json();
    assert_eq!(legacy["userId"], result["user"]["id"]);
    let me = me_token(&rig, legacy["sessionToken"].as_str().expect("token")).await;
    assert_eq!(me["data"]["me"]["id"], result["user"]["id"]);
}

async fn me(rig: &LoginRig, token: Option<&str>) -> Value {
    let mut request = reqwest::Client::new()
        .post(rig.app.url("/graphql"))
        .json(&json!({ "query": "{ me { id org { orgId } } }" }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json")
}

async fn me_token(rig: &LoginRig, token: &str) -> Value {
    me(rig, Some(token)).await
}

#[derive(serde::Serialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    exp: i64,
    iat: i64,
    jti: String,
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_forged_and_foreign_tokens_are_unauthenticated() {
    let rig = LoginRig::new().await;
    let body = login_as(&rig, 0).await;
    let result = &body["data"]["completeVippsLogin"];
    let token = result["sessionToken"].as_str().expect("token");
    let user_id = result["user"]["id"].as_str().expect("id").to_owned();
    let kid = jsonwebtoken::decode_header(token).expect("header").kid;

    let pem = std::fs::read(rig.app.keys.path().join("session-key.pem")).expect("key");
    let real = EncodingKey::from_ed_pem(&pem).expect("key");
    let other_pair = aws_lc_rs::signature::Ed25519KeyPair::generate().expect("key");
    let other = EncodingKey::from_ed_der(other_pair.to_pkcs8v1().expect("der").as_ref());
    let now = chrono::Utc::now().timestamp();
    // The session the login recorded: a re-signed copy of its claims is the control.
    let jti = jsonwebtoken::dangerous::insecure_decode::<Value>(token)
        .expect("claims")
        .claims["jti"]
        .as_str()
        .expect("jti")
        .to_owned();
    let claims = |aud: &str, exp: i64| Claims {
        iss: "vipps-identity".into(),
        aud: aud.into(),
        sub: user_id.clone(),
        exp,
        iat: now - 7200,
        jti: jti.clone(),
    };
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = kid;
    let sign = |claims: &Claims, key: &EncodingKey| {
        jsonwebtoken::encode(&header, claims, key).expect("sign")
    };
    let control = sign(&claims(ORG_ID, now + 600), &real);
    assert!(
        me_token(&rig, &control).await["errors"].is_null(),
        "the control token works"
    );

    let signature_start = token.rfind('.').expect("three parts") + 1;
    let middle = signature_start + (token.len() - signature_start) / 2;
    let mut tampered = token.to_owned();
    let flipped = if &token[middle..=middle] == "A" {
        "B"
    } else {
        "A"
    };
    tampered.replace_range(middle..=middle, flipped);
    let cases = [
        ("expired", sign(&claims(ORG_ID, now - 600), &real)),
        (
            "another organization",
            sign(&claims("org_other", now + 600), &real),
        ),
        ("another key", sign(&claims(ORG_ID, now + 600), &other)),
        ("tampered signature", tampered),
        ("not a JWT", "not-a-jwt".to_owned()),
        ("the admin token", crate::helpers::ADMIN_TOKEN.to_owned()),
    ];
    for (label, bad) in cases {
        let body = me_token(&rig, &bad).await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{label}: {body}");
    }
    assert_eq!(error_code(&me(&rig, None).await), "UNAUTHENTICATED");
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_verify_with_the_published_jwks() {
    let rig = LoginRig::new().await;
    let body = login_as(&rig, 0).await;
    let result = &body["data"]["completeVippsLogin"];
    let token = result["sessionToken"].as_str().expect("token");
    let jwks = rig.app.get("/.well-known/jwks.json").await;
    assert_eq!(jwks.status, 200);
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_str(&jwks.text).expect("jwk set");
    let kid = jsonwebtoken::decode_header(token)
        .expect("header")
        .kid
        .expect("kid");
    let jwk = set.find(&kid).expect("the token's key is published");
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&[ORG_ID]);
    validation.set_issuer(&["vipps-identity"]);
    let decoded = jsonwebtoken::decode::<Value>(
        token,
        &DecodingKey::from_jwk(jwk).expect("key"),
        &validation,
    )
    .expect("verifies");
    assert_eq!(decoded.claims["sub"], result["user"]["id"]);
    assert!(decoded.claims["jti"].is_string());
    let exp = decoded.claims["exp"].as_i64().expect("exp");
    let iat = decoded.claims["iat"].as_i64().expect("iat");
    assert_eq!(exp - iat, 900, "fifteen minutes by default");
}

#[tokio::test(flavor = "multi_thread")]
async fn listing_users_with_their_org_and_identities_takes_three_statements() {
    let rig = LoginRig::new().await;
    for index in 0..3 {
        logged_in_user(&rig, index).await;
    }
    for n in 0..40 {
        let body = create_user(
            &rig,
            json!({ "orgId": ORG_ID, "phoneNumber": format!("4740{n:06}") }),
        )
        .await;
        assert!(body["errors"].is_null(), "{body}");
    }
    let query = "{ users(orgId: \"org_rig\", limit: 100) { items { org { orgId } vippsIdentities { sub } } pagination { page } } }";
    let before = rig.app.app.db.statements();
    let body = rig.app.graphql(Auth::Admin, query, json!({})).await;
    let statements = rig.app.app.db.statements() - before;
    let again = rig.app.app.db.statements();
    rig.app.graphql(Auth::Admin, query, json!({})).await;
    let second = rig.app.app.db.statements() - again;
    assert!(body["errors"].is_null(), "{body}");
    let items = body["data"]["users"]["items"].as_array().expect("items");
    assert_eq!(items.len(), 43);
    assert_eq!(
        items
            .iter()
            .filter(|u| u["vippsIdentities"] != json!([]))
            .count(),
        3
    );
    assert!(items.iter().all(|u| u["org"]["orgId"] == ORG_ID));
    println!(
        "statements for users(limit: 100) with org and identities: {statements}, then {second}"
    );
    assert!(
        (1..=3).contains(&statements) && (1..=3).contains(&second),
        "{statements} and {second} statements"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn admins_find_unlink_and_delete_users() {
    let rig = LoginRig::new().await;
    let ada = logged_in_user(&rig, 0).await;
    let id = ada["id"].as_str().expect("id");
    let sub = ada["vippsIdentities"][0]["sub"].as_str().expect("sub");

    let found = rig
        .app
        .graphql(
            Auth::Admin,
            "query($id: String!) { user(id: $id) { id name } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(found["data"]["user"]["name"], "Ada Lovelace");
    let searched = rig
        .app
        .graphql(
            Auth::Admin,
            "{ users(orgId: \"org_rig\", search: \"LOVE\") { items { id } pagination { total } } }",
            json!({}),
        )
        .await;
    assert_eq!(searched["data"]["users"]["pagination"]["total"], 1);
    create_user(
        &rig,
        json!({ "orgId": ORG_ID, "phoneNumber": "4799999999", "name": "100x" }),
    )
    .await;
    let search_query =
        "query($s: String) { users(orgId: \"org_rig\", search: $s) { pagination { total } } }";
    for (search, total) in [("100", 1), ("100%", 0), ("_", 0), ("\\", 0), ("  love ", 1)] {
        let body = rig
            .app
            .graphql(Auth::Admin, search_query, json!({ "s": search }))
            .await;
        assert_eq!(
            body["data"]["users"]["pagination"]["total"], total,
            "{search:?}: {body}"
        );
    }
    let body = rig
        .app
        .graphql(Auth::Admin, search_query, json!({ "s": "a\u{0}b" }))
        .await;
    assert_eq!(
        error_code(&body),
        "INVALID_INPUT",
        "a NUL byte is refused, not a 500"
    );

    let unlinked = rig
        .app
        .graphql(
            Auth::Admin,
            "mutation($id: String!, $sub: String!) { unlinkVippsIdentity(userId: $id, sub: $sub) { id vippsIdentities { sub } } }",
            json!({ "id": id, "sub": sub }),
        )
        .await;
    assert_eq!(
        unlinked["data"]["unlinkVippsIdentity"]["vippsIdentities"],
        json!([])
    );
    let relinked = logged_in_user(&rig, 0).await;
    assert_eq!(relinked["id"], id, "linked again by phone");

    let deleted = rig
        .app
        .graphql(
            Auth::Admin,
            "mutation($id: String!) { deleteUser(id: $id) { id deleted } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(deleted["data"]["deleteUser"]["deleted"], true);
    let again = rig
        .app
        .graphql(
            Auth::Admin,
            "mutation($id: String!) { deleteUser(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&again), "NOT_FOUND");
    let fresh = logged_in_user(&rig, 0).await;
    assert_ne!(fresh["id"], id, "a deleted user is not brought back");
}

#[tokio::test(flavor = "multi_thread")]
async fn user_administration_needs_the_admin_token_and_valid_input() {
    let rig = LoginRig::new().await;
    for auth in [Auth::None, Auth::Wrong] {
        let body = rig
            .app
            .graphql(
                auth,
                "{ users(orgId: \"org_rig\") { pagination { total } } }",
                json!({}),
            )
            .await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED");
        let body = rig
            .app
            .graphql(
                auth,
                "mutation { createUser(input: {orgId: \"org_rig\", phoneNumber: \"4712345678\"}) { id } }",
                json!({}),
            )
            .await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED");
    }
    let body = create_user(&rig, json!({ "orgId": ORG_ID, "name": "Nobody" })).await;
    assert_eq!(error_code(&body), "INVALID_INPUT");
    let body = create_user(&rig, json!({ "orgId": ORG_ID, "phoneNumber": "12ab" })).await;
    assert_eq!(error_code(&body), "INVALID_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "phoneNumber");
    let body = create_user(
        &rig,
        json!({ "orgId": "org_missing", "phoneNumber": "4712345678" }),
    )
    .await;
    assert_eq!(error_code(&body), "NOT_FOUND");
    let body = create_user(
        &rig,
        json!({ "orgId": ORG_ID, "phoneNumber": "4712345678" }),
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
    let body = create_user(
        &rig,
        json!({ "orgId": ORG_ID, "phoneNumber": "+4712345678" }),
    )
    .await;
    assert_eq!(error_code(&body), "CONFLICT");
    let body = rig
        .app
        .graphql(Auth::Admin, "{ user(id: \"nope\") { id } }", json!({}))
        .await;
    assert_eq!(error_code(&body), "INVALID_INPUT");
}
