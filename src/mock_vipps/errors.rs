//! Error responses in the shapes Vipps (Hydra and the Userinfo API) uses.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::faults::ErrorShape;
use super::record::Endpoint;

/// RFC 6749 `invalid_client` description, as Hydra words it.
pub(super) const INVALID_CLIENT: &str = "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method).";
/// RFC 6749 `invalid_grant` description, as Hydra words it.
pub(super) const INVALID_GRANT: &str = "The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.";

/// A token endpoint failure.
#[derive(Debug)]
pub(super) enum TokenError {
    /// 401 `invalid_client`.
    InvalidClient,
    /// 400 `invalid_grant`.
    InvalidGrant,
    /// 400 `invalid_request`, Hydra style, with what is wrong.
    InvalidRequest(String),
    /// 400 `unsupported_grant_type`.
    UnsupportedGrantType,
    /// 500 `server_error`.
    Server(&'static str),
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            Self::InvalidClient => (
                StatusCode::UNAUTHORIZED,
                json!({"error": "invalid_client", "error_description": INVALID_CLIENT}),
            ),
            Self::InvalidGrant => (
                StatusCode::BAD_REQUEST,
                json!({"error": "invalid_grant", "error_description": INVALID_GRANT}),
            ),
            Self::InvalidRequest(debug) => (
                StatusCode::BAD_REQUEST,
                json!({"error": "invalid_request", "error_code": 400, "error_debug": debug}),
            ),
            Self::UnsupportedGrantType => (
                StatusCode::BAD_REQUEST,
                json!({
                    "error": "unsupported_grant_type",
                    "error_description": "The authorization grant type is not supported by the authorization server.",
                }),
            ),
            Self::Server(what) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"error": "server_error", "error_description": what}),
            ),
        };
        json_response(status, &body, "no-store")
    }
}

/// A JSON body with a `Cache-Control` header.
pub(super) fn json_response(status: StatusCode, body: &Value, cache_control: &str) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json;charset=UTF-8"),
            (header::CACHE_CONTROL, cache_control),
        ],
        body.to_string(),
    )
        .into_response()
}

/// Userinfo's problem shape.
pub(super) fn problem(status: StatusCode, detail: &str) -> Response {
    json_response(status, &problem_body(status, detail), "no-store")
}

fn problem_body(status: StatusCode, detail: &str) -> Value {
    json!({
        "type": format!("https://developer.vippsmobilepay.com/docs/APIs/userinfo-api/userinfo-api-guide/#errors-{}", status.as_u16()),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    })
}

/// The answer of an endpoint with an injected [`Fault::Status`](super::Fault::Status).
pub(super) fn fault_response(endpoint: Endpoint, status: u16, shape: ErrorShape) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let error = match status.as_u16() {
        400 => "invalid_request",
        401 if endpoint == Endpoint::Token => "invalid_client",
        401 => "unauthorized",
        403 => "access_denied",
        404 => "not_found",
        429 => "too_many_requests",
        502..=504 => "temporarily_unavailable",
        _ => "server_error",
    };
    let detail = format!("injected fault: HTTP {}", status.as_u16());
    let body = match shape {
        ErrorShape::Description => json!({"error": error, "error_description": detail}),
        ErrorShape::Debug => {
            json!({"error": error, "error_code": status.as_u16(), "error_debug": detail})
        }
        ErrorShape::Problem => problem_body(status, &detail),
    };
    json_response(status, &body, "no-store")
}

/// 200 with a body that is not JSON (a proxy's HTML page).
pub(super) fn garbage_response() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
    )
        .into_response()
}

/// `response` with a `padding` member of `padding` bytes added to its JSON object body, so
/// it is still a valid answer, only a large one. A body that is not a JSON object is kept.
pub(super) async fn padded(response: Response, padding: usize) -> Response {
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "unreadable body").into_response();
    };
    let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    object.insert("padding".to_owned(), Value::String("x".repeat(padding)));
    let mut response = Response::from_parts(
        parts,
        axum::body::Body::from(Value::Object(object).to_string()),
    );
    response.headers_mut().remove(header::CONTENT_LENGTH);
    response
}

/// Hydra's own HTML error page, shown when the user cannot be sent back to the client.
pub(super) fn error_page(error: &str, description: &str) -> Response {
    let body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Vipps Login: error</title></head>\n<body><h1>An error occurred</h1>\n<p><code>{}</code></p>\n<p>{}</p>\n</body></html>\n",
        escape_html(error),
        escape_html(description)
    );
    (
        StatusCode::BAD_REQUEST,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// Text made safe for HTML element content and quoted attribute values.
pub(super) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
