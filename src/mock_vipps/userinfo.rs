//! `GET /vipps-userinfo-api/userinfo`.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

use super::errors::{json_response, problem};
use super::{Shared, lock, random};

/// The claims of the access token's scopes, for its user.
pub(super) async fn userinfo(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let Some(token) = token else {
        return problem(
            StatusCode::UNAUTHORIZED,
            "No bearer access token was given.",
        );
    };
    let grant = lock(&shared.tokens).get(token).cloned();
    let Some(grant) = grant.filter(|g| g.expires > Instant::now()) else {
        return problem(
            StatusCode::UNAUTHORIZED,
            "The access token is unknown or expired.",
        );
    };
    let Some(user) = shared.users.get(grant.user) else {
        return problem(StatusCode::NOT_FOUND, "The user no longer exists.");
    };
    let sub = if lock(&shared.faults).userinfo_sub_mismatch() {
        match random::uuid() {
            Ok(sub) => sub,
            Err(_) => {
                return problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "No randomness available.",
                );
            }
        }
    } else {
        grant.sub
    };
    let mut body = user.userinfo(&grant.scopes, &sub, &grant.sid);
    if lock(&shared.faults).userinfo_without_sid()
        && let Some(claims) = body.as_object_mut()
    {
        claims.remove("sid");
    }
    json_response(StatusCode::OK, &body, "no-store")
}
