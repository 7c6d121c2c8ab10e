//! Queries on `users` and `vipps_identities`, written once for both backends.

use std::collections::HashMap;

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{self, Bool, Text};
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::audit::NewAuditRow;
use super::models::{IdentityRow, ProfileChanges, UserRow};
use super::schema::{audit_events, org_user_counts, users, vipps_identities};
use super::{read_conn, with_conn};
use crate::domain::{
    AuditKind, Environment, LoginProfile, NewUser, OrgId, Timestamp, User, UserCursor, UserId,
    UserListRequest, UserPage, VippsIdentity, same_person_name,
};
use crate::error::{Error, Result};

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>);

/// A successful login to link to a user.
pub struct LoginLink<'a> {
    pub org_id: &'a OrgId,
    pub environment: Environment,
    pub sub: &'a str,
    pub profile: &'a LoginProfile,
    /// Whether a login that matches nobody may create a user.
    pub create_allowed: bool,
    /// The id a new user gets.
    pub new_user_id: &'a UserId,
    pub now: Timestamp,
}

/// How a link attempt ended.
pub enum LinkOutcome {
    /// The user the identity belongs to now, with the profile updated.
    Linked(Box<User>),
    /// Several users are candidates (by phone or verified e-mail); nothing was written.
    Ambiguous,
    /// Nobody matches and the organization creates no users; nothing was written.
    NoAccount,
    /// A concurrent write won a race (the same person's first login, or a candidate user
    /// deleted meanwhile); try again.
    Conflict,
}

enum RowOutcome {
    Linked(Box<UserRow>),
    Ambiguous,
    NoAccount,
}

