//! The mock Vipps Login provider, driven over HTTP as a client would drive real Vipps.

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use url::Url;
use vipps_identity::mock_vipps::{
    AuthorizeMode, Endpoint, ErrorShape, Fault, IdTokenForgery, MockAuthMethod, MockClient,
    MockConfig, MockUser, MockVipps,
};

const CLIENT_ID: &str = "client-a";
/// A secret that must be URL-encoded inside Basic credentials.
const SECRET: &str = "s3cret:with/odd+chars";
const POST_CLIENT_ID: &str = "client-post";
const POST_SECRET: &str = "post-secret";
const REDIRECT_URI: &str = "http://localhost:8080/vipps/login/callback";
const STATE: &str = "state-0123456789";
const NONCE: &str = "nonce-abcdefgh";
const VERIFIER: &str = "verifier-0123456789-0123456789-0123456789-abcdef";

fn config() -> MockConfig {
    let mut config = MockConfig::single_client(
        CLIENT_ID,
        SECRET,
        [REDIRECT_URI],
        MockAuthMethod::ClientSecretBasic,
    );
    config.clients.push(MockClient {
        client_id: POST_CLIENT_ID.to_owned(),
        client_secret: POST_SECRET.to_owned(),
        redirect_uris: vec![REDIRECT_URI.to_owned()],
        auth_method: MockAuthMethod::ClientSecretPost,
    });
    config
}

async fn start() -> MockVipps {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    MockVipps::start(config(), listener).await.expect("start")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn authorize_url(mock: &MockVipps) -> String {
    format!("{}oauth2/auth", mock.issuer())
}

fn token_url(mock: &MockVipps) -> String {
    format!("{}oauth2/token", mock.issuer())
}

fn userinfo_url(mock: &MockVipps) -> String {
    format!("http://{}/vipps-userinfo-api/userinfo", mock.addr())
}

fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The standard authorize parameters, with S256 PKCE over [`VERIFIER`].
fn params(client_id: &str, scope: &str) -> Vec<(String, String)> {
    [
        ("client_id", client_id),
        ("response_type", "code"),
        ("scope", scope),
        ("state", STATE),
        ("redirect_uri", REDIRECT_URI),
        ("nonce", NONCE),
        ("code_challenge", &s256(VERIFIER)),
        ("code_challenge_method", "S256"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn with(
    mut params: Vec<(String, String)>,
    name: &str,
    value: Option<&str>,
) -> Vec<(String, String)> {
    params.retain(|(k, _)| k != name);
    if let Some(value) = value {
        params.push((name.to_owned(), value.to_owned()));
    }
    params
}

async fn authorize(mock: &MockVipps, params: &[(String, String)]) -> reqwest::Response {
    let url = Url::parse_with_params(&authorize_url(mock), params).expect("authorize url");
    http().get(url).send().await.expect("authorize")
}

/// The 302's `Location` query as pairs.
fn redirect_query(response: &reqwest::Response) -> Vec<(String, String)> {
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()["location"].to_str().expect("location");
    let url = Url::parse(location).expect("absolute location");
    assert!(location.starts_with(REDIRECT_URI), "{location}");
    url.query_pairs().into_owned().collect()
}

fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Logs in and returns the code.
async fn code(mock: &MockVipps, params: &[(String, String)]) -> String {
    let response = authorize(mock, params).await;
    let query = redirect_query(&response);
    assert_eq!(get(&query, "error"), None, "{query:?}");
    get(&query, "code").expect("code").to_owned()
}

fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))
    )
}

struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).expect("JSON body")
    }
}

async fn reply(response: reqwest::Response) -> Reply {
    Reply {
        status: response.status(),
        headers: response.headers().clone(),
        text: response.text().await.expect("body"),
    }
}

/// Redeems `code` with Basic auth as [`CLIENT_ID`].
async fn exchange(mock: &MockVipps, code: &str, verifier: Option<&str>) -> Reply {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
    ];
    if let Some(verifier) = verifier {
        form.push(("code_verifier", verifier));
    }
    let response = http()
        .post(token_url(mock))
        .header("authorization", basic(CLIENT_ID, SECRET))
        .header("vipps-system-name", "vipps-identity")
        .form(&form)
        .send()
        .await
        .expect("token");
    reply(response).await
}

