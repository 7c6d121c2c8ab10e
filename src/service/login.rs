//! The login: start (authorize URL with state, nonce and PKCE) and completion (single-use
//! state, code exchange, ID-token verification, userinfo). Both adapters call these.

use crate::app::App;
use crate::db;
use crate::domain::{
    Actor, AuditKind, AuthorizationResponse, CompleteLogin, LoginAttempt, LoginSecret, LoginStart,
    NewAuditEvent, NextRelativeUrl, OrgId, Scope, StartLogin, Timestamp, User, VippsOrg,
    VippsUserInfo, completion_key, state_key,
};
use crate::error::{Error, Missing, Result};
use crate::limits::ClientAddr;
use crate::metrics::outcome;
use crate::service::{audit, orgs, users};
use crate::sessions::IssuedSession;
use crate::vipps::{CodeExchange, Expected};

/// A completed login: the Vipps profile, the local user it is linked to, and a session.
pub struct LoginResult {
    pub user_info: VippsUserInfo,
    pub user: User,
    pub session: IssuedSession,
    pub next_relative_url: NextRelativeUrl,
}

/// What a start refused for the organization's pending-login cap is told to wait, in
/// seconds: by then some attempts have been completed or have expired.
const PENDING_RETRY_AFTER_SECS: u64 = 60;

/// Starts a login for the organization: stores the attempt and returns where to send the user.
/// Each start counts against the client address's allowance, and an organization with
/// [`crate::limits::LimitsConfig::max_pending_logins_per_org`] logins pending takes no more.
/// Every start is counted in the metrics, with the organization when it exists.
pub async fn start(app: &App, addr: ClientAddr, request: StartLogin) -> Result<LoginStart> {
    let found = match app.limits.login_start(addr) {
        Ok(()) => enabled_org(app, &request.org_id).await,
        Err(error) => Err(error),
    };
    let org = match found {
        Ok(org) => org,
        Err(error) => {
            app.metrics.login_started(None, error.code());
            return Err(error);
        }
    };
    let result = start_for(app, &org, request).await;
    app.metrics
        .login_started(Some(org.org_id.as_str()), outcome(&result));
    result
}

/// The start of a login for an organization found enabled.
async fn start_for(app: &App, org: &VippsOrg, request: StartLogin) -> Result<LoginStart> {
    if let Some(cap) = app.limits.max_pending_logins_per_org {
        let pending =
            db::login_attempts::count_pending(&app.db, &org.org_id, Timestamp::now()).await?;
        if pending >= u64::from(cap.get()) {
            tracing::warn!(org_id = %org.org_id, pending, "login refused: too many pending logins");
            app.limits
                .refusals
                .refused(crate::metrics::Limit::PendingLogins);
            return Err(Error::RateLimited {
                retry_after_secs: PENDING_RETRY_AFTER_SECS,
            });
        }
    }
    let scopes = match request.scopes {
        Some(scopes) => {
            if let Some(extra) = scopes.iter().find(|s| !org.scopes.iter().any(|o| o == *s)) {
                return Err(crate::domain::InvalidInput::field(
                    "scopes",
                    format!(
                        "`{}` is not among the organization's scopes ({})",
                        extra.as_str(),
                        org.scopes
                    ),
                )
                .into());
            }
            scopes
        }
        None => org.scopes.clone(),
    };
    let redirect_uri = org
        .pick_redirect_uri(request.redirect_uri.as_ref())?
        .clone();
    request.flow.check_redirect(&redirect_uri)?;
    let discovery = app.vipps.discovery(org.environment).await?;
    let (state, nonce, code_verifier, completion_token) = (
        LoginSecret::generate()?,
        LoginSecret::generate()?,
        LoginSecret::generate()?,
        LoginSecret::generate()?,
    );
    let now = Timestamp::now();
    let expires_at = now.plus(app.login.ttl);
    let mut url = discovery.authorization_endpoint.clone();
    url.query_pairs_mut()
        .append_pair("client_id", org.client_id.as_str())
        .append_pair("response_type", "code")
        .append_pair("scope", &scopes.to_string())
        .append_pair("state", state.as_str())
        .append_pair("redirect_uri", redirect_uri.as_str())
        .append_pair("nonce", nonce.as_str())
        .append_pair("code_challenge", &code_verifier.code_challenge())
        .append_pair("code_challenge_method", "S256")
        .extend_pairs(request.flow.authorize_params(&redirect_uri));
    let attempt = LoginAttempt {
        state_key: state_key(state.as_str()),
        completion_key: completion_key(completion_token.as_str()),
        org_id: org.org_id.clone(),
        environment: org.environment,
        client_id: org.client_id.clone(),
        nonce,
        code_verifier,
        redirect_uri,
        flow: request.flow,
        scopes,
        next_relative_url: request.next_relative_url,
        created_at: now,
        expires_at,
    };
    if !db::login_attempts::insert(&app.db, &attempt).await? {
        return Err(Missing::Org(org.org_id.clone()).into());
    }
    tracing::info!(org_id = %org.org_id, flow = attempt.flow.as_str(), "login started");
    Ok(LoginStart {
        authorization_url: url.into(),
        state,
        completion_token,
        expires_at,
    })
}

