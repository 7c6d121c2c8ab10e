//! The login flow's values: what a client sends to start and complete a login, the attempt
//! kept between the two, and the profile Vipps returns.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{
    ClientId, Environment, InvalidInput, LoginFlow, OrgId, RedirectUri, Scopes, Timestamp,
};

/// Where the app continues after the login: a path on the app's own origin (`/…`), never an
/// open redirect. No scheme, no `//host`, no backslash, no control characters; in the path,
/// no `.`/`..` segments (plain or `%2e`-encoded: `/..//evil.example` normalizes to
/// `//evil.example`) and no encoded `/` or `\` (`%2F`, `%5C`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextRelativeUrl(String);

impl NextRelativeUrl {
    const FIELD: &'static str = "next_relative_url";
    const MAX_LEN: usize = 1024;

    /// Parses the client's value; `None` means the app's root, `/`.
    pub fn parse(value: Option<&str>) -> Result<Self, InvalidInput> {
        let Some(value) = value else {
            return Ok(Self("/".to_owned()));
        };
        let refuse = |reason: &str| Err(InvalidInput::field(Self::FIELD, reason));
        if !value.starts_with('/') {
            return refuse("must be a relative path starting with `/`, as in `/profile`");
        }
        if value.starts_with("//") || value.contains('\\') {
            return refuse("must stay on the app's own site: no `//` prefix and no backslash");
        }
        if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return refuse("must not contain whitespace or control characters");
        }
        if value.len() > Self::MAX_LEN {
            return refuse("must be at most 1024 bytes");
        }
        let path = value.split(['?', '#']).next().unwrap_or_default();
        let lower = path.to_ascii_lowercase();
        if lower.contains("%2f") || lower.contains("%5c") {
            return refuse("must not contain an encoded `/` or `\\` (`%2F`, `%5C`) in its path");
        }
        if lower
            .split('/')
            .any(|segment| matches!(segment.replace("%2e", ".").as_str(), "." | ".."))
        {
            return refuse("must not contain `.` or `..` path segments");
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A fresh random value of 256 bits, base64url without padding: a login's `state`, `nonce`
/// or PKCE `code_verifier` (43 characters, within RFC 7636's 43–128).
#[derive(Clone, PartialEq, Eq)]
pub struct LoginSecret(String);

impl LoginSecret {
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// A value read back from the login attempt.
    pub fn stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The PKCE S256 challenge for this value used as a code verifier.
    pub fn code_challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.0.as_bytes()))
    }
}

/// Never printed: these values are bearer secrets for one login.
impl std::fmt::Debug for LoginSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginSecret(..)")
    }
}

/// The key a login attempt is stored under: the SHA-256 of its `state`, so that a copy of the
/// database does not hand out live states.
pub fn state_key(state: &str) -> String {
    sha256_hex(state)
}

/// What an attempt keeps of its completion token: the SHA-256, never the token.
pub fn completion_key(completion_token: &str) -> String {
    sha256_hex(completion_token)
}

fn sha256_hex(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A request to start a login.
#[derive(Debug, Clone)]
pub struct StartLogin {
    pub org_id: OrgId,
    pub next_relative_url: NextRelativeUrl,
    /// The scopes to ask for; `None` asks for all of the organization's scopes.
    pub scopes: Option<Scopes>,
    /// The redirect URI to use, one of the organization's; `None` uses its default.
    pub redirect_uri: Option<RedirectUri>,
    pub flow: LoginFlow,
}

/// A start request as an adapter receives it.
#[derive(Debug, Clone, Copy)]
pub struct StartLoginFields<'a> {
    pub org_id: &'a str,
    pub next_relative_url: Option<&'a str>,
    pub scopes: Option<&'a [String]>,
    pub redirect_uri: Option<&'a str>,
    pub flow: Option<LoginFlow>,
}

