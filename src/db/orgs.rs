//! Queries on `vipps_orgs`, written once for both backends.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::models::OrgRow;
use super::schema::{consent_webhooks, sessions, users, vipps_identities, vipps_orgs};
use super::{read_conn, with_conn};
use crate::domain::{OrgFilter, OrgId, Page, PageRequest, Timestamp, VippsOrg};
use crate::error::{Error, Result};

/// The rows `filter` selects, as a boxed query for the backend in use.
macro_rules! filtered {
    ($filter:expr) => {{
        let mut query = vipps_orgs::table.into_boxed();
        if !$filter.include_disabled {
            query = query.filter(vipps_orgs::vipps_enabled.eq(true));
        }
        if let Some(environment) = $filter.environment {
            query = query.filter(vipps_orgs::environment.eq(environment.as_str()));
        }
        query
    }};
}

/// Stores a new organization; `Ok(false)` when the `org_id` is taken.
pub async fn insert(pool: &super::DbPool, org: &VippsOrg) -> Result<bool> {
    let row = OrgRow::from(org);
    let outcome = with_conn!(pool, |conn| Ok::<_, DieselError>(
        diesel::insert_into(vipps_orgs::table)
            .values(&row)
            .execute(conn)
            .await
    ))?;
    super::unless_violated(outcome, DatabaseErrorKind::UniqueViolation)
}

pub async fn find(pool: &super::DbPool, org_id: &OrgId) -> Result<Option<VippsOrg>> {
    let row = read_conn!(pool, |conn| vipps_orgs::table
        .find(org_id.as_str())
        .select(OrgRow::as_select())
        .first(conn)
        .await
        .optional())?;
    row.map(OrgRow::into_domain).transpose()
}

/// The organizations among `org_ids` that exist, in one query.
pub async fn find_many(pool: &super::DbPool, org_ids: &[OrgId]) -> Result<Vec<VippsOrg>> {
    let ids: Vec<&str> = org_ids.iter().map(OrgId::as_str).collect();
    let rows = read_conn!(pool, |conn| vipps_orgs::table
        .filter(vipps_orgs::org_id.eq_any(&ids))
        .select(OrgRow::as_select())
        .load(conn)
        .await)?;
    rows.into_iter().map(OrgRow::into_domain).collect()
}

/// One page of the organizations `filter` selects, ordered by `org_id`, and their total.
pub async fn list(
    pool: &super::DbPool,
    filter: OrgFilter,
    page: PageRequest,
) -> Result<Page<VippsOrg>> {
    let offset = i64::try_from(page.offset()).map_err(|e| Error::Internal(e.into()))?;
    let (total, rows) = read_conn!(pool, |conn| {
        let total: QueryResult<i64> = filtered!(filter).count().get_result(conn).await;
        match total {
            Ok(total) => filtered!(filter)
                .order(vipps_orgs::org_id.asc())
                .limit(i64::from(page.limit()))
                .offset(offset)
                .select(OrgRow::as_select())
                .load(conn)
                .await
                .map(|rows| (total, rows)),
            Err(e) => Err(e),
        }
    })?;
    Ok(Page {
        items: rows
            .into_iter()
            .map(OrgRow::into_domain)
            .collect::<Result<_>>()?,
        request: page,
        total: u64::try_from(total).unwrap_or_default(),
    })
}

/// Writes `org` if the stored row still carries `seen_updated_at` (optimistic concurrency);
/// `Ok(false)` when the row changed or vanished in between.
pub async fn update_if_unchanged(
    pool: &super::DbPool,
    org: &VippsOrg,
    seen_updated_at: Timestamp,
) -> Result<bool> {
    let row = OrgRow::from(org);
    let updated = with_conn!(pool, |conn| diesel::update(
        vipps_orgs::table
            .filter(vipps_orgs::org_id.eq(org.org_id.as_str()))
            .filter(vipps_orgs::updated_at.eq(seen_updated_at.naive_utc()))
    )
    .set(&row)
    .execute(conn)
    .await)?;
    Ok(updated == 1)
}

/// What removing an organization's configuration did.
pub struct Removed {
    /// Whether there was a configuration to remove.
    pub configuration: bool,
    /// How many users the purge erased (0 without a purge).
    pub users_purged: usize,
}

/// Deletes the organization's configuration; its pending login attempts go with it, its
/// users, Vipps identities and consent revocation secret stay. With `purge_users` the
/// users (their identities and sessions with them), any identity left in the organization
/// and the secret go too, in the same transaction.
pub async fn delete(pool: &super::DbPool, org_id: &OrgId, purge_users: bool) -> Result<Removed> {
    let org = org_id.as_str();
    let (configuration, users_purged) = with_conn!(pool, |conn| conn
        .transaction(async |conn| {
            let configuration = diesel::delete(vipps_orgs::table.find(org))
                .execute(conn)
                .await?;
            if !purge_users {
                return Ok((configuration, 0));
            }
            diesel::delete(sessions::table.filter(sessions::org_id.eq(org)))
                .execute(conn)
                .await?;
            diesel::delete(vipps_identities::table.filter(vipps_identities::org_id.eq(org)))
                .execute(conn)
                .await?;
            let users_purged = diesel::delete(users::table.filter(users::org_id.eq(org)))
                .execute(conn)
                .await?;
            diesel::delete(consent_webhooks::table.find(org))
                .execute(conn)
                .await?;
            Ok::<_, DieselError>((configuration, users_purged))
        })
        .await)?;
    Ok(Removed {
        configuration: configuration == 1,
        users_purged,
    })
}
