//! The OpenID Connect client for Vipps Login (or any standard provider configured as the
//! issuer): discovery, the code exchange, ID-token verification against the JWKS, and
//! userinfo. Discovery documents and key sets are cached per environment.

mod cache;
mod discovery;
mod id_token;
mod jwks;
mod token;
mod userinfo;

use std::time::Duration;

use anyhow::Context as _;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::capped_body::{self, UPSTREAM_BODY_LIMIT};
use crate::config::LoginConfig;
use crate::domain::{Environment, MerchantSerialNumber, ProviderError};
use crate::error::{Error, Result};
use crate::metrics::{UpstreamCall, UpstreamMetrics};

pub use discovery::Discovery;
pub use id_token::{Expected, IdToken};
pub use token::{CodeExchange, Tokens};

use cache::Cached;
use jwks::KeySet;

/// The provider state of one environment: its issuer and cached documents.
struct Issuer {
    url: String,
    discovery: Cached<Discovery>,
    keys: Cached<KeySet>,
}

impl Issuer {
    fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            discovery: Cached::new(),
            keys: Cached::new(),
        }
    }
}

/// Talks to the provider of each environment.
pub struct VippsClient {
    http: reqwest::Client,
    metrics: UpstreamMetrics,
    production: Issuer,
    test: Issuer,
}

impl VippsClient {
    pub fn new(config: &LoginConfig, metrics: UpstreamMetrics) -> anyhow::Result<Self> {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("vipps-system-name", &config.vipps_system_name),
            ("vipps-system-version", &config.vipps_system_version),
            ("vipps-system-plugin-name", &config.vipps_system_plugin_name),
            (
                "vipps-system-plugin-version",
                &config.vipps_system_plugin_version,
            ),
        ] {
            headers.insert(
                HeaderName::from_static(name),
                HeaderValue::from_str(value).with_context(|| format!("header {name}"))?,
            );
        }
        let timeout = Duration::from_secs(config.vipps_timeout_secs);
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("building the HTTP client for Vipps")?;
        Ok(Self {
            http,
            metrics,
            production: Issuer::new(&config.vipps_production_issuer),
            test: Issuer::new(&config.vipps_test_issuer),
        })
    }

    fn issuer(&self, environment: Environment) -> &Issuer {
        match environment {
            Environment::Production => &self.production,
            Environment::Test => &self.test,
        }
    }

    /// The issuer URL configured for `environment`.
    pub fn issuer_url(&self, environment: Environment) -> &str {
        &self.issuer(environment).url
    }

    /// Runs one call to the provider, counting it as `kind` with its outcome and duration.
    async fn timed<T>(
        &self,
        kind: UpstreamCall,
        call: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        let started = std::time::Instant::now();
        let result = call.await;
        self.metrics
            .record(kind, crate::metrics::outcome(&result), started.elapsed());
        result
    }

    /// GETs a public provider document (discovery, JWKS); returns it with how long it may
    /// be cached. Any failure means the provider is unavailable.
    async fn fetch_document<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        url: &str,
    ) -> Result<(T, Duration)> {
        let response = send(what, self.http.get(url)).await?;
        if !response.status().is_success() {
            return Err(unavailable(
                what,
                anyhow::anyhow!("HTTP {}", response.status().as_u16()),
            ));
        }
        let ttl = cache::lifetime(
            response
                .headers()
                .get(reqwest::header::CACHE_CONTROL)
                .and_then(|v| v.to_str().ok()),
        );
        let body = capped_body::read(response, UPSTREAM_BODY_LIMIT)
            .await
            .map_err(|e| unavailable(what, e.into()))?;
        let document = serde_json::from_slice(&body)
            .map_err(|e| unavailable(what, anyhow::anyhow!("unreadable answer: {e}")))?;
        Ok((document, ttl))
    }
}

/// A request to the provider, with the organization's `Merchant-Serial-Number` when it has one.
fn with_merchant(
    request: reqwest::RequestBuilder,
    merchant: Option<&MerchantSerialNumber>,
) -> reqwest::RequestBuilder {
    match merchant {
        Some(msn) => request.header("Merchant-Serial-Number", msn.as_str()),
        None => request,
    }
}

