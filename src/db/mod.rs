//! The database: two backends chosen at run time, queries written once.
//!
//! Every query lives in this module and runs through [`with_conn!`] (or [`read_conn!`],
//! which retries a read once on a fresh connection), which expands the
//! same body for PostgreSQL and for SQLite, so each is type-checked against both.
//! Nothing outside `db/` imports diesel.

pub mod audit;
pub mod consent;
pub mod login_attempts;
mod models;
pub mod orgs;
mod schema;
pub mod sessions;
pub mod tls;
pub mod users;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::result::{DatabaseErrorKind, Error as DieselError, QueryResult};
use diesel::{ConnectionError, SqliteConnection};
use diesel_async::pooled_connection::deadpool::{Pool, PoolError};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{
    AsyncConnection, AsyncMigrationHarness, AsyncPgConnection, SimpleAsyncConnection,
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::Error;
use tls::PgConnectOptions;

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// The PostgreSQL advisory lock that serializes migrations across instances.
const MIGRATION_LOCK_KEY: i64 = 0x7669_7070_7369_6400;

/// Fewest pooled connections: migrations on PostgreSQL hold two at once.
const MIN_POOL_SIZE: usize = 2;

/// How long a request waits for a free connection before the database counts as unavailable.
/// Connections are handed out without a test query (`RecyclingMethod::Fast`): a connection
/// that died shows up as a failed query (`DATABASE_UNAVAILABLE`, retryable) and is dropped,
/// instead of costing every query an extra round trip.
const POOL_WAIT: Duration = Duration::from_secs(5);

type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

/// Which database a `DATABASE_URL` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// Picks the backend from the URL scheme: `postgres://`/`postgresql://` or `sqlite://`.
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else if url.starts_with("sqlite://") {
            Ok(Self::Sqlite)
        } else {
            anyhow::bail!(
                "DATABASE_URL must start with `sqlite://`, `postgres://` or `postgresql://`"
            )
        }
    }
}

/// A pool's size and use at one moment.
pub use deadpool::Status as PoolStatus;

/// A pool of connections to one of the two backends, counting the statements it runs.
#[derive(Clone)]
pub struct DbPool {
    pools: Pools,
    statements: Arc<AtomicU64>,
}

/// The backend-specific pool inside a [`DbPool`].
#[derive(Clone)]
pub enum Pools {
    Postgres(Pool<AsyncPgConnection>),
    Sqlite(Pool<SqliteConn>),
}

/// Runs `$body` with `$conn` bound to a pooled connection of whichever backend is in use.
/// The body evaluates to a `diesel::QueryResult`; the macro maps failures to [`Error`].
/// Writes go through here: a write whose connection broke may have committed, so it is
/// not retried, but the broken connection is discarded like in [`read_conn!`].
macro_rules! with_conn {
    ($pool:expr, |$conn:ident| $body:expr) => {
        match &$pool.pools {
            $crate::db::Pools::Postgres(pool) => $crate::db::run_on!(pool, 1, |$conn| $body),
            $crate::db::Pools::Sqlite(pool) => $crate::db::run_on!(pool, 1, |$conn| $body),
        }
    };
}
pub(crate) use with_conn;

/// [`with_conn!`] for statements that only read: when the connection turns out to be
/// broken (the server restarted, an administrator ended it), the read runs once more on
/// a fresh connection.
macro_rules! read_conn {
    ($pool:expr, |$conn:ident| $body:expr) => {
        match &$pool.pools {
            $crate::db::Pools::Postgres(pool) => $crate::db::run_on!(pool, 2, |$conn| $body),
            $crate::db::Pools::Sqlite(pool) => $crate::db::run_on!(pool, 2, |$conn| $body),
        }
    };
}
pub(crate) use read_conn;

/// One backend's arm of [`with_conn!`] and [`read_conn!`]: up to `$attempts` runs of the
/// body, each on a connection of its own. A lost connection is taken out of the pool with
/// every idle one (a restart or failover ends them all at once), so the next run connects
/// afresh instead of meeting the next dead connection.
macro_rules! run_on {
    ($pool:expr, $attempts:expr, |$conn:ident| $body:expr) => {{
        let mut attempt = 1;
        loop {
            let mut object = $pool.get().await.map_err($crate::db::pool_error)?;
            let outcome = {
                let $conn = &mut *object;
                $body
            };
            match outcome {
                Err(error) if $crate::db::lost_connection(&error) => {
                    $crate::db::discard_connections($pool, object);
                    if attempt < $attempts {
                        attempt += 1;
                        tracing::warn!("database connection lost during a read; retrying once");
                        continue;
                    }
                    break Err($crate::db::query_error(error));
                }
                outcome => break outcome.map_err($crate::db::query_error),
            }
        }
    }};
}
pub(crate) use run_on;

