//! Errors as RFC 7807 `application/problem+json`, with the stable `code`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::Error;

/// The problem document every REST error answers with.
#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'a str,
    status: u16,
    detail: String,
    code: &'static str,
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

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        self.log_if_server_fault();
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let field = match &self {
            Error::InvalidInput(invalid) => invalid.field_name(),
            _ => None,
        };
        let provider = self.provider_error();
        let problem = Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: self.to_string(),
            code: self.code(),
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
        if matches!(self, Error::Unauthenticated | Error::SessionInvalid) {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
