//! Resolves an organization's `client_secret_ref` to the secret: from an environment
//! variable, a file, or HashiCorp Vault KV v2. Secrets are kept in memory briefly and never
//! logged, stored or returned. The [`policy`] keeps references away from the server's own
//! secrets; it is checked when an organization is saved and again before every read.
//! Failures name the reference and the reason in the log line only, never to the caller.

mod file;
mod policy;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::capped_body::{self, BodyError, UPSTREAM_BODY_LIMIT};
use crate::config::LoginConfig;
use crate::domain::{ClientSecretRef, InvalidInput, SecretLocation};
use crate::error::{Error, Result};
use crate::metrics::{UpstreamCall, UpstreamMetrics};

use policy::Policy;

/// A client secret. It has no `Display`, and `Debug` hides it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the one place that sends it to Vipps.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Where `vault://` references are read.
struct Vault {
    addr: url::Url,
    token: Secret,
    mount: String,
}

/// Reads secrets, with a short in-memory cache.
pub struct SecretResolver {
    http: reqwest::Client,
    metrics: UpstreamMetrics,
    vault: Option<Vault>,
    policy: Policy,
    ttl: Duration,
    cache: Mutex<HashMap<String, (Instant, Secret)>>,
}

impl SecretResolver {
    pub fn new(config: &LoginConfig, http: reqwest::Client, metrics: UpstreamMetrics) -> Self {
        let vault = match (&config.vault_addr, &config.vault_token) {
            (Some(addr), Some(token)) => Some(Vault {
                addr: addr.clone(),
                token: Secret(token.clone()),
                mount: config.vault_kv_mount.trim_matches('/').to_owned(),
            }),
            _ => None,
        };
        Self {
            http,
            metrics,
            vault,
            policy: Policy::new(config),
            ttl: Duration::from_secs(config.secret_cache_secs),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Whether this server agrees to read `reference` (for creating or updating an
    /// organization). A `file://` that already exists must resolve inside `SECRET_FILE_DIR`
    /// to a small regular file. Vault or the variable need not be configured yet, nor the
    /// file exist: that is checked at login.
    pub async fn check_allowed(&self, reference: &ClientSecretRef) -> Result<(), InvalidInput> {
        let refuse = |reason| InvalidInput::field("client_secret_ref", reason);
        self.policy.check(reference).map_err(refuse)?;
        if let (SecretLocation::File(path), Some(dir)) =
            (reference.location(), self.policy.file_dir())
        {
            file::check_existing(&dir.configured, path)
                .await
                .map_err(|reason| refuse(format!("`file://` is refused: {reason}")))?;
        }
        Ok(())
    }

    /// The secret `reference` points to. The policy is checked again first: the reference may
    /// have been stored before the policy was configured.
    pub async fn resolve(&self, reference: &ClientSecretRef) -> Result<Secret> {
        if let Some(secret) = self.cached(reference) {
            return Ok(secret);
        }
        let secret = self
            .read(reference)
            .await
            .map_err(|reason| Error::SecretUnavailable {
                reference: reference.as_str().to_owned(),
                reason,
            })?;
        if !self.ttl.is_zero()
            && let Ok(mut cache) = self.cache.lock()
        {
            cache.insert(
                reference.as_str().to_owned(),
                (Instant::now(), secret.clone()),
            );
        }
        Ok(secret)
    }

    /// Drops the cached secret, so the next login reads it again (after Vipps refused it).
    pub fn forget(&self, reference: &ClientSecretRef) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.remove(reference.as_str());
        }
    }

    fn cached(&self, reference: &ClientSecretRef) -> Option<Secret> {
        let cache = self.cache.lock().ok()?;
        let (at, secret) = cache.get(reference.as_str())?;
        (at.elapsed() < self.ttl).then(|| secret.clone())
    }

    /// Reads the secret; the error is a reason for the log (it never holds the secret).
    async fn read(&self, reference: &ClientSecretRef) -> Result<Secret, String> {
        self.policy
            .check(reference)
            .map_err(|reason| format!("refused: {reason}"))?;
        let value = match reference.location() {
            SecretLocation::Env(var) => std::env::var(var).map_err(|e| match e {
                std::env::VarError::NotPresent => {
                    format!("the environment variable `{var}` is not set")
                }
                std::env::VarError::NotUnicode(_) => {
                    format!("the environment variable `{var}` is not valid UTF-8")
                }
            })?,
            SecretLocation::File(path) => {
                let dir = self
                    .policy
                    .file_dir()
                    .ok_or_else(|| "SECRET_FILE_DIR is not set".to_owned())?;
                let content = file::read(&dir.configured, path).await?;
                content.trim_end_matches(['\r', '\n']).to_owned()
            }
            SecretLocation::Vault { path, key } => {
                let started = Instant::now();
                let read = self.read_vault(path, key).await;
                if self.vault.is_some() {
                    let outcome = if read.is_ok() {
                        "ok"
                    } else {
                        "SECRET_UNAVAILABLE"
                    };
                    self.metrics
                        .record(UpstreamCall::Vault, outcome, started.elapsed());
                }
                read?
            }
        };
        if value.is_empty() {
            return Err("the secret is empty".to_owned());
        }
        Ok(Secret(value))
    }

    /// `GET <VAULT_ADDR>/v1/<mount>/data/<path>`, field `key` of `data.data`.
    async fn read_vault(&self, path: &str, key: &str) -> Result<String, String> {
        let vault = self
            .vault
            .as_ref()
            .ok_or_else(|| "Vault is not configured: set VAULT_ADDR and VAULT_TOKEN".to_owned())?;
        let mut base = vault.addr.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let url = base
            .join(&format!("v1/{}/data/{path}", vault.mount))
            .map_err(|_| "VAULT_ADDR cannot be combined with the path".to_owned())?;
        let response = self
            .http
            .get(url)
            .header("X-Vault-Token", vault.token.expose())
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    "Vault did not answer in time".to_owned()
                } else {
                    "Vault cannot be reached".to_owned()
                }
            })?;
        let status = response.status();
        if !status.is_success() {
            return Err(match status.as_u16() {
                404 => "Vault has no secret at this path".to_owned(),
                401 | 403 => "Vault refused the token (permission denied)".to_owned(),
                code => format!("Vault answered HTTP {code}"),
            });
        }
        let body = capped_body::read(response, UPSTREAM_BODY_LIMIT)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge { limit } => {
                    format!("Vault's answer is larger than {limit} bytes")
                }
                BodyError::Read(_) => "Vault's answer could not be read".to_owned(),
            })?;
        let body: serde_json::Value =
            serde_json::from_slice(&body).map_err(|_| "Vault's answer is not JSON".to_owned())?;
        body.pointer("/data/data")
            .and_then(|data| data.get(key))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("the Vault secret has no string field `{key}`"))
    }
}
