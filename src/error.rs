//! The one error type of the service layer, with a stable machine code.
//!
//! REST renders it as `application/problem+json` ([`crate::http::error`]), GraphQL as an
//! error with `extensions.code` ([`crate::graphql::error`]). Internal causes are logged by
//! the adapters and never returned to the client.

use crate::domain::{InvalidInput, ProviderError};

/// Everything an operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The client sent something that does not parse or breaks a domain rule.
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    /// The request body is larger than the server accepts.
    #[error("the request body exceeds the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// The request body has a content type the endpoint does not accept.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The addressed resource or route does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The route exists but not with this HTTP method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The resource already exists.
    #[error("{0}")]
    Conflict(String),
    /// The admin bearer token is missing or wrong.
    #[error("this operation needs the admin token: send `Authorization: Bearer <admin token>`")]
    Unauthenticated,
    /// The organization exists but has Vipps login switched off.
    #[error("Vipps login is switched off for organization `{0}`")]
    VippsDisabled(String),
    /// The `state` is unknown or was already used: each login completes once.
    #[error("this login is unknown or already completed; start a new login")]
    LoginStateInvalid,
    /// The login was started too long ago.
    #[error("this login has expired; start a new login")]
    LoginStateExpired,
    /// The user cancelled in Vipps (`access_denied`).
    #[error("the user cancelled the login in Vipps")]
    LoginCancelled(ProviderError),
    /// Vipps refused the login; its error code and description are kept.
    #[error("Vipps refused the login: {}", describe_provider_error(.0))]
    LoginFailed(ProviderError),
    /// The ID token does not pass verification (signature, issuer, audience, time or nonce).
    #[error("the ID token from Vipps is not valid: {0}")]
    IdTokenInvalid(String),
    /// Vipps cannot be reached, timed out, or answered with a server error or garbage.
    #[error("Vipps is unavailable ({what}); try the login again shortly")]
    VippsUnavailable {
        what: &'static str,
        #[source]
        cause: anyhow::Error,
    },
    /// The organization's client secret cannot be read from where its reference points. The
    /// message names neither the reference nor the reason; the log line has both.
    #[error("the organization's client secret cannot be read right now")]
    SecretUnavailable { reference: String, reason: String },
    /// Several users of the organization match the login by phone number or verified e-mail;
    /// an administrator must resolve the duplicates. Nothing was linked.
    #[error("the Vipps user matches several users of this organization; nothing was linked")]
    LinkAmbiguous,
    /// The organization accepts only pre-provisioned users and none matches the login.
    #[error(
        "this organization has no user for this Vipps account; ask an administrator to register you"
    )]
    NoAccount,
    /// The session token is missing, expired, forged or for another organization.
    #[error("a valid session token is needed: send `Authorization: Bearer <session token>`")]
    SessionInvalid,
    /// The database cannot be reached or is busy; the client may retry.
    #[error("the database is unavailable; try again shortly")]
    DatabaseUnavailable(#[source] anyhow::Error),
    /// A fault on our side; the cause is logged, never returned.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl Error {
    /// The stable machine-readable code (REST `code`, GraphQL `extensions.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidInput(_) => "INVALID_INPUT",
            Error::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            Error::UnsupportedMediaType(_) => "UNSUPPORTED_MEDIA_TYPE",
            Error::NotFound(_) => "NOT_FOUND",
            Error::MethodNotAllowed(_) => "METHOD_NOT_ALLOWED",
            Error::Conflict(_) => "CONFLICT",
            Error::Unauthenticated | Error::SessionInvalid => "UNAUTHENTICATED",
            Error::LinkAmbiguous => "LINK_AMBIGUOUS",
            Error::NoAccount => "NO_ACCOUNT",
            Error::VippsDisabled(_) => "VIPPS_DISABLED",
            Error::LoginStateInvalid => "LOGIN_STATE_INVALID",
            Error::LoginStateExpired => "LOGIN_STATE_EXPIRED",
            Error::LoginCancelled(_) => "LOGIN_CANCELLED",
            Error::LoginFailed(_) => "LOGIN_FAILED",
            Error::IdTokenInvalid(_) => "ID_TOKEN_INVALID",
            Error::VippsUnavailable { .. } => "VIPPS_UNAVAILABLE",
            Error::SecretUnavailable { .. } => "SECRET_UNAVAILABLE",
            Error::DatabaseUnavailable(_) => "DATABASE_UNAVAILABLE",
            Error::Internal(_) => "INTERNAL",
        }
    }

    /// The HTTP status that goes with the code.
    pub fn status(&self) -> u16 {
        match self {
            Error::InvalidInput(_) => 400,
            Error::Unauthenticated | Error::SessionInvalid => 401,
            Error::NotFound(_) => 404,
            Error::MethodNotAllowed(_) => 405,
            Error::Conflict(_) => 409,
            Error::PayloadTooLarge { .. } => 413,
            Error::UnsupportedMediaType(_) => 415,
            Error::VippsDisabled(_)
            | Error::LoginStateInvalid
            | Error::LoginStateExpired
            | Error::LoginCancelled(_)
            | Error::LoginFailed(_)
            | Error::IdTokenInvalid(_)
            | Error::LinkAmbiguous
            | Error::NoAccount => 422,
            Error::VippsUnavailable { .. } => 502,
            Error::SecretUnavailable { .. } | Error::DatabaseUnavailable(_) => 503,
            Error::Internal(_) => 500,
        }
    }

    /// Logs the cause of server-side failures; client faults need no log line of their own.
    pub fn log_if_server_fault(&self) {
        match self {
            Error::VippsUnavailable { what, cause } => {
                tracing::warn!(
                    code = self.code(),
                    what,
                    error = format!("{cause:#}"),
                    "Vipps unavailable"
                );
            }
            Error::SecretUnavailable { reference, reason } => {
                tracing::warn!(code = self.code(), reference, reason, "secret unavailable");
            }
            Error::IdTokenInvalid(reason) => {
                tracing::warn!(code = self.code(), reason, "ID token refused");
            }
            Error::DatabaseUnavailable(cause) => {
                tracing::warn!(
                    code = self.code(),
                    error = format!("{cause:#}"),
                    "database unavailable"
                );
            }
            Error::Internal(cause) => {
                tracing::error!(
                    code = self.code(),
                    error = format!("{cause:#}"),
                    "internal error"
                );
            }
            _ => {}
        }
    }

    /// What Vipps reported, for the outcomes that keep it.
    pub fn provider_error(&self) -> Option<&ProviderError> {
        match self {
            Error::LoginCancelled(e) | Error::LoginFailed(e) => Some(e),
            _ => None,
        }
    }
}

fn describe_provider_error(error: &ProviderError) -> String {
    match &error.description {
        Some(description) => format!("{} ({description})", error.error),
        None => error.error.clone(),
    }
}

/// The operating system could not supply randomness for a state, key or id.
impl From<getrandom::Error> for Error {
    fn from(error: getrandom::Error) -> Self {
        Error::Internal(anyhow::anyhow!(
            "no randomness from the operating system: {error}"
        ))
    }
}

/// Shorthand for results of the service layer.
pub type Result<T, E = Error> = std::result::Result<T, E>;