/// Takes a connection found broken out of its pool for good, and every idle connection
/// with it: they went down together more often than not, and a new one costs one connect.
pub(crate) fn discard_connections<M: deadpool::managed::Manager>(
    pool: &deadpool::managed::Pool<M>,
    broken: deadpool::managed::Object<M>,
) {
    drop(deadpool::managed::Object::take(broken));
    pool.retain(|_, _| false);
}

impl DbPool {
    /// Builds the pool for `url` (nothing connects until the first query).
    pub fn connect(url: &str, size: usize) -> anyhow::Result<Self> {
        macro_rules! pool {
            ($manager:expr) => {
                Pool::builder($manager)
                    .max_size(size.max(MIN_POOL_SIZE))
                    .runtime(deadpool::Runtime::Tokio1)
                    .wait_timeout(Some(POOL_WAIT))
                    .create_timeout(Some(POOL_WAIT))
                    .build()
                    .context("building the database pool")?
            };
        }
        let statements = Arc::new(AtomicU64::new(0));
        let pools = match Backend::from_url(url)? {
            Backend::Postgres => {
                let mut config = ManagerConfig::<AsyncPgConnection>::default();
                config.recycling_method = RecyclingMethod::Fast;
                let counter = statements.clone();
                let options = Arc::new(PgConnectOptions::parse(url)?);
                tracing::info!(sslmode = ?options.mode, "PostgreSQL connections");
                config.custom_setup =
                    Box::new(move |_| Box::pin(open_postgres(options.clone(), counter.clone())));
                Pools::Postgres(pool!(
                    AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config)
                ))
            }
            Backend::Sqlite => {
                let mut config = ManagerConfig::<SqliteConn>::default();
                config.recycling_method = RecyclingMethod::Fast;
                let counter = statements.clone();
                config.custom_setup =
                    Box::new(move |url| Box::pin(open_sqlite(url.to_owned(), counter.clone())));
                Pools::Sqlite(pool!(
                    AsyncDieselConnectionManager::<SqliteConn>::new_with_config(url, config)
                ))
            }
        };
        Ok(Self { pools, statements })
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Postgres(_) => Backend::Postgres,
            Pools::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// The pool's size, connections in use and waiters, as of now.
    pub fn status(&self) -> PoolStatus {
        match &self.pools {
            Pools::Postgres(pool) => pool.status(),
            Pools::Sqlite(pool) => pool.status(),
        }
    }

    /// How many SQL statements this pool's connections have run (migrations included).
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Applies every pending embedded migration; returns how many ran.
    /// Needs the multi-threaded tokio runtime (the harness blocks in place).
    pub async fn migrate(&self) -> anyhow::Result<usize> {
        let applied = match &self.pools {
            Pools::Postgres(pool) => {
                // Instances that start together take turns: a session lock held on a
                // second connection while the harness migrates on its own.
                let mut lock = pool.get().await.context("connecting to PostgreSQL")?;
                lock.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                    .await
                    .context("taking the migration lock")?;
                let applied = AsyncMigrationHarness::new(
                    pool.get().await.context("connecting to PostgreSQL")?,
                )
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|applied| applied.len());
                lock.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                    .await
                    .context("releasing the migration lock")?;
                applied
            }
            Pools::Sqlite(pool) => {
                let mut harness = AsyncMigrationHarness::new(
                    pool.get().await.context("opening the SQLite database")?,
                );
                harness
                    .run_pending_migrations(SQLITE_MIGRATIONS)
                    .map(|applied| applied.len())
            }
        };
        applied.map_err(|e| anyhow::anyhow!("applying migrations: {e}"))
    }

    /// Answers whether the database takes a query right now.
    pub async fn ping(&self) -> Result<(), Error> {
        with_conn!(self, |conn| conn.batch_execute("SELECT 1").await)
    }
}

