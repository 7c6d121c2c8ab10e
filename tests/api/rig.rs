//! `LoginRig`: the server and the mock Vipps provider side by side on real sockets, with one
//! organization registered at both, and the steps of a login as a client performs them.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::{Value, json};
use tokio::net::TcpListener;
use vipps_identity::mock_vipps::{MockAuthMethod, MockConfig, MockVipps};

use crate::helpers::{Auth, TestApp, TestResponse, login_config, org_body};

pub const CLIENT_ID: &str = "7c1d4b7e-rig-client";
/// A secret with the characters that break naive Basic authentication.
pub const CLIENT_SECRET: &str = "rig+secret/with=odd&chars";
pub const REDIRECT_URI: &str = "http://localhost:3000/vipps/callback";
pub const ORG_ID: &str = "org_rig";
pub const ALL_SCOPES: [&str; 7] = [
    "openid",
    "name",
    "email",
    "phoneNumber",
    "address",
    "birthDate",
    "nin",
];

pub const START: &str = r#"mutation($input: StartVippsLoginInput!) {
  startVippsLogin(input: $input) { authorizationUrl state completionToken expiresAt }
}"#;

pub const COMPLETE: &str = r#"mutation($input: CompleteVippsLoginInput!) {
  completeVippsLogin(input: $input) {
    nextRelativeUrl
    vippsUserInfo {
      subjectIdentifier sessionIdentifier name givenName familyName email emailVerified
      phoneNumber birthdate nin
      address { addressType country formatted postalCode region streetAddress }
      otherAddresses { addressType country formatted postalCode region streetAddress }
    }
  }
}"#;

/// Options for a rig.
pub struct RigOptions {
    pub auth_method: MockAuthMethod,
    /// Extra server flags, as on the command line.
    pub server_args: Vec<String>,
    /// Fields merged into the organization's create body.
    pub org: Value,
    /// Redirect URIs registered at the mock besides [`REDIRECT_URI`].
    pub mock_redirect_uris: Vec<String>,
}

impl Default for RigOptions {
    fn default() -> Self {
        Self {
            auth_method: MockAuthMethod::ClientSecretBasic,
            server_args: Vec::new(),
            org: json!({}),
            mock_redirect_uris: Vec::new(),
        }
    }
}

pub struct LoginRig {
    pub app: TestApp,
    pub mock: MockVipps,
    http: reqwest::Client,
    /// The completion token of each login this rig started, by `state`: what the starting
    /// app keeps to itself.
    completion_tokens: Mutex<HashMap<String, String>>,
    /// The server's `SECRET_FILE_DIR`, holding the organization's secret file `client_secret`.
    pub secret_dir: tempfile::TempDir,
    /// The server's command-line settings, for a second instance.
    server_args: Vec<String>,
}

/// The query parameters Vipps put on the redirect back to the app.
pub type Redirect = HashMap<String, String>;

impl LoginRig {
    pub async fn new() -> Self {
        Self::with(RigOptions::default()).await
    }

    pub async fn with(options: RigOptions) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind mock");
        let mock = MockVipps::start(
            MockConfig::single_client(
                CLIENT_ID,
                CLIENT_SECRET,
                std::iter::once(REDIRECT_URI.to_owned())
                    .chain(options.mock_redirect_uris.iter().cloned())
                    .collect::<Vec<_>>(),
                options.auth_method,
            ),
            listener,
        )
        .await
        .expect("mock starts");
        let secret_dir = tempfile::tempdir().expect("secret dir");
        let secret_file = secret_dir.path().join("client_secret");
        std::fs::write(&secret_file, format!("{CLIENT_SECRET}\n")).expect("write secret");
        let issuer = mock.issuer();
        let dir = secret_dir.path().display().to_string();
        let mut server_args = vec!["--vipps-test-issuer".to_owned(), issuer];
        if !options.server_args.iter().any(|a| a == "--secret-file-dir") {
            server_args.extend(["--secret-file-dir".to_owned(), dir]);
        }
        server_args.extend(options.server_args);
        let app = TestApp::spawn_with(login_config(&args_of(&server_args))).await;

