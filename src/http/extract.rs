//! Extractors that turn request parts into domain values, the [`Caller`], or a clear
//! [`HttpError`].

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Path, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use super::MAX_BODY_BYTES;
use super::client_addr::client_addr;
use super::error::HttpError;
use crate::app::App;
use crate::auth::{Admin, Caller};
use crate::domain::{InvalidInput, OrgId};
use crate::limits::ClientAddr;

/// Identifies the caller of a request from its `Authorization` header; a credential that is
/// neither the admin token nor a session token counts against `addr`'s allowance of failed
/// admin authentications.
pub fn caller(app: &App, addr: ClientAddr, headers: &HeaderMap) -> Caller {
    let authorization = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    Caller::identify(&app.admin, &app.sessions, authorization)
        .counting_failures(authorization, || app.limits.admin_failure(addr))
}

/// The caller proved to hold the admin token (`Authorization: Bearer <token>`).
pub struct AdminAuth(pub Admin);

impl<S> FromRequestParts<S> for AdminAuth
where
    Arc<App>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, HttpError> {
        let app = Arc::<App>::from_ref(state);
        let addr = client_addr(&app, &parts.extensions, &parts.headers)?;
        let caller = caller(&app, addr, &parts.headers);
        Ok(AdminAuth(caller.into_admin()?))
    }
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
pub async fn body_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, HttpError> {
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection: BytesRejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                HttpError::PayloadTooLarge {
                    limit: MAX_BODY_BYTES,
                }
            } else {
                InvalidInput::request("the request body could not be read").into()
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
    type Rejection = HttpError;

    async fn from_request(request: Request, state: &S) -> Result<Self, HttpError> {
        if !is_json(request.headers()) {
            return Err(HttpError::UnsupportedMediaType(
                "the body must be JSON: send `Content-Type: application/json`",
            ));
        }
        let bytes = body_bytes(request, state).await?;
        let json: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| InvalidInput::request(format!("the body is not valid JSON ({e})")))?;
        if !json.is_object() {
            return Err(InvalidInput::request("the body must be a JSON object").into());
        }
        let value = serde_path_to_error::deserialize(json).map_err(|error| {
            let path = error.path().to_string();
            InvalidInput::request(format!("`{path}`: {}", error.into_inner()))
        })?;
        Ok(Self(value))
    }
}

/// The `{org_id}` path segment, parsed.
pub struct OrgIdPath(pub OrgId);

impl<S: Send + Sync> FromRequestParts<S> for OrgIdPath {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, HttpError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| InvalidInput::field("org_id", "must be valid UTF-8 in the path"))?;
        Ok(Self(OrgId::parse(&raw)?))
    }
}
