//! ID-token verification: RS256 only, against the issuer's JWKS, with exact `iss`, `aud`
//! containing the client id, `exp`/`iat`/`nbf` with a small leeway, the login's nonce, and
//! `at_hash` against the access token when the token carries it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{Discovery, VippsClient};
use crate::domain::{ClientId, Environment, LoginSecret};
use crate::error::{Error, Result};

/// Clock difference tolerated between this server and the provider.
const LEEWAY_SECS: u64 = 30;

/// The claims of a verified ID token this server relies on.
#[derive(Debug, Clone)]
pub struct IdToken {
    /// The user's id at this merchant.
    pub sub: String,
    /// The provider's session id (`sid`), when the token carries one.
    pub sid: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    /// A string: an array would pass the library's issuer check if any element matched.
    iss: String,
    sub: String,
    iat: i64,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    at_hash: Option<String>,
    #[serde(default)]
    sid: Option<String>,
    aud: Audience,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    Many(Vec<String>),
    One(serde::de::IgnoredAny),
}

/// What the verification needs to know about the login.
pub struct Expected<'a> {
    pub environment: Environment,
    pub client_id: &'a ClientId,
    pub nonce: &'a LoginSecret,
    /// The access token issued with the ID token (checked against `at_hash`).
    pub access_token: &'a str,
}

impl VippsClient {
    /// Verifies `token`; every refusal is [`Error::IdTokenInvalid`] with the reason.
    pub async fn verify_id_token(
        &self,
        discovery: &Discovery,
        token: &str,
        expected: Expected<'_>,
    ) -> Result<IdToken> {
        let invalid = |reason: &str| Error::IdTokenInvalid(reason.to_owned());
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| invalid("it is not a signed JWT"))?;
        if header.alg != Algorithm::RS256 {
            return Err(invalid("it is not signed with RS256"));
        }
        let key = self
            .signing_key(expected.environment, discovery, header.kid.as_deref())
            .await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_issuer(&[self.issuer_url(expected.environment)]);
        validation.set_audience(&[expected.client_id.as_str()]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map_err(|e| invalid(reason(e.kind())))?
            .claims;
        if claims.iss != self.issuer_url(expected.environment) {
            return Err(invalid("its issuer (`iss`) is not the configured one"));
        }
        let now = chrono::Utc::now().timestamp();
        if claims.iat > now.saturating_add(LEEWAY_SECS as i64) {
            return Err(invalid("it is issued in the future (`iat`)"));
        }
        if let Audience::Many(audiences) = &claims.aud
            && audiences.len() > 1
            && claims.azp.as_deref() != Some(expected.client_id.as_str())
        {
            return Err(invalid(
                "it has several audiences and `azp` is not this client",
            ));
        }
        let nonce_matches = claims
            .nonce
            .as_deref()
            .is_some_and(|nonce| nonce.as_bytes() == expected.nonce.as_str().as_bytes());
        if !nonce_matches {
            return Err(invalid("its `nonce` does not belong to this login"));
        }
        if claims
            .at_hash
            .as_deref()
            .is_some_and(|at_hash| at_hash != access_token_hash(expected.access_token))
        {
            return Err(invalid("its `at_hash` does not match the access token"));
        }
        if claims.sub.is_empty() {
            return Err(invalid("its `sub` is empty"));
        }
        Ok(IdToken {
            sub: claims.sub,
            sid: claims.sid.filter(|sid| !sid.trim().is_empty()),
        })
    }
}

/// `at_hash` for RS256 (OpenID Connect Core §3.1.3.6): base64url of the left half of the
/// SHA-256 of the access token.
fn access_token_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// A safe reason for a refusal by the JWT library.
fn reason(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidSignature => "its signature does not verify",
        ErrorKind::ExpiredSignature => "it has expired (`exp`)",
        ErrorKind::ImmatureSignature => "it is not valid yet (`nbf`)",
        ErrorKind::InvalidIssuer => "its issuer (`iss`) is not the configured one",
        ErrorKind::InvalidAudience => "its audience (`aud`) does not contain the client id",
        ErrorKind::InvalidAlgorithm => "it is not signed with RS256",
        ErrorKind::MissingRequiredClaim(_) => {
            "a required claim (`exp`, `iat`, `iss`, `aud`, `sub`) is missing"
        }
        _ => "it cannot be decoded",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn at_hash_follows_openid_connect_core() {
        // OpenID Connect Core 1.0, Appendix A.3/A.4 (RS256): the access token and its at_hash.
        assert_eq!(
            super::access_token_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
