//! An organization's OpenID client settings at Vipps.

use super::{InvalidInput, text};

/// The OAuth client id Vipps issued: 1–255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientId(String);

impl ClientId {
    pub fn parse(value: &str) -> Result<Self, InvalidInput> {
        text::check("client_id", value, 255)?;
        if !value.chars().all(|c| c.is_ascii_graphic()) {
            return Err(InvalidInput::field(
                "client_id",
                "must be visible ASCII without spaces",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where the client secret is kept: `vault://<path>/<key>`, `env://<VAR>` or `file://<path>`.
///
/// Only the reference is stored; the secret itself never enters the database. Errors never
/// repeat the value, since a refused value may be a secret pasted by mistake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSecretRef(String);

impl ClientSecretRef {
    const FIELD: &'static str = "client_secret_ref";
    const MAX_LEN: usize = 512;

    pub fn parse(value: &str) -> Result<Self, InvalidInput> {
        if value.is_empty() {
            return Err(InvalidInput::field(Self::FIELD, "must not be empty"));
        }
        if value.chars().count() > Self::MAX_LEN
            || value.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(InvalidInput::field(
                Self::FIELD,
                format!(
                    "must be at most {} characters without spaces or control characters",
                    Self::MAX_LEN
                ),
            ));
        }
        if let Some(path) = value.strip_prefix("vault://") {
            Self::check_vault(path)?;
        } else if let Some(var) = value.strip_prefix("env://") {
            Self::check_env(var)?;
        } else if let Some(path) = value.strip_prefix("file://") {
            if path.is_empty() {
                return Err(InvalidInput::field(
                    Self::FIELD,
                    "`file://` needs a path, as in `file:///run/secrets/vipps`",
                ));
            }
        } else {
            return Err(InvalidInput::field(
                Self::FIELD,
                "must be a reference to the secret (`vault://<path>/<key>`, `env://<VAR>` or \
                 `file://<path>`), never the secret itself; nothing was stored",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    fn check_vault(path: &str) -> Result<(), InvalidInput> {
        let segments: Vec<&str> = path.split('/').collect();
        let segment_ok = |s: &&str| {
            !s.is_empty()
                && *s != "."
                && *s != ".."
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        };
        if segments.len() < 2 || !segments.iter().all(segment_ok) {
            return Err(InvalidInput::field(
                Self::FIELD,
                "`vault://` needs a KV path and a key, as in `vault://vipps/org/client_secret` \
                 (segments of letters, digits, `_`, `-`, `.`)",
            ));
        }
        Ok(())
    }

    fn check_env(var: &str) -> Result<(), InvalidInput> {
        let valid = var.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(InvalidInput::field(
                Self::FIELD,
                "`env://` needs an environment variable name, as in `env://VIPPS_CLIENT_SECRET`",
            ));
        }
        Ok(())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where to look the secret up.
    pub fn location(&self) -> SecretLocation<'_> {
        if let Some(var) = self.0.strip_prefix("env://") {
            SecretLocation::Env(var)
        } else if let Some(path) = self.0.strip_prefix("file://") {
            SecretLocation::File(path)
        } else {
            let path = self.0.strip_prefix("vault://").unwrap_or(&self.0);
            let (path, key) = path.rsplit_once('/').unwrap_or(("", path));
            SecretLocation::Vault { path, key }
        }
    }
}

/// A parsed [`ClientSecretRef`]: which store holds the secret, and under which name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretLocation<'a> {
    /// An environment variable of the server process.
    Env(&'a str),
    /// A file on the server (its content, without a trailing newline).
    File(&'a str),
    /// A HashiCorp Vault KV v2 secret at `path`, field `key`.
    Vault { path: &'a str, key: &'a str },
}

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenEndpointAuthMethod {
    /// HTTP Basic with client id and secret (the Vipps default).
    #[default]
    ClientSecretBasic,
    /// Client id and secret in the form body.
    ClientSecretPost,
}

impl TokenEndpointAuthMethod {
    pub fn parse(value: &str) -> Result<Self, InvalidInput> {
        match value {
            "client_secret_basic" => Ok(Self::ClientSecretBasic),
            "client_secret_post" => Ok(Self::ClientSecretPost),
            _ => Err(InvalidInput::field(
                "token_endpoint_auth_method",
                "must be `client_secret_basic` or `client_secret_post`",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
        }
    }
}

/// A Vipps merchant serial number (MSN): 1–10 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantSerialNumber(String);

impl MerchantSerialNumber {
    pub fn parse(value: &str) -> Result<Self, InvalidInput> {
        if value.is_empty() || value.len() > 10 || !value.chars().all(|c| c.is_ascii_digit()) {
            return Err(InvalidInput::field(
                "merchant_serial_number",
                "must be 1 to 10 digits",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_refs_accept_the_three_schemes() {
        for ok in [
            "vault://vipps/klinikk/client_secret",
            "env://VIPPS_SECRET",
            "file:///run/secrets/vipps",
        ] {
            assert_eq!(ClientSecretRef::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn secret_refs_refuse_secrets_and_never_echo_them() {
        let secret = "Zm9vYmFyYmF6cXV4c2VjcmV0";
        for bad in [
            secret,
            "vault://onlykey",
            "vault://a//b",
            "vault://a/../b",
            "env://1X",
            "env://",
            "file://",
            "https://x",
        ] {
            let err = ClientSecretRef::parse(bad).unwrap_err();
            assert!(!err.to_string().contains(secret), "{err}");
        }
        assert!(
            ClientSecretRef::parse(secret)
                .unwrap_err()
                .reason()
                .contains("never the secret itself")
        );
    }

    #[test]
    fn client_ids_and_msns() {
        assert!(ClientId::parse("fb492b5e-7907-4d83-ba20-c7fb60ca35de").is_ok());
        assert!(ClientId::parse("has space").is_err());
        assert!(MerchantSerialNumber::parse("123456").is_ok());
        for bad in ["", "12a", "12345678901", "+123"] {
            assert!(MerchantSerialNumber::parse(bad).is_err());
        }
    }
}
