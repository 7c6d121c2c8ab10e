//! Consent revocation: each organization's revocation URL (a random secret in its path,
//! shown to and rotated by admins) and the `CONSENT_REVOKED` events Vipps posts to it.

use crate::app::App;
use crate::auth::Admin;
use crate::db;
use crate::db::consent::Revoked;
use crate::domain::{
    Actor, AuditKind, ConsentRevocation, ConsentSecret, NewAuditEvent, OrgId, Timestamp,
};
use crate::error::{Missing, Result};
use crate::service::{audit, orgs};

/// The path of the organization's revocation URL (`/vipps/consent/<org_id>/<secret>`),
/// made on first use. The secret is the only credential of the URL: it is shown to admins
/// and never logged. It outlives a removed configuration (the kept users' revocations still
/// arrive), so a re-created organization has the URL registered at Vipps before.
pub async fn path(app: &App, _admin: &Admin, org_id: &OrgId) -> Result<String> {
    orgs::get(app, org_id).await?;
    let secret = match db::consent::find_secret(&app.db, org_id).await? {
        Some(secret) => secret,
        None => {
            let fresh = ConsentSecret::generate()?;
            db::consent::ensure_secret(&app.db, org_id, &fresh, Timestamp::now()).await?
        }
    };
    Ok(format!("/vipps/consent/{org_id}/{}", secret.as_str()))
}

/// The whole revocation URL: `PUBLIC_BASE_URL` and the path, or the path alone when the
/// server does not know its public address.
pub async fn url(app: &App, admin: &Admin, org_id: &OrgId) -> Result<String> {
    let path = path(app, admin, org_id).await?;
    Ok(match &app.login.public_base_url {
        Some(base) => format!("{}{path}", base.as_str().trim_end_matches('/')),
        None => path,
    })
}

/// Gives the organization a new secret; the old URL answers 404 from now on.
pub async fn rotate(app: &App, _admin: &Admin, org_id: &OrgId) -> Result<()> {
    orgs::get(app, org_id).await?;
    let fresh = ConsentSecret::generate()?;
    db::consent::replace_secret(&app.db, org_id, &fresh, Timestamp::now()).await?;
    tracing::info!(%org_id, "consent revocation URL rotated");
    audit::record(
        app,
        NewAuditEvent::new(org_id, AuditKind::ConsentUrlRotated, Actor::Admin, None),
    )
    .await
}

/// Whether `secret` opens the organization's revocation URL. Unknown organizations,
/// organizations without a URL yet and wrong secrets look the same to the caller.
pub async fn check_secret(app: &App, org_id: &OrgId, secret: &str) -> Result<()> {
    match db::consent::find_secret(&app.db, org_id).await? {
        Some(stored) if stored.matches(secret) => Ok(()),
        _ => Err(Missing::ConsentUrl.into()),
    }
}

/// Applies a `CONSENT_REVOKED` event Vipps sent to the organization's URL (whose secret
/// [`check_secret`] accepted): the identity's user loses the profile data Vipps gave, its
/// sessions end, and the event is recorded, in one transaction. An unknown `sub`, or an
/// identity that logged in again after the event was issued, changes nothing. The users of
/// an organization whose configuration was removed are kept, and so are their revocations.
pub async fn revoke(app: &App, org_id: &OrgId, revocation: &ConsentRevocation) -> Result<Revoked> {
    let environment = orgs::find(app, org_id).await?.map(|org| org.environment);
    let outcome =
        db::consent::revoke(&app.db, org_id, environment, revocation, Timestamp::now()).await?;
    match &outcome {
        Revoked::Cleared {
            user_id,
            sessions_ended,
        } => tracing::info!(%org_id, %user_id, sessions_ended, "consent revoked: profile cleared"),
        Revoked::Superseded => {
            tracing::info!(%org_id, "consent revocation older than the last login: ignored");
        }
        Revoked::UnknownSub => tracing::info!(%org_id, "consent revocation for an unknown sub"),
    }
    Ok(outcome)
}
