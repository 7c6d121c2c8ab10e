//! Background maintenance: expired login attempts and sessions are deleted in bounded
//! batches, off the request path. Every instance runs it; the deletes are idempotent, so
//! instances sharing a database only share the work.

use std::sync::Arc;
use std::time::Duration;

use crate::app::App;
use crate::db;
use crate::domain::Timestamp;
use crate::error::Result;

/// Expired rows are kept this long, so a late completion hears "expired" rather than
/// "unknown"; after that they are purged.
pub const KEEP_EXPIRED: Duration = Duration::from_secs(3600);

/// What one purge deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub login_attempts: usize,
    pub sessions: usize,
    /// Delete statements run (the last of each table is the one that came back short).
    pub batches: usize,
}

/// Deletes the login attempts and sessions that expired more than [`KEEP_EXPIRED`] ago,
/// `batch` rows per statement, until a statement deletes fewer than `batch`.
pub async fn purge_expired(app: &App, batch: u32) -> Result<Purged> {
    let cutoff = Timestamp::now().minus(KEEP_EXPIRED);
    let mut purged = Purged::default();
    loop {
        let deleted = db::login_attempts::purge_expired(&app.db, cutoff, batch).await?;
        purged.login_attempts += deleted;
        purged.batches += 1;
        if deleted < batch as usize {
            break;
        }
    }
    loop {
        let deleted = db::sessions::purge_expired(&app.db, cutoff, batch).await?;
        purged.sessions += deleted;
        purged.batches += 1;
        if deleted < batch as usize {
            break;
        }
    }
    Ok(purged)
}

/// Runs [`purge_expired`] every `PURGE_INTERVAL_SECS` (first one interval after start) with
/// `PURGE_BATCH_SIZE`, for ever. A failed purge is logged and tried again next time.
pub async fn purge_periodically(app: Arc<App>) {
    let every = Duration::from_secs(app.server.purge_interval_secs);
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match purge_expired(&app, app.server.purge_batch_size).await {
            Ok(purged) if purged.login_attempts + purged.sessions > 0 => tracing::info!(
                login_attempts = purged.login_attempts,
                sessions = purged.sessions,
                batches = purged.batches,
                "expired rows purged"
            ),
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(code = error.code(), error = %error, "purging expired rows failed");
            }
        }
    }
}
