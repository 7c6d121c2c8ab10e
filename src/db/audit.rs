//! Queries on `audit_events`, written once for both backends.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::audit_events;
use super::with_conn;
use crate::domain::{
    AuditEvent, AuditKind, AuditPage, AuditQuery, NewAuditEvent, OrgId, Timestamp, UserId,
};
use crate::error::{Error, Result};

/// A new row; the database numbers it.
#[derive(Insertable)]
#[diesel(table_name = audit_events, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(super) struct NewAuditRow {
    occurred_at: NaiveDateTime,
    org_id: String,
    kind: &'static str,
    actor: String,
    user_id: Option<String>,
    detail: String,
}

impl NewAuditRow {
    pub(super) fn new(event: &NewAuditEvent, now: Timestamp) -> Self {
        Self::from_parts(
            event.org_id.as_str(),
            event.kind,
            &event.actor.to_string(),
            event.user_id.as_ref().map(UserId::as_str),
            &event.detail,
            now,
        )
    }

    /// A row for a write inside another query's transaction, where ids are still text.
    pub(super) fn from_parts(
        org_id: &str,
        kind: AuditKind,
        actor: &str,
        user_id: Option<&str>,
        detail: &serde_json::Value,
        now: Timestamp,
    ) -> Self {
        Self {
            occurred_at: now.naive_utc(),
            org_id: org_id.to_owned(),
            kind: kind.as_str(),
            actor: actor.to_owned(),
            user_id: user_id.map(str::to_owned),
            detail: detail.to_string(),
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = audit_events, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct AuditRow {
    id: i64,
    occurred_at: NaiveDateTime,
    org_id: String,
    kind: String,
    actor: String,
    user_id: Option<String>,
    detail: String,
}

impl AuditRow {
    fn into_domain(self) -> Result<AuditEvent> {
        let corrupt = |what: &str| {
            Error::Internal(anyhow::anyhow!(
                "stored audit event {} has an invalid {what}",
                self.id
            ))
        };
        Ok(AuditEvent {
            id: self.id,
            occurred_at: Timestamp::from_utc(self.occurred_at),
            org_id: OrgId::parse(&self.org_id).map_err(|_| corrupt("org_id"))?,
            kind: AuditKind::parse(&self.kind).ok_or_else(|| corrupt("kind"))?,
            detail: serde_json::from_str(&self.detail).map_err(|_| corrupt("detail"))?,
            actor: self.actor,
            user_id: self.user_id,
        })
    }
}

/// Records one event.
pub async fn insert(pool: &super::DbPool, event: &NewAuditEvent) -> Result<()> {
    let row = NewAuditRow::new(event, Timestamp::now());
    with_conn!(pool, |conn| diesel::insert_into(audit_events::table)
        .values(&row)
        .execute(conn)
        .await)?;
    Ok(())
}

/// One page of an organization's events, newest first: the events with an id below the
/// cursor, read along the `(org_id, id)` index. One statement, fetching one row more than
/// the page to learn whether another page follows.
pub async fn list(pool: &super::DbPool, query: &AuditQuery) -> Result<AuditPage> {
    let org = query.org_id.as_str();
    let kinds: Vec<&str> = query.kinds.iter().map(|k| k.as_str()).collect();
    let limit = i64::from(query.limit);
    let rows: Vec<AuditRow> = with_conn!(pool, |conn| {
        let mut select = audit_events::table
            .filter(audit_events::org_id.eq(org))
            .into_boxed();
        if !kinds.is_empty() {
            select = select.filter(audit_events::kind.eq_any(&kinds));
        }
        if let Some(after) = query.after {
            select = select.filter(audit_events::id.lt(after.before_id()));
        }
        select
            .order(audit_events::id.desc())
            .limit(limit + 1)
            .select(AuditRow::as_select())
            .load(conn)
            .await
    })?;
    let mut items = rows
        .into_iter()
        .map(AuditRow::into_domain)
        .collect::<Result<Vec<_>>>()?;
    let more = items.len() > query.limit as usize;
    items.truncate(query.limit as usize);
    let next_cursor = if more {
        items.last().map(AuditEvent::cursor)
    } else {
        None
    };
    Ok(AuditPage { items, next_cursor })
}

/// Deletes at most `batch` of the events that occurred before `cutoff`, in one statement;
/// returns how many. Several instances may run it at once: deleting twice is harmless.
pub async fn purge_older(pool: &super::DbPool, cutoff: Timestamp, batch: u32) -> Result<usize> {
    let batch = i64::from(batch);
    let old = diesel::alias!(audit_events as old);
    with_conn!(pool, |conn| diesel::delete(
        audit_events::table.filter(
            audit_events::id.eq_any(
                old.select(old.field(audit_events::id))
                    .filter(old.field(audit_events::occurred_at).lt(cutoff.naive_utc()))
                    .limit(batch)
            )
        )
    )
    .execute(conn)
    .await)
}