/// A full login as [`CLIENT_ID`]: the token response body.
async fn login(mock: &MockVipps, scope: &str) -> Value {
    let code = code(mock, &params(CLIENT_ID, scope)).await;
    let reply = exchange(mock, &code, Some(VERIFIER)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json()
}

async fn jwks(mock: &MockVipps) -> JwkSet {
    http()
        .get(format!("{}.well-known/jwks.json", mock.issuer()))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("jwks json")
}

/// Verifies an ID token as a relying party does: RS256 by `kid` from the JWKS, iss, aud, exp.
async fn verify(mock: &MockVipps, id_token: &str, client_id: &str) -> Result<Value, String> {
    let header = jsonwebtoken::decode_header(id_token).map_err(|e| e.to_string())?;
    let kid = header.kid.ok_or("no kid")?;
    let set = jwks(mock).await;
    let jwk = set.find(&kid).ok_or("unknown kid")?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[mock.issuer()]);
    validation.set_audience(&[client_id]);
    validation.leeway = 5;
    jsonwebtoken::decode::<Value>(id_token, &key, &validation)
        .map(|data| data.claims)
        .map_err(|e| e.to_string())
}

async fn userinfo(mock: &MockVipps, access_token: &str) -> Reply {
    let response = http()
        .get(userinfo_url(mock))
        .header("authorization", format!("Bearer {access_token}"))
        .send()
        .await
        .expect("userinfo");
    reply(response).await
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test(flavor = "multi_thread")]
async fn discovery_document_is_the_vipps_one_pointing_at_the_mock() {
    let mock = start().await;
    let issuer = mock.issuer();
    assert_eq!(
        issuer,
        format!("http://{}/access-management-1.0/access/", mock.addr())
    );
    let response = http()
        .get(format!("{issuer}.well-known/openid-configuration"))
        .send()
        .await
        .expect("discovery");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "max-age=3600");
    let doc: Value = response.json().await.expect("json");
    assert_eq!(doc["issuer"], issuer);
    assert_eq!(
        doc["authorization_endpoint"],
        format!("{issuer}oauth2/auth")
    );
    assert_eq!(doc["token_endpoint"], format!("{issuer}oauth2/token"));
    assert_eq!(doc["jwks_uri"], format!("{issuer}.well-known/jwks.json"));
    assert_eq!(doc["userinfo_endpoint"], userinfo_url(&mock));
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["plain", "S256"])
    );
    assert_eq!(
        doc["subject_types_supported"],
        serde_json::json!(["pairwise"])
    );
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic", "client_secret_post"])
    );
    for scope in [
        "openid",
        "name",
        "email",
        "phoneNumber",
        "address",
        "birthDate",
        "nin",
    ] {
        assert!(
            doc["scopes_supported"]
                .as_array()
                .expect("scopes")
                .contains(&Value::from(scope)),
            "{scope}"
        );
    }
    let jwks_response = http()
        .get(format!("{issuer}.well-known/jwks.json"))
        .send()
        .await
        .expect("jwks");
    assert_eq!(jwks_response.headers()["cache-control"], "max-age=3600");
    let jwks: Value = jwks_response.json().await.expect("json");
    let key = &jwks["keys"][0];
    assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(1));
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["e"], "AQAB");
    assert!(key["kid"].as_str().expect("kid").starts_with("public:"));
    let n = URL_SAFE_NO_PAD
        .decode(key["n"].as_str().expect("n"))
        .expect("base64url n without padding");
    assert_eq!(n.len(), 256);
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn authorize_redirects_back_with_code_state_and_scope() {
    let mock = start().await;
    let scope = "openid name phoneNumber";
    let response = authorize(&mock, &params(CLIENT_ID, scope)).await;
    let query = redirect_query(&response);
    let code = get(&query, "code").expect("code");
    assert!(URL_SAFE_NO_PAD.decode(code).expect("base64url").len() >= 16);
    assert_eq!(get(&query, "state"), Some(STATE));
    assert_eq!(get(&query, "scope"), Some(scope));
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn token_exchange_with_basic_auth_gives_a_verifiable_id_token() {
    let mock = start().await;
    let code = code(&mock, &params(CLIENT_ID, "openid name")).await;
    let reply = exchange(&mock, &code, Some(VERIFIER)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.headers["cache-control"], "no-store");
    let body = reply.json();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["scope"], "openid name");
    let access_token = body["access_token"].as_str().expect("access token");
    let id_token = body["id_token"].as_str().expect("id token");

    let header = jsonwebtoken::decode_header(id_token).expect("header");
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let claims = verify(&mock, id_token, CLIENT_ID).await.expect("verifies");
    assert_eq!(claims["iss"], mock.issuer());
    assert_eq!(claims["aud"], serde_json::json!([CLIENT_ID]));
    assert_eq!(claims["nonce"], NONCE);
    let iat = claims["iat"].as_i64().expect("iat");
    assert_eq!(claims["exp"].as_i64(), Some(iat + 3600));
    assert!((iat - now()).abs() < 5);
    for claim in ["auth_time", "rat", "jti", "sid", "sub"] {
        assert!(!claims[claim].is_null(), "{claim}");
    }
    let digest = Sha256::digest(access_token.as_bytes());
    assert_eq!(claims["at_hash"], URL_SAFE_NO_PAD.encode(&digest[..16]));
    let sub = claims["sub"].as_str().expect("sub");
    assert_eq!(sub.len(), 36);
    assert_eq!(sub.matches('-').count(), 4);
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn token_exchange_with_post_auth_and_only_the_registered_method() {
    let mock = start().await;
    let post_code = code(&mock, &params(POST_CLIENT_ID, "openid")).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", post_code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", VERIFIER),
        ("client_id", POST_CLIENT_ID),
    ];
    let with_basic = http()
        .post(token_url(&mock))
        .header("authorization", basic(POST_CLIENT_ID, POST_SECRET))
        .form(&form)
        .send()
        .await
        .expect("token");
    let with_basic = reply(with_basic).await;
    assert_eq!(with_basic.status, StatusCode::UNAUTHORIZED);
    assert_eq!(with_basic.json()["error"], "invalid_client");
    assert!(
        with_basic.json()["error_description"]
            .as_str()
            .expect("description")
            .starts_with("Client authentication failed")
    );

    let mut posted = form.to_vec();
    posted.push(("client_secret", POST_SECRET));
    let ok = http()
        .post(token_url(&mock))
        .form(&posted)
        .send()
        .await
        .expect("token");
    let ok = reply(ok).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let id_token = ok.json()["id_token"].as_str().expect("id token").to_owned();
    verify(&mock, &id_token, POST_CLIENT_ID)
        .await
        .expect("verifies");

    let basic_client_code = code(&mock, &params(CLIENT_ID, "openid")).await;
    let post_to_basic_client = http()
        .post(token_url(&mock))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", basic_client_code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
        ])
        .send()
        .await
        .expect("token");
    assert_eq!(post_to_basic_client.status(), StatusCode::UNAUTHORIZED);
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_or_missing_client_credentials_are_invalid_client() {
    let mock = start().await;
    let code = code(&mock, &params(CLIENT_ID, "openid")).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", VERIFIER),
    ];
    for authorization in [
        Some(basic(CLIENT_ID, "wrong")),
        Some(basic("nobody", SECRET)),
        None,
    ] {
        let mut request = http().post(token_url(&mock)).form(&form);
        if let Some(authorization) = authorization {
            request = request.header("authorization", authorization);
        }
        let reply = reply(request.send().await.expect("token")).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.json()["error"], "invalid_client");
    }
    let plain = http()
        .post(token_url(&mock))
        .header(
            "authorization",
            format!("basic {}", STANDARD.encode(format!("{CLIENT_ID}:{SECRET}"))),
        )
        .form(&form)
        .send()
        .await
        .expect("token");
    assert_eq!(
        plain.status(),
        StatusCode::OK,
        "unencoded Basic credentials are accepted"
    );
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pkce_failures_are_invalid_grant_and_burn_the_code() {
    let mock = start().await;
    let spent = code(&mock, &params(CLIENT_ID, "openid")).await;
    let wrong = exchange(
        &mock,
        &spent,
        Some("wrong-verifier-0123456789-0123456789-0123456789"),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong.json()["error"], "invalid_grant");
    assert!(
        wrong.json()["error_description"]
            .as_str()
            .expect("description")
            .starts_with("The provided authorization grant")
    );
    let retry = exchange(&mock, &spent, Some(VERIFIER)).await;
    assert_eq!(
        retry.json()["error"],
        "invalid_grant",
        "a wrong verifier spends the code"
    );

    let no_challenge = with(
        with(params(CLIENT_ID, "openid"), "code_challenge", None),
        "code_challenge_method",
        None,
    );
    let no_challenge = code(&mock, &no_challenge).await;
    let unexpected = exchange(&mock, &no_challenge, Some(VERIFIER)).await;
    assert_eq!(
        unexpected.json()["error"],
        "invalid_grant",
        "verifier without challenge"
    );

    let missing = code(&mock, &params(CLIENT_ID, "openid")).await;
    let missing = exchange(&mock, &missing, None).await;
    assert_eq!(
        missing.json()["error"],
        "invalid_grant",
        "challenge without verifier"
    );

    let plain = with(
        with(params(CLIENT_ID, "openid"), "code_challenge_method", None),
        "code_challenge",
        Some(VERIFIER),
    );
    let plain = code(&mock, &plain).await;
    let plain = exchange(&mock, &plain, Some(VERIFIER)).await;
    assert_eq!(
        plain.status,
        StatusCode::OK,
        "plain is the default method: {}",
        plain.text
    );
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_code_works_once_and_only_with_its_redirect_uri() {
    let mock = start().await;
    let code = code(&mock, &params(CLIENT_ID, "openid")).await;
    let mismatch = http()
        .post(token_url(&mock))
        .header("authorization", basic(CLIENT_ID, SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            (
                "redirect_uri",
                "http://localhost:8080/vipps/login/callback/",
            ),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .expect("token");
    let mismatch = reply(mismatch).await;
    assert_eq!(mismatch.status, StatusCode::BAD_REQUEST);
    assert_eq!(mismatch.json()["error"], "invalid_grant");

    let first = exchange(&mock, &code, Some(VERIFIER)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let second = exchange(&mock, &code, Some(VERIFIER)).await;
    assert_eq!(second.status, StatusCode::BAD_REQUEST);
    assert_eq!(second.json()["error"], "invalid_grant");

    let missing = http()
        .post(token_url(&mock))
        .header("authorization", basic(CLIENT_ID, SECRET))
        .form(&[("grant_type", "authorization_code"), ("code", "x")])
        .send()
        .await
        .expect("token");
    let missing = reply(missing).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    let body = missing.json();
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(body["error_code"], 400);
    assert!(
        body["error_debug"]
            .as_str()
            .expect("debug")
            .contains("redirect_uri")
    );

    let unsupported = http()
        .post(token_url(&mock))
        .header("authorization", basic(CLIENT_ID, SECRET))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .expect("token");
    assert_eq!(
        reply(unsupported).await.json()["error"],
        "unsupported_grant_type"
    );
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_redemptions_of_one_code_succeed_once() {
    let mock = start().await;
    let code = code(&mock, &params(CLIENT_ID, "openid")).await;
    let (a, b) = tokio::join!(
        exchange(&mock, &code, Some(VERIFIER)),
        exchange(&mock, &code, Some(VERIFIER))
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 400]);
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unregistered_redirect_uri_gets_an_error_page_not_a_redirect() {
    let mock = start().await;
    for uri in [
        "http://localhost:8080/vipps/login/callback/",
        "http://LOCALHOST:8080/vipps/login/callback",
        "https://evil.example/callback",
    ] {
        let response = authorize(
            &mock,
            &with(params(CLIENT_ID, "openid"), "redirect_uri", Some(uri)),
        )
        .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{uri}");
        assert!(response.headers().get("location").is_none());
        let page = response.text().await.expect("page");
        assert!(page.contains("invalid_request"));
        assert!(page.contains("does not match any of your preregistered URIs"));
    }
    let unknown = authorize(
        &mock,
        &with(params(CLIENT_ID, "openid"), "client_id", Some("nobody")),
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    assert!(unknown.headers().get("location").is_none());
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_authorize_requests_are_redirected_back_with_an_error() {
    let mock = start().await;
    let cases = [
        (
            with(params(CLIENT_ID, "openid"), "state", Some("short")),
            "invalid_request",
            Some("short"),
        ),
        (
            with(params(CLIENT_ID, "openid"), "state", None),
            "invalid_request",
            None,
        ),
        (
            params(CLIENT_ID, "name email"),
            "invalid_scope",
            Some(STATE),
        ),
        (
            params(CLIENT_ID, "openid offline"),
            "invalid_scope",
            Some(STATE),
        ),
        (
            with(params(CLIENT_ID, "openid"), "response_type", Some("token")),
            "unsupported_response_type",
            Some(STATE),
        ),
        (
            with(
                params(CLIENT_ID, "openid"),
                "code_challenge_method",
                Some("S512"),
            ),
            "invalid_request",
            Some(STATE),
        ),
    ];
    for (params, error, state) in cases {
        let query = redirect_query(&authorize(&mock, &params).await);
        assert_eq!(get(&query, "error"), Some(error), "{params:?}");
        assert!(get(&query, "error_description").is_some());
        assert_eq!(get(&query, "state"), state);
        assert_eq!(get(&query, "code"), None);
    }
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn deny_mode_redirects_with_error_description_and_hint() {
    let mock = start().await;
    mock.set_authorize(AuthorizeMode::Deny {
        error: "access_denied".to_owned(),
        description: "The user refused".to_owned(),
        hint: Some("user_cancelled".to_owned()),
    });
    let query = redirect_query(&authorize(&mock, &params(CLIENT_ID, "openid")).await);
    assert_eq!(get(&query, "error"), Some("access_denied"));
    assert_eq!(get(&query, "error_description"), Some("The user refused"));
    assert_eq!(get(&query, "error_hint"), Some("user_cancelled"));
    assert_eq!(get(&query, "state"), Some(STATE));
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn interactive_mode_shows_users_and_posts_the_decision() {
    let mock = start().await;
    mock.set_authorize(AuthorizeMode::Interactive);
    let tricky_nonce = "nonce\"><script>alert(1)</script>";
    let original = with(
        params(CLIENT_ID, "openid name"),
        "nonce",
        Some(tricky_nonce),
    );
    let response = authorize(&mock, &original).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.expect("page");
    assert!(page.contains("Ada Lovelace") && page.contains("Grace Hopper"));
    assert!(page.contains("value=\"cancel\""));
    assert!(page.contains("/access-management-1.0/access/oauth2/auth/decision"));
    assert!(!page.contains("<script>"), "input is escaped");
    assert!(page.contains("&lt;script&gt;"));

    let mut form = original.clone();
    form.push(("decision".to_owned(), "1".to_owned()));
    let chosen = http()
        .post(format!("{}oauth2/auth/decision", mock.issuer()))
        .form(&form)
        .send()
        .await
        .expect("decision");
    let query = redirect_query(&chosen);
    let code = get(&query, "code").expect("code");
    let token = exchange(&mock, code, Some(VERIFIER)).await.json();
    let claims = verify(&mock, token["id_token"].as_str().expect("id"), CLIENT_ID)
        .await
        .expect("verifies");
    assert_eq!(claims["nonce"], tricky_nonce);
    let info = userinfo(&mock, token["access_token"].as_str().expect("at")).await;
    assert_eq!(info.json()["name"], "Grace Hopper");

    let mut form = original;
    form.push(("decision".to_owned(), "cancel".to_owned()));
    let cancelled = http()
        .post(format!("{}oauth2/auth/decision", mock.issuer()))
        .form(&form)
        .send()
        .await
        .expect("decision");
    let query = redirect_query(&cancelled);
    assert_eq!(get(&query, "error"), Some("access_denied"));
    assert_eq!(
        get(&query, "error_description"),
        Some("user cancelled the login")
    );
    assert_eq!(get(&query, "state"), Some(STATE));
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_nonce_the_id_token_carries_an_empty_one() {
    let mock = start().await;
    let code = code(&mock, &with(params(CLIENT_ID, "openid"), "nonce", None)).await;
    let token = exchange(&mock, &code, Some(VERIFIER)).await.json();
    let claims = verify(&mock, token["id_token"].as_str().expect("id"), CLIENT_ID)
        .await
        .expect("verifies");
    assert_eq!(claims["nonce"], "");
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn userinfo_releases_the_claims_of_the_granted_scopes() {
    let mock = start().await;
    let token = login(&mock, "openid").await;
    let id_claims = verify(&mock, token["id_token"].as_str().expect("id"), CLIENT_ID)
        .await
        .expect("verifies");
    let reply = userinfo(&mock, token["access_token"].as_str().expect("at")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.headers["content-type"],
        "application/json;charset=UTF-8"
    );
    let body = reply.json();
    let keys: Vec<&String> = body.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["sub", "sid"]);
    assert_eq!(body["sub"], id_claims["sub"]);

    let token = login(&mock, "openid name email phoneNumber address birthDate nin").await;
    let lowercase_bearer = http()
        .get(userinfo_url(&mock))
        .header(
            "authorization",
            format!("bearer {}", token["access_token"].as_str().expect("at")),
        )
        .send()
        .await
        .expect("userinfo");
    let body: Value = lowercase_bearer.json().await.expect("json");
    let ada = MockUser::ada();
    assert_eq!(body["name"], ada.name);
    assert_eq!(body["given_name"], "Ada");
    assert_eq!(body["family_name"], "Lovelace");
    assert_eq!(body["email"], "ada@example.com");
    assert_eq!(body["email_verified"], true);
    assert_eq!(body["phone_number"], "4712345678");
    assert_eq!(body["phone_number_verified"], true);
    assert_eq!(body["birthdate"], "1815-12-10");
    assert_eq!(body["nin"], "10121550047");
    assert_eq!(body["address"]["street_address"], "Suburbia 23");
    assert_eq!(body["address"]["formatted"], "Suburbia 23\n2101 OSLO\nNO");
    assert_eq!(body["address"]["address_type"], "home");
    assert_eq!(body["other_addresses"][0]["address_type"], "work");
    assert!(body["sid"].is_string());

    mock.set_authorize(AuthorizeMode::Approve { user: 2 });
    let token = login(&mock, "openid email address").await;
    let body = userinfo(&mock, token["access_token"].as_str().expect("at"))
        .await
        .json();
    assert_eq!(body["email_verified"], false);
    for field in [
        "street_address",
        "postal_code",
        "region",
        "country",
        "formatted",
        "address_type",
    ] {
        assert_eq!(body["address"][field], "", "{field}");
    }
    assert_eq!(body["other_addresses"], serde_json::json!([]));

    let unknown = userinfo(&mock, "not-a-token").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let problem = unknown.json();
    assert_eq!(problem["status"], 401);
    assert!(
        problem["type"].is_string()
            && problem["title"].is_string()
            && problem["detail"].is_string()
    );
    let none = http()
        .get(userinfo_url(&mock))
        .send()
        .await
        .expect("userinfo");
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sub_is_per_client_and_stable_per_person() {
    let mock = start().await;
    let a1 = login(&mock, "openid").await;
    let a2 = login(&mock, "openid").await;
    let code = code(&mock, &params(POST_CLIENT_ID, "openid")).await;
    let post = http()
        .post(token_url(&mock))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
            ("client_id", POST_CLIENT_ID),
            ("client_secret", POST_SECRET),
        ])
        .send()
        .await
        .expect("token");
    let b: Value = post.json().await.expect("json");
    let sub = |token: &Value| {
        let payload = token["id_token"]
            .as_str()
            .expect("id")
            .split('.')
            .nth(1)
            .expect("payload");
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("b64")).expect("json");
        claims["sub"].as_str().expect("sub").to_owned()
    };
    assert_eq!(sub(&a1), sub(&a2));
    assert_ne!(sub(&a1), sub(&b));
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rotated_keys_sign_new_tokens_and_old_keys_can_be_kept() {
    let mock = start().await;
    let before = login(&mock, "openid").await;
    let old_token = before["id_token"].as_str().expect("id").to_owned();
    let old_kid = jsonwebtoken::decode_header(&old_token).expect("header").kid;

    mock.rotate_keys(true);
    let after = login(&mock, "openid").await;
    let new_token = after["id_token"].as_str().expect("id").to_owned();
    let new_kid = jsonwebtoken::decode_header(&new_token).expect("header").kid;
    assert_ne!(old_kid, new_kid);
    assert!(new_kid.as_deref().expect("kid").starts_with("public:"));
    assert_eq!(jwks(&mock).await.keys.len(), 2);
    verify(&mock, &new_token, CLIENT_ID)
        .await
        .expect("new key verifies");
    verify(&mock, &old_token, CLIENT_ID)
        .await
        .expect("old key still published");

    mock.rotate_keys(false);
    assert_eq!(jwks(&mock).await.keys.len(), 1);
    assert_eq!(
        verify(&mock, &old_token, CLIENT_ID).await,
        Err("unknown kid".to_owned())
    );
    let latest = login(&mock, "openid").await;
    verify(&mock, latest["id_token"].as_str().expect("id"), CLIENT_ID)
        .await
        .expect("newest key verifies");
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn status_faults_answer_in_each_vipps_error_shape() {
    let mock = start().await;
    let token = login(&mock, "openid").await;
    let access_token = token["access_token"].as_str().expect("at").to_owned();

    mock.inject(Fault::Status {
        endpoint: Endpoint::Token,
        status: 500,
        shape: ErrorShape::Description,
    });
    let code = code(&mock, &params(CLIENT_ID, "openid")).await;
    let reply = exchange(&mock, &code, Some(VERIFIER)).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.json()["error"], "server_error");
    assert!(reply.json()["error_description"].is_string());

    mock.inject(Fault::Status {
        endpoint: Endpoint::Token,
        status: 503,
        shape: ErrorShape::Debug,
    });
    let reply = exchange(&mock, &code, Some(VERIFIER)).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.json()["error_code"], 503);
    assert!(reply.json()["error_debug"].is_string());

    mock.inject(Fault::Status {
        endpoint: Endpoint::Userinfo,
        status: 403,
        shape: ErrorShape::Problem,
    });
    let reply = userinfo(&mock, &access_token).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.json()["status"], 403);
    assert_eq!(reply.json()["title"], "Forbidden");

    mock.inject(Fault::Status {
        endpoint: Endpoint::Discovery,
        status: 502,
        shape: ErrorShape::Description,
    });
    let discovery = http()
        .get(format!("{}.well-known/openid-configuration", mock.issuer()))
        .send()
        .await
        .expect("discovery");
    assert_eq!(discovery.status(), StatusCode::BAD_GATEWAY);

    mock.inject(Fault::Status {
        endpoint: Endpoint::Jwks,
        status: 500,
        shape: ErrorShape::Description,
    });
    let jwks = http()
        .get(format!("{}.well-known/jwks.json", mock.issuer()))
        .send()
        .await
        .expect("jwks");
    assert_eq!(jwks.status(), StatusCode::INTERNAL_SERVER_ERROR);

    mock.inject(Fault::Status {
        endpoint: Endpoint::Authorize,
        status: 500,
        shape: ErrorShape::Description,
    });
    let authorize = authorize(&mock, &params(CLIENT_ID, "openid")).await;
    assert_eq!(authorize.status(), StatusCode::INTERNAL_SERVER_ERROR);

    mock.clear_faults();
    assert_eq!(userinfo(&mock, &access_token).await.status, StatusCode::OK);
    let code = self::code(&mock, &params(CLIENT_ID, "openid")).await;
    assert_eq!(
        exchange(&mock, &code, Some(VERIFIER)).await.status,
        StatusCode::OK
    );
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_and_garbage_faults() {
    let mock = start().await;
    let delay = Duration::from_millis(300);
    mock.inject(Fault::Slow {
        endpoint: Endpoint::Jwks,
        delay,
    });
    let started = Instant::now();
    assert_eq!(
        jwks(&mock).await.keys.len(),
        1,
        "answers normally after the delay"
    );
    assert!(started.elapsed() >= delay);
    let timeout = http()
        .get(format!("{}.well-known/jwks.json", mock.issuer()))
        .timeout(Duration::from_millis(50))
        .send()
        .await;
    assert!(timeout.is_err_and(|e| e.is_timeout()));

    for endpoint in [Endpoint::Discovery, Endpoint::Token, Endpoint::Userinfo] {
        mock.inject(Fault::Garbage { endpoint });
    }
    let discovery = http()
        .get(format!("{}.well-known/openid-configuration", mock.issuer()))
        .send()
        .await
        .expect("discovery");
    assert_eq!(discovery.status(), StatusCode::OK);
    assert!(discovery.json::<Value>().await.is_err());
    let code = code(&mock, &params(CLIENT_ID, "openid")).await;
    let token = exchange(&mock, &code, Some(VERIFIER)).await;
    assert_eq!(token.status, StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&token.text).is_err());
    let info = userinfo(&mock, "whatever").await;
    assert_eq!(info.status, StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&info.text).is_err());
    mock.shutdown().await;
}

/// Logs in with `forgery` active and returns the ID token.
async fn forged(mock: &MockVipps, forgery: IdTokenForgery) -> String {
    mock.clear_faults();
    mock.inject(Fault::IdToken(forgery));
    let token = login(mock, "openid").await;
    token["id_token"].as_str().expect("id").to_owned()
}

fn claims_of(id_token: &str) -> Value {
    let payload = id_token.split('.').nth(1).expect("payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("b64")).expect("json")
}

#[tokio::test(flavor = "multi_thread")]
async fn forged_id_tokens_fail_verification() {
    let mock = start().await;
    let published: Vec<String> = jwks(&mock)
        .await
        .keys
        .iter()
        .filter_map(|k| k.common.key_id.clone())
        .collect();

    let token = forged(&mock, IdTokenForgery::BadSignature).await;
    let header = jsonwebtoken::decode_header(&token).expect("header");
    assert!(published.contains(&header.kid.expect("kid")));
    assert!(verify(&mock, &token, CLIENT_ID).await.is_err());

    let token = forged(&mock, IdTokenForgery::UnknownKid).await;
    assert_eq!(
        verify(&mock, &token, CLIENT_ID).await,
        Err("unknown kid".to_owned())
    );

    let token = forged(&mock, IdTokenForgery::WrongIssuer).await;
    assert!(verify(&mock, &token, CLIENT_ID).await.is_err());
    assert_ne!(claims_of(&token)["iss"], mock.issuer());

    let token = forged(&mock, IdTokenForgery::WrongAudience).await;
    assert!(verify(&mock, &token, CLIENT_ID).await.is_err());

    let token = forged(&mock, IdTokenForgery::Expired).await;
    assert!(verify(&mock, &token, CLIENT_ID).await.is_err());
    assert!(claims_of(&token)["exp"].as_i64().expect("exp") <= now() - 590);

    let token = forged(&mock, IdTokenForgery::AlgNone).await;
    assert!(token.ends_with('.'), "empty signature");
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').next().expect("header"))
            .expect("b64"),
    )
    .expect("json");
    assert_eq!(header["alg"], "none");
    assert!(verify(&mock, &token, CLIENT_ID).await.is_err());

    let token = forged(&mock, IdTokenForgery::Hs256WithSecret).await;
    let header = jsonwebtoken::decode_header(&token).expect("header");
    assert_eq!(header.alg, Algorithm::HS256);
    assert!(verify(&mock, &token, CLIENT_ID).await.is_err());
    let mut hs = Validation::new(Algorithm::HS256);
    hs.set_audience(&[CLIENT_ID]);
    jsonwebtoken::decode::<Value>(&token, &DecodingKey::from_secret(SECRET.as_bytes()), &hs)
        .expect("really an HMAC with the client secret");

    // These verify cryptographically; the relying party must check the claims itself.
    let token = forged(&mock, IdTokenForgery::WrongNonce).await;
    let claims = verify(&mock, &token, CLIENT_ID)
        .await
        .expect("signature ok");
    assert_ne!(claims["nonce"], NONCE);

    let token = forged(&mock, IdTokenForgery::MissingNonce).await;
    let claims = verify(&mock, &token, CLIENT_ID)
        .await
        .expect("signature ok");
    assert!(claims.get("nonce").is_none());

    let token = forged(&mock, IdTokenForgery::IssuedInFuture).await;
    let claims = verify(&mock, &token, CLIENT_ID)
        .await
        .expect("signature ok");
    assert!(claims["iat"].as_i64().expect("iat") >= now() + 590);

    mock.clear_faults();
    let token = login(&mock, "openid").await;
    verify(&mock, token["id_token"].as_str().expect("id"), CLIENT_ID)
        .await
        .expect("honest again");
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn userinfo_sub_mismatch_fault() {
    let mock = start().await;
    mock.inject(Fault::UserinfoSubMismatch);
    let token = login(&mock, "openid name").await;
    let claims = claims_of(token["id_token"].as_str().expect("id"));
    let info = userinfo(&mock, token["access_token"].as_str().expect("at"))
        .await
        .json();
    assert_ne!(info["sub"], claims["sub"]);
    assert_eq!(info["name"], "Ada Lovelace");
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_request_is_recorded() {
    let mock = start().await;
    let response = http()
        .get(format!("{}.well-known/openid-configuration", mock.issuer()))
        .header("Merchant-Serial-Number", "123456")
        .header("Vipps-System-Name", "vipps-identity")
        .send()
        .await
        .expect("discovery");
    assert_eq!(response.status(), StatusCode::OK);
    login(&mock, "openid").await;

    let requests = mock.requests();
    let endpoints: Vec<Endpoint> = requests.iter().map(|r| r.endpoint).collect();
    assert_eq!(
        endpoints,
        [Endpoint::Discovery, Endpoint::Authorize, Endpoint::Token]
    );
    let discovery = &requests[0];
    assert_eq!(discovery.method, "GET");
    assert!(
        discovery
            .headers
            .contains(&("merchant-serial-number".to_owned(), "123456".to_owned()))
    );
    assert!(
        discovery
            .headers
            .contains(&("vipps-system-name".to_owned(), "vipps-identity".to_owned()))
    );
    assert_eq!(discovery.body, None);
    let authorize = &requests[1];
    assert!(
        authorize
            .query
            .as_deref()
            .expect("query")
            .contains("client_id=client-a")
    );
    let token = &requests[2];
    assert_eq!(token.method, "POST");
    assert!(
        token
            .body
            .as_deref()
            .expect("body")
            .contains("grant_type=authorization_code")
    );
    assert!(token.headers.iter().any(|(k, _)| k == "authorization"));
    assert_eq!(mock.request_count(Endpoint::Token), 1);
    assert_eq!(mock.request_count(Endpoint::Userinfo), 0);

    mock.reset_requests();
    assert!(mock.requests().is_empty());
    assert_eq!(mock.request_count(Endpoint::Discovery), 0);
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_stops_listening() {
    let mock = start().await;
    let url = format!("{}.well-known/openid-configuration", mock.issuer());
    assert!(http().get(&url).send().await.is_ok());
    mock.shutdown().await;
    assert!(http().get(&url).send().await.is_err());
}

#[test]
fn the_mock_vipps_subcommand_serves_and_prints_how_to_use_it() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().expect("dir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_vipps-identity"));
    command.current_dir(dir.path()).env_remove("RUST_LOG");
    for name in [
        "MOCK_VIPPS_BIND",
        "MOCK_VIPPS_CLIENT_ID",
        "MOCK_VIPPS_CLIENT_SECRET",
        "MOCK_VIPPS_REDIRECT_URI",
        "MOCK_VIPPS_AUTH_METHOD",
        "MOCK_VIPPS_AUTO_APPROVE",
    ] {
        command.env_remove(name);
    }
    let mut child = command
        .args([
            "mock-vipps",
            "--mock-bind",
            "127.0.0.1:0",
            "--mock-auto-approve",
            "--mock-redirect-uri",
            "http://localhost:9999/a",
            "--mock-redirect-uri",
            "http://localhost:9999/b",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut lines = Vec::new();
    let mut issuer = None;
    for line in stderr.lines() {
        let line = line.expect("line");
        lines.push(line.clone());
        if let Some(value) = line.trim().strip_prefix("VIPPS_TEST_ISSUER=") {
            issuer = Some(value.to_owned());
        }
        if line.contains("client_secret_ref env://") {
            break;
        }
    }
    let issuer = issuer.unwrap_or_else(|| panic!("no issuer on stderr: {lines:?}"));
    let printed = lines.join("\n");
    assert!(printed.contains("demo-client") && printed.contains("demo-secret"));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let doc: Value = http()
            .get(format!("{issuer}.well-known/openid-configuration"))
            .send()
            .await
            .expect("discovery")
            .json()
            .await
            .expect("json");
        assert_eq!(doc["issuer"], issuer);
        let url = Url::parse_with_params(
            &format!("{issuer}oauth2/auth"),
            [
                ("client_id", "demo-client"),
                ("response_type", "code"),
                ("scope", "openid"),
                ("state", STATE),
                ("redirect_uri", "http://localhost:9999/b"),
            ],
        )
        .expect("url");
        let response = http().get(url).send().await.expect("authorize");
        assert_eq!(response.status(), StatusCode::FOUND, "auto-approved");
        let location = response.headers()["location"].to_str().expect("location");
        assert!(location.starts_with("http://localhost:9999/b?code="));
    });

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    assert!(child.wait().expect("wait").success(), "graceful exit");
}
