//! `POST /vipps/consent/{org_id}/{secret}`: Vipps' consent revocation webhook. The body is
//! an unsigned JWT (`alg: none`) anyone could write, so the secret in the path is what
//! proves the sender knows the organization's URL; the body is parsed strictly and small.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::header::CONTENT_LENGTH;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::HttpError;
use crate::app::App;
use crate::domain::{ConsentRevocation, InvalidInput, MAX_CONSENT_BODY_BYTES, OrgId, Timestamp};
use crate::error::{Error, Missing};
use crate::service::consent;

/// Applies a `CONSENT_REVOKED` event. A wrong secret or an unknown organization is 404 (as
/// a route that does not exist); a body that is not a valid, current event is 400
/// `INVALID_INPUT`; a valid event answers 200 the same whether or not the `sub` is known.
#[utoipa::path(
    post,
    path = "/vipps/consent/{org_id}/{secret}",
    tag = "consent",
    params(
        ("org_id" = String, Path, description = "The organization's id"),
        ("secret" = String, Path, description = "The secret of the organization's consent revocation URL"),
    ),
    request_body(content = String, content_type = "text/plain", description = "An unsigned JWT (`alg: none`): `header.payload.` with `{sub, event: \"CONSENT_REVOKED\", iat, exp}`"),
    responses(
        (status = 200, description = "The event was applied (the same whether or not the `sub` is known)", body = ConsentReceived),
        (status = 400, description = "`INVALID_INPUT`: the body is not a valid, current `CONSENT_REVOKED` event (`field`: `header`, `payload`, `alg`, `event`, `sub`, `iat`, `exp` or `nbf`)", body = HttpError, content_type = "application/problem+json"),
        (status = 404, description = "`NOT_FOUND`: a wrong secret or an unknown organization", body = HttpError, content_type = "application/problem+json",
            example = json!({"type": "about:blank", "title": "Not Found", "status": 404, "detail": "no such consent revocation URL", "code": "NOT_FOUND"})),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`: the body exceeds 8 KiB", body = HttpError, content_type = "application/problem+json"),
        (status = 503, description = "`DATABASE_UNAVAILABLE` (with `Retry-After`) or `REQUEST_TIMEOUT`", body = HttpError, content_type = "application/problem+json"),
    ),
)]
pub async fn revoke(
    State(app): State<Arc<App>>,
    path: Result<Path<(String, String)>, PathRejection>,
    request: Request,
) -> Result<Json<ConsentReceived>, HttpError> {
    let not_found = || HttpError::from(Error::from(Missing::ConsentUrl));
    let Path((org_id, secret)) = path.map_err(|_| not_found())?;
    let org_id = OrgId::parse(&org_id).map_err(|_| not_found())?;
    consent::check_secret(&app, &org_id, &secret).await?;
    let body = small_body(request).await?;
    let revocation = ConsentRevocation::parse(&body, Timestamp::now())?;
    consent::revoke(&app, &org_id, &revocation).await?;
    Ok(Json(ConsentReceived { received: true }))
}

/// The webhook's answer to a valid event.
#[derive(Serialize, ToSchema)]
pub struct ConsentReceived {
    /// Always `true`.
    received: bool,
}

/// The body, refused with 413 beyond [`MAX_CONSENT_BODY_BYTES`].
async fn small_body(request: Request) -> Result<axum::body::Bytes, HttpError> {
    let too_large = HttpError::PayloadTooLarge {
        limit: MAX_CONSENT_BODY_BYTES,
    };
    let announced = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|length| length > MAX_CONSENT_BODY_BYTES as u64) {
        return Err(too_large);
    }
    axum::body::to_bytes(request.into_body(), MAX_CONSENT_BODY_BYTES)
        .await
        .map_err(|error| {
            let over_limit = std::error::Error::source(&error)
                .is_some_and(|cause| cause.is::<http_body_util::LengthLimitError>());
            if over_limit {
                too_large
            } else {
                InvalidInput::request("the request body could not be read").into()
            }
        })
}
