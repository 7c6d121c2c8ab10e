//! One log line per request (method, route, status, latency), and the request's count and
//! latency in the metrics.
//!
//! The route is the matched pattern (`/api/v1/vipps-orgs/{org_id}`), never the raw path
//! or query string, which can carry login codes and state.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::app::App;
use crate::metrics::{HttpLabels, Route, method_label};

pub async fn log_request(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = Route::new(request.extensions().get::<MatchedPath>());
    let response = next.run(request).await;
    let took = started.elapsed();
    let status = response.status().as_u16();
    tracing::info!(
        method,
        route = route.as_str(),
        status,
        latency_ms = took.as_secs_f64() * 1000.0,
        "request"
    );
    app.metrics.http_request(
        &HttpLabels {
            route,
            method,
            status,
        },
        took,
    );
    response
}