impl StartLogin {
    pub fn parse(fields: StartLoginFields<'_>) -> Result<Self, InvalidInput> {
        Ok(Self {
            org_id: OrgId::parse(fields.org_id)?,
            next_relative_url: NextRelativeUrl::parse(fields.next_relative_url)?,
            scopes: fields.scopes.map(Scopes::parse).transpose()?,
            redirect_uri: fields.redirect_uri.map(RedirectUri::parse).transpose()?,
            flow: fields.flow.unwrap_or_default(),
        })
    }
}

/// A started login: where to send the user, the `state` that completes it, and the
/// completion token that only its starter holds.
#[derive(Debug, Clone)]
pub struct LoginStart {
    pub authorization_url: String,
    pub state: LoginSecret,
    /// Handed to the starter only (answer body or cookie), never put in a URL; every
    /// completion must present it.
    pub completion_token: LoginSecret,
    pub expires_at: Timestamp,
}

/// What the server keeps between the start and the completion of a login.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    /// [`state_key`] of the `state`.
    pub state_key: String,
    /// [`completion_key`] of the completion token; empty for attempts stored before logins
    /// were bound (they never complete bound).
    pub completion_key: String,
    pub org_id: OrgId,
    /// The organization's environment and client when the login started: a login completes
    /// only with the client it was started for.
    pub environment: Environment,
    pub client_id: ClientId,
    pub nonce: LoginSecret,
    pub code_verifier: LoginSecret,
    /// The organization's redirect URI the login chose; sent again, byte for byte, with the
    /// code exchange.
    pub redirect_uri: RedirectUri,
    pub flow: LoginFlow,
    pub scopes: Scopes,
    pub next_relative_url: NextRelativeUrl,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

impl LoginAttempt {
    /// Whether `presented` is this attempt's completion token (compared in constant time).
    pub fn is_bound_to(&self, presented: Option<&str>) -> bool {
        let Some(presented) = presented else {
            return false;
        };
        !self.completion_key.is_empty()
            && bool::from(
                completion_key(presented)
                    .as_bytes()
                    .ct_eq(self.completion_key.as_bytes()),
            )
    }
}

/// An error Vipps reported on the redirect, or at its token or userinfo endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    /// The OAuth error code, as in `access_denied` or `invalid_grant`.
    pub error: String,
    pub description: Option<String>,
    pub hint: Option<String>,
}

impl ProviderError {
    /// Longest error text kept from the provider.
    const MAX_LEN: usize = 300;

    /// Keeps the provider's words, without control characters and cut to a readable length.
    pub fn new(error: &str, description: Option<&str>, hint: Option<&str>) -> Self {
        let clean = |text: &str| -> String {
            text.chars()
                .filter(|c| !c.is_control())
                .take(Self::MAX_LEN)
                .collect()
        };
        let optional = |text: Option<&str>| text.map(clean).filter(|t| !t.trim().is_empty());
        let error = clean(error);
        Self {
            error: if error.trim().is_empty() {
                "unknown_error".to_owned()
            } else {
                error
            },
            description: optional(description),
            hint: optional(hint),
        }
    }

    /// The user cancelled the login in Vipps.
    pub fn is_cancel(&self) -> bool {
        self.error == "access_denied"
    }
}

/// What came back on the redirect URI. `Debug` leaves the code out.
#[derive(Clone)]
pub enum AuthorizationResponse {
    /// The user approved; the code is exchanged once.
    Code(String),
    /// Vipps redirected with an error.
    Error(ProviderError),
}

impl std::fmt::Debug for AuthorizationResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Code(_) => f.write_str("Code(..)"),
            Self::Error(error) => f.debug_tuple("Error").field(error).finish(),
        }
    }
}

/// A request to complete a login, parsed from the redirect's query parameters and the
/// starter's completion token. `Debug` leaves the state, the code and the token out.
#[derive(Clone)]
pub struct CompleteLogin {
    pub state: String,
    /// The completion token the starter received; `None` when the client sent none.
    pub completion_token: Option<String>,
    pub response: AuthorizationResponse,
    /// The `scope` on the redirect (Vipps repeats the requested scopes).
    pub scope: Option<String>,
}