        let mut org = org_body(
            ORG_ID,
            json!({
                "client_id": CLIENT_ID,
                "client_secret_ref": format!("file://{}", secret_file.display()),
                "redirect_uri": REDIRECT_URI,
                "scopes": ALL_SCOPES,
                "environment": "test",
                "token_endpoint_auth_method": match options.auth_method {
                    MockAuthMethod::ClientSecretBasic => "client_secret_basic",
                    MockAuthMethod::ClientSecretPost => "client_secret_post",
                },
            }),
        );
        if let (Some(org), Some(extra)) = (org.as_object_mut(), options.org.as_object()) {
            org.extend(extra.clone());
        }
        app.create_org(&org).await;
        Self {
            app,
            mock,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            completion_tokens: Mutex::new(HashMap::new()),
            secret_dir,
            server_args,
        }
    }

    /// Another instance of the server with the same settings, on the same database and
    /// session key, talking to the same provider.
    pub async fn second_instance(&self) -> TestApp {
        self.app
            .spawn_beside(login_config(&args_of(&self.server_args)))
            .await
    }

    /// Remembers the completion token a start answered with.
    pub fn remember(&self, started: &Value) {
        if let (Some(state), Some(token)) = (
            started["state"].as_str(),
            started["completionToken"].as_str(),
        ) {
            self.completion_tokens
                .lock()
                .expect("tokens")
                .insert(state.to_owned(), token.to_owned());
        }
    }

    /// The completion token of the login that `redirect` continues, as its starter kept it.
    pub fn completion_token(&self, redirect: &Redirect) -> Option<String> {
        let state = redirect.get("state")?;
        self.completion_tokens
            .lock()
            .expect("tokens")
            .get(state)
            .cloned()
    }

    /// `startVippsLogin` through GraphQL; returns `{authorizationUrl, state, expiresAt}`.
    pub async fn start(&self, next_relative_url: Option<&str>) -> Value {
        let body = self
            .app
            .graphql(
                Auth::None,
                START,
                json!({ "input": { "orgId": ORG_ID, "nextRelativeUrl": next_relative_url } }),
            )
            .await;
        assert!(body["errors"].is_null(), "start failed: {body}");
        let started = body["data"]["startVippsLogin"].clone();
        self.remember(&started);
        started
    }

    /// The user's browser at Vipps: follows the authorize URL and returns the redirect's query.
    pub async fn authorize(&self, authorization_url: &str) -> Redirect {
        self.authorize_to(authorization_url, REDIRECT_URI).await
    }

    /// Follows the authorize URL, expecting Vipps to send the user back to `redirect_uri`.
    pub async fn authorize_to(&self, authorization_url: &str, redirect_uri: &str) -> Redirect {
        let response = self
            .http
            .get(authorization_url)
            .send()
            .await
            .expect("authorize reaches the mock");
        assert_eq!(response.status(), 302, "authorize did not redirect");
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .expect("location")
            .to_owned();
        assert!(
            location.starts_with(&format!("{redirect_uri}?")),
            "redirected elsewhere: {location}"
        );
        let url = url::Url::parse(&location).expect("redirect URL");
        url.query_pairs().into_owned().collect()
    }

    /// Starts a login and lets the mock approve it: the redirect the app receives.
    pub async fn approved_redirect(&self) -> Redirect {
        let started = self.start(Some("/after")).await;
        self.authorize(started["authorizationUrl"].as_str().expect("url"))
            .await
    }

    /// `completeVippsLogin` through GraphQL with the redirect's parameters, as the app that
    /// started the login sends it (with its completion token).
    pub async fn complete(&self, redirect: &Redirect) -> Value {
        self.complete_with_token(redirect, self.completion_token(redirect).as_deref())
            .await
    }

    /// `completeVippsLogin` with the redirect's parameters and the given completion token
    /// (`None`: none at all), as an attacker holding the redirect would send it.
    pub async fn complete_with_token(&self, redirect: &Redirect, token: Option<&str>) -> Value {
        let input = json!({
            "completionToken": token,
            "state": redirect.get("state"),
            "code": redirect.get("code"),
            "scope": redirect.get("scope"),
            "error": redirect.get("error"),
            "errorDescription": redirect.get("error_description"),
            "errorHint": redirect.get("error_hint"),
        });
        self.app
            .graphql(Auth::None, COMPLETE, json!({ "input": input }))
            .await
    }

    /// `GET /vipps/login/callback` with the redirect's query, as the legacy client that
    /// started the login forwards it (with its completion token as a query parameter).
    pub async fn callback(&self, redirect: &Redirect) -> TestResponse {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(redirect.iter());
        if let Some(token) = self.completion_token(redirect) {
            query.append_pair("completionToken", &token);
        }
        self.app
            .get(&format!("/vipps/login/callback?{}", query.finish()))
            .await
    }

    /// `GET /vipps/login/callback` with exactly the redirect's query: no completion token.
    pub async fn callback_unbound(&self, redirect: &Redirect) -> TestResponse {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(redirect.iter())
            .finish();
        self.app
            .get(&format!("/vipps/login/callback?{query}"))
            .await
    }
}

fn args_of(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// The `extensions.code` of the first GraphQL error, asserting there is no data.
pub fn error_code(body: &Value) -> String {
    assert!(
        body["data"].is_null() || body["data"]["completeVippsLogin"].is_null(),
        "expected an error: {body}"
    );
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code: {body}"))
        .to_owned()
}
