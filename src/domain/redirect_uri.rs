use super::{Environment, InvalidInput, text};

const FIELD: &str = "redirect_uri";

/// Schemes that can never be an app's callback.
const FORBIDDEN_SCHEMES: &[&str] = &[
    "javascript",
    "mailto",
    "tel",
    "sms",
    "intent",
    "data",
    "vbscript",
    "file",
    "blob",
    "about",
    "ftp",
    "ws",
    "wss",
];

/// Where Vipps sends the user back: an absolute `https://` URI or a native app scheme with a
/// path, without query or fragment. Kept byte-for-byte as given, because Vipps matches it
/// exactly.
///
/// Plain `http://` is accepted only for `localhost` / `127.0.0.1` / `[::1]`, and
/// [`RedirectUri::check_allowed_in`] admits it only in the `test` environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri {
    value: String,
    loopback_http: bool,
}

impl RedirectUri {
    pub fn parse(value: &str) -> Result<Self, InvalidInput> {
        text::check(FIELD, value, 2048)?;
        if value.chars().any(char::is_whitespace) {
            return Err(InvalidInput::field(FIELD, "must not contain whitespace"));
        }
        if value.contains(['?', '#']) {
            return Err(InvalidInput::field(
                FIELD,
                "must not have a query (`?`) or a fragment (`#`)",
            ));
        }
        let Some((scheme, rest)) = value.split_once(':') else {
            return Err(InvalidInput::field(
                FIELD,
                "must be an absolute URI such as `https://app.example/callback`",
            ));
        };
        let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !scheme_ok {
            return Err(InvalidInput::field(
                FIELD,
                "must be an absolute URI such as `https://app.example/callback`",
            ));
        }
        let scheme = scheme.to_ascii_lowercase();
        let loopback_http = match scheme.as_str() {
            "https" => {
                Self::check_web(value, rest, false)?;
                false
            }
            "http" => {
                Self::check_web(value, rest, true)?;
                true
            }
            s if FORBIDDEN_SCHEMES.contains(&s) => {
                return Err(InvalidInput::field(
                    FIELD,
                    format!("the `{s}:` scheme cannot be a redirect URI"),
                ));
            }
            _ => {
                if !rest.starts_with('/') || rest.trim_start_matches('/').is_empty() {
                    return Err(InvalidInput::field(
                        FIELD,
                        "an app scheme needs a path, as in `myapp://vipps-callback`",
                    ));
                }
                false
            }
        };
        Ok(Self {
            value: value.to_owned(),
            loopback_http,
        })
    }

    fn check_web(value: &str, after_scheme: &str, http: bool) -> Result<(), InvalidInput> {
        let authority = after_scheme.strip_prefix("//").unwrap_or_default();
        if authority.is_empty() || authority.starts_with('/') {
            return Err(InvalidInput::field(
                FIELD,
                "needs a host, as in `https://app.example/callback`",
            ));
        }
        let url = url::Url::parse(value)
            .map_err(|e| InvalidInput::field(FIELD, format!("is not a valid URL ({e})")))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(InvalidInput::field(
                FIELD,
                "must not contain user credentials",
            ));
        }
        let Some(host) = url.host_str() else {
            return Err(InvalidInput::field(FIELD, "needs a host"));
        };
        if http && !matches!(host, "localhost" | "127.0.0.1" | "[::1]") {
            return Err(InvalidInput::field(
                FIELD,
                "must use `https://`; plain `http://` is allowed only for localhost in the test environment",
            ));
        }
        Ok(())
    }

    /// Enforces the environment-dependent rule: `http://localhost` only in `test`.
    pub fn check_allowed_in(&self, environment: Environment) -> Result<(), InvalidInput> {
        if self.loopback_http && environment == Environment::Production {
            return Err(InvalidInput::field(
                FIELD,
                "plain `http://` is allowed only in the test environment; production needs `https://`",
            ));
        }
        Ok(())
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_https_app_schemes_and_loopback_http() {
        for ok in [
            "https://ny-klinikk.no/auth/vipps/callback",
            "myapp://vipps-callback",
            "no.klinikk.app:/callback",
            "http://localhost:3000/callback",
            "http://127.0.0.1/cb",
        ] {
            assert_eq!(RedirectUri::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn keeps_the_value_byte_for_byte() {
        let raw = "https://EXAMPLE.no/Call%20Back/";
        assert_eq!(RedirectUri::parse(raw).unwrap().as_str(), raw);
    }

    #[test]
    fn refuses_unsafe_or_malformed_uris() {
        for bad in [
            "relative/path",
            "/callback",
            "https://x.no/cb?a=1",
            "https://x.no/cb#frag",
            "http://example.no/cb",
            "https://user:pw@x.no/cb",
            "javascript://alert(1)",
            "data:text/html,hi",
            "myapp://",
            "myapp:callback",
            "mailto:x@y.no",
            "tel:12345678",
            "intent://scan",
            "https:///nohost",
            "https://x.no/a b",
        ] {
            assert!(RedirectUri::parse(bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn loopback_http_only_in_test() {
        let uri = RedirectUri::parse("http://localhost:3000/cb").unwrap();
        assert!(uri.check_allowed_in(Environment::Test).is_ok());
        assert!(uri.check_allowed_in(Environment::Production).is_err());
        let https = RedirectUri::parse("https://x.no/cb").unwrap();
        assert!(https.check_allowed_in(Environment::Production).is_ok());
    }
}
