//! The audit trail: what happened in an organization, who did it, and to which user.

use super::{InvalidInput, OrgId, Timestamp, UserId, cursor};

/// What an audit event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditKind {
    LoginSucceeded,
    LoginFailed,
    LoginCancelled,
    UserCreated,
    UserLinked,
    UserUnlinked,
    UserDeleted,
    SessionEnded,
    ConsentRevoked,
    ConsentUrlRotated,
    OrgCreated,
    OrgUpdated,
    OrgDeleted,
}

impl AuditKind {
    /// Every kind, in the order the README lists them.
    pub const ALL: [AuditKind; 13] = [
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::LoginCancelled,
        Self::UserCreated,
        Self::UserLinked,
        Self::UserUnlinked,
        Self::UserDeleted,
        Self::SessionEnded,
        Self::ConsentRevoked,
        Self::ConsentUrlRotated,
        Self::OrgCreated,
        Self::OrgUpdated,
        Self::OrgDeleted,
    ];

    /// The stored name, as in `login.succeeded`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoginSucceeded => "login.succeeded",
            Self::LoginFailed => "login.failed",
            Self::LoginCancelled => "login.cancelled",
            Self::UserCreated => "user.created",
            Self::UserLinked => "user.linked",
            Self::UserUnlinked => "user.unlinked",
            Self::UserDeleted => "user.deleted",
            Self::SessionEnded => "session.ended",
            Self::ConsentRevoked => "consent.revoked",
            Self::ConsentUrlRotated => "consent_url.rotated",
            Self::OrgCreated => "org.created",
            Self::OrgUpdated => "org.updated",
            Self::OrgDeleted => "org.deleted",
        }
    }

    /// Reads a stored name back.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value)
    }
}

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The holder of the admin token.
    Admin,
    /// A user, by logging in or out.
    User(UserId),
    /// Vipps itself (a consent revocation).
    Vipps,
    /// Someone not (yet) known: a login that failed before it reached a user.
    Anonymous,
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Admin => f.write_str("admin"),
            Self::User(id) => write!(f, "user:{id}"),
            Self::Vipps => f.write_str("vipps"),
            Self::Anonymous => f.write_str("anonymous"),
        }
    }
}

/// An event to record. `detail` is a small JSON object; it never holds a secret or token.
#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    pub org_id: OrgId,
    pub kind: AuditKind,
    pub actor: Actor,
    pub user_id: Option<UserId>,
    pub detail: serde_json::Value,
}

impl NewAuditEvent {
    /// An event with an empty detail object.
    pub fn new(org_id: &OrgId, kind: AuditKind, actor: Actor, user_id: Option<&UserId>) -> Self {
        Self {
            org_id: org_id.clone(),
            kind,
            actor,
            user_id: user_id.cloned(),
            detail: serde_json::json!({}),
        }
    }

    /// The same event with `detail` as its detail object.
    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

/// A recorded event.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// Grows with every event recorded.
    pub id: i64,
    pub occurred_at: Timestamp,
    pub org_id: OrgId,
    pub kind: AuditKind,
    /// `admin`, `user:<id>`, `vipps` or `anonymous`.
    pub actor: String,
    pub user_id: Option<String>,
    pub detail: serde_json::Value,
}

impl AuditEvent {
    /// Where the page after this event starts.
    pub fn cursor(&self) -> AuditCursor {
        AuditCursor(self.id)
    }
}

/// An opaque position in an organization's audit trail: the page after it holds older events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditCursor(i64);

const CURSOR_KIND: &str = "audit";

impl AuditCursor {
    pub fn parse(value: &str) -> Result<Self, InvalidInput> {
        cursor::decode(CURSOR_KIND, value)?
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(Self)
            .ok_or_else(cursor::invalid)
    }

    /// The events before this id come next.
    pub fn before_id(self) -> i64 {
        self.0
    }

    pub fn encode(self) -> String {
        cursor::encode(CURSOR_KIND, &self.0.to_string())
    }
}

/// A request for one page of an organization's audit trail, newest first.
#[derive(Debug, Clone)]
pub struct AuditQuery {
    pub org_id: OrgId,
    /// Only these kinds; empty means every kind.
    pub kinds: Vec<AuditKind>,
    pub after: Option<AuditCursor>,
    pub limit: u32,
}

impl AuditQuery {
    pub const DEFAULT_LIMIT: i64 = 50;
    pub const MAX_LIMIT: i64 = 200;

    pub fn parse(
        org_id: &str,
        kinds: Vec<AuditKind>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Self, InvalidInput> {
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            return Err(InvalidInput::field(
                "limit",
                format!("must be between 1 and {}", Self::MAX_LIMIT),
            ));
        }
        let mut unique = Vec::with_capacity(kinds.len());
        for kind in kinds {
            if !unique.contains(&kind) {
                unique.push(kind);
            }
        }
        Ok(Self {
            org_id: OrgId::parse(org_id)?,
            kinds: unique,
            after: after.map(AuditCursor::parse).transpose()?,
            limit: u32::try_from(limit).unwrap_or(1),
        })
    }
}

/// One page of events and where the next one starts (`None` on the last page).
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub items: Vec<AuditEvent>,
    pub next_cursor: Option<AuditCursor>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        let cursor = AuditCursor(42);
        assert_eq!(AuditCursor::parse(&cursor.encode()), Ok(cursor));
        for bad in ["", "42", "YXVkaXQ6", "YXVkaXQ6LTE", "!!", "YXVkaXQ6eA"] {
            assert!(AuditCursor::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn kinds_parse_back() {
        for kind in AuditKind::ALL {
            assert_eq!(AuditKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(AuditKind::parse("nope"), None);
    }

    #[test]
    fn limits_are_bounded() {
        assert!(AuditQuery::parse("org", vec![], None, 0).is_err());
        assert!(AuditQuery::parse("org", vec![], None, 201).is_err());
        assert!(AuditQuery::parse("org", vec![], None, 200).is_ok());
    }
}
