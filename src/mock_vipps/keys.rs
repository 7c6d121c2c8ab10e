//! RSA signing keys, the JWKS, and compact JWS built by hand (so the mock does not share
//! code with the verifier it tests).

use aws_lc_rs::error::Unspecified;
use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::random;

/// An RSA 2048 key pair and its `kid` (`public:<uuid>`, as Vipps names them).
pub(super) struct SigningKey {
    kid: String,
    pair: KeyPair,
}

impl SigningKey {
    /// A fresh key (tens of milliseconds: call at start and on rotation only).
    pub(super) fn generate() -> anyhow::Result<Self> {
        let pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| anyhow::anyhow!("generating an RSA key failed"))?;
        Ok(Self {
            kid: format!(
                "public:{}",
                random::uuid().map_err(|e| anyhow::anyhow!("no randomness for a key id: {e}"))?
            ),
            pair,
        })
    }

    pub(super) fn kid(&self) -> &str {
        &self.kid
    }

    /// The public half as a JWK.
    fn jwk(&self) -> Value {
        let components = PublicKeyComponents::<Vec<u8>>::from(self.pair.public_key());
        json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(&components.n),
            "e": URL_SAFE_NO_PAD.encode(&components.e),
        })
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `message`.
    fn sign_rs256(&self, message: &[u8]) -> Result<Vec<u8>, Unspecified> {
        let mut signature = vec![0u8; self.pair.public_modulus_len()];
        self.pair.sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            message,
            &mut signature,
        )?;
        Ok(signature)
    }
}

/// The signing key, the retired public keys still published, and a rogue key that is never
/// published (for forged signatures; made when first needed, as key generation is slow).
pub(super) struct KeyStore {
    current: SigningKey,
    retired: Vec<Value>,
    rogue: Option<SigningKey>,
}

impl KeyStore {
    pub(super) fn generate() -> anyhow::Result<Self> {
        Ok(Self {
            current: SigningKey::generate()?,
            retired: Vec::new(),
            rogue: None,
        })
    }

    pub(super) fn current(&self) -> &SigningKey {
        &self.current
    }

    pub(super) fn rogue(&self) -> Option<&SigningKey> {
        self.rogue.as_ref()
    }

    pub(super) fn has_rogue(&self) -> bool {
        self.rogue.is_some()
    }

    pub(super) fn set_rogue(&mut self, rogue: SigningKey) {
        self.rogue = Some(rogue);
    }

    /// `{"keys": [current, retired…]}`.
    pub(super) fn jwks(&self) -> Value {
        let mut keys = vec![self.current.jwk()];
        keys.extend(self.retired.iter().cloned());
        json!({ "keys": keys })
    }

    /// `next` signs from now on; the old public keys stay published only with `keep_old`.
    pub(super) fn rotate(&mut self, next: SigningKey, keep_old: bool) {
        let old = std::mem::replace(&mut self.current, next);
        if keep_old {
            self.retired.insert(0, old.jwk());
        } else {
            self.retired.clear();
        }
    }
}

/// How a compact JWS is signed.
pub(super) enum Signer<'a> {
    Rs256(&'a SigningKey),
    Hs256(&'a [u8]),
    Unsigned,
}

/// `base64url(header).base64url(claims).base64url(signature)`.
pub(super) fn compact_jws(
    header: &Value,
    claims: &Value,
    signer: Signer<'_>,
) -> Result<String, Unspecified> {
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = match signer {
        Signer::Rs256(key) => key.sign_rs256(signing_input.as_bytes())?,
        Signer::Hs256(secret) => {
            let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
            hmac::sign(&key, signing_input.as_bytes()).as_ref().to_vec()
        }
        Signer::Unsigned => Vec::new(),
    };
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}
