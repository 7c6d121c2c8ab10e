//! Session tokens: JWTs the server signs with its own Ed25519 key after a login, verifiable by
//! any backend through the public key at `/.well-known/jwks.json`.
//!
//! The key comes from a PEM file (PKCS#8). When the file does not exist it is generated once
//! and written there; an existing file that cannot be read stops the server rather than being
//! replaced, so sessions never become invalid by surprise.

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::{LoginSecret, OrgId, Timestamp, User, UserId};
use crate::error::{Error, Result};

const PEM_LABEL: &str = "PRIVATE KEY";

/// The claims of a session token.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    /// The organization the session belongs to.
    aud: String,
    /// The user id.
    sub: String,
    exp: i64,
    iat: i64,
    jti: String,
}

/// What a valid session token proves (signature, issuer and times checked). Whether the
/// session is still open is the database's to say.
#[derive(Debug, Clone)]
pub struct Session {
    /// The token's `jti`: the id the session is recorded under.
    pub id: String,
    pub user_id: UserId,
    pub org_id: OrgId,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A signed session token, its id (`jti`), and when it was issued and expires.
pub struct IssuedSession {
    pub token: String,
    pub id: String,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
}

/// The server's session signing key.
pub struct SessionKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    public_x: String,
    issuer: String,
    ttl: Duration,
}

impl SessionKeys {
    /// Loads the key from `path`, or generates and writes it there when the file is missing.
    /// Returns whether the key was generated now.
    pub fn load_or_create(
        path: &Path,
        issuer: &str,
        ttl: Duration,
    ) -> anyhow::Result<(Self, bool)> {
        match std::fs::read_to_string(path) {
            Ok(pem) => {
                let der = pem_decode(&pem).with_context(|| {
                    format!(
                        "the session key file {} is not a PKCS#8 PEM",
                        path.display()
                    )
                })?;
                Ok((Self::from_pkcs8(&der, issuer, ttl)?, false))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let pair = Ed25519KeyPair::generate()
                    .map_err(|_| anyhow::anyhow!("generating the session key"))?;
                let der = pair
                    .to_pkcs8v1()
                    .map_err(|_| anyhow::anyhow!("encoding the session key"))?;
                write_new(path, &pem_encode(der.as_ref()))?;
                Ok((Self::from_pkcs8(der.as_ref(), issuer, ttl)?, true))
            }
            Err(e) => Err(anyhow::Error::new(e)
                .context(format!("reading the session key file {}", path.display()))),
        }
    }

    fn from_pkcs8(der: &[u8], issuer: &str, ttl: Duration) -> anyhow::Result<Self> {
        let pair = Ed25519KeyPair::from_pkcs8(der)
            .map_err(|e| anyhow::anyhow!("the session key is not an Ed25519 key: {e}"))?;
        let public_x = URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
        let decoding =
            DecodingKey::from_ed_components(&public_x).context("the session public key")?;
        // RFC 7638 thumbprint: the required members in lexicographic order, no spaces.
        let thumbprint = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{public_x}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(thumbprint.as_bytes()));
        let keys = Self {
            encoding: EncodingKey::from_ed_der(der),
            decoding,
            kid,
            public_x,
            issuer: issuer.to_owned(),
            ttl,
        };
        keys.self_test()?;
        Ok(keys)
    }

    /// Signs and verifies one token, so a broken key or crypto backend stops the start-up.
    fn self_test(&self) -> anyhow::Result<()> {
        let now = Timestamp::now().unix();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: "self-test".into(),
            sub: "self-test".into(),
            exp: now + 60,
            iat: now,
            jti: "self-test".into(),
        };
        let token = self.sign(&claims).context("signing a session token")?;
        let mut validation = self.validation();
        validation.set_audience(&["self-test"]);
        jsonwebtoken::decode::<Claims>(&token, &self.decoding, &validation)
            .context("verifying a session token")?;
        Ok(())
    }

    fn sign(&self, claims: &Claims) -> jsonwebtoken::errors::Result<String> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
    }

    fn validation(&self) -> Validation {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = 5;
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation
    }

    /// A session token for `user`, for the user's organization.
    pub fn issue(&self, user: &User, now: Timestamp) -> Result<IssuedSession> {
        let expires_at = now.plus(self.ttl);
        let jti = LoginSecret::generate()?;
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: user.org_id.as_str().to_owned(),
            sub: user.id.as_str().to_owned(),
            exp: expires_at.unix(),
            iat: now.unix(),
            jti: jti.as_str().to_owned(),
        };
        let token = self.sign(&claims).map_err(|e| {
            Error::Internal(anyhow::Error::new(e).context("signing a session token"))
        })?;
        Ok(IssuedSession {
            token,
            id: claims.jti,
            issued_at: now,
            expires_at,
        })
    }

    /// The session a token proves: signed by this server's key, unexpired, from this issuer.
    /// The caller checks that the user still exists and belongs to the audience.
    pub fn verify(&self, token: &str) -> Result<Session> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| Error::SessionInvalid)?;
        if header.alg != Algorithm::EdDSA || header.kid.as_deref() != Some(self.kid.as_str()) {
            return Err(Error::SessionInvalid);
        }
        let mut validation = self.validation();
        validation.validate_aud = false;
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| Error::SessionInvalid)?
            .claims;
        let time = |unix| Timestamp::from_unix(unix).ok_or(Error::SessionInvalid);
        Ok(Session {
            user_id: UserId::parse(&claims.sub).map_err(|_| Error::SessionInvalid)?,
            org_id: OrgId::parse(&claims.aud).map_err(|_| Error::SessionInvalid)?,
            issued_at: time(claims.iat)?,
            expires_at: time(claims.exp)?,
            id: claims.jti,
        })
    }

    /// The `iss` of the tokens this server signs.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The public key set other backends verify sessions with.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "OKP",
                "crv": "Ed25519",
                "x": self.public_x,
                "kid": self.kid,
                "alg": "EdDSA",
                "use": "sig",
            }]
        })
    }
}

fn pem_encode(der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {PEM_LABEL}-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {PEM_LABEL}-----\n"));
    pem
}

fn pem_decode(pem: &str) -> anyhow::Result<Vec<u8>> {
    let begin = format!("-----BEGIN {PEM_LABEL}-----");
    let end = format!("-----END {PEM_LABEL}-----");
    let start = pem.find(&begin).context("no BEGIN PRIVATE KEY line")? + begin.len();
    let stop = pem[start..].find(&end).context("no END PRIVATE KEY line")? + start;
    let body: String = pem[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    Ok(STANDARD.decode(body)?)
}

/// Writes a new key file readable by its owner only; never overwrites an existing file.
fn write_new(path: &Path, content: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating the session key file {}", path.display()))?;
    file.write_all(content.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing the session key file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_is_persisted_and_loaded_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        let ttl = Duration::from_secs(60);
        let (first, created) = SessionKeys::load_or_create(&path, "iss", ttl).unwrap();
        assert!(created);
        let (second, created) = SessionKeys::load_or_create(&path, "iss", ttl).unwrap();
        assert!(!created);
        assert_eq!(first.kid, second.kid);
        assert_eq!(first.jwks(), second.jwks());
    }

    #[test]
    fn a_broken_key_file_is_an_error_not_a_new_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        std::fs::write(&path, "not a key").unwrap();
        let ttl = Duration::from_secs(60);
        assert!(SessionKeys::load_or_create(&path, "iss", ttl).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "not a key");
    }
}
