//! A fake Vipps Login provider (OpenID Connect on ORY Hydra, as Vipps runs it) for tests and
//! local development.
//!
//! It speaks the real protocol with the real shapes: discovery at
//! `/access-management-1.0/access/.well-known/openid-configuration`, a JWKS with
//! `public:<uuid>` key ids, the authorization-code flow with PKCE, RS256 ID tokens, and
//! `/vipps-userinfo-api/userinfo`. Tests steer it (approve, deny, faults, key rotation) and
//! inspect every request it received. It is its own router, started by [`MockVipps::start`];
//! `serve` never mounts it.

mod args;
mod authorize;
mod config;
mod discovery;
mod errors;
mod faults;
mod keys;
mod random;
mod record;
mod token;
mod userinfo;
mod users;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use anyhow::Context as _;
use axum::Router;
use axum::routing::{MethodRouter, get, post};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use args::MockArgs;
pub use config::{AuthorizeMode, MockAuthMethod, MockClient, MockConfig};
pub use faults::{ErrorShape, Fault, IdTokenForgery};
pub use record::{Endpoint, RecordedRequest};
pub use users::{MockAddress, MockUser};

use faults::Faults;
use keys::{KeyStore, SigningKey};
use token::{AccessGrant, CodeGrant};

/// The issuer's path, trailing slash included, as Vipps has it.
const ISSUER_PATH: &str = "/access-management-1.0/access/";
const DISCOVERY_PATH: &str = "/access-management-1.0/access/.well-known/openid-configuration";
const JWKS_PATH: &str = "/access-management-1.0/access/.well-known/jwks.json";
const AUTHORIZE_PATH: &str = "/access-management-1.0/access/oauth2/auth";
const DECISION_PATH: &str = "/access-management-1.0/access/oauth2/auth/decision";
const TOKEN_PATH: &str = "/access-management-1.0/access/oauth2/token";
const USERINFO_PATH: &str = "/vipps-userinfo-api/userinfo";

/// State shared by the handlers and the [`MockVipps`] handle.
struct Shared {
    /// `http://host:port`, no trailing slash.
    base_url: String,
    clients: Vec<MockClient>,
    users: Vec<MockUser>,
    authorize: RwLock<AuthorizeMode>,
    keys: RwLock<KeyStore>,
    faults: Mutex<Faults>,
    codes: Mutex<HashMap<String, CodeGrant>>,
    tokens: Mutex<HashMap<String, AccessGrant>>,
    requests: Mutex<Vec<RecordedRequest>>,
    /// `max-age` of the discovery document and the JWKS.
    max_age: std::sync::atomic::AtomicU64,
}

impl Shared {
    fn issuer(&self) -> String {
        format!("{}{ISSUER_PATH}", self.base_url)
    }

    fn client(&self, client_id: &str) -> Option<&MockClient> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }
}

/// Locks, ignoring poisoning (the state stays consistent: every update is a single step).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// A running mock Vipps Login provider.
pub struct MockVipps {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl MockVipps {
    /// Starts serving on `listener` (tests bind 127.0.0.1:0). Generates the signing keys first.
    pub async fn start(config: MockConfig, listener: TcpListener) -> anyhow::Result<MockVipps> {
        let addr = listener
            .local_addr()
            .context("reading the mock's bound address")?;
        let keys = tokio::task::spawn_blocking(KeyStore::generate)
            .await
            .context("key generation task")??;
        let host = if addr.ip().is_unspecified() {
            SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
        } else {
            addr
        };
        let shared = Arc::new(Shared {
            base_url: format!("http://{host}"),
            clients: config.clients,
            users: config.users,
            authorize: RwLock::new(config.authorize),
            keys: RwLock::new(keys),
            faults: Mutex::new(Faults::default()),
            codes: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            requests: Mutex::new(Vec::new()),
            max_age: std::sync::atomic::AtomicU64::new(3600),
        });
        let app = router(&shared);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(MockVipps {
            addr,
            shared,
            stop,
            task,
        })
    }

    /// The address the mock listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/access-management-1.0/access/` (trailing slash, like Vipps).
    pub fn issuer(&self) -> String {
        self.shared.issuer()
    }

    /// The `Cache-Control: max-age` (seconds) of the discovery document and the JWKS from now
    /// on (Vipps sends 3600).
    pub fn set_max_age(&self, seconds: u64) {
        self.shared
            .max_age
            .store(seconds, std::sync::atomic::Ordering::Relaxed);
    }

    /// How authorize answers from now on.
    pub fn set_authorize(&self, mode: AuthorizeMode) {
        *write(&self.shared.authorize) = mode;
    }

    /// Switches a fault on, until [`clear_faults`](Self::clear_faults). Several may be active:
    /// one per [`Endpoint`] (a new one replaces the old), plus ID token forgeries (when several
    /// decide the signature, the last one injected wins).
    ///
    /// # Panics
    /// If a forgery needs a rogue RSA key and the system cannot generate one.
    pub fn inject(&self, fault: Fault) {
        let needs_rogue = matches!(
            fault,
            Fault::IdToken(IdTokenForgery::BadSignature | IdTokenForgery::UnknownKid)
        );
        if needs_rogue && !read(&self.shared.keys).has_rogue() {
            let rogue = SigningKey::generate().expect("generating a rogue RSA key");
            write(&self.shared.keys).set_rogue(rogue);
        }
        lock(&self.shared.faults).inject(fault);
    }

    /// Switches every fault off.
    pub fn clear_faults(&self) {
        *lock(&self.shared.faults) = Faults::default();
    }

    /// A new RSA key with a new `kid` (`public:<uuid>`) signs from now on; `keep_old` keeps the
    /// old public keys in the JWKS, otherwise only the new key is published.
    ///
    /// # Panics
    /// If the system cannot generate an RSA key.
    pub fn rotate_keys(&self, keep_old: bool) {
        let next = SigningKey::generate().expect("generating an RSA key for rotation");
        write(&self.shared.keys).rotate(next, keep_old);
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// How many requests reached `endpoint`.
    pub fn request_count(&self, endpoint: Endpoint) -> usize {
        lock(&self.shared.requests)
            .iter()
            .filter(|r| r.endpoint == endpoint)
            .count()
    }

    /// Forgets the recorded requests.
    pub fn reset_requests(&self) {
        lock(&self.shared.requests).clear();
    }

    /// Graceful stop: finishes requests in flight, then returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(%error, "mock Vipps server failed"),
            Err(error) => tracing::error!(%error, "mock Vipps server task failed"),
        }
    }
}

/// The mock's routes, each behind the recording and fault layer for its endpoint.
fn router(shared: &Arc<Shared>) -> Router {
    let layered = |route: MethodRouter<Arc<Shared>>, endpoint: Endpoint| {
        route.layer(axum::middleware::from_fn_with_state(
            (Arc::clone(shared), endpoint),
            record::intercept,
        ))
    };
    Router::new()
        .route(
            DISCOVERY_PATH,
            layered(get(discovery::discovery), Endpoint::Discovery),
        )
        .route(JWKS_PATH, layered(get(discovery::jwks), Endpoint::Jwks))
        .route(
            AUTHORIZE_PATH,
            layered(get(authorize::authorize), Endpoint::Authorize),
        )
        .route(
            DECISION_PATH,
            layered(post(authorize::decision), Endpoint::Authorize),
        )
        .route(TOKEN_PATH, layered(post(token::token), Endpoint::Token))
        .route(
            USERINFO_PATH,
            layered(get(userinfo::userinfo), Endpoint::Userinfo),
        )
        .with_state(Arc::clone(shared))
}
