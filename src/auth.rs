//! Who is calling: the admin bearer token that guards every write operation, and the
//! [`Caller`] the HTTP edge parses once per request from its `Authorization` header.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::Error;
use crate::sessions::{Session, SessionKeys};

/// The configured admin token, kept only as a SHA-256 digest so comparisons take the same
/// time whatever the presented token's length or content.
pub struct AdminToken {
    digest: [u8; 32],
}

/// Proof that the caller presented the admin token. Only [`AdminToken::verify`] makes one,
/// and every write operation in the service layer asks for it.
#[derive(Debug, Clone)]
pub struct Admin(());

impl AdminToken {
    /// The shortest admin token the server accepts.
    pub const MIN_LEN: usize = 16;

    pub fn new(token: &str) -> anyhow::Result<Self> {
        if token.chars().count() < Self::MIN_LEN || token.trim() != token {
            anyhow::bail!(
                "ADMIN_TOKEN must be at least {} characters without surrounding spaces",
                Self::MIN_LEN
            );
        }
        Ok(Self {
            digest: Sha256::digest(token.as_bytes()).into(),
        })
    }

    /// A fresh random token (256 bits, hex) for a server started without one.
    pub fn generate() -> anyhow::Result<(Self, String)> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|e| anyhow::anyhow!("no randomness for the admin token: {e}"))?;
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Ok((Self::new(&token)?, token))
    }

    /// Checks the token from an `Authorization` header value (`Bearer <token>`).
    pub fn verify(&self, authorization: Option<&str>) -> Result<Admin, Error> {
        if presents(&self.digest, authorization) {
            Ok(Admin(()))
        } else {
            Err(Error::Unauthenticated)
        }
    }
}

/// The token `GET /metrics` asks for when `METRICS_TOKEN` is set, kept as a SHA-256 digest
/// like the admin token. It proves nothing else.
pub struct MetricsToken {
    digest: [u8; 32],
}

impl MetricsToken {
    pub fn new(token: &str) -> Self {
        Self {
            digest: Sha256::digest(token.as_bytes()).into(),
        }
    }

    /// Whether an `Authorization` header value is `Bearer <this token>`.
    pub fn allows(&self, authorization: Option<&str>) -> bool {
        presents(&self.digest, authorization)
    }
}

/// Whether `authorization` is a bearer token whose SHA-256 digest is `digest` (compared in
/// constant time).
fn presents(digest: &[u8; 32], authorization: Option<&str>) -> bool {
    authorization.and_then(bearer).is_some_and(|presented| {
        let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        bool::from(digest.ct_eq(&presented))
    })
}

/// The caller of one request: an admin proof and/or a verified session, parsed once from the
/// `Authorization` header. Both adapters hand the typed proofs to the service layer.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    admin: Option<Admin>,
    session: Option<Session>,
    /// The credential was neither the admin token nor a session token, and its client
    /// address has used up its allowance of failed admin authentications.
    /// Seconds until it may try again.
    refused_for: Option<u64>,
}

impl Caller {
    /// Identifies the caller: the admin token, else a session token this server signed. A
    /// missing, malformed or unknown credential makes an anonymous caller.
    pub fn identify(
        admin: &AdminToken,
        sessions: &SessionKeys,
        authorization: Option<&str>,
    ) -> Self {
        let Some(authorization) = authorization else {
            return Self::default();
        };
        match admin.verify(Some(authorization)) {
            Ok(proof) => Self {
                admin: Some(proof),
                ..Self::default()
            },
            Err(_) => Self {
                session: bearer(authorization).and_then(|token| sessions.verify(token).ok()),
                ..Self::default()
            },
        }
    }

    /// Whether the request presented a credential that proved nothing.
    fn failed(&self, authorization: Option<&str>) -> bool {
        authorization.is_some() && self.admin.is_none() && self.session.is_none()
    }

    /// Counts a failed authentication with `count` (the rate limit of the client address);
    /// once that refuses, admin operations answer its `RATE_LIMITED` instead of
    /// `UNAUTHENTICATED`. The right admin token is still accepted: only failures are counted,
    /// and the limiter cannot be asked without counting.
    pub fn counting_failures(
        mut self,
        authorization: Option<&str>,
        count: impl FnOnce() -> Result<(), Error>,
    ) -> Self {
        if self.failed(authorization) {
            self.refused_for = count().err().as_ref().and_then(Error::retry_after_secs);
        }
        self
    }

    /// The error for a caller without the admin proof.
    fn no_admin(&self) -> Error {
        match self.refused_for {
            Some(retry_after_secs) => Error::RateLimited { retry_after_secs },
            None => Error::Unauthenticated,
        }
    }

    /// The admin proof, or `UNAUTHENTICATED` (`RATE_LIMITED` after too many failures).
    pub fn admin(&self) -> Result<&Admin, Error> {
        self.admin.as_ref().ok_or_else(|| self.no_admin())
    }

    /// The admin proof, taken out of the caller, or `UNAUTHENTICATED` (`RATE_LIMITED` after
    /// too many failures).
    pub fn into_admin(self) -> Result<Admin, Error> {
        match self.admin {
            Some(admin) => Ok(admin),
            None => Err(self.no_admin()),
        }
    }

    /// The verified session, or `UNAUTHENTICATED`.
    pub fn session(&self) -> Result<&Session, Error> {
        self.session.as_ref().ok_or(Error::SessionInvalid)
    }
}

/// The token of a `Bearer` credential (the scheme name is case-insensitive).
fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::AdminToken;

    #[test]
    fn verifies_only_the_exact_bearer_token() {
        let admin = AdminToken::new("correct-horse-battery").unwrap();
        assert!(admin.verify(Some("Bearer correct-horse-battery")).is_ok());
        assert!(admin.verify(Some("bearer correct-horse-battery")).is_ok());
        for wrong in [
            None,
            Some(""),
            Some("Bearer"),
            Some("Bearer correct-horse-batter"),
            Some("Basic correct-horse-battery"),
            Some("correct-horse-battery"),
        ] {
            assert!(admin.verify(wrong).is_err(), "{wrong:?}");
        }
    }

    #[test]
    fn only_credentials_that_prove_nothing_count_as_failures() {
        use super::Caller;
        use crate::error::Error;
        let admin = AdminToken::new("correct-horse-battery").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (sessions, _) = crate::sessions::SessionKeys::load_or_create(
            &dir.path().join("key.pem"),
            "test",
            std::time::Duration::from_secs(60),
        )
        .unwrap();
        let limited = || {
            Err(Error::RateLimited {
                retry_after_secs: 7,
            })
        };
        for header in [None, Some("Bearer correct-horse-battery")] {
            let caller =
                Caller::identify(&admin, &sessions, header).counting_failures(header, limited);
            assert_eq!(caller.refused_for, None, "{header:?}");
        }
        let wrong = Some("Bearer wrong-horse-battery");
        let caller = Caller::identify(&admin, &sessions, wrong).counting_failures(wrong, limited);
        assert!(matches!(
            caller.admin(),
            Err(Error::RateLimited {
                retry_after_secs: 7
            })
        ));
        let caller = Caller::identify(&admin, &sessions, wrong).counting_failures(wrong, || Ok(()));
        assert!(matches!(caller.into_admin(), Err(Error::Unauthenticated)));
    }

    #[test]
    fn refuses_short_tokens_and_generates_long_ones() {
        assert!(AdminToken::new("short").is_err());
        let (admin, token) = AdminToken::generate().unwrap();
        assert_eq!(token.len(), 64);
        assert!(admin.verify(Some(&format!("Bearer {token}"))).is_ok());
    }
}
