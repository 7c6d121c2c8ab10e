//! `GET /metrics`: the instance's Prometheus metrics, in the text exposition format; with
//! `METRICS_TOKEN` set, only for `Authorization: Bearer <that token>`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

use super::error::HttpError;
use crate::app::App;
use crate::error::Error;

pub async fn metrics(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    if let Some(token) = &app.metrics_token {
        let authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if !token.allows(authorization) {
            return Err(Error::Unauthenticated.into());
        }
    }
    let text = app
        .metrics
        .render(app.db.status())
        .map_err(|e| Error::Internal(anyhow::anyhow!("encoding the metrics: {e}")))?;
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response())
}
