//! Background maintenance: expired login attempts and sessions, and audit events past their
//! retention, are deleted in bounded batches, off the request path. Every instance runs it; the deletes are idempotent, so
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

/// Deletes the audit events older than `retention_days` days (none when it is 0: kept for
/// ever), `batch` rows per statement, until a statement deletes fewer than `batch`; returns
/// how many.
pub async fn purge_audit(app: &App, retention_days: u32, batch: u32) -> Result<usize> {
    if retention_days == 0 {
        return Ok(0);
    }
    let retention = Duration::from_secs(u64::from(retention_days) * 86_400);
    purge_audit_before(app, Timestamp::now().minus(retention), batch).await
}

/// Deletes the audit events that occurred before `cutoff`, `batch` rows per statement;
/// returns how many.
pub async fn purge_audit_before(app: &App, cutoff: Timestamp, batch: u32) -> Result<usize> {
    let mut purged = 0;
    loop {
        let deleted = db::audit::purge_older(&app.db, cutoff, batch).await?;
        purged += deleted;
        if deleted < batch as usize {
            return Ok(purged);
        }
    }
}

/// Folds each organization's user count rows into one, `batch` organizations per
/// statement, until a statement comes back short; returns how many organizations. Keeps
/// `total` a sum of a few rows however many users came and went one by one.
pub async fn fold_user_counts(app: &App, batch: u32) -> Result<usize> {
    let mut folded = 0;
    loop {
        let done = db::users::fold_user_counts(&app.db, batch).await?;
        folded += done;
        if done < batch as usize {
            return Ok(folded);
        }
    }
}

/// Runs [`purge_expired`], [`purge_audit`] and [`fold_user_counts`] every `PURGE_INTERVAL_SECS` (first one interval after start) with
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
        let retention_days = app.server.audit_retention_days;
        match purge_audit(&app, retention_days, app.server.purge_batch_size).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, retention_days, "old audit events purged"),
            Err(error) => {
                tracing::warn!(code = error.code(), error = %error, "purging audit events failed");
            }
        }
        if let Err(error) = fold_user_counts(&app, app.server.purge_batch_size).await {
            tracing::warn!(code = error.code(), error = %error, "folding user counts failed");
        }
    }
}
