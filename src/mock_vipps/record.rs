//! Every request is recorded, then endpoint faults are applied, before the handler runs.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::faults::EndpointFault;
use super::{Shared, errors, lock};

/// Largest request body the mock reads.
const MAX_BODY: usize = 64 * 1024;

/// The mock's endpoints.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Endpoint {
    /// `GET …/.well-known/openid-configuration`.
    Discovery,
    /// `GET …/oauth2/auth` and the interactive page's `POST …/oauth2/auth/decision`.
    Authorize,
    /// `POST …/oauth2/token`.
    Token,
    /// `GET …/.well-known/jwks.json`.
    Jwks,
    /// `GET /vipps-userinfo-api/userinfo`.
    Userinfo,
}

/// A request as the mock received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// Which endpoint it reached.
    pub endpoint: Endpoint,
    /// `GET`, `POST`, …
    pub method: String,
    /// Headers in order, names lowercase, values lossily decoded as UTF-8.
    pub headers: Vec<(String, String)>,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The body lossily decoded as UTF-8, if not empty.
    pub body: Option<String>,
}

/// Records the request, then answers per the endpoint's fault, or passes it on.
pub(super) async fn intercept(
    State((shared, endpoint)): State<(Arc<Shared>, Endpoint)>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let recorded = RecordedRequest {
        endpoint,
        method: parts.method.to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        query: parts.uri.query().map(str::to_owned),
        body: (!bytes.is_empty()).then(|| String::from_utf8_lossy(&bytes).into_owned()),
    };
    lock(&shared.requests).push(recorded);
    let fault = lock(&shared.faults).endpoint(endpoint);
    match fault {
        Some(EndpointFault::Status { status, shape }) => {
            return errors::fault_response(endpoint, status, shape);
        }
        Some(EndpointFault::Garbage) => return errors::garbage_response(),
        Some(EndpointFault::Slow(delay)) => tokio::time::sleep(delay).await,
        Some(EndpointFault::Oversized(padding)) => {
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            return errors::padded(response, padding).await;
        }
        None => {}
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