impl std::fmt::Debug for CompleteLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompleteLogin")
            .field("response", &self.response)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// A completion as an adapter receives it: the redirect's query parameters, unparsed.
#[derive(Clone, Copy, Default)]
pub struct CompleteLoginFields<'a> {
    pub state: Option<&'a str>,
    pub code: Option<&'a str>,
    pub scope: Option<&'a str>,
    pub error: Option<&'a str>,
    pub error_description: Option<&'a str>,
    pub error_hint: Option<&'a str>,
    pub completion_token: Option<&'a str>,
}

impl CompleteLogin {
    const MAX_CODE_LEN: usize = 2048;

    /// `state` is required, and either `code` or `error`.
    pub fn parse(fields: CompleteLoginFields<'_>) -> Result<Self, InvalidInput> {
        let CompleteLoginFields {
            state,
            code,
            scope,
            error,
            error_description,
            error_hint,
            completion_token,
        } = fields;
        let state = match state {
            Some(state) if !state.is_empty() => state.to_owned(),
            _ => {
                return Err(InvalidInput::field(
                    "state",
                    "is required: pass the `state` Vipps sent back",
                ));
            }
        };
        let response = match (error.filter(|e| !e.is_empty()), code) {
            (Some(error), _) => AuthorizationResponse::Error(ProviderError::new(
                error,
                error_description,
                error_hint,
            )),
            (None, Some(code))
                if !code.is_empty()
                    && code.len() <= Self::MAX_CODE_LEN
                    && !code.chars().any(|c| c.is_control() || c.is_whitespace()) =>
            {
                AuthorizationResponse::Code(code.to_owned())
            }
            (None, Some(_)) => {
                return Err(InvalidInput::field(
                    "code",
                    "must be the authorization code Vipps sent back, unchanged",
                ));
            }
            (None, None) => {
                return Err(InvalidInput::request(
                    "pass the `code` Vipps sent back, or its `error`",
                ));
            }
        };
        Ok(Self {
            state,
            completion_token: completion_token
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
            response,
            scope: scope.filter(|s| !s.is_empty()).map(str::to_owned),
        })
    }
}

/// The kind of a postal address, as Vipps labels it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressType {
    Home,
    Work,
    Other,
}

impl AddressType {
    /// Vipps sends `home`, `work` or `other`; anything else is unknown.
    pub fn from_claim(value: &str) -> Option<Self> {
        match value.to_ascii_lowercase().as_str() {
            "home" => Some(Self::Home),
            "work" => Some(Self::Work),
            "other" => Some(Self::Other),
            _ => None,
        }
    }

    /// The legacy REST spelling: `Home`, `Work`, `Other`.
    pub fn legacy_name(self) -> &'static str {
        match self {
            Self::Home => "Home",
            Self::Work => "Work",
            Self::Other => "Other",
        }
    }
}

/// A postal address; every part is optional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VippsAddress {
    pub address_type: Option<AddressType>,
    pub country: Option<String>,
    pub formatted: Option<String>,
    pub postal_code: Option<String>,
    pub region: Option<String>,
    pub street_address: Option<String>,
}

impl VippsAddress {
    /// `None` when every part is empty: Vipps sends empty strings for "no address".
    pub fn non_empty(self) -> Option<Self> {
        let parts = [
            &self.country,
            &self.formatted,
            &self.postal_code,
            &self.region,
            &self.street_address,
        ];
        parts.iter().any(|p| p.is_some()).then_some(self)
    }
}

