//! The application state shared by every request, and the server loop.

use std::future::Future;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::TcpListener;

use crate::auth::AdminToken;
use crate::config::Config;
use crate::db::DbPool;

/// Everything a request needs: the database and the admin token.
pub struct App {
    pub db: DbPool,
    pub admin: AdminToken,
    /// Serializes organization updates within this instance; the optimistic check in
    /// `service::orgs::update` covers other instances.
    pub org_updates: tokio::sync::Mutex<()>,
}

impl App {
    /// Connects to the database, applies pending migrations and sets up the admin token.
    pub async fn new(db: DbPool, admin: AdminToken) -> anyhow::Result<Arc<Self>> {
        let applied = db.migrate().await.context("migrating the database")?;
        tracing::info!(backend = ?db.backend(), applied, "database ready");
        Ok(Arc::new(Self {
            db,
            admin,
            org_updates: tokio::sync::Mutex::new(()),
        }))
    }

    /// Builds the app from configuration. When no admin token is configured, returns the one
    /// generated for this run so the caller can show it once.
    pub async fn from_config(config: &Config) -> anyhow::Result<(Arc<Self>, Option<String>)> {
        let db = DbPool::connect(&config.database_url, usize::from(config.database_pool_size))?;
        let (admin, generated) = match &config.admin_token {
            Some(token) => (AdminToken::new(token)?, None),
            None => {
                let (admin, token) = AdminToken::generate()?;
                (admin, Some(token))
            }
        };
        Ok((Self::new(db, admin).await?, generated))
    }
}

/// Serves the REST and GraphQL API on `listener` until `shutdown` completes, then lets the
/// requests in flight finish.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let router = crate::http::router(app);
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP")
}
