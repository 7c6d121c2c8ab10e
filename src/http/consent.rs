//! `POST /vipps/consent/{org_id}/{secret}`: Vipps' consent revocation webhook. The body is
//! an unsigned JWT (`alg: none`) anyone could write, so the secret in the path is what
//! proves the sender knows the organization's URL; the body is parsed strictly and small.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::header::CONTENT_LENGTH;
use serde_json::{Value, json};

use super::error::HttpError;
use crate::app::App;
use crate::domain::{ConsentRevocation, InvalidInput, MAX_CONSENT_BODY_BYTES, OrgId, Timestamp};
use crate::error::{Error, Missing};
use crate::service::consent;

/// Applies a `CONSENT_REVOKED` event. A wrong secret or an unknown organization is 404 (as
/// a route that does not exist); a body that is not a valid, current event is 400
/// `INVALID_INPUT`; a valid event answers 200 the same whether or not the `sub` is known.
pub async fn revoke(
    State(app): State<Arc<App>>,
    path: Result<Path<(String, String)>, PathRejection>,
    request: Request,
) -> Result<Json<Value>, HttpError> {
    let not_found = || HttpError::from(Error::from(Missing::ConsentUrl));
    let Path((org_id, secret)) = path.map_err(|_| not_found())?;
    let org_id = OrgId::parse(&org_id).map_err(|_| not_found())?;
    consent::check_secret(&app, &org_id, &secret).await?;
    let body = small_body(request).await?;
    let revocation = ConsentRevocation::parse(&body, Timestamp::now())?;
    consent::revoke(&app, &org_id, &revocation).await?;
    Ok(Json(json!({ "received": true })))
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
