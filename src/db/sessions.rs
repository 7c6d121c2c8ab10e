//! Queries on `sessions`, written once for both backends: issued sessions, so that they can
//! end before their tokens expire.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::RunQueryDsl;

use super::models::{SessionRow, UserRow};
use super::schema::{sessions, users, vipps_orgs};
use super::{read_conn, with_conn};
use crate::domain::{OrgId, Timestamp, User, UserId};
use crate::error::Result;
use crate::sessions::{IssuedSession, Session};

/// Records a session issued to `user` for a login with the Vipps identity `sub`; `Ok(false)`
/// when the user was deleted meanwhile.
pub async fn insert(
    pool: &super::DbPool,
    user: &User,
    sub: &str,
    issued: &IssuedSession,
) -> Result<bool> {
    let row = SessionRow {
        id: issued.id.clone(),
        org_id: user.org_id.as_str().to_owned(),
        user_id: user.id.as_str().to_owned(),
        sub: sub.to_owned(),
        created_at: issued.issued_at.naive_utc(),
        expires_at: issued.expires_at.naive_utc(),
        ended_at: None,
    };
    let outcome = with_conn!(pool, |conn| Ok::<_, DieselError>(
        diesel::insert_into(sessions::table)
            .values(&row)
            .execute(conn)
            .await
    ))?;
    super::unless_violated(outcome, DatabaseErrorKind::ForeignKeyViolation)
}

/// The user of `session` when the session is recorded for that user and organization, has
/// not ended, has not expired at `now`, and the organization has Vipps login switched on;
/// one statement.
pub async fn active_user(
    pool: &super::DbPool,
    session: &Session,
    now: Timestamp,
) -> Result<Option<User>> {
    let row = read_conn!(pool, |conn| sessions::table
        .inner_join(users::table.inner_join(vipps_orgs::table))
        .filter(sessions::id.eq(session.id.as_str()))
        .filter(sessions::user_id.eq(session.user_id.as_str()))
        .filter(sessions::org_id.eq(session.org_id.as_str()))
        .filter(users::org_id.eq(session.org_id.as_str()))
        .filter(sessions::ended_at.is_null())
        .filter(sessions::expires_at.gt(now.naive_utc()))
        .filter(vipps_orgs::vipps_enabled.eq(true))
        // A session from before the organization was last created belongs to a removed
        // configuration: re-creating the `org_id` never brings it back.
        .filter(sessions::created_at.ge(vipps_orgs::created_at))
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional())?;
    row.map(UserRow::into_domain).transpose()
}

/// Ends one session; `false` when it had ended already (or never existed).
pub async fn end(pool: &super::DbPool, id: &str, now: Timestamp) -> Result<bool> {
    let ended = with_conn!(pool, |conn| diesel::update(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::ended_at.is_null())
    )
    .set(sessions::ended_at.eq(Some(now.naive_utc())))
    .execute(conn)
    .await)?;
    Ok(ended == 1)
}

/// Ends every open session of a user; returns how many.
pub async fn end_for_user(pool: &super::DbPool, user_id: &UserId, now: Timestamp) -> Result<usize> {
    with_conn!(pool, |conn| diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id.as_str()))
            .filter(sessions::ended_at.is_null())
    )
    .set(sessions::ended_at.eq(Some(now.naive_utc())))
    .execute(conn)
    .await)
}

/// Ends every open session of a user that a login with the Vipps identity `sub` opened;
/// returns how many.
pub async fn end_for_identity(
    pool: &super::DbPool,
    user_id: &UserId,
    sub: &str,
    now: Timestamp,
) -> Result<usize> {
    with_conn!(pool, |conn| diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id.as_str()))
            .filter(sessions::sub.eq(sub))
            .filter(sessions::ended_at.is_null())
    )
    .set(sessions::ended_at.eq(Some(now.naive_utc())))
    .execute(conn)
    .await)
}

/// Ends every open session of an organization; returns how many.
pub async fn end_for_org(pool: &super::DbPool, org_id: &OrgId, now: Timestamp) -> Result<usize> {
    with_conn!(pool, |conn| diesel::update(
        sessions::table
            .filter(sessions::org_id.eq(org_id.as_str()))
            .filter(sessions::ended_at.is_null())
    )
    .set(sessions::ended_at.eq(Some(now.naive_utc())))
    .execute(conn)
    .await)
}

/// Deletes at most `batch` of the sessions that expired before `cutoff`, in one statement;
/// returns how many. Several instances may run it at once: deleting twice is harmless.
pub async fn purge_expired(pool: &super::DbPool, cutoff: Timestamp, batch: u32) -> Result<usize> {
    let batch = i64::from(batch);
    let expired = diesel::alias!(sessions as expired);
    with_conn!(pool, |conn| diesel::delete(
        sessions::table.filter(
            sessions::id.eq_any(
                expired
                    .select(expired.field(sessions::id))
                    .filter(expired.field(sessions::expires_at).lt(cutoff.naive_utc()))
                    .limit(batch)
            )
        )
    )
    .execute(conn)
    .await)
}
