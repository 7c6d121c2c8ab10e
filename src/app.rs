//! The application state shared by every request.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::auth::{AdminToken, MetricsToken};
use crate::config::{Config, LoginConfig, ServerConfig};
use crate::db::DbPool;
use crate::limits::RateLimits;
use crate::metrics::Metrics;
use crate::secrets::SecretResolver;
use crate::sessions::SessionKeys;
use crate::vipps::VippsClient;

/// Login settings.
pub struct LoginSettings {
    /// How long a started login stays valid.
    pub ttl: Duration,
    /// Whether clients reach the server over https (`PUBLIC_BASE_URL`): the login cookie is
    /// then `Secure`.
    pub secure_cookies: bool,
    /// Where clients reach the server (`PUBLIC_BASE_URL`), for the absolute URLs it shows.
    pub public_base_url: Option<url::Url>,
}

/// Everything a request needs: the database, the admin token, the Vipps client and the
/// secret resolver.
pub struct App {
    pub db: DbPool,
    pub admin: AdminToken,
    pub vipps: VippsClient,
    pub secrets: SecretResolver,
    pub sessions: SessionKeys,
    pub login: LoginSettings,
    /// This instance's rate limits.
    pub limits: Arc<RateLimits>,
    /// This instance's Prometheus metrics.
    pub metrics: Metrics,
    /// What `GET /metrics` asks for (`METRICS_TOKEN`); `None`: the metrics are public.
    pub metrics_token: Option<MetricsToken>,
    /// Connection limits, timeouts and the purge schedule, read by [`crate::serve`].
    pub server: ServerConfig,
    /// Serializes organization updates within this instance; the optimistic check in
    /// `service::orgs::update` covers other instances.
    pub org_updates: tokio::sync::Mutex<()>,
}

impl App {
    /// Applies pending migrations, checks the JWT crypto backend and sets up the clients.
    pub async fn new(
        db: DbPool,
        admin: AdminToken,
        login: &LoginConfig,
    ) -> anyhow::Result<Arc<Self>> {
        crate::vipps::self_test()?;
        let (sessions, generated) = SessionKeys::load_or_create(
            &login.session_key_file,
            &login.session_issuer,
            Duration::from_secs(login.session_ttl_secs),
        )?;
        if generated {
            tracing::warn!(
                file = %login.session_key_file.display(),
                "generated a new session signing key; keep this file (and share it between instances)"
            );
        }
        let applied = db.migrate().await.context("migrating the database")?;
        tracing::info!(backend = ?db.backend(), applied, "database ready");
        let vault_http = reqwest::Client::builder()
            .timeout(Duration::from_secs(login.vipps_timeout_secs))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("building the HTTP client for Vault")?;
        let metrics = Metrics::new();
        Ok(Arc::new(Self {
            db,
            admin,
            vipps: VippsClient::new(login, metrics.upstream.clone())?,
            secrets: SecretResolver::new(login, vault_http, metrics.upstream.clone()),
            sessions,
            login: LoginSettings {
                ttl: Duration::from_secs(login.login_ttl_secs),
                secure_cookies: login
                    .public_base_url
                    .as_ref()
                    .is_some_and(|url| url.scheme() == "https"),
                public_base_url: login.public_base_url.clone(),
            },
            limits: RateLimits::start(&login.limits, metrics.refusals.clone()),
            metrics,
            metrics_token: login.server.metrics_token.as_deref().map(MetricsToken::new),
            server: login.server.clone(),
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
        Ok((Self::new(db, admin, &config.login).await?, generated))
    }
}
