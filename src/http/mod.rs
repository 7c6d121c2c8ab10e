//! The HTTP surface: one route table for REST, GraphQL, GraphiQL and health checks.

pub mod error;
pub(crate) mod extract;
mod health;
mod jwks;
mod log;
mod login;
mod orgs;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::routing::get;

use crate::app::App;
use crate::error::Error;
use crate::graphql::{self, AppSchema};

/// The largest request body the server reads (REST and GraphQL alike).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What handlers can extract: the app, and the GraphQL schema built over it.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub app: Arc<App>,
    pub schema: AppSchema,
}

/// Every route of the server.
pub fn router(app: Arc<App>) -> Router {
    let schema = graphql::build_schema(app.clone());
    Router::new()
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .route("/.well-known/jwks.json", get(jwks::jwks))
        .route("/api/v1/vipps-orgs", get(orgs::list).post(orgs::create))
        .route(
            "/api/v1/vipps-orgs/{org_id}",
            get(orgs::get).put(orgs::update).delete(orgs::delete),
        )
        .route("/api/v1/vipps-orgs/{org_id}/status", get(orgs::status))
        .route("/vipps/login/start", get(login::start))
        .route("/vipps/login/callback", get(login::callback))
        .route(
            "/graphql",
            get(graphql::endpoint::get).post(graphql::endpoint::post),
        )
        .route("/graphiql", get(graphql::graphiql::page))
        .route("/graphiql/assets/{file}", get(graphql::graphiql::asset))
        .fallback(async || Error::NotFound("no such route".into()))
        .method_not_allowed_fallback(async || {
            Error::MethodNotAllowed("this route does not accept that HTTP method".into())
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(log::log_request))
        .with_state(AppState { app, schema })
}
