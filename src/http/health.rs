//! Liveness and readiness for load balancers and orchestrators.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::HttpError;
use crate::app::App;

/// A health answer.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` (alive) or `ready`.
    #[schema(examples("ok"))]
    status: &'static str,
}

/// `GET /healthz`: the process is up.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses(
        (status = 200, description = "The process is up", body = Health, example = json!({"status": "ok"})),
        (status = 503, description = "`REQUEST_TIMEOUT`", body = HttpError, content_type = "application/problem+json"),
    ),
)]
pub async fn alive() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// `GET /readyz`: the database answers; 503 `DATABASE_UNAVAILABLE` when it does not.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "The database answers", body = Health, example = json!({"status": "ready"})),
        (status = 503, description = "`DATABASE_UNAVAILABLE` (with `Retry-After`) or `REQUEST_TIMEOUT`", body = HttpError, content_type = "application/problem+json"),
    ),
)]
pub async fn ready(State(app): State<std::sync::Arc<App>>) -> Result<Json<Health>, HttpError> {
    app.db.ping().await?;
    Ok(Json(Health { status: "ready" }))
}
