//! The background purge: expired login attempts and sessions go in bounded batches; live
//! rows and rows expired only recently stay.

use std::time::Duration;

use vipps_identity::db;
use vipps_identity::domain::{
    ClientId, Environment, LoginAttempt, LoginFlow, LoginSecret, NextRelativeUrl, OrgId,
    RedirectUri, Scopes, Timestamp, User, UserId, completion_key, state_key,
};
use vipps_identity::service::maintenance::{KEEP_EXPIRED, Purged, purge_expired};
use vipps_identity::sessions::IssuedSession;

use crate::helpers::{TestApp, login_config, org_body};

const ORG: &str = "org_purge";

/// An attempt of [`ORG`] that expires at `expires_at`.
fn attempt(expires_at: Timestamp) -> LoginAttempt {
    attempt_of(ORG, expires_at)
}

/// An attempt of `org` that expires at `expires_at`.
fn attempt_of(org: &str, expires_at: Timestamp) -> LoginAttempt {
    let state = LoginSecret::generate().expect("random");
    LoginAttempt {
        state_key: state_key(state.as_str()),
        completion_key: completion_key(LoginSecret::generate().expect("random").as_str()),
        org_id: OrgId::parse(org).expect("org id"),
        environment: Environment::Test,
        client_id: ClientId::parse("client-org_purge").expect("client id"),
        nonce: LoginSecret::generate().expect("random"),
        code_verifier: LoginSecret::generate().expect("random"),
        redirect_uri: RedirectUri::parse("https://org-purge.example.no/vipps/callback")
            .expect("redirect uri"),
        flow: LoginFlow::Browser,
        scopes: Scopes::parse(&["openid"]).expect("scopes"),
        next_relative_url: NextRelativeUrl::parse(None).expect("next"),
        created_at: expires_at.minus(Duration::from_secs(600)),
        expires_at,
    }
}

fn session(n: usize, expires_at: Timestamp) -> IssuedSession {
    IssuedSession {
        token: String::new(),
        id: format!("session-{n}"),
        issued_at: expires_at.minus(Duration::from_secs(900)),
        expires_at,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_rows_are_purged_in_batches_and_live_ones_stay() {
    let app = TestApp::spawn().await;
    app.create_org(&org_body(ORG, serde_json::json!({}))).await;
    let now = Timestamp::now();
    let long_ago = now.minus(KEEP_EXPIRED + Duration::from_secs(60));
    let recently = now.minus(Duration::from_secs(60));
    for _ in 0..25 {
        assert!(
            db::login_attempts::insert(&app.app.db, &attempt(long_ago))
                .await
                .expect("insert")
        );
    }
    let live = attempt(now.plus(Duration::from_secs(600)));
    let late = attempt(recently);
    for kept in [&live, &late] {
        assert!(
            db::login_attempts::insert(&app.app.db, kept)
                .await
                .expect("insert")
        );
    }
    let user = User {
        id: UserId::generate().expect("random"),
        org_id: OrgId::parse(ORG).expect("org id"),
        name: None,
        given_name: None,
        family_name: None,
        email: None,
        email_verified: false,
        phone_number: None,
        created_at: now,
        updated_at: now,
        last_login_at: None,
    };
    db::users::insert(&app.app.db, &user).await.expect("user");
    for n in 0..12 {
        assert!(
            db::sessions::insert(&app.app.db, &user, "sub", &session(n, long_ago))
                .await
                .expect("session")
        );
    }
    let open = session(100, now.plus(Duration::from_secs(900)));
    assert!(
        db::sessions::insert(&app.app.db, &user, "sub", &open)
            .await
            .expect("session")
    );

    let purged = purge_expired(&app.app, 10).await.expect("purge");
    // Attempts: 10 + 10 + 5 (short: done); sessions: 10 + 2.
    assert_eq!(
        purged,
        Purged {
            login_attempts: 25,
            sessions: 12,
            batches: 5
        }
    );
    for kept in [&live, &late] {
        let found = db::login_attempts::find_open(&app.app.db, &kept.state_key)
            .await
            .expect("find");
        assert!(
            found.is_some(),
            "a live or recently expired attempt was purged"
        );
    }
    let again = purge_expired(&app.app, 10).await.expect("purge");
    assert_eq!(
        again,
        Purged {
            login_attempts: 0,
            sessions: 0,
            batches: 2
        }
    );
    assert!(
        db::sessions::end(&app.app.db, "session-100", Timestamp::now())
            .await
            .expect("end"),
        "the open session was purged"
    );
}

/// Inserts `count` attempts of [`ORG`] that expired long ago; returns their state keys.
async fn insert_long_expired(app: &TestApp, count: usize) -> Vec<String> {
    insert_long_expired_for(app, ORG, count).await
}

/// Inserts `count` attempts of `org` that expired long ago; returns their state keys.
pub async fn insert_long_expired_for(app: &TestApp, org: &str, count: usize) -> Vec<String> {
    let long_ago = Timestamp::now().minus(KEEP_EXPIRED + Duration::from_secs(60));
    let mut keys = Vec::new();
    for _ in 0..count {
        let attempt = attempt_of(org, long_ago);
        assert!(
            db::login_attempts::insert(&app.app.db, &attempt)
                .await
                .expect("insert")
        );
        keys.push(attempt.state_key);
    }
    keys
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_purges_share_the_work() {
    let app = TestApp::spawn().await;
    app.create_org(&org_body(ORG, serde_json::json!({}))).await;
    insert_long_expired(&app, 40).await;
    let (first, second) = tokio::join!(purge_expired(&app.app, 5), purge_expired(&app.app, 5));
    let (first, second) = (first.expect("purge"), second.expect("purge"));
    // A purge that lost a race may stop early; the next one finishes the work.
    let rest = purge_expired(&app.app, 5).await.expect("purge");
    assert_eq!(
        first.login_attempts + second.login_attempts + rest.login_attempts,
        40
    );
    let none_left = purge_expired(&app.app, 5).await.expect("purge");
    assert_eq!(none_left.login_attempts, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_purges_in_the_background() {
    let app = TestApp::spawn_with(login_config(&[
        "--purge-interval-secs",
        "1",
        "--purge-batch-size",
        "3",
    ]))
    .await;
    app.create_org(&org_body(ORG, serde_json::json!({}))).await;
    let keys = insert_long_expired(&app, 7).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut left = 0;
        for key in &keys {
            if db::login_attempts::find_open(&app.app.db, key)
                .await
                .expect("find")
                .is_some()
            {
                left += 1;
            }
        }
        if left == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{left} expired attempts still there"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