/// Sends `request`; a connection failure or timeout means the provider is unavailable.
async fn send(what: &'static str, request: reqwest::RequestBuilder) -> Result<reqwest::Response> {
    request
        .send()
        .await
        .map_err(|e| unavailable(what, anyhow::Error::new(e.without_url())))
}

/// Sends a request whose answer is a JSON document: a refusal is sorted by [`refusal`], and a
/// body that cannot be read as `T` means the provider is unavailable.
async fn json_answer<T: serde::de::DeserializeOwned>(
    what: &'static str,
    request: reqwest::RequestBuilder,
) -> Result<T> {
    let response = send(what, request).await?;
    if !response.status().is_success() {
        return Err(refusal(what, response).await);
    }
    let body = capped_body::read(response, UPSTREAM_BODY_LIMIT)
        .await
        .map_err(|e| unavailable(what, e.into()))?;
    serde_json::from_slice(&body)
        .map_err(|_| unavailable(what, anyhow::anyhow!("the answer is not the JSON expected")))
}

fn unavailable(what: &'static str, cause: anyhow::Error) -> Error {
    Error::VippsUnavailable { what, cause }
}

/// Sorts a failed answer: server errors and rate limits mean "unavailable", any other client
/// error is Vipps refusing the login. Reads both error shapes Vipps uses:
/// `{error, error_description}` and Hydra's `{error, error_code, error_debug}`, as well as
/// the problem shape of the userinfo API. Hydra's `error_debug` is provider debug text: it
/// goes to the log line, never to the caller.
async fn refusal(what: &'static str, response: reqwest::Response) -> Error {
    let status = response.status();
    let body = capped_body::read(response, UPSTREAM_BODY_LIMIT)
        .await
        .unwrap_or_default();
    let parsed = serde_json::from_slice::<ErrorBody>(&body).ok();
    let provider_debug = parsed
        .as_ref()
        .and_then(|b| b.error_debug.as_deref())
        .map(|text| {
            text.chars()
                .filter(|c| !c.is_control())
                .take(300)
                .collect::<String>()
        });
    let provider = parsed.map(|b| {
        let error = b
            .error
            .or(b.title)
            .unwrap_or_else(|| format!("http_{}", status.as_u16()));
        ProviderError::new(
            &error,
            b.error_description.or(b.detail).as_deref(),
            b.error_hint.as_deref(),
        )
    });
    let refused = status.is_client_error() && !matches!(status.as_u16(), 408 | 429);
    if !refused {
        let detail = provider.map(|p| p.error).unwrap_or_default();
        return unavailable(what, anyhow::anyhow!("HTTP {} {detail}", status.as_u16()));
    }
    let provider = provider
        .unwrap_or_else(|| ProviderError::new(&format!("http_{}", status.as_u16()), None, None));
    tracing::warn!(
        what,
        status = status.as_u16(),
        vipps_error = %provider.error,
        vipps_error_debug = provider_debug.as_deref(),
        "Vipps refused the request"
    );
    Error::LoginFailed(provider)
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    error: Option<String>,
    error_description: Option<String>,
    error_hint: Option<String>,
    error_debug: Option<String>,
    title: Option<String>,
    detail: Option<String>,
}

/// Checks at start-up that the JWT library has its crypto backend: without exactly one, it
/// compiles and then panics at the first verification.
pub fn self_test() -> anyhow::Result<()> {
    std::panic::catch_unwind(sign_and_verify).unwrap_or_else(|_| {
        anyhow::bail!("JWT self-test panicked: jsonwebtoken needs exactly one crypto backend")
    })
}

fn sign_and_verify() -> anyhow::Result<()> {
    use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Probe {
        sub: String,
    }
    let key = b"vipps-identity start-up self-test";
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &Probe {
            sub: "probe".into(),
        },
        &EncodingKey::from_secret(key),
    )
    .context("JWT self-test: signing")?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let decoded =
        jsonwebtoken::decode::<Probe>(&token, &DecodingKey::from_secret(key), &validation)
            .context("JWT self-test: verifying")?;
    anyhow::ensure!(decoded.claims.sub == "probe", "JWT self-test: wrong claims");
    Ok(())
}
