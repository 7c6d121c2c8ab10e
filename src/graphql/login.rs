//! The login in GraphQL: `startVippsLogin` and `completeVippsLogin`.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};

use super::error::GqlError;
use super::scalars::{Date, DateTime};
use super::users::{User, with_relations_one};
use super::{app, client_addr};
use crate::domain::{self, CompleteLogin, CompleteLoginFields, StartLogin, StartLoginFields};
use crate::service::login::{self, LoginResult};

type Result<T> = std::result::Result<T, GqlError>;

/// Starts a login.
#[derive(InputObject)]
pub struct StartVippsLoginInput {
    /// The organization whose Vipps client the login uses.
    org_id: String,
    /// Where the app continues after the login: a path on the app's own site, such as
    /// `/profile` (default `/`). Returned by `completeVippsLogin`.
    next_relative_url: Option<String>,
    /// The scopes to ask for, a subset of the organization's (default: all of them).
    scopes: Option<Vec<String>>,
    /// The redirect URI Vipps sends the user back to: exactly the organization's
    /// `redirectUri` or one of its `additionalRedirectUris` (default: `redirectUri`). The code
    /// exchange sends the same one.
    redirect_uri: Option<String>,
    /// How the user comes back from the Vipps app (default `BROWSER`).
    #[graphql(default_with = "VippsLoginFlow::Browser")]
    flow: VippsLoginFlow,
}

/// How the user comes back from the Vipps app to where the login started.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum VippsLoginFlow {
    /// The standard flow: after confirming in the Vipps app, the user switches back to the
    /// browser (or app) that opened the authorize URL. With an app-scheme redirect URI the
    /// authorize URL adds `final_redirect_is_app=true`.
    Browser,
    /// From a native app: the Vipps app sends the user straight back to the calling app
    /// through the redirect URI (`requested_flow=app_to_app_v2`, `final_redirect_is_app=true`,
    /// PKCE S256). The redirect URI must be an app scheme or an https universal / app link,
    /// not `http://localhost`.
    AppToApp,
    /// For web pages: the Vipps app returns the user to a browser by itself
    /// (`requested_flow=automatic_return_from_vipps_app`), possibly another browser than the
    /// one the login started in, so the completion may come without the starter's cookie.
    /// The redirect URI must be a web address. The completion token is still required
    /// unless the organization allows unbound completion.
    AutomaticReturn,
}

impl From<VippsLoginFlow> for domain::LoginFlow {
    fn from(flow: VippsLoginFlow) -> Self {
        match flow {
            VippsLoginFlow::Browser => Self::Browser,
            VippsLoginFlow::AppToApp => Self::AppToApp,
            VippsLoginFlow::AutomaticReturn => Self::AutomaticReturn,
        }
    }
}

/// A started login: send the user's browser to `authorizationUrl`.
#[derive(SimpleObject)]
pub struct VippsLoginStart {
    /// The Vipps authorize URL, with client id, scopes, state, nonce, PKCE challenge, the
    /// chosen redirect URI and the flow's parameters (`requested_flow`, `final_redirect_is_app`).
    authorization_url: String,
    /// The value Vipps sends back with the code; it completes this login once.
    state: String,
    /// Proof that you started this login: keep it where only your app can read it (never
    /// in a URL) and pass it to `completeVippsLogin`. Whoever else sees the redirect's
    /// `state` and `code` cannot complete the login without it.
    completion_token: String,
    /// When the login can no longer be completed.
    expires_at: DateTime,
}

/// Completes a login with the query parameters Vipps put on the redirect URI.
#[derive(InputObject)]
pub struct CompleteVippsLoginInput {
    /// `state` from the redirect.
    state: String,
    /// `code` from the redirect (absent when Vipps sent an `error`).
    code: Option<String>,
    /// `scope` from the redirect: the scopes granted, when the token response does not say.
    scope: Option<String>,
    /// `error` from the redirect, such as `access_denied` when the user cancelled.
    error: Option<String>,
    /// `error_description` from the redirect.
    error_description: Option<String>,
    /// `error_hint` from the redirect.
    error_hint: Option<String>,
    /// The `completionToken` `startVippsLogin` answered. Required unless the organization
    /// allows unbound completion; missing or wrong → `LOGIN_NOT_BOUND`, and the login stays
    /// usable for its starter.
    completion_token: Option<String>,
}

/// A completed login.
#[derive(SimpleObject)]
pub struct VippsLoginResult {
    /// The user's profile from Vipps.
    vipps_user_info: VippsUserInfo,
    /// The path given when the login started.
    next_relative_url: String,
    /// The local user the Vipps account is linked to.
    user: User,
    /// A session token for the user: an EdDSA-signed JWT (`aud` = the organization, `sub` =
    /// the user id), verifiable with the keys at `/.well-known/jwks.json`. Send it as
    /// `Authorization: Bearer …` to `me`.
    session_token: String,
    /// When the session token expires.
    session_expires_at: DateTime,
}

/// The kind of a postal address.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum VippsAddressType {
    /// The user's home address.
    Home,
    /// A work address.
    Work,
    /// Any other address.
    Other,
}

/// A postal address from Vipps.
#[derive(SimpleObject)]
pub struct VippsAddress {
    /// Home, work or other.
    address_type: Option<VippsAddressType>,
    /// ISO 3166-1 alpha-2 country code, such as `NO`.
    country: Option<String>,
    /// The whole address, lines separated by `\n`.
    formatted: Option<String>,
    /// Postal code, such as `0218`.
    postal_code: Option<String>,
    /// Postal area or region, such as `OSLO`.
    region: Option<String>,
    /// Street and number; unit or floor may follow after `\n`.
    street_address: Option<String>,
}