/// Completes a login with what Vipps sent back. Nothing is spent until the completion has
/// shown it comes from whoever started the login (the completion token, unless the
/// organization allows unbound completions) and the client secret and discovery document
/// are at hand; then the `state` is consumed, so each login completes at most once.
/// Every completion is counted in the metrics, with the organization of the login attempt.
pub async fn complete(app: &App, addr: ClientAddr, request: CompleteLogin) -> Result<LoginResult> {
    let now = Timestamp::now();
    let attempt = match open_attempt(app, addr, &request.state).await {
        Ok(attempt) => attempt,
        Err(error) => {
            app.metrics.login_completed(None, error.code());
            return Err(error);
        }
    };
    let org_id = attempt.org_id.clone();
    let result = complete_open(app, attempt, request, now).await;
    app.metrics
        .login_completed(Some(org_id.as_str()), outcome(&result));
    result
}

/// The login attempt `state` names, counted against `addr`'s allowance of completions.
async fn open_attempt(app: &App, addr: ClientAddr, state: &str) -> Result<LoginAttempt> {
    app.limits.login_completion(addr)?;
    db::login_attempts::find_open(&app.db, &state_key(state))
        .await?
        .ok_or(Error::LoginStateInvalid)
}

/// The completion of a login attempt found open; its outcome goes to the audit trail.
async fn complete_open(
    app: &App,
    attempt: LoginAttempt,
    request: CompleteLogin,
    now: Timestamp,
) -> Result<LoginResult> {
    let (org_id, environment) = (attempt.org_id.clone(), attempt.environment);
    match complete_attempt(app, attempt, request, now).await {
        Ok(result) => {
            audit::record(
                app,
                NewAuditEvent::new(
                    &org_id,
                    AuditKind::LoginSucceeded,
                    Actor::User(result.user.id.clone()),
                    Some(&result.user.id),
                )
                .with_detail(serde_json::json!({ "environment": environment.as_str() })),
            )
            .await?;
            Ok(result)
        }
        Err(error) => {
            let kind = match error {
                Error::LoginCancelled(_) => AuditKind::LoginCancelled,
                _ => AuditKind::LoginFailed,
            };
            let mut detail = serde_json::json!({
                "environment": environment.as_str(),
                "code": error.code(),
            });
            if let Some(refusal) = error.provider_error() {
                detail["vipps_error"] = refusal.error.clone().into();
            }
            audit::record_failure(
                app,
                NewAuditEvent::new(&org_id, kind, Actor::Anonymous, None).with_detail(detail),
            )
            .await;
            Err(error)
        }
    }
}