/// Links a login in one transaction, in Vipps' own order (phone numbers are recycled, and
/// Vipps gives a new `sub` when a number changes hands or a profile is re-created):
///
/// 1. the user of the identity (organization, environment, `sub`);
/// 2. else the one candidate, found by phone number or by an e-mail verified on both sides:
///    a user with no Vipps identity in this organization and environment, or a user linked
///    to another `sub` whose given and family names match the claims (the same person with a
///    re-created profile; the identity's last phone number counts for it too);
/// 3. else a new user (when allowed); several candidates are ambiguous.
///
/// Whoever logs in with a phone number holds it from then on: any other user of the
/// organization with that number loses it (their identities stay).
///
/// A user the login creates and an identity it links are recorded in the audit trail
/// (`user.created`, `user.linked`) in the same transaction.
pub async fn link(pool: &super::DbPool, link: &LoginLink<'_>) -> Result<LinkOutcome> {
    let org = link.org_id.as_str();
    let environment = link.environment.as_str();
    let sub = link.sub;
    let now = link.now.naive_utc();
    let phone = link.profile.phone_number.as_ref().map(|p| p.as_str());
    let verified_email = link
        .profile
        .email
        .as_ref()
        .filter(|_| link.profile.email_verified)
        .map(|e| e.as_str());
    let new_user = UserRow {
        id: link.new_user_id.as_str().to_owned(),
        org_id: org.to_owned(),
        name: link.profile.name.clone(),
        given_name: link.profile.given_name.clone(),
        family_name: link.profile.family_name.clone(),
        email: link.profile.email.as_ref().map(|e| e.as_str().to_owned()),
        email_verified: link.profile.email.is_some() && link.profile.email_verified,
        phone_number: phone.map(str::to_owned),
        created_at: now,
        updated_at: now,
        last_login_at: Some(now),
    };
    let changes = ProfileChanges::from_login(link.profile, link.now);
    // Events of this transaction: a user created by the login, an identity linked to a user.
    let audit = |user_id: &str, kind: AuditKind, via: &str| {
        NewAuditRow::from_parts(
            org,
            kind,
            &format!("user:{user_id}"),
            Some(user_id),
            &serde_json::json!({ "via": via, "environment": environment }),
            link.now,
        )
    };
    let outcome = with_conn!(pool, |conn| Ok::<_, DieselError>(
        conn.transaction(async |conn| {
            // A write first: SQLite then takes the write lock at once (waiting its busy
            // timeout) instead of failing to upgrade a read snapshot that went stale.
            let existing: Option<String> =
                diesel::update(vipps_identities::table.find((org, environment, sub)))
                    .set((
                        vipps_identities::last_login_at.eq(now),
                        phone.map(|phone| vipps_identities::phone_number.eq(phone)),
                    ))
                    .returning(vipps_identities::user_id)
                    .get_result(conn)
                    .await
                    .optional()?;
            let user_id = match existing {
                Some(user_id) => user_id,
                None => {
                    let candidates = if phone.is_none() && verified_email.is_none() {
                        Vec::new()
                    } else {
                        let linked_here = || {
                            vipps_identities::table
                                .filter(vipps_identities::org_id.eq(org))
                                .filter(vipps_identities::environment.eq(environment))
                        };
                        // One indexed lookup per way of matching, united: an `OR` of
                        // them would scan the organization's users.
                        macro_rules! matching {
                            ($condition:expr) => {
                                users::table
                                    .filter(users::org_id.eq(org))
                                    .filter($condition)
                                    .select((
                                        users::id,
                                        users::given_name,
                                        users::family_name,
                                        diesel::dsl::exists(
                                            linked_here()
                                                .filter(vipps_identities::user_id.eq(users::id)),
                                        ),
                                    ))
                            };
                        }
                        let matches: Vec<MatchRow> = matching!(users::phone_number.eq(phone))
                            .union(matching!(
                                users::email
                                    .eq(verified_email)
                                    .and(users::email_verified.eq(true))
                            ))
                            .union(matching!(
                                users::id.eq_any(
                                    linked_here()
                                        .filter(vipps_identities::phone_number.eq(phone))
                                        .select(vipps_identities::user_id),
                                )
                            ))
                            .load(conn)
                            .await?;
                        candidates(matches, link.profile)
                    };
                    let user_id = match candidates.as_slice() {
                        [] if !link.create_allowed => return Ok(RowOutcome::NoAccount),
                        [] => {
                            diesel::insert_into(users::table)
                                .values(&new_user)
                                .execute(conn)
                                .await?;
                            diesel::insert_into(audit_events::table)
                                .values(&audit(&new_user.id, AuditKind::UserCreated, "login"))
                                .execute(conn)
                                .await?;
                            new_user.id.clone()
                        }
                        [one] => one.clone(),
                        _ => return Ok(RowOutcome::Ambiguous),
                    };
                    diesel::insert_into(audit_events::table)
                        .values(&audit(&user_id, AuditKind::UserLinked, "login"))
                        .execute(conn)
                        .await?;
                    diesel::insert_into(vipps_identities::table)
                        .values(&IdentityRow {
                            org_id: org.to_owned(),
                            environment: environment.to_owned(),
                            sub: sub.to_owned(),
                            user_id: user_id.clone(),
                            linked_at: now,
                            last_login_at: now,
                            phone_number: phone.map(str::to_owned),
                        })
                        .execute(conn)
                        .await?;
                    user_id
                }
            };
            diesel::update(users::table.find(&user_id))
                .set(&changes)
                .execute(conn)
                .await?;
            if let Some(phone) = phone {
                diesel::update(
                    users::table
                        .filter(users::org_id.eq(org))
                        .filter(users::phone_number.eq(phone))
                        .filter(users::id.ne(&user_id)),
                )
                .set((
                    users::phone_number.eq(None::<String>),
                    users::updated_at.eq(now),
                ))
                .execute(conn)
                .await?;
            }
            let user = users::table
                .find(&user_id)
                .select(UserRow::as_select())
                .first(conn)
                .await?;
            Ok(RowOutcome::Linked(Box::new(user)))
        })
        .await
    ))?;
    match outcome {
        Ok(RowOutcome::Linked(row)) => Ok(LinkOutcome::Linked(Box::new(row.into_domain()?))),
        Ok(RowOutcome::Ambiguous) => Ok(LinkOutcome::Ambiguous),
        Ok(RowOutcome::NoAccount) => Ok(LinkOutcome::NoAccount),
        Err(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation | DatabaseErrorKind::ForeignKeyViolation,
            _,
        )) => Ok(LinkOutcome::Conflict),
        Err(error) => Err(super::query_error(error)),
    }
}

/// A user that shares a login's phone number or verified e-mail: id, given name, family name,
/// and whether it has a Vipps identity in the login's organization and environment.
type MatchRow = (String, Option<String>, Option<String>, bool);

