//! Vipps Login end to end: the server and the mock provider on real sockets, driven through
//! GraphQL and the REST routes as a frontend app and a legacy client would.

use std::collections::HashMap;

use serde_json::{Value, json};
use vipps_identity::mock_vipps::{
    AuthorizeMode, Endpoint, ErrorShape, Fault, IdTokenForgery, MockAuthMethod,
};

use crate::helpers::Auth;
use crate::rig::{
    ALL_SCOPES, CLIENT_ID, CLIENT_SECRET, LoginRig, ORG_ID, REDIRECT_URI, RigOptions, START,
    error_code,
};

#[tokio::test(flavor = "multi_thread")]
async fn graphql_login_returns_the_profile_and_next_url() {
    let rig = LoginRig::new().await;
    let redirect = rig.approved_redirect().await;
    let body = rig.complete(&redirect).await;
    assert!(body["errors"].is_null(), "{body}");
    insta::assert_json_snapshot!("graphql_login_result", body, {
        ".data.completeVippsLogin.vippsUserInfo.sessionIdentifier" => "[sid]",
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn rest_login_answers_the_legacy_shape() {
    let rig = LoginRig::new().await;
    let started = rig
        .app
        .get(&format!(
            "/vipps/login/start?orgId={ORG_ID}&nextRelativeUrl=%2Fprofile%3Ftab%3D1"
        ))
        .await;
    assert_eq!(started.status, 200, "{}", started.text);
    assert_eq!(started.header("cache-control"), Some("no-store"));
    let started = started.json();
    rig.remember(&started);
    let redirect = rig
        .authorize(started["authorizationUrl"].as_str().expect("url"))
        .await;
    assert_eq!(redirect["state"], started["state"].as_str().expect("state"));
    let response = rig.callback(&redirect).await;
    assert_eq!(response.status, 200, "{}", response.text);
    let body = response.json();
    assert!(
        body["sessionToken"]
            .as_str()
            .is_some_and(|t| t.split('.').count() == 3)
    );
    insta::assert_json_snapshot!("rest_login_result", body, {
        ".vippsUserInfo.sessionIdentifier" => "[sid]",
        ".userId" => "[user id]",
        ".sessionToken" => "[session token]",
        ".sessionExpiresAt" => crate::helpers::timestamp(),
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn rest_callback_matches_parameter_names_case_insensitively() {
    let rig = LoginRig::new().await;
    let redirect = rig.approved_redirect().await;
    let path = format!(
        "/vipps/login/callback?State={}&CODE={}&Scope=openid&CompletionToken={}",
        redirect["state"],
        redirect["code"],
        rig.completion_token(&redirect).expect("token")
    );
    let response = rig.app.get(&path).await;
    assert_eq!(response.status, 200, "{}", response.text);

    let cancelled = {
        rig.mock.set_authorize(AuthorizeMode::Deny {
            error: "server_error".into(),
            description: "try again".into(),
            hint: Some("hint text".into()),
        });
        let started = rig.start(None).await;
        rig.authorize(started["authorizationUrl"].as_str().expect("url"))
            .await
    };
    let path = format!(
        "/vipps/login/callback?STATE={}&Error=server_error&ErrorDescription=try%20again&Error_Hint=hint%20text&completion_token={}",
        cancelled["state"],
        rig.completion_token(&cancelled).expect("token")
    );
    let problem = rig.app.get(&path).await.problem(422, "LOGIN_FAILED");
    assert_eq!(problem["vipps_error"], "server_error");
    assert_eq!(problem["vipps_error_description"], "try again");
    assert_eq!(problem["vipps_error_hint"], "hint text");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_authorize_url_carries_state_nonce_and_pkce_s256() {
    let rig = LoginRig::new().await;
    let response = rig
        .app
        .get(&format!("/vipps/login/start?orgId={ORG_ID}&redirect=true"))
        .await;
    assert_eq!(response.status, 302, "{}", response.text);
    let location = response.header("location").expect("location");
    let url = url::Url::parse(location).expect("url");
    assert!(location.starts_with(&format!("{}oauth2/auth?", rig.mock.issuer())));
    let params: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(params["client_id"], CLIENT_ID);
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["scope"], ALL_SCOPES.join(" "));
    assert_eq!(params["redirect_uri"], REDIRECT_URI);
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["code_challenge"].len(), 43);
    assert!(params["state"].len() >= 43, "state has at least 256 bits");
    assert!(params["nonce"].len() >= 43);
    assert_ne!(params["state"], params["nonce"]);
    assert!(!location.contains(CLIENT_SECRET), "no secret in the URL");
}

#[tokio::test(flavor = "multi_thread")]
async fn start_refuses_unknown_disabled_and_unsafe_requests() {
    let rig = LoginRig::new().await;
    let start = |input: Value| {
        let rig = &rig;
        async move {
            rig.app
                .graphql(Auth::None, START, json!({ "input": input }))
                .await
        }
    };
    let body = start(json!({ "orgId": "org_missing" })).await;
    assert_eq!(error_code(&body), "NOT_FOUND");
    rig.app
        .get("/vipps/login/start?orgId=org_missing")
        .await
        .problem(404, "NOT_FOUND");

    for next in [
        "https://evil.example/",
        "//evil.example",
        "/\\evil",
        "relative",
    ] {
        let body = start(json!({ "orgId": ORG_ID, "nextRelativeUrl": next })).await;
        assert_eq!(error_code(&body), "INVALID_INPUT", "{next}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "nextRelativeUrl");
    }
    let problem = rig
        .app
        .get(&format!(
            "/vipps/login/start?orgId={ORG_ID}&nextRelativeUrl=https%3A%2F%2Fevil.example"
        ))
        .await
        .problem(400, "INVALID_INPUT");
    assert_eq!(problem["field"], "nextRelativeUrl");
    rig.app
        .get("/vipps/login/start")
        .await
        .problem(400, "INVALID_INPUT");
    rig.app
        .get(&format!("/vipps/login/start?orgId={ORG_ID}&orgid={ORG_ID}"))
        .await
        .problem(400, "INVALID_INPUT");

    let body = start(json!({ "orgId": ORG_ID, "scopes": ["openid", "profile"] })).await;
    assert_eq!(error_code(&body), "INVALID_INPUT");
    let body = start(json!({ "orgId": ORG_ID, "scopes": ["openid", "name"] })).await;
    let url = body["data"]["startVippsLogin"]["authorizationUrl"]
        .as_str()
        .expect("url");
    assert!(url.contains("scope=openid+name&"), "{url}");

    let narrow = json!({ "scopes": ["openid", "name"] });
    let updated = rig
        .app
        .send_json(
            "PUT",
            &format!("/api/v1/vipps-orgs/{ORG_ID}"),
            Auth::Admin,
            &narrow,
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    let body = start(json!({ "orgId": ORG_ID, "scopes": ["openid", "email"] })).await;
    assert_eq!(error_code(&body), "INVALID_INPUT");

    let disable = json!({ "vipps_enabled": false });
    rig.app
        .send_json(
            "PUT",
            &format!("/api/v1/vipps-orgs/{ORG_ID}"),
            Auth::Admin,
            &disable,
        )
        .await;
    let body = start(json!({ "orgId": ORG_ID })).await;
    assert_eq!(error_code(&body), "VIPPS_DISABLED");
    rig.app
        .get(&format!("/vipps/login/start?orgId={ORG_ID}"))
        .await
        .problem(422, "VIPPS_DISABLED");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_state_completes_once() {
    let rig = LoginRig::new().await;
    let redirect = rig.approved_redirect().await;
    assert!(rig.complete(&redirect).await["errors"].is_null());
    assert_eq!(
        error_code(&rig.complete(&redirect).await),
        "LOGIN_STATE_INVALID"
    );
    rig.callback(&redirect)
        .await
        .problem(422, "LOGIN_STATE_INVALID");

    let mut unknown = redirect.clone();
    unknown.insert("state".into(), "never-issued-state-value".into());
    assert_eq!(
        error_code(&rig.complete(&unknown).await),
        "LOGIN_STATE_INVALID"
    );
    assert_eq!(
        rig.mock.request_count(Endpoint::Token),
        1,
        "no second exchange"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_used_code_is_refused_by_the_provider() {
    let rig = LoginRig::new().await;
    let first = rig.approved_redirect().await;
    assert!(rig.complete(&first).await["errors"].is_null());
    let mut second = rig.approved_redirect().await;
    second.insert("code".into(), first["code"].clone());
    let body = rig.complete(&second).await;
    assert_eq!(error_code(&body), "LOGIN_FAILED");
    assert_eq!(
        body["errors"][0]["extensions"]["vippsError"],
        "invalid_grant"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_login_is_refused() {
    let rig = LoginRig::with(RigOptions {
        server_args: vec!["--login-ttl-secs".into(), "1".into()],
        ..RigOptions::default()
    })
    .await;
    let redirect = rig.approved_redirect().await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        error_code(&rig.complete(&redirect).await),
        "LOGIN_STATE_EXPIRED"
    );
    assert_eq!(rig.mock.request_count(Endpoint::Token), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_and_vipps_errors_keep_the_vipps_code() {
    let rig = LoginRig::new().await;
    rig.mock.set_authorize(AuthorizeMode::Deny {
        error: "access_denied".into(),
        description: "user cancelled the login".into(),
        hint: None,
    });
    let redirect = rig.approved_redirect().await;
    assert_eq!(redirect["error"], "access_denied");
    assert_eq!(
        error_code(&rig.complete(&redirect).await),
        "LOGIN_CANCELLED"
    );

    let redirect = rig.approved_redirect().await;
    let problem = rig
        .callback(&redirect)
        .await
        .problem(422, "LOGIN_CANCELLED");
    assert_eq!(problem["vipps_error"], "access_denied");

    rig.mock.set_authorize(AuthorizeMode::Deny {
        error: "outdated_app_version".into(),
        description: "update the app".into(),
        hint: None,
    });
    let redirect = rig.approved_redirect().await;
    let body = rig.complete(&redirect).await;
    assert_eq!(error_code(&body), "LOGIN_FAILED");
    let extensions = &body["errors"][0]["extensions"];
    assert_eq!(extensions["vippsError"], "outdated_app_version");
    assert_eq!(extensions["vippsErrorDescription"], "update the app");
    assert_eq!(rig.mock.request_count(Endpoint::Token), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn forged_id_tokens_are_refused() {
    let rig = LoginRig::new().await;
    for forgery in [
        IdTokenForgery::WrongNonce,
        IdTokenForgery::MissingNonce,
        IdTokenForgery::BadSignature,
        IdTokenForgery::UnknownKid,
        IdTokenForgery::WrongIssuer,
        IdTokenForgery::WrongAudience,
        IdTokenForgery::Expired,
        IdTokenForgery::IssuedInFuture,
        IdTokenForgery::AlgNone,
        IdTokenForgery::Hs256WithSecret,
    ] {
        let label = format!("{forgery:?}");
        rig.mock.clear_faults();
        rig.mock.inject(Fault::IdToken(forgery));
        let redirect = rig.approved_redirect().await;
        let body = rig.complete(&redirect).await;
        assert_eq!(error_code(&body), "ID_TOKEN_INVALID", "{label}: {body}");
        let redirect = rig.approved_redirect().await;
        rig.callback(&redirect)
            .await
            .problem(422, "ID_TOKEN_INVALID");
    }
    rig.mock.clear_faults();
    let redirect = rig.approved_redirect().await;
    assert!(rig.complete(&redirect).await["errors"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn userinfo_for_another_user_is_refused() {
    let rig = LoginRig::new().await;
    rig.mock.inject(Fault::UserinfoSubMismatch);
    let redirect = rig.approved_redirect().await;
    assert_eq!(
        error_code(&rig.complete(&redirect).await),
        "ID_TOKEN_INVALID"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn provider_faults_are_vipps_unavailable() {
    let rig = LoginRig::with(RigOptions {
        server_args: vec!["--vipps-timeout-secs".into(), "1".into()],
        ..RigOptions::default()
    })
    .await;
    let faults = [
        Fault::Status {
            endpoint: Endpoint::Token,
            status: 500,
            shape: ErrorShape::Debug,
        },
        Fault::Status {
            endpoint: Endpoint::Token,
            status: 503,
            shape: ErrorShape::Description,
        },
        Fault::Garbage {
            endpoint: Endpoint::Token,
        },
        Fault::Slow {
            endpoint: Endpoint::Token,
            delay: std::time::Duration::from_millis(1500),
        },
        Fault::Status {
            endpoint: Endpoint::Userinfo,
            status: 500,
            shape: ErrorShape::Problem,
        },
        Fault::Garbage {
            endpoint: Endpoint::Userinfo,
        },
    ];
    for fault in faults {
        let label = format!("{fault:?}");
        rig.mock.clear_faults();
        let redirect = rig.approved_redirect().await;
        rig.mock.inject(fault);
        let body = rig.complete(&redirect).await;
        assert_eq!(error_code(&body), "VIPPS_UNAVAILABLE", "{label}: {body}");
    }
    rig.mock.clear_faults();
    let redirect = rig.approved_redirect().await;
    rig.mock.inject(Fault::Status {
        endpoint: Endpoint::Token,
        status: 502,
        shape: ErrorShape::Description,
    });
    rig.callback(&redirect)
        .await
        .problem(502, "VIPPS_UNAVAILABLE");
}

#[tokio::test(flavor = "multi_thread")]
async fn token_refusals_in_both_vipps_shapes_are_login_failed() {
    let rig = LoginRig::new().await;
    for (shape, description) in [
        (ErrorShape::Description, "error_description"),
        (ErrorShape::Debug, "error_debug"),
    ] {
        rig.mock.clear_faults();
        let redirect = rig.approved_redirect().await;
        rig.mock.inject(Fault::Status {
            endpoint: Endpoint::Token,
            status: 400,
            shape,
        });
        let body = rig.complete(&redirect).await;
        assert_eq!(error_code(&body), "LOGIN_FAILED", "{description}: {body}");
        let extensions = &body["errors"][0]["extensions"];
        assert!(extensions["vippsError"].is_string(), "{body}");
        if shape == ErrorShape::Debug {
            assert!(
                extensions["vippsErrorDescription"].is_null()
                    && !body.to_string().contains("injected fault"),
                "provider debug text is not passed on: {body}"
            );
        } else {
            assert!(
                extensions["vippsErrorDescription"].is_string(),
                "{description} is kept: {body}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_that_cannot_be_reached_is_vipps_unavailable() {
    let rig = LoginRig::new().await;
    rig.mock.inject(Fault::Status {
        endpoint: Endpoint::Discovery,
        status: 500,
        shape: ErrorShape::Description,
    });
    let body = rig
        .app
        .graphql(Auth::None, START, json!({ "input": { "orgId": ORG_ID } }))
        .await;
    assert_eq!(error_code(&body), "VIPPS_UNAVAILABLE");
    rig.app
        .get(&format!("/vipps/login/start?orgId={ORG_ID}"))
        .await
        .problem(502, "VIPPS_UNAVAILABLE");
}

#[tokio::test(flavor = "multi_thread")]
async fn rotated_keys_are_fetched_once_and_verify() {
    let rig = LoginRig::new().await;
    let redirect = rig.approved_redirect().await;
    assert!(rig.complete(&redirect).await["errors"].is_null());
    assert_eq!(rig.mock.request_count(Endpoint::Jwks), 1);

    rig.mock.rotate_keys(false);
    let redirect = rig.approved_redirect().await;
    let body = rig.complete(&redirect).await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(rig.mock.request_count(Endpoint::Jwks), 2, "one refetch");

    let redirect = rig.approved_redirect().await;
    assert!(rig.complete(&redirect).await["errors"].is_null());
    assert_eq!(rig.mock.request_count(Endpoint::Jwks), 2, "new keys cached");
}

#[tokio::test(flavor = "multi_thread")]
async fn cached_keys_keep_working_while_the_jwks_is_down() {
    let rig = LoginRig::new().await;
    let redirect = rig.approved_redirect().await;
    assert!(rig.complete(&redirect).await["errors"].is_null());
    rig.mock.inject(Fault::Status {
        endpoint: Endpoint::Jwks,
        status: 503,
        shape: ErrorShape::Description,
    });
    for _ in 0..3 {
        let redirect = rig.approved_redirect().await;
        let body = rig.complete(&redirect).await;
        assert!(body["errors"].is_null(), "{body}");
    }

    rig.mock.rotate_keys(false);
    for _ in 0..2 {
        let redirect = rig.approved_redirect().await;
        assert_eq!(
            error_code(&rig.complete(&redirect).await),
            "VIPPS_UNAVAILABLE",
            "a new key cannot be fetched while the JWKS is down"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_completions_of_one_state_succeed_once() {
    let rig = LoginRig::new().await;
    let redirect = rig.approved_redirect().await;
    let attempts = (0..24).map(|i| {
        let rig = &rig;
        let redirect = &redirect;
        async move {
            if i % 2 == 0 {
                let body = rig.complete(redirect).await;
                if body["errors"].is_null() {
                    "OK".to_owned()
                } else {
                    error_code(&body)
                }
            } else {
                let response = rig.callback(redirect).await;
                if response.status == 200 {
                    "OK".to_owned()
                } else {
                    response.json()["code"].as_str().unwrap_or("?").to_owned()
                }
            }
        }
    });
    let outcomes = futures::future::join_all(attempts).await;
    let successes = outcomes.iter().filter(|o| *o == "OK").count();
    assert_eq!(successes, 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|o| o == "OK" || o == "LOGIN_STATE_INVALID"),
        "{outcomes:?}"
    );
    assert_eq!(rig.mock.request_count(Endpoint::Token), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_carry_the_vipps_headers_and_the_merchant_serial_number() {
    let rig = LoginRig::with(RigOptions {
        org: json!({ "merchant_serial_number": "123456" }),
        ..RigOptions::default()
    })
    .await;
    let redirect = rig.approved_redirect().await;
    assert!(rig.complete(&redirect).await["errors"].is_null());
    let requests = rig.mock.requests();
    for endpoint in [
        Endpoint::Discovery,
        Endpoint::Token,
        Endpoint::Jwks,
        Endpoint::Userinfo,
    ] {
        let request = requests
            .iter()
            .find(|r| r.endpoint == endpoint)
            .unwrap_or_else(|| panic!("no {endpoint:?} request"));
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("vipps-system-name"), Some("vipps-identity"));
        assert_eq!(
            header("vipps-system-version"),
            Some(env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(
            header("vipps-system-plugin-name"),
            Some("vipps-identity-login")
        );
        assert!(header("vipps-system-plugin-version").is_some());
        if matches!(endpoint, Endpoint::Token | Endpoint::Userinfo) {
            assert_eq!(
                header("merchant-serial-number"),
                Some("123456"),
                "{endpoint:?}"
            );
        }
    }
    let token = requests
        .iter()
        .find(|r| r.endpoint == Endpoint::Token)
        .expect("token request");
    let body = token.body.as_deref().unwrap_or_default();
    assert!(body.contains("code_verifier="), "PKCE verifier sent");
    assert!(
        !body.contains("client_secret"),
        "basic auth keeps the secret out of the form"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn client_secret_post_sends_the_credentials_in_the_form() {
    let rig = LoginRig::with(RigOptions {
        auth_method: MockAuthMethod::ClientSecretPost,
        ..RigOptions::default()
    })
    .await;
    let redirect = rig.approved_redirect().await;
    let body = rig.complete(&redirect).await;
    assert!(body["errors"].is_null(), "{body}");
    let requests = rig.mock.requests();
    let token = requests
        .iter()
        .find(|r| r.endpoint == Endpoint::Token)
        .expect("token request");
    assert!(!token.headers.iter().any(|(n, _)| n == "authorization"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_warm_login_costs_two_upstream_requests() {
    let rig = LoginRig::new().await;
    let redirect = rig.approved_redirect().await;
    assert!(rig.complete(&redirect).await["errors"].is_null());
    for _ in 0..3 {
        let redirect = rig.approved_redirect().await;
        rig.mock.reset_requests();
        assert!(rig.complete(&redirect).await["errors"].is_null());
        let endpoints: Vec<Endpoint> = rig.mock.requests().iter().map(|r| r.endpoint).collect();
        assert_eq!(endpoints, [Endpoint::Token, Endpoint::Userinfo]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_secret_is_secret_unavailable_and_names_no_reference() {
    let rig = LoginRig::with(RigOptions {
        org: json!({ "client_secret_ref": "env://VIPPS_IDENTITY_TEST_UNSET_SECRET" }),
        ..RigOptions::default()
    })
    .await;
    let redirect = rig.approved_redirect().await;
    let body = rig.complete(&redirect).await;
    assert_eq!(error_code(&body), "SECRET_UNAVAILABLE");
    let message = body["errors"][0]["message"].as_str().expect("message");
    assert!(
        !message.contains("VIPPS_IDENTITY_TEST_UNSET_SECRET") && !message.contains("env://"),
        "{message}"
    );

    let redirect = rig.approved_redirect().await;
    let problem = rig
        .callback(&redirect)
        .await
        .problem(503, "SECRET_UNAVAILABLE");
    assert!(
        !problem
            .to_string()
            .contains("VIPPS_IDENTITY_TEST_UNSET_SECRET"),
        "{problem}"
    );
    assert_eq!(rig.mock.request_count(Endpoint::Token), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn completion_needs_a_state_and_a_code_or_error() {
    let rig = LoginRig::new().await;
    rig.app
        .get("/vipps/login/callback?code=abc")
        .await
        .problem(400, "INVALID_INPUT");
    rig.app
        .get("/vipps/login/callback?state=abcdefgh")
        .await
        .problem(400, "INVALID_INPUT");
    let body = rig
        .app
        .graphql(
            Auth::None,
            crate::rig::COMPLETE,
            json!({ "input": { "state": "" , "code": "x"} }),
        )
        .await;
    assert_eq!(error_code(&body), "INVALID_INPUT");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_does_not_serve_the_mock_provider() {
    let rig = LoginRig::new().await;
    for path in [
        "/access-management-1.0/access/.well-known/openid-configuration",
        "/access-management-1.0/access/.well-known/jwks.json",
        "/access-management-1.0/access/oauth2/auth",
        "/vipps-userinfo-api/userinfo",
    ] {
        rig.app.get(path).await.problem(404, "NOT_FOUND");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn stale_discovery_and_keys_are_served_while_the_provider_is_down() {
    let rig = LoginRig::new().await;
    rig.mock.set_max_age(1);
    let redirect = rig.approved_redirect().await;
    assert!(rig.complete(&redirect).await["errors"].is_null());
    let redirect = rig.approved_redirect().await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for endpoint in [Endpoint::Discovery, Endpoint::Jwks] {
        rig.mock.inject(Fault::Status {
            endpoint,
            status: 503,
            shape: ErrorShape::Description,
        });
    }
    let (discovery, jwks) = (
        rig.mock.request_count(Endpoint::Discovery),
        rig.mock.request_count(Endpoint::Jwks),
    );
    let body = rig.complete(&redirect).await;
    assert!(body["errors"].is_null(), "stale copies verify: {body}");
    assert_eq!(
        rig.mock.request_count(Endpoint::Discovery),
        discovery + 1,
        "refresh tried"
    );
    assert_eq!(
        rig.mock.request_count(Endpoint::Jwks),
        jwks + 1,
        "refresh tried"
    );

    let started = rig
        .app
        .get(&format!("/vipps/login/start?orgId={ORG_ID}"))
        .await;
    assert_eq!(started.status, 200, "{}", started.text);
    assert_eq!(
        rig.mock.request_count(Endpoint::Discovery),
        discovery + 1,
        "a failed refresh is not retried at once"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_logins_with_a_new_key_refetch_the_jwks_once() {
    let rig = LoginRig::new().await;
    let redirect = rig.approved_redirect().await;
    assert!(rig.complete(&redirect).await["errors"].is_null());
    rig.mock.rotate_keys(false);
    let mut redirects = Vec::new();
    for _ in 0..8 {
        redirects.push(rig.approved_redirect().await);
    }
    let bodies = futures::future::join_all(redirects.iter().map(|r| rig.complete(r))).await;
    for body in &bodies {
        assert!(body["errors"].is_null(), "{body}");
    }
    assert_eq!(
        rig.mock.request_count(Endpoint::Jwks),
        2,
        "one shared refetch"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_provider_is_vipps_unavailable() {
    let app = crate::helpers::TestApp::spawn().await;
    app.create_org(&crate::helpers::org_body(
        "org_offline",
        json!({ "environment": "test" }),
    ))
    .await;
    let body = app
        .graphql(
            Auth::None,
            START,
            json!({ "input": { "orgId": "org_offline" } }),
        )
        .await;
    assert_eq!(error_code(&body), "VIPPS_UNAVAILABLE");
    app.get("/vipps/login/start?orgId=org_offline")
        .await
        .problem(502, "VIPPS_UNAVAILABLE");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_completes_only_with_the_client_it_started_with() {
    let rig = LoginRig::new().await;
    let redirect = rig.approved_redirect().await;
    let changed = json!({ "client_id": "another-client" });
    let response = rig
        .app
        .send_json(
            "PUT",
            &format!("/api/v1/vipps-orgs/{ORG_ID}"),
            Auth::Admin,
            &changed,
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        error_code(&rig.complete(&redirect).await),
        "LOGIN_STATE_INVALID"
    );
    assert_eq!(rig.mock.request_count(Endpoint::Token), 0);
}
