//! Extractors that turn request parts into domain values or a clear [`Error`].

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Path, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use super::MAX_BODY_BYTES;
use crate::app::App;
use crate::auth::Admin;
use crate::domain::{InvalidInput, OrgId};
use crate::error::Error;

/// The caller proved to hold the admin token (`Authorization: Bearer <token>`).
pub struct AdminAuth(pub Admin);

impl<S> FromRequestParts<S> for AdminAuth
where
    Arc<App>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let app = Arc::<App>::from_ref(state);
        app.admin
            .verify(authorization(&parts.headers))
            .map(AdminAuth)
    }
}

/// The `Authorization` header, when present and readable.
pub fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok())
}

/// Whether the request declares a JSON body (`application/json` or `application/*+json`).
pub fn is_json(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Reads the body within the size limit.
pub async fn body_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, Error> {
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection: BytesRejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Error::PayloadTooLarge {
                    limit: MAX_BODY_BYTES,
                }
            } else {
                Error::InvalidInput(InvalidInput::request("the request body could not be read"))
            }
        })
}

/// A JSON request body: `application/json`, within the size limit, and exactly the shape of
/// `T` (unknown fields are named in the error).
pub struct JsonBody<T>(pub T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(request: Request, state: &S) -> Result<Self, Error> {
        if !is_json(request.headers()) {
            return Err(Error::UnsupportedMediaType(
                "the body must be JSON: send `Content-Type: application/json`".into(),
            ));
        }
        let bytes = body_bytes(request, state).await?;
        let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            Error::InvalidInput(InvalidInput::request(format!(
                "the body is not valid JSON ({e})"
            )))
        })?;
        if !json.is_object() {
            return Err(Error::InvalidInput(InvalidInput::request(
                "the body must be a JSON object",
            )));
        }
        let value = serde_path_to_error::deserialize(json).map_err(|error| {
            let path = error.path().to_string();
            Error::InvalidInput(InvalidInput::request(format!(
                "`{path}`: {}",
                error.into_inner()
            )))
        })?;
        Ok(Self(value))
    }
}

/// The `{org_id}` path segment, parsed.
pub struct OrgIdPath(pub OrgId);

impl<S: Send + Sync> FromRequestParts<S> for OrgIdPath {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| InvalidInput::field("org_id", "must be valid UTF-8 in the path"))?;
        Ok(Self(OrgId::parse(&raw)?))
    }
}