/// The users a login may link to among those that share its phone number or verified e-mail:
/// each one with no identity in the organization and environment, and each one linked to
/// another `sub` whose given and family names match the claims.
fn candidates(matches: Vec<MatchRow>, profile: &LoginProfile) -> Vec<String> {
    let claimed = (
        profile.given_name.as_deref(),
        profile.family_name.as_deref(),
    );
    matches
        .into_iter()
        .filter(|(_, given, family, linked)| {
            !linked || same_person_name((given.as_deref(), family.as_deref()), claimed)
        })
        .map(|(id, ..)| id)
        .collect()
}

/// Stores a user an administrator registered (the caller checked the organization: users
/// reference none, as they outlive its configuration).
pub async fn insert(pool: &super::DbPool, user: &User) -> Result<()> {
    let row = UserRow::from(user);
    with_conn!(pool, |conn| diesel::insert_into(users::table)
        .values(&row)
        .execute(conn)
        .await)?;
    Ok(())
}

/// A user that `new` would duplicate: same organization and same phone number or e-mail.
pub async fn find_duplicate(pool: &super::DbPool, new: &NewUser) -> Result<Option<User>> {
    let org = new.org_id.as_str();
    let phone = new.phone_number.as_ref().map(|p| p.as_str());
    let email = new.email.as_ref().map(|e| e.as_str());
    let row = read_conn!(pool, |conn| users::table
        .filter(users::org_id.eq(org))
        .filter(
            users::phone_number
                .eq(phone)
                .and(users::phone_number.is_not_null())
                .or(users::email.eq(email).and(users::email.is_not_null()))
        )
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional())?;
    row.map(UserRow::into_domain).transpose()
}

pub async fn find(pool: &super::DbPool, id: &UserId) -> Result<Option<User>> {
    let row = read_conn!(pool, |conn| users::table
        .find(id.as_str())
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional())?;
    row.map(UserRow::into_domain).transpose()
}

/// One page of an organization's users, oldest first by `(created_at, id)`: the users after
/// the cursor, read along the `(org_id, created_at, id)` index, so a page deep in a large
/// organization costs what the first one does (a page number still skips rows one by one).
/// One statement fetches one row more than the page to learn whether another follows; the
/// total takes a second one, only when asked for: the organization's count kept by the
/// database (`org_user_counts`), or for a search a count of the matches.
pub async fn list(pool: &super::DbPool, request: &UserListRequest) -> Result<UserPage> {
    let page = request.page;
    let offset = i64::try_from(page.offset()).map_err(|e| Error::Internal(e.into()))?;
    let limit = i64::from(page.limit());
    let org = request.filter.org_id.as_str();
    let search = request.filter.search.as_ref();
    let pattern = search.map(|search| {
        let escaped = search
            .name_part
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    });
    let phone = search
        .and_then(|s| s.phone_number.as_ref())
        .map(|p| p.as_str());
    let email = search.and_then(|s| s.email.as_ref()).map(|e| e.as_str());
    let after = request
        .after
        .as_ref()
        .map(|cursor| (cursor.created_at.naive_utc(), cursor.id.as_str()));
    macro_rules! matching {
        () => {{
            let mut query = users::table.filter(users::org_id.eq(org)).into_boxed();
            if let Some(pattern) = &pattern {
                query = query.filter(
                    lower(users::name)
                        .like(pattern)
                        .escape('\\')
                        .or(users::phone_number.eq(phone))
                        .or(users::email.eq(email)),
                );
            }
            query
        }};
    }
    let rows: Vec<UserRow> = read_conn!(pool, |conn| {
        let mut query = matching!();
        if let Some((created_at, id)) = after {
            query = query.filter(
                sql::<Bool>("(users.created_at, users.id) > (")
                    .bind::<sql_types::Timestamp, _>(created_at)
                    .sql(", ")
                    .bind::<Text, _>(id)
                    .sql(")"),
            );
        }
        query
            .order((users::created_at.asc(), users::id.asc()))
            .limit(limit + 1)
            .offset(offset)
            .select(UserRow::as_select())
            .load(conn)
            .await
    })?;
    let total = match (request.with_total, &pattern) {
        (false, _) => None,
        (true, None) => {
            let parts: Vec<i64> = read_conn!(pool, |conn| org_user_counts::table
                .filter(org_user_counts::org_id.eq(org))
                .select(org_user_counts::users)
                .load(conn)
                .await)?;
            Some(u64::try_from(parts.iter().sum::<i64>()).unwrap_or_default())
        }
        (true, Some(_)) => {
            let total: i64 = read_conn!(pool, |conn| matching!().count().get_result(conn).await)?;
            Some(u64::try_from(total).unwrap_or_default())
        }
    };
    let mut items = rows
        .into_iter()
        .map(UserRow::into_domain)
        .collect::<Result<Vec<_>>>()?;
    let more = items.len() > page.limit() as usize;
    items.truncate(page.limit() as usize);
    let next_cursor = if more {
        items.last().map(UserCursor::of)
    } else {
        None
    };
    Ok(UserPage {
        items,
        request: page,
        next_cursor,
        total,
    })
}