/// Counts every statement a connection starts.
fn count_statements(counter: Arc<AtomicU64>) -> impl Instrumentation {
    move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { .. } = event {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Opens one PostgreSQL connection, over TLS as `sslmode` says.
async fn open_postgres(
    options: Arc<PgConnectOptions>,
    counter: Arc<AtomicU64>,
) -> Result<AsyncPgConnection, ConnectionError> {
    let (client, connection) = options
        .config
        .connect(options.tls.clone())
        .await
        .map_err(|e| ConnectionError::BadConnection(with_causes(&e)))?;
    let mut conn = AsyncPgConnection::try_from_client_and_connection(client, connection).await?;
    conn.set_instrumentation(count_statements(counter));
    Ok(conn)
}

/// An error's message followed by its causes' (tokio-postgres keeps the reason a TLS
/// handshake failed in the cause). None of them holds the URL or its password.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let text = inner.to_string();
        if !message.ends_with(&text) {
            message = format!("{message}: {text}");
        }
        cause = inner.source();
    }
    message
}

/// Opens one SQLite connection with the settings every connection needs.
async fn open_sqlite(url: String, counter: Arc<AtomicU64>) -> Result<SqliteConn, ConnectionError> {
    let mut conn = SqliteConn::establish(&url).await?;
    conn.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
        .await
        .map_err(ConnectionError::CouldntSetupConfiguration)?;
    conn.set_instrumentation(count_statements(counter));
    Ok(conn)
}

/// Whether a write went through: `Ok(false)` when it broke a constraint of kind `kind`
/// (a taken key, a vanished parent row), which the caller turns into its own answer.
pub(crate) fn unless_violated(
    outcome: QueryResult<usize>,
    kind: DatabaseErrorKind,
) -> Result<bool, Error> {
    match outcome {
        Ok(_) => Ok(true),
        Err(DieselError::DatabaseError(found, _)) if found == kind => Ok(false),
        Err(other) => Err(query_error(other)),
    }
}

/// A pool that cannot hand out a connection means the database is unavailable.
pub(crate) fn pool_error(error: PoolError) -> Error {
    Error::DatabaseUnavailable(anyhow::Error::new(error).context("getting a database connection"))
}

/// Whether a query failed because its connection is gone, so that a fresh connection
/// may well succeed.
pub(crate) fn lost_connection(error: &DieselError) -> bool {
    match error {
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        ) => true,
        DieselError::DatabaseError(_, info) => is_connection_failure(info.message()),
        _ => false,
    }
}

/// Sorts query failures into "try again" (connection lost, SQLite busy, a PostgreSQL
/// deadlock or serialization failure) and internal faults.
pub(crate) fn query_error(error: DieselError) -> Error {
    // diesel-async reports a tokio-postgres error without SQLSTATE (I/O failure,
    // "connection closed") as `UnableToSendCommand`, which `lost_connection` counts.
    if lost_connection(&error) {
        return Error::DatabaseUnavailable(error.into());
    }
    match &error {
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
            Error::DatabaseUnavailable(error.into())
        }
        DieselError::DatabaseError(_, info)
            if info.message().contains("database is locked")
                || info.message().contains("database is busy")
                || info.message().contains("deadlock detected") =>
        {
            Error::DatabaseUnavailable(error.into())
        }
        _ => Error::Internal(anyhow::Error::new(error).context("database query")),
    }
}

/// Whether a server message says the connection itself is gone: SQLSTATE 57P01
/// (administrator command), 57P02 (crash of another process), 57P03 (cannot connect now)
/// and class 08 (connection exception). diesel does not expose the SQLSTATE, so the
/// message PostgreSQL sends with each of these decides.
fn is_connection_failure(message: &str) -> bool {
    const MARKERS: &[&str] = &[
        "terminating connection",
        "the database system is shutting down",
        "the database system is starting up",
        "the database system is in recovery mode",
        "connection closed",
        "connection reset",
        "broken pipe",
        "server closed the connection",
    ];
    let message = message.to_ascii_lowercase();
    MARKERS.iter().any(|marker| message.contains(marker))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_error(kind: DatabaseErrorKind, message: &str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn connection_failures_are_unavailable_not_internal() {
        for error in [
            db_error(DatabaseErrorKind::ClosedConnection, "closed"),
            db_error(DatabaseErrorKind::UnableToSendCommand, "connection closed"),
            db_error(
                DatabaseErrorKind::Unknown,
                "terminating connection due to administrator command",
            ),
            db_error(
                DatabaseErrorKind::Unknown,
                "the database system is shutting down",
            ),
            db_error(
                DatabaseErrorKind::Unknown,
                "the database system is starting up",
            ),
        ] {
            assert!(
                matches!(query_error(error), Error::DatabaseUnavailable(_)),
                "should be unavailable"
            );
        }
        assert!(matches!(
            query_error(db_error(DatabaseErrorKind::Unknown, "syntax error")),
            Error::Internal(_)
        ));
    }
}
