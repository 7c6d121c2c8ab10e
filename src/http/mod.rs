//! The HTTP edge: one route table for REST, the `/graphql` endpoint, GraphiQL, health
//! checks and metrics, the server loop, CORS and request ids. Every request's caller is
//! parsed here, once.

mod client_addr;
mod consent;
mod cors;
mod drain;
pub mod error;
mod extract;
mod format;
mod graphiql;
mod graphql;
mod health;
mod jsv;
mod jwks;
mod log;
mod login;
mod metrics;
mod openapi;
mod orgs;
mod request_id;
mod server;
mod sessions;
mod timeout;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::routing::get;
use tokio::net::TcpListener;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;
use crate::graphql::{AppSchema, DocumentCache};
use error::HttpError;

/// The largest request body the server reads (REST and GraphQL alike).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What handlers can extract: the app, the GraphQL schema built over it, and the parsed
/// documents of the queries it has seen.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub app: Arc<App>,
    pub schema: AppSchema,
    pub documents: Arc<DocumentCache>,
}

/// The REST routes, each with its OpenAPI description.
fn rest_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(orgs::list, orgs::create))
        .routes(routes!(orgs::get, orgs::update, orgs::delete))
        .routes(routes!(orgs::status))
        .routes(routes!(sessions::logout))
        .routes(routes!(sessions::introspect))
        .routes(routes!(jwks::jwks))
        .routes(routes!(consent::revoke))
        .routes(routes!(health::alive))
        .routes(routes!(health::ready))
}

/// The login routes, apart because browsers may call them with credentials (CORS).
fn login_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login::start))
        .routes(routes!(login::callback))
        .routes(routes!(login::callback_json))
        .routes(routes!(login::callback_jsv))
}

/// The OpenAPI 3.1 document of the REST API, as `GET /openapi.json` serves it.
pub fn openapi() -> utoipa::openapi::OpenApi {
    rest_routes().merge(login_routes()).split_for_parts().1
}

/// Every route of the server.
pub fn router(app: Arc<App>) -> Router {
    let schema = crate::graphql::build_schema(app.clone());
    let (rest, _) = rest_routes().split_for_parts();
    let (login, _) = login_routes().split_for_parts();
    let routes = rest
        .route("/openapi.json", openapi::serve(Arc::new(openapi())))
        .route("/metrics", get(metrics::metrics))
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphiql", get(graphiql::page))
        .route("/graphiql/assets/{file}", get(graphiql::asset));
    // The 405 answer is set before CORS, so a preflight of any route reaches CORS first.
    let (routes, login_routes) = (
        routes.method_not_allowed_fallback(method_not_allowed),
        login.method_not_allowed_fallback(method_not_allowed),
    );
    let (routes, login_routes) = match cors::layers(&app.server.cors_allowed_origins) {
        Some((plain, credentialed)) => (routes.layer(plain), login_routes.layer(credentialed)),
        None => (routes, login_routes),
    };
    routes
        .merge(login_routes)
        .fallback(async || HttpError::NoRoute("no such route"))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(drain::drain_unread_body))
        .layer(axum::middleware::from_fn_with_state(
            Duration::from_secs(app.server.request_timeout_secs),
            timeout::limit_request_time,
        ))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            log::log_request,
        ))
        .layer(axum::middleware::from_fn(request_id::assign))
        .with_state(AppState {
            app,
            schema,
            documents: Arc::default(),
        })
}

async fn method_not_allowed() -> HttpError {
    HttpError::MethodNotAllowed("this route does not accept that HTTP method")
}

/// Serves the REST and GraphQL API on `listener` until `shutdown` completes, then lets the
/// requests in flight finish (within `SHUTDOWN_GRACE_SECS`). Handlers can extract the
/// client's address as `ConnectInfo<SocketAddr>`. Expired rows are purged in the background
/// meanwhile.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let limits = server::Limits::from(&app.server);
    let purge = tokio::spawn(crate::service::maintenance::purge_periodically(app.clone()));
    server::run(router(app), listener, limits, shutdown).await;
    purge.abort();
    Ok(())
}