/// The profile of the user who logged in. Which fields are present depends on the scopes
/// granted; only `subject_identifier` is always there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VippsUserInfo {
    /// The Vipps `sub`, unique per merchant.
    pub subject_identifier: String,
    pub session_identifier: Option<String>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    /// Digits with the country code, no `+` (`4712345678`).
    pub phone_number: Option<String>,
    pub birthdate: Option<NaiveDate>,
    pub address: Option<VippsAddress>,
    pub other_addresses: Vec<VippsAddress>,
    pub nin: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_relative_url_refuses_open_redirects() {
        assert_eq!(NextRelativeUrl::parse(None).unwrap().as_str(), "/");
        assert_eq!(
            NextRelativeUrl::parse(Some("/a/b?c=1#d")).unwrap().as_str(),
            "/a/b?c=1#d"
        );
        for ok in [
            "/a.b/c..d/.well-known",
            "/search?q=a%2Fb&p=../x",
            "/a#../%2F",
        ] {
            assert_eq!(NextRelativeUrl::parse(Some(ok)).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "/a b",
            "/\tx",
            "evil",
            "/..//evil.example",
            "/a/../..//evil.example",
            "/./",
            "/a/.",
            "/%2e%2e//evil.example",
            "/.%2E//evil.example",
            "/%2F%2Fevil.example",
            "/%2fevil.example",
            "/%5Cevil.example",
            "/a%5c",
        ] {
            assert!(NextRelativeUrl::parse(Some(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn pkce_challenge_matches_rfc_7636_appendix_b() {
        let verifier = LoginSecret::stored("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        assert_eq!(
            verifier.code_challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn secrets_are_fresh_long_and_hidden_from_debug() {
        let a = LoginSecret::generate().unwrap();
        let b = LoginSecret::generate().unwrap();
        assert_ne!(a.as_str(), b.as_str());
        assert_eq!(a.as_str().len(), 43);
        assert!(!format!("{a:?}").contains(a.as_str()));
    }

    #[test]
    fn completion_needs_state_and_code_or_error() {
        let fields = |state, code, error| CompleteLoginFields {
            state,
            code,
            error,
            ..CompleteLoginFields::default()
        };
        assert!(CompleteLogin::parse(fields(None, Some("c"), None)).is_err());
        assert!(CompleteLogin::parse(fields(Some("s"), None, None)).is_err());
        assert!(CompleteLogin::parse(fields(Some("s"), Some("a b"), None)).is_err());
        let cancelled = CompleteLogin::parse(CompleteLoginFields {
            error_description: Some("x"),
            ..fields(Some("s"), None, Some("access_denied"))
        })
        .unwrap();
        assert!(matches!(cancelled.response, AuthorizationResponse::Error(ref e) if e.is_cancel()));
    }

    #[test]
    fn an_attempt_is_bound_only_to_its_own_token() {
        let token = LoginSecret::generate().unwrap();
        let attempt = |completion_key: String| LoginAttempt {
            state_key: state_key("s"),
            completion_key,
            org_id: OrgId::parse("org").unwrap(),
            environment: Environment::Test,
            client_id: ClientId::parse("c").unwrap(),
            nonce: LoginSecret::generate().unwrap(),
            code_verifier: LoginSecret::generate().unwrap(),
            redirect_uri: RedirectUri::parse("https://a.example/cb").unwrap(),
            flow: LoginFlow::Browser,
            scopes: Scopes::parse(&["openid"]).unwrap(),
            next_relative_url: NextRelativeUrl::parse(None).unwrap(),
            created_at: Timestamp::now(),
            expires_at: Timestamp::now(),
        };
        let bound = attempt(completion_key(token.as_str()));
        assert!(bound.is_bound_to(Some(token.as_str())));
        assert!(!bound.is_bound_to(None));
        assert!(!bound.is_bound_to(Some("")));
        assert!(!bound.is_bound_to(Some(&token.as_str()[1..])));
        let legacy = attempt(String::new());
        assert!(!legacy.is_bound_to(Some("")));
        assert!(!legacy.is_bound_to(Some(token.as_str())));
    }

    #[test]
    fn empty_addresses_are_none() {
        let empty = VippsAddress {
            address_type: Some(AddressType::Home),
            country: None,
            formatted: None,
            postal_code: None,
            region: None,
            street_address: None,
        };
        assert_eq!(empty.non_empty(), None);
    }
}
