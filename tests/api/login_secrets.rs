//! No client secret, code, code verifier, access token or ID token may appear in the logs or
//! in any response of a full login.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use vipps_identity::mock_vipps::{
    Endpoint, ErrorShape, Fault, IdTokenForgery, MockAuthMethod, RecordedRequest,
};

use crate::rig::{CLIENT_SECRET, LoginRig, RigOptions};

/// Every log line of the test binary from the moment the capture is installed.
pub fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("trace")
            .with_ansi(false)
            .with_writer(move || Sink(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
        logs
    })
    .clone()
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_login_leaks_no_secret_into_logs_or_responses() {
    let logs = captured_logs();
    let rig = LoginRig::new().await;
    let mut responses = String::new();

    let redirect = rig.approved_redirect().await;
    responses.push_str(&rig.complete(&redirect).await.to_string());
    let started = rig
        .app
        .get("/vipps/login/start?orgId=org_rig&nextRelativeUrl=%2Fx")
        .await;
    responses.push_str(&started.text);
    rig.remember(&started.json());
    let legacy_redirect = rig
        .authorize(started.json()["authorizationUrl"].as_str().expect("url"))
        .await;
    responses.push_str(&rig.callback(&legacy_redirect).await.text);
    responses.push_str(&rig.callback(&legacy_redirect).await.text);

    let requests = rig.mock.requests();
    let mut secrets = vec![
        CLIENT_SECRET.to_owned(),
        redirect["code"].clone(),
        legacy_redirect["code"].clone(),
    ];
    for request in &requests {
        if request.endpoint == Endpoint::Token {
            let form = request.body.as_deref().unwrap_or_default();
            let verifier = url::form_urlencoded::parse(form.as_bytes())
                .find(|(name, _)| name == "code_verifier")
                .map(|(_, value)| value.into_owned())
                .expect("the token request carries the verifier");
            secrets.push(verifier);
            let basic = request
                .headers
                .iter()
                .find(|(name, _)| name == "authorization")
                .map(|(_, value)| value.trim_start_matches("Basic ").to_owned())
                .expect("basic credentials");
            secrets.push(basic);
        }
        if request.endpoint == Endpoint::Userinfo {
            let access_token = request
                .headers
                .iter()
                .find(|(name, _)| name == "authorization")
                .map(|(_, value)| value["Bearer ".len()..].to_owned())
                .expect("bearer token");
            secrets.push(access_token);
        }
    }
    assert_eq!(
        secrets.len(),
        3 + 2 * 2 + 2,
        "both logins reached token and userinfo"
    );

    let logs = String::from_utf8_lossy(&logs.lock().expect("logs")).into_owned();
    assert!(logs.contains("login completed"), "the capture works");
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "a secret is in the logs");
        assert!(
            !responses.contains(secret.as_str()),
            "a secret is in a response"
        );
    }
    assert!(
        !logs.contains("eyJ"),
        "no JWT (ID or session token) in the logs"
    );
    assert_only_session_tokens(&responses);
}

/// Every JWT in `text` is one of this server's session tokens (EdDSA), never Vipps' ID token
/// (RS256).
fn assert_only_session_tokens(text: &str) {
    let mut found = 0;
    let mut rest = text;
    while let Some(at) = rest.find("eyJ") {
        let token: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        let header = jsonwebtoken::decode_header(&token).expect("a JWT");
        assert_eq!(
            header.alg,
            jsonwebtoken::Algorithm::EdDSA,
            "an ID token in a response"
        );
        found += 1;
        rest = &rest[at + token.len()..];
    }
    assert!(found > 0, "the session tokens were seen");
}

/// The form field `name` of a recorded request body.
fn form_field(request: &RecordedRequest, name: &str) -> Option<String> {
    let form = request.body.as_deref().unwrap_or_default();
    url::form_urlencoded::parse(form.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_logins_with_client_secret_post_leak_nothing_either() {
    let logs = captured_logs();
    let rig = LoginRig::with(RigOptions {
        auth_method: MockAuthMethod::ClientSecretPost,
        ..RigOptions::default()
    })
    .await;
    let mut responses = String::new();
    let mut codes = Vec::new();
    let faults = [
        Fault::IdToken(IdTokenForgery::WrongNonce),
        Fault::UserinfoSubMismatch,
        Fault::Status {
            endpoint: Endpoint::Token,
            status: 400,
            shape: ErrorShape::Description,
        },
        Fault::Status {
            endpoint: Endpoint::Userinfo,
            status: 500,
            shape: ErrorShape::Problem,
        },
        Fault::Garbage {
            endpoint: Endpoint::Token,
        },
    ];
    for fault in faults {
        rig.mock.clear_faults();
        let redirect = rig.approved_redirect().await;
        rig.mock.inject(fault);
        codes.push(redirect["code"].clone());
        let body = rig.complete(&redirect).await;
        assert!(
            !body["errors"].is_null(),
            "the fault fails the login: {body}"
        );
        responses.push_str(&body.to_string());
    }
    rig.mock.clear_faults();
    let redirect = rig.approved_redirect().await;
    codes.push(redirect["code"].clone());
    let response = rig.callback(&redirect).await;
    assert_eq!(response.status, 200, "{}", response.text);
    responses.push_str(&response.text);

    let requests = rig.mock.requests();
    let mut secrets = codes;
    secrets.push(CLIENT_SECRET.to_owned());
    secrets.push(url::form_urlencoded::byte_serialize(CLIENT_SECRET.as_bytes()).collect());
    for request in requests.iter().filter(|r| r.endpoint == Endpoint::Token) {
        secrets.push(form_field(request, "code_verifier").expect("verifier sent"));
        assert_eq!(
            form_field(request, "client_secret").as_deref(),
            Some(CLIENT_SECRET)
        );
    }
    for request in requests.iter().filter(|r| r.endpoint == Endpoint::Userinfo) {
        let bearer = request
            .headers
            .iter()
            .find(|(name, _)| name == "authorization")
            .map(|(_, value)| value["Bearer ".len()..].to_owned())
            .expect("bearer token");
        secrets.push(bearer);
    }
    let logs = String::from_utf8_lossy(&logs.lock().expect("logs")).into_owned();
    assert!(
        logs.contains("ID token refused"),
        "the failures were logged"
    );
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "a secret is in the logs");
        assert!(
            !responses.contains(secret.as_str()),
            "a secret is in a response"
        );
    }
    assert!(!logs.contains("eyJ"), "no JWT in the logs");
    assert_only_session_tokens(&responses);
}