/// The user's profile. Which fields are filled depends on the scopes granted; only
/// `subjectIdentifier` is always there.
#[derive(SimpleObject)]
pub struct VippsUserInfo {
    /// The Vipps `sub`: the user's stable id at this merchant (differs per merchant).
    subject_identifier: String,
    /// The Vipps session id (`sid`).
    session_identifier: Option<String>,
    /// Full name (scope `name`).
    name: Option<String>,
    /// First name (scope `name`).
    given_name: Option<String>,
    /// Last name (scope `name`).
    family_name: Option<String>,
    /// E-mail address (scope `email`); check `emailVerified` before trusting it.
    email: Option<String>,
    /// Whether the user has verified the e-mail address with Vipps.
    email_verified: Option<bool>,
    /// Digits with the country code and no `+`, such as `4712345678` (verified by Vipps).
    phone_number: Option<String>,
    /// Date of birth (scope `birthDate`).
    birthdate: Option<Date>,
    /// The default address (scope `address`).
    address: Option<VippsAddress>,
    /// The user's other addresses (scope `address`); empty when none.
    other_addresses: Vec<VippsAddress>,
    /// National identity number (scope `nin`, only when granted).
    nin: Option<String>,
}

impl From<domain::VippsAddress> for VippsAddress {
    fn from(address: domain::VippsAddress) -> Self {
        Self {
            address_type: address.address_type.map(|kind| match kind {
                domain::AddressType::Home => VippsAddressType::Home,
                domain::AddressType::Work => VippsAddressType::Work,
                domain::AddressType::Other => VippsAddressType::Other,
            }),
            country: address.country,
            formatted: address.formatted,
            postal_code: address.postal_code,
            region: address.region,
            street_address: address.street_address,
        }
    }
}

impl From<domain::VippsUserInfo> for VippsUserInfo {
    fn from(info: domain::VippsUserInfo) -> Self {
        Self {
            subject_identifier: info.subject_identifier,
            session_identifier: info.session_identifier,
            name: info.name,
            given_name: info.given_name,
            family_name: info.family_name,
            email: info.email,
            email_verified: info.email_verified,
            phone_number: info.phone_number,
            birthdate: info.birthdate.map(Date),
            address: info.address.map(VippsAddress::from),
            other_addresses: info
                .other_addresses
                .into_iter()
                .map(VippsAddress::from)
                .collect(),
            nin: info.nin,
        }
    }
}

impl VippsLoginResult {
    /// The answer for a completed login, with its user's relations loaded as selected.
    async fn new(ctx: &Context<'_>, result: LoginResult) -> Result<Self> {
        let LoginResult {
            user_info,
            user,
            session,
            next_relative_url,
        } = result;
        Ok(Self {
            vipps_user_info: user_info.into(),
            next_relative_url: next_relative_url.as_str().to_owned(),
            user: with_relations_one(app(ctx)?, ctx.look_ahead().field("user"), user).await?,
            session_token: session.token,
            session_expires_at: DateTime(session.expires_at),
        })
    }
}

#[derive(Default)]
pub struct LoginMutation;

#[Object]
impl LoginMutation {
    /// Starts a "Log in with Vipps" for an organization. Public: no admin token needed.
    async fn start_vipps_login(
        &self,
        ctx: &Context<'_>,
        input: StartVippsLoginInput,
    ) -> Result<VippsLoginStart> {
        let request = StartLogin::parse(StartLoginFields {
            org_id: &input.org_id,
            next_relative_url: input.next_relative_url.as_deref(),
            scopes: input.scopes.as_deref(),
            redirect_uri: input.redirect_uri.as_deref(),
            flow: Some(input.flow.into()),
        })?;
        let started = login::start(app(ctx)?, client_addr(ctx)?, request).await?;
        Ok(VippsLoginStart {
            authorization_url: started.authorization_url,
            state: started.state.as_str().to_owned(),
            completion_token: started.completion_token.as_str().to_owned(),
            expires_at: DateTime(started.expires_at),
        })
    }

    /// Completes a login with what Vipps sent to the redirect URI and the `completionToken`
    /// of its start. Each `state` completes once; the outcome codes are `LOGIN_NOT_BOUND`
    /// (no or the wrong completion token; the login stays usable), `LOGIN_STATE_INVALID`, `LOGIN_STATE_EXPIRED`,
    /// `LOGIN_CANCELLED`, `LOGIN_FAILED` (with `vippsError`), `ID_TOKEN_INVALID`,
    /// `VIPPS_DISABLED`, `VIPPS_UNAVAILABLE` and `SECRET_UNAVAILABLE`.
    async fn complete_vipps_login(
        &self,
        ctx: &Context<'_>,
        input: CompleteVippsLoginInput,
    ) -> Result<VippsLoginResult> {
        let request = CompleteLogin::parse(CompleteLoginFields {
            state: Some(&input.state),
            code: input.code.as_deref(),
            scope: input.scope.as_deref(),
            error: input.error.as_deref(),
            error_description: input.error_description.as_deref(),
            error_hint: input.error_hint.as_deref(),
            completion_token: input.completion_token.as_deref(),
        })?;
        let result = login::complete(app(ctx)?, client_addr(ctx)?, request).await?;
        VippsLoginResult::new(ctx, result).await
    }
}
