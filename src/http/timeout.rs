//! The whole-request timeout: a request that takes longer than `REQUEST_TIMEOUT_SECS` (body,
//! handler and all) is answered 503 `REQUEST_TIMEOUT` (the server, or a client too slow
//! sending its body, held it up; a client may retry), and its connection is closed.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};

use super::error::HttpError;

/// Middleware: runs the rest of the stack for at most `limit`.
pub async fn limit_request_time(
    State(limit): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_elapsed) => {
            tracing::warn!(limit_secs = limit.as_secs(), "request timed out");
            let mut response = HttpError::RequestTimeout {
                secs: limit.as_secs(),
            }
            .into_response();
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}
