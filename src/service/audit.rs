//! The audit trail: recording events where the operations happen, and the admin read.

use crate::app::App;
use crate::auth::Admin;
use crate::db;
use crate::domain::{AuditPage, AuditQuery, NewAuditEvent};
use crate::error::Result;

/// Records an event of an operation that has succeeded; a failure to record fails the call
/// (the operation itself is done, and the caller learns that its trail is incomplete).
pub async fn record(app: &App, event: NewAuditEvent) -> Result<()> {
    db::audit::insert(&app.db, &event).await
}

/// Records the event of an operation that failed: the operation's own error is what the
/// caller hears, so a failure to record is logged instead of answered.
pub async fn record_failure(app: &App, event: NewAuditEvent) {
    if let Err(error) = db::audit::insert(&app.db, &event).await {
        tracing::warn!(
            code = error.code(),
            kind = event.kind.as_str(),
            org_id = %event.org_id,
            "recording an audit event failed"
        );
    }
}

/// One page of an organization's audit trail, newest first (admin).
pub async fn list(app: &App, _admin: &Admin, query: &AuditQuery) -> Result<AuditPage> {
    db::audit::list(&app.db, query).await
}
