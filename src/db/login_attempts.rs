//! Queries on `login_attempts`, written once for both backends.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::RunQueryDsl;

use super::models::LoginAttemptRow;
use super::schema::login_attempts;
use super::{read_conn, with_conn};
use crate::domain::{LoginAttempt, OrgId, Timestamp};
use crate::error::Result;

/// Stores a started login; `Ok(false)` when its organization no longer exists.
pub async fn insert(pool: &super::DbPool, attempt: &LoginAttempt) -> Result<bool> {
    let row = LoginAttemptRow::from(attempt);
    let outcome = with_conn!(pool, |conn| Ok::<_, DieselError>(
        diesel::insert_into(login_attempts::table)
            .values(&row)
            .execute(conn)
            .await
    ))?;
    super::unless_violated(outcome, DatabaseErrorKind::ForeignKeyViolation)
}

/// How many of the organization's attempts are pending: neither consumed nor expired by
/// `now` (uses the `org_id` index).
pub async fn count_pending(pool: &super::DbPool, org_id: &OrgId, now: Timestamp) -> Result<u64> {
    let count: i64 = read_conn!(pool, |conn| login_attempts::table
        .filter(login_attempts::org_id.eq(org_id.as_str()))
        .filter(login_attempts::consumed_at.is_null())
        .filter(login_attempts::expires_at.gt(now.naive_utc()))
        .count()
        .get_result(conn)
        .await)?;
    Ok(u64::try_from(count).unwrap_or_default())
}

/// The unconsumed attempt stored under `state_key`, left as it is (a completion checks its
/// binding before it consumes it).
pub async fn find_open(pool: &super::DbPool, state_key: &str) -> Result<Option<LoginAttempt>> {
    let row = read_conn!(pool, |conn| login_attempts::table
        .filter(login_attempts::state_key.eq(state_key))
        .filter(login_attempts::consumed_at.is_null())
        .select(LoginAttemptRow::as_select())
        .first(conn)
        .await
        .optional())?;
    row.map(LoginAttemptRow::into_domain).transpose()
}

/// Marks the attempt stored under `state_key` as consumed and returns it, in one statement:
/// of any number of concurrent callers, exactly one gets it. `None` when the attempt is
/// unknown, was consumed before, or has expired by `now`.
pub async fn consume(
    pool: &super::DbPool,
    state_key: &str,
    now: Timestamp,
) -> Result<Option<LoginAttempt>> {
    let row = with_conn!(pool, |conn| diesel::update(
        login_attempts::table
            .filter(login_attempts::state_key.eq(state_key))
            .filter(login_attempts::consumed_at.is_null())
            .filter(login_attempts::expires_at.gt(now.naive_utc()))
    )
    .set(login_attempts::consumed_at.eq(Some(now.naive_utc())))
    .returning(LoginAttemptRow::as_returning())
    .get_result(conn)
    .await
    .optional())?;
    row.map(LoginAttemptRow::into_domain).transpose()
}

/// Deletes at most `batch` of the attempts that expired before `cutoff`, in one statement;
/// returns how many. Several instances may run it at once: deleting twice is harmless.
pub async fn purge_expired(pool: &super::DbPool, cutoff: Timestamp, batch: u32) -> Result<usize> {
    let batch = i64::from(batch);
    let expired = diesel::alias!(login_attempts as expired);
    with_conn!(pool, |conn| diesel::delete(
        login_attempts::table.filter(
            login_attempts::state_key.eq_any(
                expired
                    .select(expired.field(login_attempts::state_key))
                    .filter(
                        expired
                            .field(login_attempts::expires_at)
                            .lt(cutoff.naive_utc())
                    )
                    .limit(batch)
            )
        )
    )
    .execute(conn)
    .await)
}
