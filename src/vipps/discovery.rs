//! The provider's OpenID discovery document.

use std::sync::Arc;

use serde::Deserialize;

use super::{VippsClient, unavailable};
use crate::domain::Environment;
use crate::error::Result;
use crate::metrics::UpstreamCall;

const WHAT: &str = "discovery document";

/// The endpoints of one issuer, as its discovery document announces them (other members of
/// the document are ignored).
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: url::Url,
    pub token_endpoint: url::Url,
    pub userinfo_endpoint: url::Url,
    pub jwks_uri: url::Url,
}

impl VippsClient {
    /// The discovery document of `environment` (cached per its `Cache-Control`).
    pub async fn discovery(&self, environment: Environment) -> Result<Arc<Discovery>> {
        let issuer = self.issuer(environment);
        issuer
            .discovery
            .get(WHAT, || {
                self.timed(UpstreamCall::Discovery, self.fetch_discovery(&issuer.url))
            })
            .await
    }

    async fn fetch_discovery(&self, issuer: &str) -> Result<(Discovery, std::time::Duration)> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let (discovery, ttl): (Discovery, _) = self.fetch_document(WHAT, &url).await?;
        discovery.check(issuer)?;
        Ok((discovery, ttl))
    }
}

impl Discovery {
    /// The document must be the configured issuer's own (OpenID Discovery §4.3), and an
    /// `https` issuer must not send credentials or tokens to plain-`http` endpoints. A
    /// document that breaks this is a bad answer from upstream.
    fn check(&self, configured: &str) -> Result<()> {
        if self.issuer != configured {
            return Err(unavailable(
                WHAT,
                anyhow::anyhow!(
                    "the discovery document names issuer `{}`, not the configured `{configured}`",
                    self.issuer
                ),
            ));
        }
        if configured.starts_with("https://") {
            for endpoint in [
                &self.authorization_endpoint,
                &self.token_endpoint,
                &self.userinfo_endpoint,
                &self.jwks_uri,
            ] {
                if endpoint.scheme() != "https" {
                    return Err(unavailable(
                        WHAT,
                        anyhow::anyhow!(
                            "the discovery document of `{configured}` has a non-https endpoint"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}
