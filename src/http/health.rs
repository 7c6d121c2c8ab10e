//! Liveness and readiness for load balancers and orchestrators.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::error::HttpError;
use crate::app::App;

/// `GET /healthz`: the process is up.
pub async fn alive() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers; 503 `DATABASE_UNAVAILABLE` when it does not.
pub async fn ready(State(app): State<std::sync::Arc<App>>) -> Result<Json<Value>, HttpError> {
    app.db.ping().await?;
    Ok(Json(json!({ "status": "ready" })))
}
