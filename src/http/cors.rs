//! CORS for browser frontends on the origins in `CORS_ALLOWED_ORIGINS` (exact origins; none
//! by default, and then no CORS header is ever sent). Preflights are answered; requests may
//! carry `Authorization` and `Content-Type`. Only the cookie-bound login routes
//! (`/vipps/login/…`) allow credentials (the login cookie); every other route is called with
//! a bearer token, never a cookie.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::request_id::X_REQUEST_ID;

/// How long browsers may cache a preflight answer.
const MAX_AGE: Duration = Duration::from_secs(600);

/// The layers for the routes without and with credentials, or `None` when no origin is
/// allowed.
pub fn layers(origins: &[HeaderValue]) -> Option<(CorsLayer, CorsLayer)> {
    if origins.is_empty() {
        return None;
    }
    // A predicate over a shared list: the layer is cloned with every request, and a list
    // origin would copy the whole list each time.
    let allowed: Arc<[HeaderValue]> = origins.into();
    let plain = CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _| {
            allowed.contains(origin)
        }))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            X_REQUEST_ID.clone(),
            HeaderName::from_static(super::login::COMPLETION_TOKEN_HEADER),
        ])
        .expose_headers([
            X_REQUEST_ID.clone(),
            header::RETRY_AFTER,
            header::WWW_AUTHENTICATE,
        ])
        .max_age(MAX_AGE);
    let credentialed = plain.clone().allow_credentials(true);
    Some((plain, credentialed))
}
