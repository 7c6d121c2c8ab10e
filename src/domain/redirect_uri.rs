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

/// The most additional redirect URIs one organization may have.
const MAX_ADDITIONAL: usize = 20;

/// Where Vipps sends the user back: an absolute `https://` URI or a native app scheme with a
/// path, without query or fragment. Kept byte-for-byte as given, because Vipps matches it
/// exactly.
///
/// Plain `http://` is accepted only for `localhost` / `127.0.0.1` / `[::1]`, and
/// [`RedirectUri::check_allowed_in`] admits it only in the `test` environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri {
    value: String,
    kind: Kind,
}

/// What kind of place a redirect URI sends the user to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `https://…`: a web page, or a universal link / app link that an app claims.
    Https,
    /// `http://localhost…`: a page on the developer's own machine.
    LoopbackHttp,
    /// A native app's own scheme, as in `myapp://vipps-callback`.
    App,
}

impl RedirectUri {
    /// Parses the organization's default redirect URI (`redirect_uri`).
    pub fn parse(value: &str) -> Result<Self, InvalidInput> {
        Self::parse_as(FIELD, value)
    }

    /// Parses a redirect URI, naming `field` when it breaks a rule.
    pub fn parse_as(field: &'static str, value: &str) -> Result<Self, InvalidInput> {
        text::check(field, value, 2048)?;
        if value.chars().any(char::is_whitespace) {
            return Err(InvalidInput::field(field, "must not contain whitespace"));
        }
        if value.contains(['?', '#']) {
            return Err(InvalidInput::field(
                field,
                "must not have a query (`?`) or a fragment (`#`)",
            ));
        }
        let Some((scheme, rest)) = value.split_once(':') else {
            return Err(InvalidInput::field(
                field,
                "must be an absolute URI such as `https://app.example/callback`",
            ));
        };
        let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !scheme_ok {
            return Err(InvalidInput::field(
                field,
                "must be an absolute URI such as `https://app.example/callback`",
            ));
        }
        let scheme = scheme.to_ascii_lowercase();
        let kind = match scheme.as_str() {
            "https" => {
                Self::check_web(field, value, rest, false)?;
                Kind::Https
            }
            "http" => {
                Self::check_web(field, value, rest, true)?;
                Kind::LoopbackHttp
            }
            s if FORBIDDEN_SCHEMES.contains(&s) => {
                return Err(InvalidInput::field(
                    field,
                    format!("the `{s}:` scheme cannot be a redirect URI"),
                ));
            }
            _ => {
                if !rest.starts_with('/') || rest.trim_start_matches('/').is_empty() {
                    return Err(InvalidInput::field(
                        field,
                        "an app scheme needs a path, as in `myapp://vipps-callback`",
                    ));
                }
                Kind::App
            }
        };
        Ok(Self {
            value: value.to_owned(),
            kind,
        })
    }

    /// Parses an organization's additional redirect URIs: each under the rules of
    /// `redirect_uri`, none twice, at most 20.
    pub fn parse_list(field: &'static str, values: &[String]) -> Result<Vec<Self>, InvalidInput> {
        if values.len() > MAX_ADDITIONAL {
            return Err(InvalidInput::field(
                field,
                format!("at most {MAX_ADDITIONAL} redirect URIs"),
            ));
        }
        let mut parsed: Vec<Self> = Vec::with_capacity(values.len());
        for value in values {
            let uri = Self::parse_as(field, value)?;
            if parsed.contains(&uri) {
                return Err(InvalidInput::field(
                    field,
                    format!("`{value}` is listed twice"),
                ));
            }
            parsed.push(uri);
        }
        Ok(parsed)
    }

    fn check_web(
        field: &'static str,
        value: &str,
        after_scheme: &str,
        http: bool,
    ) -> Result<(), InvalidInput> {
        let authority = after_scheme.strip_prefix("//").unwrap_or_default();
        if authority.is_empty() || authority.starts_with('/') {
            return Err(InvalidInput::field(
                field,
                "needs a host, as in `https://app.example/callback`",
            ));
        }
        let url = url::Url::parse(value)
            .map_err(|e| InvalidInput::field(field, format!("is not a valid URL ({e})")))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(InvalidInput::field(
                field,
                "must not contain user credentials",
            ));
        }
        let Some(host) = url.host_str() else {
            return Err(InvalidInput::field(field, "needs a host"));
        };
        if http && !matches!(host, "localhost" | "127.0.0.1" | "[::1]") {
            return Err(InvalidInput::field(
                field,
                "must use `https://`; plain `http://` is allowed only for localhost in the test environment",
            ));
        }
        Ok(())
    }

    /// Enforces the environment-dependent rule: `http://localhost` only in `test`.
    pub fn check_allowed_in(
        &self,
        field: &'static str,
        environment: Environment,
    ) -> Result<(), InvalidInput> {
        if self.kind == Kind::LoopbackHttp && environment == Environment::Production {
            return Err(InvalidInput::field(
                field,
                "plain `http://` is allowed only in the test environment; production needs `https://`",
            ));
        }
        Ok(())
    }

    /// Whether the URI opens a native app through its own scheme (`myapp://…`).
    pub fn is_app_scheme(&self) -> bool {
        self.kind == Kind::App
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
        assert!(uri.check_allowed_in(FIELD, Environment::Test).is_ok());
        assert!(
            uri.check_allowed_in(FIELD, Environment::Production)
                .is_err()
        );
        let https = RedirectUri::parse("https://x.no/cb").unwrap();
        assert!(
            https
                .check_allowed_in(FIELD, Environment::Production)
                .is_ok()
        );
    }

    #[test]
    fn tells_app_schemes_from_web_addresses() {
        assert!(RedirectUri::parse("myapp://cb").unwrap().is_app_scheme());
        assert!(
            !RedirectUri::parse("https://x.no/cb")
                .unwrap()
                .is_app_scheme()
        );
        assert!(
            !RedirectUri::parse("http://localhost/cb")
                .unwrap()
                .is_app_scheme()
        );
    }

    #[test]
    fn a_list_names_its_field_and_refuses_repeats() {
        let field = "additional_redirect_uris";
        let list = ["myapp://cb".to_owned(), "https://x.no/cb".to_owned()];
        assert_eq!(RedirectUri::parse_list(field, &list).unwrap().len(), 2);
        let twice = ["myapp://cb".to_owned(), "myapp://cb".to_owned()];
        let error = RedirectUri::parse_list(field, &twice).unwrap_err();
        assert_eq!(error.field_name(), Some(field));
        let bad = ["https://x.no/cb?a=1".to_owned()];
        assert_eq!(
            RedirectUri::parse_list(field, &bad)
                .unwrap_err()
                .field_name(),
            Some(field)
        );
        let many: Vec<String> = (0..21).map(|i| format!("myapp://cb{i}")).collect();
        assert!(RedirectUri::parse_list(field, &many).is_err());
    }
}