/// The part of a completion that runs once its login attempt is found; every outcome of it
/// is recorded in the audit trail.
async fn complete_attempt(
    app: &App,
    attempt: LoginAttempt,
    request: CompleteLogin,
    now: Timestamp,
) -> Result<LoginResult> {
    let org = orgs::find(app, &attempt.org_id).await?;
    let unbound_allowed = org.as_ref().is_some_and(|org| org.allow_unbound_completion);
    if !unbound_allowed && !attempt.is_bound_to(request.completion_token.as_deref()) {
        tracing::warn!(
            org_id = %attempt.org_id,
            token_sent = request.completion_token.is_some(),
            "login completion refused: not the starter's completion token"
        );
        return Err(Error::LoginNotBound);
    }
    if attempt.expires_at <= now {
        return Err(Error::LoginStateExpired);
    }
    let code = match request.response {
        AuthorizationResponse::Code(code) => code,
        AuthorizationResponse::Error(error) => {
            consume(app, &attempt).await?;
            if error.is_cancel() {
                tracing::info!(org_id = %attempt.org_id, "login cancelled by the user");
                return Err(Error::LoginCancelled(error));
            }
            tracing::info!(org_id = %attempt.org_id, vipps_error = %error.error, "login refused by Vipps");
            return Err(Error::LoginFailed(error));
        }
    };
    let org = match org {
        Some(org) if !org.vipps_enabled => {
            return Err(Error::VippsDisabled(org.org_id.to_string()));
        }
        Some(org)
            if org.environment == attempt.environment && org.client_id == attempt.client_id =>
        {
            org
        }
        _ => return Err(Error::LoginStateInvalid),
    };
    let client_secret = app.secrets.resolve(&org.client_secret_ref).await?;
    let discovery = app.vipps.discovery(org.environment).await?;
    consume(app, &attempt).await?;
    let exchanged = app
        .vipps
        .exchange_code(
            &discovery,
            CodeExchange {
                org: &org,
                client_secret: &client_secret,
                code: &code,
                redirect_uri: &attempt.redirect_uri,
                code_verifier: &attempt.code_verifier,
            },
        )
        .await;
    if let Err(Error::LoginFailed(refusal)) = &exchanged
        && refusal.error == "invalid_client"
    {
        app.secrets.forget(&org.client_secret_ref);
    }
    let tokens = exchanged?;
    let id_token = app
        .vipps
        .verify_id_token(
            &discovery,
            &tokens.id_token,
            Expected {
                environment: org.environment,
                client_id: &org.client_id,
                nonce: &attempt.nonce,
                access_token: &tokens.access_token,
            },
        )
        .await?;
    let nin_granted = match tokens.scope.as_ref().or(request.scope.as_ref()) {
        Some(granted) => granted.split(' ').any(|s| s == Scope::Nin.as_str()),
        None => attempt.scopes.iter().any(|s| s == Scope::Nin),
    };
    let user_info = app
        .vipps
        .userinfo(
            &discovery,
            org.merchant_serial_number.as_ref(),
            &tokens.access_token,
            &id_token,
            nin_granted,
        )
        .await?;
    let user = users::link_login(app, &org, &user_info).await?;
    let session = users::issue_session(app, &user, &user_info.subject_identifier).await?;
    tracing::info!(org_id = %org.org_id, flow = attempt.flow.as_str(), "login completed");
    Ok(LoginResult {
        user_info,
        user,
        session,
        next_relative_url: attempt.next_relative_url,
    })
}

/// Consumes the attempt while it is unexpired: of concurrent completions, only one gets past
/// this, and a completion slowed down by the secret store or discovery cannot spend a login
/// that expired meanwhile.
async fn consume(app: &App, attempt: &LoginAttempt) -> Result<()> {
    let now = Timestamp::now();
    match db::login_attempts::consume(&app.db, &attempt.state_key, now).await? {
        Some(_) => Ok(()),
        None if attempt.expires_at <= now => Err(Error::LoginStateExpired),
        None => Err(Error::LoginStateInvalid),
    }
}

/// The organization, when it exists and has Vipps login switched on.
async fn enabled_org(app: &App, org_id: &OrgId) -> Result<VippsOrg> {
    let org = orgs::get(app, org_id).await?;
    if !org.vipps_enabled {
        return Err(Error::VippsDisabled(org.org_id.to_string()));
    }
    Ok(org)
}
