//! Organization configurations: create, read, list, update, delete.

use crate::app::App;
use crate::auth::Admin;
use crate::db;
use crate::domain::{
    Actor, AuditKind, NewAuditEvent, NewVippsOrg, OrgChanges, OrgFilter, OrgId, Page, PageRequest,
    Timestamp, VippsOrg,
};
use crate::error::{Clash, Missing, Result};
use crate::service::audit;

/// How often an update re-reads and retries when another writer got there first.
const UPDATE_ATTEMPTS: usize = 5;

/// Stores a new organization. A taken `org_id` is a conflict.
pub async fn create(app: &App, _admin: &Admin, new: NewVippsOrg) -> Result<VippsOrg> {
    app.secrets.check_allowed(&new.client_secret_ref).await?;
    let now = Timestamp::now();
    let org = new.into_org(now, now)?;
    if !db::orgs::insert(&app.db, &org).await? {
        return Err(Clash::OrgExists(org.org_id).into());
    }
    tracing::info!(org_id = %org.org_id, environment = %org.environment, "vipps org created");
    audit::record(
        app,
        NewAuditEvent::new(&org.org_id, AuditKind::OrgCreated, Actor::Admin, None)
            .with_detail(serde_json::json!({ "environment": org.environment.as_str() })),
    )
    .await?;
    Ok(org)
}

/// The organization, or `None` when there is none.
pub async fn find(app: &App, org_id: &OrgId) -> Result<Option<VippsOrg>> {
    db::orgs::find(&app.db, org_id).await
}

/// The organization, or `NOT_FOUND`.
pub async fn get(app: &App, org_id: &OrgId) -> Result<VippsOrg> {
    find(app, org_id)
        .await?
        .ok_or_else(|| Missing::Org(org_id.clone()).into())
}

/// The organizations among `org_ids` that exist (in any order), in one query.
pub async fn find_many(app: &App, org_ids: &[OrgId]) -> Result<Vec<VippsOrg>> {
    db::orgs::find_many(&app.db, org_ids).await
}

/// One page of organizations ordered by `org_id`.
pub async fn list(app: &App, filter: OrgFilter, page: PageRequest) -> Result<Page<VippsOrg>> {
    db::orgs::list(&app.db, filter, page).await
}

/// Applies a partial update and returns the organization as stored. Concurrent updates
/// never overwrite each other: each one applies to the row it read, or reads again.
pub async fn update(
    app: &App,
    _admin: &Admin,
    org_id: &OrgId,
    changes: &OrgChanges,
) -> Result<VippsOrg> {
    if let Some(reference) = &changes.client_secret_ref {
        app.secrets.check_allowed(reference).await?;
    }
    let _serialized = app.org_updates.lock().await;
    for _ in 0..UPDATE_ATTEMPTS {
        let current = get(app, org_id).await?;
        let updated = current.apply(changes, Timestamp::now())?;
        if db::orgs::update_if_unchanged(&app.db, &updated, current.updated_at).await? {
            tracing::info!(%org_id, fields = ?changes.fields(), "vipps org updated");
            let mut sessions_ended = 0;
            if !updated.vipps_enabled {
                // Also when it was off already: a retry ends what a failed first try left.
                sessions_ended =
                    db::sessions::end_for_org(&app.db, org_id, Timestamp::now()).await?;
                tracing::info!(%org_id, ended = sessions_ended, "vipps login is off: sessions ended");
            }
            let fields: Vec<&str> = changes.fields().iter().map(|f| f.as_str()).collect();
            audit::record(
                app,
                NewAuditEvent::new(org_id, AuditKind::OrgUpdated, Actor::Admin, None).with_detail(
                    serde_json::json!({ "fields": fields, "sessions_ended": sessions_ended }),
                ),
            )
            .await?;
            return Ok(updated);
        }
    }
    Err(Clash::OrgBusy(org_id.clone()).into())
}

/// Removes the organization's configuration and returns when it happened: it vanishes from
/// every read, its pending login attempts and its sessions end, and the `org_id` is free
/// again. Its users, their Vipps identities and the audit trail stay: re-creating the
/// `org_id` finds them, and sessions issued before never come back with it.
///
/// With `purge_users` the registry is erased as well (users, identities, sessions, the
/// consent revocation secret), also when the configuration was removed before. `NOT_FOUND`
/// when there was neither a configuration nor a user to erase.
pub async fn delete(
    app: &App,
    _admin: &Admin,
    org_id: &OrgId,
    purge_users: bool,
) -> Result<Timestamp> {
    let ended = db::sessions::end_for_org(&app.db, org_id, Timestamp::now()).await?;
    let removed = db::orgs::delete(&app.db, org_id, purge_users).await?;
    if !removed.configuration && removed.users_purged == 0 {
        return Err(Missing::Org(org_id.clone()).into());
    }
    tracing::info!(
        %org_id,
        configuration = removed.configuration,
        purge_users,
        users_purged = removed.users_purged,
        "vipps org deleted"
    );
    audit::record(
        app,
        NewAuditEvent::new(org_id, AuditKind::OrgDeleted, Actor::Admin, None).with_detail(
            serde_json::json!({
                "configuration_removed": removed.configuration,
                "purge_users": purge_users,
                "users_purged": removed.users_purged,
                "sessions_ended": ended,
            }),
        ),
    )
    .await?;
    Ok(Timestamp::now())
}
