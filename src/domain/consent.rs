//! Vipps' consent revocation: an unsigned JWT (`alg: none`) that Vipps POSTs to the URL the
//! merchant registered, and the secret in that URL's path.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{InvalidInput, LoginSecret, Timestamp, parse_sub};

/// The largest body a consent revocation may have.
pub const MAX_CONSENT_BODY_BYTES: usize = 8 * 1024;

/// How far the clocks of Vipps and this server may disagree.
const CLOCK_LEEWAY_SECS: i64 = 60;

/// The oldest `iat` accepted: Vipps delivers at once, so an older event is a replay.
const MAX_EVENT_AGE_SECS: i64 = 24 * 3600;

/// The random secret in the path of an organization's consent revocation URL (256 bits,
/// base64url, like a login's secrets). Never printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentSecret(LoginSecret);

impl ConsentSecret {
    pub fn generate() -> Result<Self, getrandom::Error> {
        LoginSecret::generate().map(Self)
    }

    /// A secret read back from the database.
    pub fn stored(value: String) -> Self {
        Self(LoginSecret::stored(value))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Whether `presented` is this secret; takes the same time whatever it holds.
    pub fn matches(&self, presented: &str) -> bool {
        let stored = Sha256::digest(self.as_str().as_bytes());
        let presented = Sha256::digest(presented.as_bytes());
        bool::from(stored.ct_eq(&presented))
    }
}

/// A valid `CONSENT_REVOKED` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRevocation {
    /// The Vipps `sub` of the user (per merchant).
    pub sub: String,
    /// When Vipps issued the event.
    pub issued_at: Timestamp,
}

#[derive(Deserialize)]
struct JoseHeader {
    alg: String,
}

#[derive(Deserialize)]
struct Claims {
    sub: Option<serde_json::Value>,
    event: Option<serde_json::Value>,
    iat: Option<serde_json::Value>,
    exp: Option<serde_json::Value>,
    nbf: Option<serde_json::Value>,
}

fn invalid(field: &'static str, reason: &str) -> InvalidInput {
    InvalidInput::field(field, reason.to_owned())
}

/// A JSON object from one base64url part of the token.
fn decode_part<T: serde::de::DeserializeOwned>(
    part: &str,
    field: &'static str,
) -> Result<T, InvalidInput> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| invalid(field, "is not base64url"))?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| invalid(field, "is not JSON"))?;
    if !value.is_object() {
        return Err(invalid(field, "is not a JSON object"));
    }
    serde_json::from_value(value).map_err(|_| invalid(field, "has fields of the wrong type"))
}

/// A whole number of seconds since the epoch.
fn seconds(value: Option<serde_json::Value>, field: &'static str) -> Result<i64, InvalidInput> {
    value
        .as_ref()
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| invalid(field, "is required as whole seconds since 1970"))
}

