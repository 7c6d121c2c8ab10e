//! `GET /.well-known/jwks.json`: the public keys that verify session tokens.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::app::App;

pub async fn jwks(State(app): State<Arc<App>>) -> Response {
    let mut response = axum::Json(app.sessions.jwks()).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}