/// Deletes a user (its identities go with it); `Ok(false)` when there was none.
pub async fn delete(pool: &super::DbPool, id: &UserId) -> Result<bool> {
    let deleted = with_conn!(pool, |conn| diesel::delete(users::table.find(id.as_str()))
        .execute(conn)
        .await)?;
    Ok(deleted == 1)
}

/// The identities linked to each of `user_ids`, in one query.
pub async fn identities_of(
    pool: &super::DbPool,
    user_ids: &[UserId],
) -> Result<HashMap<UserId, Vec<VippsIdentity>>> {
    let ids: Vec<&str> = user_ids.iter().map(UserId::as_str).collect();
    let rows = read_conn!(pool, |conn| vipps_identities::table
        .filter(vipps_identities::user_id.eq_any(&ids))
        .order((
            vipps_identities::linked_at.asc(),
            vipps_identities::sub.asc()
        ))
        .select(IdentityRow::as_select())
        .load(conn)
        .await)?;
    let mut by_user: HashMap<UserId, Vec<VippsIdentity>> = HashMap::new();
    for row in rows {
        let identity = row.into_domain()?;
        by_user
            .entry(identity.user_id.clone())
            .or_default()
            .push(identity);
    }
    Ok(by_user)
}

/// Removes the user's identities with `sub`; returns how many.
pub async fn unlink(pool: &super::DbPool, user_id: &UserId, sub: &str) -> Result<usize> {
    with_conn!(pool, |conn| diesel::delete(
        vipps_identities::table
            .filter(vipps_identities::user_id.eq(user_id.as_str()))
            .filter(vipps_identities::sub.eq(sub))
    )
    .execute(conn)
    .await)
}

/// Folds the count rows of at most `batch` organizations into one row each (PostgreSQL
/// appends a row per statement that adds or removes users; SQLite keeps one per
/// organization, so there is nothing to fold); returns how many organizations. Each
/// organization is folded in one transaction: the rows it deletes are exactly the ones it
/// sums, so rows appended meanwhile, or folded by another instance at the same time, are
/// neither lost nor counted twice.
pub async fn fold_user_counts(pool: &super::DbPool, batch: u32) -> Result<usize> {
    let batch = i64::from(batch);
    with_conn!(pool, |conn| {
        let folded: QueryResult<usize> = async {
            let orgs: Vec<String> = org_user_counts::table
                .group_by(org_user_counts::org_id)
                .having(diesel::dsl::count_star().gt(1))
                .select(org_user_counts::org_id)
                .limit(batch)
                .load(conn)
                .await?;
            for org in &orgs {
                conn.transaction(async |conn| {
                    let parts: Vec<i64> = diesel::delete(
                        org_user_counts::table.filter(org_user_counts::org_id.eq(org)),
                    )
                    .returning(org_user_counts::users)
                    .get_results(conn)
                    .await?;
                    if parts.is_empty() {
                        // Another instance folded them first.
                        return Ok(0);
                    }
                    diesel::insert_into(org_user_counts::table)
                        .values((
                            org_user_counts::org_id.eq(org),
                            org_user_counts::users.eq(parts.iter().sum::<i64>()),
                        ))
                        .execute(conn)
                        .await
                })
                .await?;
            }
            Ok(orgs.len())
        }
        .await;
        folded
    })
}