impl ConsentRevocation {
    /// Parses the body Vipps sent (`header.payload.` with an empty signature) and checks it
    /// at `now`: `alg` is `none`, `event` is `CONSENT_REVOKED`, `sub` is present, `exp` has
    /// not passed, `iat` (and `nbf`, when sent) are not in the future and `iat` is at most a
    /// day old, all with a minute of leeway.
    pub fn parse(body: &[u8], now: Timestamp) -> Result<Self, InvalidInput> {
        let text = std::str::from_utf8(body)
            .map_err(|_| InvalidInput::request("the body is not a JWT (not UTF-8 text)"))?
            .trim();
        let parts: Vec<&str> = text.split('.').collect();
        let [header, payload, signature] = parts.as_slice() else {
            return Err(InvalidInput::request(
                "the body is not a JWT (`header.payload.signature`)",
            ));
        };
        let header: JoseHeader = decode_part(header, "header")?;
        if header.alg != "none" || !signature.is_empty() {
            return Err(invalid(
                "alg",
                "must be `none` with an empty signature, as Vipps sends it",
            ));
        }
        let claims: Claims = decode_part(payload, "payload")?;
        if claims.event.as_ref().and_then(serde_json::Value::as_str) != Some("CONSENT_REVOKED") {
            return Err(invalid("event", "must be `CONSENT_REVOKED`"));
        }
        let sub = claims
            .sub
            .as_ref()
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| invalid("sub", "is required"))?;
        let sub = parse_sub(sub)?;
        let (iat, exp) = (seconds(claims.iat, "iat")?, seconds(claims.exp, "exp")?);
        let now_secs = now.unix();
        if exp < now_secs - CLOCK_LEEWAY_SECS {
            return Err(invalid("exp", "has passed"));
        }
        if iat > now_secs + CLOCK_LEEWAY_SECS || iat > exp {
            return Err(invalid("iat", "is in the future or after `exp`"));
        }
        if iat < now_secs - MAX_EVENT_AGE_SECS {
            return Err(invalid("iat", "is more than a day old"));
        }
        if claims.nbf.is_some() && seconds(claims.nbf, "nbf")? > now_secs + CLOCK_LEEWAY_SECS {
            return Err(invalid("nbf", "is in the future"));
        }
        let issued_at =
            Timestamp::from_unix(iat).ok_or_else(|| invalid("iat", "is out of range"))?;
        Ok(Self { sub, issued_at })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn token(header: serde_json::Value, claims: serde_json::Value) -> String {
        format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    }

    fn claims(now: i64) -> serde_json::Value {
        json!({"sub": "abc-123", "event": "CONSENT_REVOKED", "iat": now, "exp": now + 300})
    }

    #[test]
    fn a_vipps_event_parses() {
        let now = Timestamp::now();
        let body = token(json!({"alg": "none", "typ": "JWT"}), claims(now.unix()));
        let parsed = ConsentRevocation::parse(body.as_bytes(), now).expect("valid");
        assert_eq!(parsed.sub, "abc-123");
    }

    #[test]
    fn anything_else_is_refused_with_the_field_to_blame() {
        let now = Timestamp::now();
        let n = now.unix();
        let none = json!({"alg": "none"});
        let cases = [
            ("garbage".to_owned(), None),
            (token(json!({"alg": "RS256"}), claims(n)), Some("alg")),
            (
                format!("{}sig", token(none.clone(), claims(n))),
                Some("alg"),
            ),
            (
                token(
                    none.clone(),
                    json!({"sub": "a", "event": "OTHER", "iat": n, "exp": n + 9}),
                ),
                Some("event"),
            ),
            (
                token(
                    none.clone(),
                    json!({"event": "CONSENT_REVOKED", "iat": n, "exp": n + 9}),
                ),
                Some("sub"),
            ),
            (
                token(
                    none.clone(),
                    json!({"sub": "a", "event": "CONSENT_REVOKED", "iat": n}),
                ),
                Some("exp"),
            ),
            (
                token(
                    none.clone(),
                    json!({"sub": "a", "event": "CONSENT_REVOKED", "iat": n - 900, "exp": n - 600}),
                ),
                Some("exp"),
            ),
            (
                token(
                    none.clone(),
                    json!({"sub": "a", "event": "CONSENT_REVOKED", "iat": n + 900, "exp": n + 1200}),
                ),
                Some("iat"),
            ),
            (
                token(
                    none.clone(),
                    json!({"sub": "a", "event": "CONSENT_REVOKED", "iat": n - 200_000, "exp": n + 60}),
                ),
                Some("iat"),
            ),
            ("e30.W10.".to_owned(), Some("header")),
        ];
        for (body, field) in cases {
            let error = ConsentRevocation::parse(body.as_bytes(), now).expect_err(&body);
            assert_eq!(error.field_name(), field, "{body}: {error}");
        }
    }

    #[test]
    fn secrets_compare_exactly() {
        let secret = ConsentSecret::generate().expect("random");
        assert!(secret.matches(secret.as_str()));
        assert!(!secret.matches(""));
        assert!(!secret.matches(&secret.as_str()[1..]));
        assert!(secret.as_str().len() >= 43);
    }
}
