//! The audit trail in GraphQL: the admin query `auditEvents`, paged by cursor.

use async_graphql::{Context, Enum, Json, Object, SimpleObject};

use super::app;
use super::error::GqlError;
use super::orgs::require_admin;
use super::scalars::DateTime;
use crate::domain::{self, AuditQuery};
use crate::service::audit;

type Result<T> = std::result::Result<T, GqlError>;

/// What an audit event records.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum AuditEventKind {
    /// A login completed; the user got a session (`detail.environment`).
    LoginSucceeded,
    /// A login failed after it was started (`detail.code`, and `detail.vipps_error` when
    /// Vipps refused it).
    LoginFailed,
    /// The user cancelled a login in Vipps.
    LoginCancelled,
    /// A user was created, by a first login (`detail.via: "login"`) or by an admin (`"admin"`).
    UserCreated,
    /// A Vipps identity was linked to a user by a login.
    UserLinked,
    /// An admin unlinked a Vipps identity from a user.
    UserUnlinked,
    /// An admin deleted a user.
    UserDeleted,
    /// Sessions ended by logout or admin revocation (`detail.reason`, `detail.sessions_ended`).
    SessionEnded,
    /// Vipps reported that the user revoked their consent: the profile data from Vipps was
    /// removed and the user's sessions ended.
    ConsentRevoked,
    /// An admin rotated the organization's consent revocation URL.
    ConsentUrlRotated,
    /// An admin created the organization.
    OrgCreated,
    /// An admin changed the organization (`detail.fields`).
    OrgUpdated,
    /// An admin deleted the organization.
    OrgDeleted,
}

impl From<AuditEventKind> for domain::AuditKind {
    fn from(kind: AuditEventKind) -> Self {
        match kind {
            AuditEventKind::LoginSucceeded => Self::LoginSucceeded,
            AuditEventKind::LoginFailed => Self::LoginFailed,
            AuditEventKind::LoginCancelled => Self::LoginCancelled,
            AuditEventKind::UserCreated => Self::UserCreated,
            AuditEventKind::UserLinked => Self::UserLinked,
            AuditEventKind::UserUnlinked => Self::UserUnlinked,
            AuditEventKind::UserDeleted => Self::UserDeleted,
            AuditEventKind::SessionEnded => Self::SessionEnded,
            AuditEventKind::ConsentRevoked => Self::ConsentRevoked,
            AuditEventKind::ConsentUrlRotated => Self::ConsentUrlRotated,
            AuditEventKind::OrgCreated => Self::OrgCreated,
            AuditEventKind::OrgUpdated => Self::OrgUpdated,
            AuditEventKind::OrgDeleted => Self::OrgDeleted,
        }
    }
}

impl From<domain::AuditKind> for AuditEventKind {
    fn from(kind: domain::AuditKind) -> Self {
        match kind {
            domain::AuditKind::LoginSucceeded => Self::LoginSucceeded,
            domain::AuditKind::LoginFailed => Self::LoginFailed,
            domain::AuditKind::LoginCancelled => Self::LoginCancelled,
            domain::AuditKind::UserCreated => Self::UserCreated,
            domain::AuditKind::UserLinked => Self::UserLinked,
            domain::AuditKind::UserUnlinked => Self::UserUnlinked,
            domain::AuditKind::UserDeleted => Self::UserDeleted,
            domain::AuditKind::SessionEnded => Self::SessionEnded,
            domain::AuditKind::ConsentRevoked => Self::ConsentRevoked,
            domain::AuditKind::ConsentUrlRotated => Self::ConsentUrlRotated,
            domain::AuditKind::OrgCreated => Self::OrgCreated,
            domain::AuditKind::OrgUpdated => Self::OrgUpdated,
            domain::AuditKind::OrgDeleted => Self::OrgDeleted,
        }
    }
}

/// Something that happened in an organization. Never holds a secret or token.
#[derive(SimpleObject)]
pub struct AuditEvent {
    /// When it happened.
    occurred_at: DateTime,
    /// The organization it happened in (kept after the organization is deleted).
    org_id: String,
    /// What happened.
    kind: AuditEventKind,
    /// Who did it: `admin`, `user:<id>`, `vipps` (consent revocation) or `anonymous` (a
    /// login that failed before it reached a user).
    actor: String,
    /// The user it concerns, if any (kept after the user is deleted).
    user_id: Option<String>,
    /// A small JSON object with the particulars of the kind, `snake_case` keys (`code`,
    /// `fields`, `sessions_ended` …).
    detail: Json<serde_json::Value>,
}

impl From<domain::AuditEvent> for AuditEvent {
    fn from(event: domain::AuditEvent) -> Self {
        Self {
            occurred_at: DateTime(event.occurred_at),
            org_id: event.org_id.to_string(),
            kind: event.kind.into(),
            actor: event.actor,
            user_id: event.user_id,
            detail: Json(event.detail),
        }
    }
}

/// One page of audit events, newest first.
#[derive(SimpleObject)]
pub struct AuditEventPage {
    /// The events on this page, newest first.
    items: Vec<AuditEvent>,
    /// Pass as `after` for the next (older) page; `null` on the last page.
    next_cursor: Option<String>,
}

#[derive(Default)]
pub struct AuditQueryRoot;

#[Object]
impl AuditQueryRoot {
    /// An organization's audit trail, newest first, a page at a time (admin). Events stay
    /// after the organization or user they name is deleted, until `AUDIT_RETENTION_DAYS`.
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization's id.")] org_id: String,
        #[graphql(desc = "Only events of these kinds (all kinds when left out or empty).")]
        kinds: Option<Vec<AuditEventKind>>,
        #[graphql(
            desc = "The `nextCursor` of the previous page; leave out for the newest events."
        )]
        after: Option<String>,
        #[graphql(default = 50, desc = "Events per page, 1 to 200.")] limit: i64,
    ) -> Result<AuditEventPage> {
        let admin = require_admin(ctx)?;
        let kinds = kinds
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect();
        let query = AuditQuery::parse(&org_id, kinds, after.as_deref(), limit)?;
        let page = audit::list(app(ctx)?, admin, &query).await?;
        Ok(AuditEventPage {
            items: page.items.into_iter().map(AuditEvent::from).collect(),
            next_cursor: page.next_cursor.map(|cursor| cursor.encode()),
        })
    }
}
