//! The provider's signing keys (JWKS): cached, refetched when a token names an unknown key.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::DecodingKey;
use serde::Deserialize;

use super::{Discovery, VippsClient, unavailable};
use crate::domain::Environment;
use crate::error::{Error, Result};
use crate::metrics::UpstreamCall;

const WHAT: &str = "JWKS";

/// Least time between two refetches triggered by unknown key ids, so forged tokens cannot
/// make the server hammer the provider.
const REFETCH_COOLDOWN: Duration = Duration::from_secs(10);

/// The RSA signing keys of one issuer.
pub(super) struct KeySet {
    /// Where the keys came from: a new `jwks_uri` in discovery means a new key set.
    source: url::Url,
    keys: Vec<(Option<String>, DecodingKey)>,
}

impl KeySet {
    /// The key for `kid`; a token without `kid` may use the only key there is.
    fn find(&self, kid: Option<&str>) -> Option<&DecodingKey> {
        match kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|(id, _)| id.as_deref() == Some(kid))
                .map(|(_, key)| key),
            None if self.keys.len() == 1 => self.keys.first().map(|(_, key)| key),
            None => None,
        }
    }
}

#[derive(Deserialize)]
struct Document {
    keys: Vec<serde_json::Value>,
}

/// The parts of a JWK this client uses; other members are ignored.
#[derive(Deserialize)]
struct Jwk {
    kty: String,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

impl Jwk {
    /// An RSA signing key usable for RS256, or `None` for any other key.
    fn rs256_key(&self) -> Option<DecodingKey> {
        let fits = self.kty == "RSA"
            && self.alg.as_deref().is_none_or(|alg| alg == "RS256")
            && self.usage.as_deref().is_none_or(|usage| usage == "sig");
        if !fits {
            return None;
        }
        DecodingKey::from_rsa_components(self.n.as_deref()?, self.e.as_deref()?).ok()
    }
}

impl VippsClient {
    /// The verification key for a token signed with `kid`. An unknown `kid` triggers one
    /// refetch (shared by concurrent callers, at most one per cooldown); when the provider is
    /// down the cached keys keep working.
    pub(super) async fn signing_key(
        &self,
        environment: Environment,
        discovery: &Discovery,
        kid: Option<&str>,
    ) -> Result<DecodingKey> {
        let asked = std::time::Instant::now();
        let cache = &self.issuer(environment).keys;
        let fetch = || self.timed(UpstreamCall::Jwks, self.fetch_keys(&discovery.jwks_uri));
        let keys = cache.get(WHAT, fetch).await?;
        if keys.source == discovery.jwks_uri
            && let Some(key) = keys.find(kid)
        {
            return Ok(key.clone());
        }
        let keys: Arc<KeySet> = cache.refetch(WHAT, asked, REFETCH_COOLDOWN, fetch).await?;
        if keys.source != discovery.jwks_uri {
            return Err(unavailable(
                WHAT,
                anyhow::anyhow!("the provider moved its key set; not refetched yet"),
            ));
        }
        keys.find(kid).cloned().ok_or_else(|| {
            Error::IdTokenInvalid("it is signed with a key the provider does not publish".into())
        })
    }

    async fn fetch_keys(&self, jwks_uri: &url::Url) -> Result<(KeySet, Duration)> {
        let (document, ttl): (Document, _) = self.fetch_document(WHAT, jwks_uri.as_str()).await?;
        let keys: Vec<_> = document
            .keys
            .into_iter()
            .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
            .filter_map(|jwk| Some((jwk.kid.clone(), jwk.rs256_key()?)))
            .collect();
        if keys.is_empty() {
            return Err(unavailable(
                WHAT,
                anyhow::anyhow!("the key set holds no RS256 signing key"),
            ));
        }
        Ok((
            KeySet {
                source: jwks_uri.clone(),
                keys,
            },
            ttl,
        ))
    }
}
