//! Queries on `sessions`, written once for both backends: issued sessions, so that they can
//! end before their tokens expire.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::models::{SessionRow, UserRow};
use super::schema::{sessions, users};
use super::with_conn;
use crate::domain::{OrgId, Timestamp, User, UserId};
use crate::error::Result;
use crate::sessions::{IssuedSession, Session};

/// Records a session issued to `user`.
pub async fn insert(pool: &super::DbPool, user: &User, issued: &IssuedSession) -> Result<()> {
    let row = SessionRow {
        id: issued.id.clone(),
        org_id: user.org_id.as_str().to_owned(),
        user_id: user.id.as_str().to_owned(),
        created_at: issued.issued_at.naive_utc(),
        expires_at: issued.expires_at.naive_utc(),
        ended_at: None,
    };
    with_conn!(pool, |conn| diesel::insert_into(sessions::table)
        .values(&row)
        .execute(conn)
        .await)?;
    Ok(())
}

/// The user of `session` when the session is recorded for that user and organization, has
/// not ended and has not expired at `now`; one statement.
pub async fn active_user(
    pool: &super::DbPool,
    session: &Session,
    now: Timestamp,
) -> Result<Option<User>> {
    let row = with_conn!(pool, |conn| sessions::table
        .inner_join(users::table)
        .filter(sessions::id.eq(session.id.as_str()))
        .filter(sessions::user_id.eq(session.user_id.as_str()))
        .filter(sessions::org_id.eq(session.org_id.as_str()))
        .filter(users::org_id.eq(session.org_id.as_str()))
        .filter(sessions::ended_at.is_null())
        .filter(sessions::expires_at.gt(now.naive_utc()))
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

/// Deletes the sessions that expired before `cutoff`; returns how many.
pub async fn purge_expired(pool: &super::DbPool, cutoff: Timestamp) -> Result<usize> {
    with_conn!(pool, |conn| diesel::delete(
        sessions::table.filter(sessions::expires_at.lt(cutoff.naive_utc()))
    )
    .execute(conn)
    .await)
}
