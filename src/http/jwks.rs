//! `GET /.well-known/jwks.json`: the public keys that verify session tokens.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::app::App;

#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "sessions",
    responses(
        (status = 200, description = "A JWK Set (RFC 7517) of the Ed25519 keys that sign session tokens (`alg: EdDSA`)", body = Object),
        (status = 503, description = "`REQUEST_TIMEOUT`", body = super::error::HttpError, content_type = "application/problem+json"),
    ),
)]
pub async fn jwks(State(app): State<Arc<App>>) -> Response {
    let mut response = axum::Json(app.sessions.jwks()).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}
