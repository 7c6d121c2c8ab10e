//! Sessions over REST: `POST /vipps/logout` ends the caller's session, and
//! `POST /oauth2/introspect` (RFC 7662, admin) tells other backends whether a session token
//! is still active — they verify tokens offline against the JWKS and cannot see a session end.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::client_addr::Client;
use super::error::HttpError;
use super::extract::{AdminAuth, body_bytes, caller};
use crate::app::App;
use crate::domain::InvalidInput;
use crate::service::users;

/// `POST /vipps/logout` with `Authorization: Bearer <sessionToken>`: ends that session.
pub async fn logout(
    State(app): State<Arc<App>>,
    Client(addr): Client,
    headers: HeaderMap,
) -> Result<Json<Value>, HttpError> {
    let caller = caller(&app, addr, &headers);
    let ended_at = users::logout(&app, caller.session()?).await?;
    Ok(Json(
        json!({ "loggedOut": true, "endedAt": ended_at.to_rfc3339() }),
    ))
}

/// `POST /oauth2/introspect` (admin), form body `token=<sessionToken>`: `{"active": true, …}`
/// with the token's claims while its session is open, else `{"active": false}`.
pub async fn introspect(
    State(app): State<Arc<App>>,
    AdminAuth(admin): AdminAuth,
    request: Request,
) -> Result<Response, HttpError> {
    if !is_form(request.headers()) {
        return Err(HttpError::UnsupportedMediaType(
            "introspection takes a form body: send `Content-Type: application/x-www-form-urlencoded` with `token=…`",
        ));
    }
    let body = body_bytes(request, &()).await?;
    let mut token = None;
    for (name, value) in url::form_urlencoded::parse(&body) {
        if name == "token" {
            if token.is_some() {
                return Err(InvalidInput::field("token", "is given more than once").into());
            }
            token = Some(value.into_owned());
        }
    }
    let token = token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| InvalidInput::field("token", "is required"))?;
    let answer = match users::introspect(&app, &admin, &token).await? {
        Some(found) => json!({
            "active": true,
            "token_type": "Bearer",
            "iss": app.sessions.issuer(),
            "sub": found.user.id.as_str(),
            "aud": found.session.org_id.as_str(),
            "org_id": found.session.org_id.as_str(),
            "jti": found.session.id,
            "iat": found.session.issued_at.unix(),
            "exp": found.session.expires_at.unix(),
        }),
        None => json!({ "active": false }),
    };
    let mut response = Json(answer).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| {
            essence
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}
