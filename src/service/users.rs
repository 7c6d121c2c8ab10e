//! The user registry: linking logins to users, sessions, and the admin operations.

use std::collections::HashMap;
use std::time::Duration;

use crate::app::App;
use crate::auth::Admin;
use crate::db;
use crate::db::users::{LinkOutcome, LoginLink};
use crate::domain::{
    Actor, AuditKind, LoginProfile, NewAuditEvent, NewUser, Timestamp, User, UserId,
    UserListRequest, UserPage, VippsIdentity, VippsOrg, VippsUserInfo,
};
use crate::error::{Clash, Error, Missing, Result};
use crate::service::{audit, orgs};
use crate::sessions::{IssuedSession, Session};

/// How often a link is tried again after losing a race with a concurrent login.
const LINK_ATTEMPTS: u32 = 5;

/// Links a successful login to a user of `org` (see [`db::users::link`]) and updates the
/// profile. Concurrent first logins of one person end with one user: the loser of the race
/// finds the winner's identity on its next try.
pub async fn link_login(app: &App, org: &VippsOrg, info: &VippsUserInfo) -> Result<User> {
    let profile = LoginProfile::from_user_info(info);
    for attempt in 1..=LINK_ATTEMPTS {
        let new_user_id = UserId::generate()?;
        let link = LoginLink {
            org_id: &org.org_id,
            environment: org.environment,
            sub: &info.subject_identifier,
            profile: &profile,
            create_allowed: !org.pre_provisioned_users_only,
            new_user_id: &new_user_id,
            now: Timestamp::now(),
        };
        match db::users::link(&app.db, &link).await? {
            LinkOutcome::Linked(user) => {
                tracing::info!(org_id = %org.org_id, user_id = %user.id, "login linked");
                return Ok(*user);
            }
            LinkOutcome::Ambiguous => {
                tracing::warn!(org_id = %org.org_id, "login matches several users");
                return Err(Error::LinkAmbiguous);
            }
            LinkOutcome::NoAccount => return Err(Error::NoAccount),
            LinkOutcome::Conflict => {
                tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt))).await;
            }
        }
    }
    Err(Error::DatabaseUnavailable(anyhow::anyhow!(
        "linking kept losing races with concurrent logins"
    )))
}

/// A session token for `user`, who logged in with the Vipps identity `sub`, recorded so that
/// it can end before it expires.
///
/// The organization is read again *after* the session is recorded: a login that was checked
/// while Vipps was on may finish after an administrator switched it off (or deleted the
/// organization), and that switch ends only the sessions recorded before it. Either this
/// read sees the organization still on — then the switch commits later and ends this
/// session too — or it sees it off or gone, and the session ends here.
pub async fn issue_session(app: &App, user: &User, sub: &str) -> Result<IssuedSession> {
    let issued = app.sessions.issue(user, Timestamp::now())?;
    if !db::sessions::insert(&app.db, user, sub, &issued).await? {
        return Err(Missing::User(user.id.clone()).into());
    }
    match db::orgs::find(&app.db, &user.org_id).await? {
        Some(org) if org.vipps_enabled => Ok(issued),
        org => {
            db::sessions::end(&app.db, &issued.id, Timestamp::now()).await?;
            tracing::info!(org_id = %user.org_id, user_id = %user.id, "vipps login switched off during the login: session ended");
            Err(match org {
                Some(org) => Error::VippsDisabled(org.org_id.to_string()),
                None => Missing::Org(user.org_id.clone()).into(),
            })
        }
    }
}

/// The user of a verified session, when the session is still open and the user still
/// exists in the organization the session was issued for.
pub async fn me(app: &App, session: &Session) -> Result<User> {
    db::sessions::active_user(&app.db, session, Timestamp::now())
        .await?
        .ok_or(Error::SessionInvalid)
}

/// Ends the caller's session; its token is refused from now on. Ending an ended session
/// again is `UNAUTHENTICATED`, like any other use of it.
pub async fn logout(app: &App, session: &Session) -> Result<Timestamp> {
    let now = Timestamp::now();
    if !db::sessions::end(&app.db, &session.id, now).await? {
        return Err(Error::SessionInvalid);
    }
    tracing::info!(org_id = %session.org_id, user_id = %session.user_id, "session ended by logout");
    audit::record(
        app,
        NewAuditEvent::new(
            &session.org_id,
            AuditKind::SessionEnded,
            Actor::User(session.user_id.clone()),
            Some(&session.user_id),
        )
        .with_detail(serde_json::json!({ "reason": "logout", "sessions_ended": 1 })),
    )
    .await?;
    Ok(now)
}

