//! Queries for consent revocation, written once for both backends: the secret of each
//! organization's revocation URL, and the revocation itself in one transaction.

use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::audit::NewAuditRow;
use super::schema::{audit_events, consent_webhooks, sessions, users, vipps_identities};
use super::with_conn;
use crate::domain::{
    Actor, AuditKind, ConsentRevocation, ConsentSecret, Environment, OrgId, Timestamp, UserId,
};
use crate::error::{Error, Result};

/// The organization's secret, when it has one.
pub async fn find_secret(pool: &super::DbPool, org_id: &OrgId) -> Result<Option<ConsentSecret>> {
    let secret: Option<String> = with_conn!(pool, |conn| consent_webhooks::table
        .find(org_id.as_str())
        .select(consent_webhooks::secret)
        .first(conn)
        .await
        .optional())?;
    Ok(secret.map(ConsentSecret::stored))
}

/// The organization's secret, storing `fresh` first when it has none (the caller checked
/// the organization). Concurrent callers all get the one secret stored first.
pub async fn ensure_secret(
    pool: &super::DbPool,
    org_id: &OrgId,
    fresh: &ConsentSecret,
    now: Timestamp,
) -> Result<ConsentSecret> {
    with_conn!(pool, |conn| diesel::insert_into(consent_webhooks::table)
        .values((
            consent_webhooks::org_id.eq(org_id.as_str()),
            consent_webhooks::secret.eq(fresh.as_str()),
            consent_webhooks::created_at.eq(now.naive_utc()),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await)?;
    find_secret(pool, org_id)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("the consent secret vanished")))
}

/// Replaces the organization's secret with `fresh` (the old URL stops working; the caller
/// checked the organization).
pub async fn replace_secret(
    pool: &super::DbPool,
    org_id: &OrgId,
    fresh: &ConsentSecret,
    now: Timestamp,
) -> Result<()> {
    with_conn!(pool, |conn| diesel::insert_into(consent_webhooks::table)
        .values((
            consent_webhooks::org_id.eq(org_id.as_str()),
            consent_webhooks::secret.eq(fresh.as_str()),
            consent_webhooks::created_at.eq(now.naive_utc()),
        ))
        .on_conflict(consent_webhooks::org_id)
        .do_update()
        .set((
            consent_webhooks::secret.eq(fresh.as_str()),
            consent_webhooks::created_at.eq(now.naive_utc()),
        ))
        .execute(conn)
        .await)?;
    Ok(())
}

/// What a revocation did.
#[derive(Debug, PartialEq, Eq)]
pub enum Revoked {
    /// No identity of the organization has this `sub`: nothing changed.
    UnknownSub,
    /// The identity logged in again after the second the event was issued in (consent
    /// given anew): nothing changed.
    Superseded,
    /// The user's Vipps profile data is gone and its sessions ended.
    Cleared {
        user_id: UserId,
        sessions_ended: usize,
    },
}

/// Applies a revocation in one transaction: clears the profile fields a login fills (name,
/// given and family name, e-mail and its verification, phone number) of the identity's
/// user and the phone number the identity remembers, ends every open session of the user,
/// and records the `consent.revoked` event. The user, its id and the link stay.
///
/// The identity is the one of `environment` (the organization's), or, for an organization
/// whose configuration was removed (`None`), the one with this `sub` that logged in last.
pub async fn revoke(
    pool: &super::DbPool,
    org_id: &OrgId,
    environment: Option<Environment>,
    revocation: &ConsentRevocation,
    now: Timestamp,
) -> Result<Revoked> {
    let org = org_id.as_str();
    let env = environment.map(Environment::as_str);
    let sub = revocation.sub.as_str();
    let at = now.naive_utc();
    // `iat` has whole seconds: a login within its second may have preceded the event.
    let superseded_from = revocation
        .issued_at
        .plus(std::time::Duration::from_secs(1))
        .naive_utc();
    let outcome = with_conn!(pool, |conn| Ok::<_, DieselError>(
        conn.transaction(async |conn| {
            let mut identity = vipps_identities::table
                .filter(vipps_identities::org_id.eq(org))
                .filter(vipps_identities::sub.eq(sub))
                .into_boxed();
            if let Some(env) = env {
                identity = identity.filter(vipps_identities::environment.eq(env));
            }
            let identity: Option<(String, String, chrono::NaiveDateTime)> = identity
                .order(vipps_identities::last_login_at.desc())
                .select((
                    vipps_identities::environment,
                    vipps_identities::user_id,
                    vipps_identities::last_login_at,
                ))
                .first(conn)
                .await
                .optional()?;
            let Some((env, user_id, last_login_at)) = identity else {
                return Ok(None);
            };
            if last_login_at >= superseded_from {
                return Ok(Some((user_id, None)));
            }
            diesel::update(users::table.find(&user_id))
                .set((
                    users::name.eq(None::<String>),
                    users::given_name.eq(None::<String>),
                    users::family_name.eq(None::<String>),
                    users::email.eq(None::<String>),
                    users::email_verified.eq(false),
                    users::phone_number.eq(None::<String>),
                    users::updated_at.eq(at),
                ))
                .execute(conn)
                .await?;
            diesel::update(vipps_identities::table.find((org, env.as_str(), sub)))
                .set(vipps_identities::phone_number.eq(None::<String>))
                .execute(conn)
                .await?;
            let ended = diesel::update(
                sessions::table
                    .filter(sessions::user_id.eq(&user_id))
                    .filter(sessions::ended_at.is_null()),
            )
            .set(sessions::ended_at.eq(Some(at)))
            .execute(conn)
            .await?;
            let event = NewAuditRow::from_parts(
                org,
                AuditKind::ConsentRevoked,
                &Actor::Vipps.to_string(),
                Some(user_id.as_str()),
                &serde_json::json!({
                    "environment": env,
                    "sessions_ended": ended,
                }),
                now,
            );
            diesel::insert_into(audit_events::table)
                .values(&event)
                .execute(conn)
                .await?;
            Ok(Some((user_id, Some(ended))))
        })
        .await
    ))?;
    match outcome {
        Ok(None) => Ok(Revoked::UnknownSub),
        Ok(Some((_, None))) => Ok(Revoked::Superseded),
        Ok(Some((user_id, Some(sessions_ended)))) => Ok(Revoked::Cleared {
            user_id: UserId::parse(&user_id).map_err(|e| Error::Internal(e.into()))?,
            sessions_ended,
        }),
        Err(error) => Err(super::query_error(error)),
    }
}
