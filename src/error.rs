//! The one error type of the service layer, with a stable machine code.
//!
//! The HTTP edge renders it as `application/problem+json` with the status that goes with the
//! code, GraphQL as an error with `extensions.code`. Internal causes are logged by the
//! adapters and never returned to the client.

use crate::domain::{InvalidInput, OrgId, ProviderError, UserId};

/// Everything an operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The client sent something that does not parse or breaks a domain rule.
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    /// The addressed resource does not exist.
    #[error(transparent)]
    NotFound(#[from] Missing),
    /// The operation clashes with what is stored.
    #[error(transparent)]
    Conflict(#[from] Clash),
    /// The admin bearer token is missing or wrong.
    #[error("this operation needs the admin token: send `Authorization: Bearer <admin token>`")]
    Unauthenticated,
    /// The organization exists but has Vipps login switched off.
    #[error("Vipps login is switched off for organization `{0}`")]
    VippsDisabled(String),
    /// The completion did not present the token its starter received; the login stays
    /// usable for the one who started it.
    #[error(
        "this login can only be completed by whoever started it: pass the `completionToken` from the start (REST: the cookie, the `completionToken` query parameter or the `X-Completion-Token` header)"
    )]
    LoginNotBound,
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
    /// Too many requests of this kind from this client address (or pending logins for the
    /// organization); try again after `retry_after_secs`.
    #[error("too many requests; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
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
            Error::NotFound(_) => "NOT_FOUND",
            Error::Conflict(_) => "CONFLICT",
            Error::Unauthenticated | Error::SessionInvalid => "UNAUTHENTICATED",
            Error::LinkAmbiguous => "LINK_AMBIGUOUS",
            Error::NoAccount => "NO_ACCOUNT",
            Error::VippsDisabled(_) => "VIPPS_DISABLED",
            Error::LoginNotBound => "LOGIN_NOT_BOUND",
            Error::RateLimited { .. } => "RATE_LIMITED",
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

    /// Seconds the client should wait before trying again (`RATE_LIMITED`, `DATABASE_UNAVAILABLE`).
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Error::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            // A lost connection is replaced on the next request; a restart takes seconds.
            Error::DatabaseUnavailable(_) => Some(1),
            _ => None,
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

/// What an operation looked for and did not find; each message is written here once.
#[derive(Debug, thiserror::Error)]
pub enum Missing {
    #[error("no vipps org with org_id `{0}`")]
    Org(OrgId),
    #[error("no user with id `{0}`")]
    User(UserId),
    #[error("user `{0}` has no Vipps identity with this sub")]
    Identity(UserId),
    #[error("no such consent revocation URL")]
    ConsentUrl,
}

/// How an operation clashes with what is stored; each message is written here once.
#[derive(Debug, thiserror::Error)]
pub enum Clash {
    #[error("a vipps org with org_id `{0}` already exists")]
    OrgExists(OrgId),
    #[error("vipps org `{0}` is being changed by someone else; try again")]
    OrgBusy(OrgId),
    #[error("a user of this organization already has this phone number or e-mail")]
    DuplicateUser,
}

/// Shorthand for results of the service layer.
pub type Result<T, E = Error> = std::result::Result<T, E>;
