//! What the HTTP edge answers when a request fails: the service [`Error`], or a failure only
//! HTTP can have (body too large, wrong content type or method, no acceptable answer format,
//! no such route). REST renders
//! it as RFC 7807 `application/problem+json` with the stable `code`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::InvalidInput;
use crate::error::Error;

/// A failed request, as the HTTP edge answers it.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// A service error.
    #[error(transparent)]
    Service(#[from] Error),
    /// The request body is larger than the server accepts.
    #[error("the request body exceeds the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// The request body has a content type the endpoint does not accept.
    #[error("{0}")]
    UnsupportedMediaType(&'static str),
    /// The route cannot answer in any format the request accepts (`Accept`, `?format=`).
    #[error("{0}")]
    NotAcceptable(&'static str),
    /// The route exists but not with this HTTP method.
    #[error("{0}")]
    MethodNotAllowed(&'static str),
    /// No route (or file) answers to this path.
    #[error("{0}")]
    NoRoute(&'static str),
    /// The request took longer than the server allows (`REQUEST_TIMEOUT_SECS`).
    #[error("the request took longer than {secs} seconds")]
    RequestTimeout { secs: u64 },
}

impl From<InvalidInput> for HttpError {
    fn from(invalid: InvalidInput) -> Self {
        Self::Service(Error::InvalidInput(invalid))
    }
}

impl HttpError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Service(error) => error.code(),
            Self::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            Self::UnsupportedMediaType(_) => "UNSUPPORTED_MEDIA_TYPE",
            Self::NotAcceptable(_) => "NOT_ACCEPTABLE",
            Self::MethodNotAllowed(_) => "METHOD_NOT_ALLOWED",
            Self::NoRoute(_) => "NOT_FOUND",
            Self::RequestTimeout { .. } => "REQUEST_TIMEOUT",
        }
    }

    /// The HTTP status that goes with the code.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Service(error) => status(error),
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::NoRoute(_) => StatusCode::NOT_FOUND,
            Self::RequestTimeout { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// The HTTP status of a service error.
fn status(error: &Error) -> StatusCode {
    match error {
        Error::InvalidInput(_) => StatusCode::BAD_REQUEST,
        Error::Unauthenticated | Error::SessionInvalid => StatusCode::UNAUTHORIZED,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::Conflict(_) => StatusCode::CONFLICT,
        Error::VippsDisabled(_)
        | Error::LoginNotBound
        | Error::LoginStateInvalid
        | Error::LoginStateExpired
        | Error::LoginCancelled(_)
        | Error::LoginFailed(_)
        | Error::IdTokenInvalid(_)
        | Error::LinkAmbiguous
        | Error::NoAccount => StatusCode::UNPROCESSABLE_ENTITY,
        Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::VippsUnavailable { .. } => StatusCode::BAD_GATEWAY,
        Error::SecretUnavailable { .. } | Error::DatabaseUnavailable(_) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The problem document every REST error answers with.
#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'a str,
    status: u16,
    detail: String,
    code: &'static str,
    /// The request id (`X-Request-Id`), to find the request's log lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    instance: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'static str>,
    /// What Vipps reported, for `LOGIN_CANCELLED` and `LOGIN_FAILED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    vipps_error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vipps_error_description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vipps_error_hint: Option<&'a str>,
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let service = match &self {
            Self::Service(error) => {
                error.log_if_server_fault();
                Some(error)
            }
            _ => None,
        };
        let status = self.status();
        let field = match service {
            Some(Error::InvalidInput(invalid)) => invalid.field_name(),
            _ => None,
        };
        let provider = service.and_then(Error::provider_error);
        let request_id = super::request_id::current();
        let problem = Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: self.to_string(),
            code: self.code(),
            instance: request_id.as_deref(),
            field,
            vipps_error: provider.map(|p| p.error.as_str()),
            vipps_error_description: provider.and_then(|p| p.description.as_deref()),
            vipps_error_hint: provider.and_then(|p| p.hint.as_deref()),
        };
        let mut response = (status, axum::Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if matches!(
            service,
            Some(Error::Unauthenticated | Error::SessionInvalid)
        ) {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = service.and_then(Error::retry_after_secs) {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