/// Ends every open session of a user (admin); returns how many ended.
pub async fn revoke_sessions(app: &App, _admin: &Admin, id: &UserId) -> Result<usize> {
    let Some(user) = db::users::find(&app.db, id).await? else {
        return Err(Missing::User(id.clone()).into());
    };
    let ended = db::sessions::end_for_user(&app.db, id, Timestamp::now()).await?;
    tracing::info!(user_id = %id, ended, "user sessions revoked");
    audit::record(
        app,
        NewAuditEvent::new(
            &user.org_id,
            AuditKind::SessionEnded,
            Actor::Admin,
            Some(id),
        )
        .with_detail(serde_json::json!({ "reason": "revoke", "sessions_ended": ended })),
    )
    .await?;
    Ok(ended)
}

/// What a token introspection answers (RFC 7662): the session's claims while it is open.
pub struct Introspection {
    pub session: Session,
    pub user: User,
}

/// Introspects a session token for another backend (admin): `None` when the token is not
/// one of ours, expired, or its session has ended.
pub async fn introspect(app: &App, _admin: &Admin, token: &str) -> Result<Option<Introspection>> {
    let Ok(session) = app.sessions.verify(token) else {
        return Ok(None);
    };
    let user = db::sessions::active_user(&app.db, &session, Timestamp::now()).await?;
    Ok(user.map(|user| Introspection { session, user }))
}

/// Registers a user ahead of their first login. The organization vouches for the e-mail
/// address, so it counts as verified for linking.
pub async fn create(app: &App, _admin: &Admin, new: NewUser) -> Result<User> {
    orgs::get(app, &new.org_id).await?;
    if db::users::find_duplicate(&app.db, &new).await?.is_some() {
        return Err(Clash::DuplicateUser.into());
    }
    let now = Timestamp::now();
    let user = User {
        id: UserId::generate()?,
        org_id: new.org_id,
        name: new.name,
        given_name: None,
        family_name: None,
        email_verified: new.email.is_some(),
        email: new.email,
        phone_number: new.phone_number,
        created_at: now,
        updated_at: now,
        last_login_at: None,
    };
    db::users::insert(&app.db, &user).await?;
    tracing::info!(org_id = %user.org_id, user_id = %user.id, "user registered");
    audit::record(
        app,
        NewAuditEvent::new(
            &user.org_id,
            AuditKind::UserCreated,
            Actor::Admin,
            Some(&user.id),
        )
        .with_detail(serde_json::json!({ "via": "admin" })),
    )
    .await?;
    Ok(user)
}

pub async fn find(app: &App, _admin: &Admin, id: &UserId) -> Result<Option<User>> {
    db::users::find(&app.db, id).await
}

/// One page of an organization's users (empty for an unknown organization).
pub async fn list(app: &App, _admin: &Admin, request: &UserListRequest) -> Result<UserPage> {
    db::users::list(&app.db, request).await
}

/// Deletes a user and its identities.
pub async fn delete(app: &App, _admin: &Admin, id: &UserId) -> Result<Timestamp> {
    let Some(user) = db::users::find(&app.db, id).await? else {
        return Err(Missing::User(id.clone()).into());
    };
    if !db::users::delete(&app.db, id).await? {
        return Err(Missing::User(id.clone()).into());
    }
    tracing::info!(user_id = %id, "user deleted");
    audit::record(
        app,
        NewAuditEvent::new(&user.org_id, AuditKind::UserDeleted, Actor::Admin, Some(id)),
    )
    .await?;
    Ok(Timestamp::now())
}

/// Removes the link between a user and a Vipps `sub`; the next login with it links anew.
pub async fn unlink(app: &App, _admin: &Admin, id: &UserId, sub: &str) -> Result<User> {
    let user = db::users::find(&app.db, id)
        .await?
        .ok_or_else(|| Missing::User(id.clone()))?;
    if db::users::unlink(&app.db, id, sub).await? == 0 {
        return Err(Missing::Identity(id.clone()).into());
    }
    let mut ended = db::sessions::end_for_identity(&app.db, id, sub, Timestamp::now()).await?;
    tracing::info!(user_id = %id, ended, "vipps identity unlinked: its sessions ended");
    let remaining = db::users::identities_of(&app.db, std::slice::from_ref(id)).await?;
    let last = remaining.get(id).is_none_or(Vec::is_empty);
    if last {
        let more = db::sessions::end_for_user(&app.db, id, Timestamp::now()).await?;
        tracing::info!(user_id = %id, ended = more, "last identity unlinked: sessions ended");
        ended += more;
    }
    audit::record(
        app,
        NewAuditEvent::new(
            &user.org_id,
            AuditKind::UserUnlinked,
            Actor::Admin,
            Some(id),
        )
        .with_detail(serde_json::json!({ "last_identity": last, "sessions_ended": ended })),
    )
    .await?;
    Ok(user)
}

/// The identities of each user, in one query (for the batching loader).
pub async fn identities_of(
    app: &App,
    user_ids: &[UserId],
) -> Result<HashMap<UserId, Vec<VippsIdentity>>> {
    db::users::identities_of(&app.db, user_ids).await
}
