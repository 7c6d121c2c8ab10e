//! Organization configs in GraphQL: `vippsOrgs`, `vippsOrg`, `vippsOrgStatus` and the
//! admin mutations `createVippsOrg`, `updateVippsOrg`, `deleteVippsOrg`.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, SimpleObject};

use super::error::GqlError;
use super::loaders::OrgLoader;
use super::scalars::DateTime;
use super::{app, caller};
use crate::auth::Admin;
use crate::domain::{self, MerchantSerialNumber, OrgFilter, OrgId, PageRequest, Patch};
use crate::service::{consent, orgs};

type Result<T> = std::result::Result<T, GqlError>;

/// The admin proof of the caller, or `UNAUTHENTICATED`.
pub(super) fn require_admin<'a>(ctx: &Context<'a>) -> Result<&'a Admin> {
    Ok(caller(ctx)?.admin()?)
}

/// The Vipps environment an organization uses; it decides which OpenID issuer it talks to.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum VippsEnvironment {
    /// Vipps production (`https://api.vipps.no/access-management-1.0/access/`).
    Production,
    /// The Vipps test environment (`https://apitest.vipps.no/access-management-1.0/access/`).
    Test,
}

impl From<domain::Environment> for VippsEnvironment {
    fn from(environment: domain::Environment) -> Self {
        match environment {
            domain::Environment::Production => Self::Production,
            domain::Environment::Test => Self::Test,
        }
    }
}

impl From<VippsEnvironment> for domain::Environment {
    fn from(environment: VippsEnvironment) -> Self {
        match environment {
            VippsEnvironment::Production => Self::Production,
            VippsEnvironment::Test => Self::Test,
        }
    }
}

/// How the server authenticates as the organization's client at the token endpoint.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum TokenEndpointAuthMethod {
    /// HTTP Basic authentication with client id and secret (the Vipps default).
    ClientSecretBasic,
    /// Client id and secret sent in the form body.
    ClientSecretPost,
}

impl From<domain::TokenEndpointAuthMethod> for TokenEndpointAuthMethod {
    fn from(method: domain::TokenEndpointAuthMethod) -> Self {
        match method {
            domain::TokenEndpointAuthMethod::ClientSecretBasic => Self::ClientSecretBasic,
            domain::TokenEndpointAuthMethod::ClientSecretPost => Self::ClientSecretPost,
        }
    }
}

impl From<TokenEndpointAuthMethod> for domain::TokenEndpointAuthMethod {
    fn from(method: TokenEndpointAuthMethod) -> Self {
        match method {
            TokenEndpointAuthMethod::ClientSecretBasic => Self::ClientSecretBasic,
            TokenEndpointAuthMethod::ClientSecretPost => Self::ClientSecretPost,
        }
    }
}

/// An organization's "Log in with Vipps" client configuration.
pub struct VippsOrg(pub(super) domain::VippsOrg);

#[Object]
impl VippsOrg {
    /// The organization's id: 1–64 characters of `a-z`, `0-9`, `_` and `-`.
    async fn org_id(&self) -> &str {
        self.0.org_id.as_str()
    }

    /// The OAuth client id Vipps issued to the organization.
    async fn client_id(&self) -> &str {
        self.0.client_id.as_str()
    }

    /// Where the client secret is kept (`vault://…`, `env://…` or `file://…`); never the secret itself.
    async fn client_secret_ref(&self) -> &str {
        self.0.client_secret_ref.as_str()
    }

    /// The URI Vipps redirects the user back to, exactly as registered at Vipps; the default
    /// of a login that names none.
    async fn redirect_uri(&self) -> &str {
        self.0.redirect_uri.as_str()
    }

    /// More redirect URIs registered at Vipps for the same client (a web and an app callback,
    /// say); a login may name one of them as its `redirectUri`. Users stay per organization,
    /// so logins through any of them reach the same user.
    async fn additional_redirect_uris(&self) -> Vec<&str> {
        self.0
            .additional_redirect_uris
            .iter()
            .map(domain::RedirectUri::as_str)
            .collect()
    }

    /// The OpenID scopes the organization may request; always includes `openid`.
    async fn scopes(&self) -> Vec<&'static str> {
        self.0.scopes.names()
    }

    /// Whether "Log in with Vipps" is switched on for the organization.
    async fn vipps_enabled(&self) -> bool {
        self.0.vipps_enabled
    }

    /// The Vipps environment the organization uses.
    async fn environment(&self) -> VippsEnvironment {
        self.0.environment.into()
    }

    /// How the server authenticates at the token endpoint.
    async fn token_endpoint_auth_method(&self) -> TokenEndpointAuthMethod {
        self.0.token_endpoint_auth_method.into()
    }

    /// The merchant serial number (MSN) sent as `Merchant-Serial-Number`, when the organization has one.
    async fn merchant_serial_number(&self) -> Option<&str> {
        self.0
            .merchant_serial_number
            .as_ref()
            .map(MerchantSerialNumber::as_str)
    }

    /// Whether logins link only to users an administrator registered beforehand (`createUser`);
    /// a login that matches nobody then fails with `NO_ACCOUNT` instead of creating a user.
    async fn pre_provisioned_users_only(&self) -> bool {
        self.0.pre_provisioned_users_only
    }

    /// Whether logins may complete without the `completionToken` their start handed out.
    /// Only for Vipps' automatic return, where the user may come back in another browser:
    /// then whoever holds the redirect's `state` and `code` can complete the login, so a
    /// malicious app or page that sees the redirect can take over the session.
    async fn allow_unbound_completion(&self) -> bool {
        self.0.allow_unbound_completion
    }

    /// The URL to register at Vipps for consent revocations (admin only; `UNAUTHENTICATED`
    /// for anyone else): absolute when the server's `PUBLIC_BASE_URL` is set, else its path.
    /// The random part of its path is its only credential: treat the URL as a secret, and
    /// rotate it with `rotateConsentRevocationSecret` if it leaks.
    async fn consent_revocation_url(&self, ctx: &Context<'_>) -> Result<String> {
        let admin = require_admin(ctx)?;
        Ok(consent::url(app(ctx)?, admin, &self.0.org_id).await?)
    }

    /// When the organization was created.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// When the organization was last changed.
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
}

/// Whether an organization can offer "Log in with Vipps" right now.
#[derive(SimpleObject)]
pub struct VippsOrgStatus {
    /// The organization's id.
    org_id: String,
    /// Whether "Log in with Vipps" is switched on.
    vipps_enabled: bool,
    /// The OAuth client id at Vipps.
    client_id: String,
    /// The Vipps environment in use.
    environment: VippsEnvironment,
}

/// Where a page sits in the whole result.
#[derive(SimpleObject)]
pub struct Pagination {
    /// The page number, from 1.
    page: u32,
    /// The largest number of items on a page.
    limit: u32,
    /// How many items match in all.
    total: u64,
}

impl Pagination {
    /// A page whose `total` is only read when the query selects it.
    pub(super) fn new(page: u32, limit: u32, total: u64) -> Self {
        Self { page, limit, total }
    }
}

impl<T> From<&domain::Page<T>> for Pagination {
    fn from(page: &domain::Page<T>) -> Self {
        Self {
            page: page.request.page(),
            limit: page.request.limit(),
            total: page.total,
        }
    }
}

/// One page of organizations.
#[derive(SimpleObject)]
pub struct VippsOrgPage {
    /// The organizations on this page, ordered by `orgId`.
    items: Vec<VippsOrg>,
    /// Where this page sits in the whole result.
    pagination: Pagination,
}

/// The answer to a deletion.
#[derive(SimpleObject)]
pub struct DeletedVippsOrg {
    /// The id of the organization whose configuration was removed; it can be used again.
    org_id: String,
    /// Always `true`.
    deleted: bool,
    /// When the configuration was removed.
    deleted_at: DateTime,
}

/// A new organization configuration.
#[derive(InputObject)]
pub struct CreateVippsOrgInput {
    /// The organization's id: 1–64 characters of `a-z`, `0-9`, `_` and `-`, starting with a letter or digit.
    org_id: String,
    /// The OAuth client id Vipps issued.
    client_id: String,
    /// Where the client secret is kept: `vault://<path>/<key>`, `env://<VAR>` or `file://<path>`.
    client_secret_ref: String,
    /// The exact redirect URI registered at Vipps: `https://…` or an app scheme; `http://localhost` only in TEST.
    redirect_uri: String,
    /// More redirect URIs registered at Vipps, each under the rules of `redirectUri`
    /// (default none).
    #[graphql(default)]
    additional_redirect_uris: Vec<String>,
    /// The scopes to allow: `openid` plus any of `name email phoneNumber address birthDate nin`.
    scopes: Vec<String>,
    /// The Vipps environment.
    environment: VippsEnvironment,
    /// Whether "Log in with Vipps" starts switched on.
    #[graphql(default = true)]
    vipps_enabled: bool,
    /// Token endpoint authentication (default `CLIENT_SECRET_BASIC`).
    token_endpoint_auth_method: Option<TokenEndpointAuthMethod>,
    /// The merchant serial number, if the organization has one.
    merchant_serial_number: Option<String>,
    /// Link logins only to users registered with `createUser` (default false).
    #[graphql(default = false)]
    pre_provisioned_users_only: bool,
    /// Accept login completions without the starter's `completionToken` (default false; see
    /// `VippsOrg.allowUnboundCompletion` for the risk).
    #[graphql(default = false)]
    allow_unbound_completion: bool,
}

impl CreateVippsOrgInput {
    fn parse(self) -> std::result::Result<domain::NewVippsOrg, domain::InvalidInput> {
        domain::NewVippsOrg::parse(domain::NewOrgFields {
            org_id: self.org_id,
            client_id: self.client_id,
            client_secret_ref: self.client_secret_ref,
            redirect_uri: self.redirect_uri,
            additional_redirect_uris: self.additional_redirect_uris,
            scopes: self.scopes,
            vipps_enabled: self.vipps_enabled,
            environment: self.environment.into(),
            token_endpoint_auth_method: self.token_endpoint_auth_method.map(Into::into),
            merchant_serial_number: self.merchant_serial_number,
            pre_provisioned_users_only: self.pre_provisioned_users_only,
            allow_unbound_completion: self.allow_unbound_completion,
        })
    }
}

/// A partial update: leave a field out to keep its value. Only `merchantSerialNumber` can be set to `null`.
#[derive(InputObject)]
pub struct UpdateVippsOrgInput {
    /// A new OAuth client id.
    client_id: MaybeUndefined<String>,
    /// A new secret reference.
    client_secret_ref: MaybeUndefined<String>,
    /// A new redirect URI.
    redirect_uri: MaybeUndefined<String>,
    /// A new list of additional redirect URIs (replaces the old one; `[]` removes them all).
    additional_redirect_uris: MaybeUndefined<Vec<String>>,
    /// A new set of scopes (replaces the old one).
    scopes: MaybeUndefined<Vec<String>>,
    /// Switch "Log in with Vipps" on or off.
    vipps_enabled: MaybeUndefined<bool>,
    /// Move the organization to another environment.
    environment: MaybeUndefined<VippsEnvironment>,
    /// A new token endpoint authentication method.
    token_endpoint_auth_method: MaybeUndefined<TokenEndpointAuthMethod>,
    /// A new merchant serial number, or `null` to remove it.
    merchant_serial_number: MaybeUndefined<String>,
    /// Switch pre-provisioned-users-only on or off.
    pre_provisioned_users_only: MaybeUndefined<bool>,
    /// Switch unbound login completion on or off.
    allow_unbound_completion: MaybeUndefined<bool>,
}

fn patch<T>(value: MaybeUndefined<T>) -> Patch<T> {
    match value {
        MaybeUndefined::Undefined => Patch::Absent,
        MaybeUndefined::Null => Patch::Null,
        MaybeUndefined::Value(value) => Patch::Value(value),
    }
}

impl UpdateVippsOrgInput {
    fn parse(self) -> std::result::Result<domain::OrgChanges, domain::InvalidInput> {
        domain::OrgChanges::parse(domain::OrgPatch {
            client_id: patch(self.client_id),
            client_secret_ref: patch(self.client_secret_ref),
            redirect_uri: patch(self.redirect_uri),
            additional_redirect_uris: patch(self.additional_redirect_uris),
            scopes: patch(self.scopes),
            vipps_enabled: patch(self.vipps_enabled),
            environment: patch(self.environment.map_value(Into::into)),
            token_endpoint_auth_method: patch(
                self.token_endpoint_auth_method.map_value(Into::into),
            ),
            merchant_serial_number: patch(self.merchant_serial_number),
            pre_provisioned_users_only: patch(self.pre_provisioned_users_only),
            allow_unbound_completion: patch(self.allow_unbound_completion),
        })
    }
}

/// Looks an organization up through the batching loader.
async fn load(ctx: &Context<'_>, org_id: &str) -> Result<Option<domain::VippsOrg>> {
    let org_id = OrgId::parse(org_id)?;
    let loader = ctx.data::<DataLoader<OrgLoader>>()?;
    Ok(loader.load_one(org_id).await?)
}

#[derive(Default)]
pub struct OrgQuery;

#[Object]
impl OrgQuery {
    /// Organizations ordered by `orgId`, a page at a time. Without `includeDisabled`, only
    /// organizations with Vipps login switched on are listed.
    async fn vipps_orgs(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 1, desc = "The page number, from 1.")] page: i64,
        #[graphql(default = 20, desc = "Items per page, 1 to 100.")] limit: i64,
        #[graphql(
            default = false,
            desc = "Also list organizations with Vipps login switched off."
        )]
        include_disabled: bool,
        #[graphql(desc = "Only organizations in this environment.")] environment: Option<
            VippsEnvironment,
        >,
    ) -> Result<VippsOrgPage> {
        let request = PageRequest::parse(page, limit)?;
        let filter = OrgFilter {
            include_disabled,
            environment: environment.map(Into::into),
        };
        let page = orgs::list(app(ctx)?, filter, request).await?;
        Ok(VippsOrgPage {
            pagination: Pagination::from(&page),
            items: page.items.into_iter().map(VippsOrg).collect(),
        })
    }

    /// One organization's configuration, or `null` when there is none.
    async fn vipps_org(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization's id.")] org_id: String,
    ) -> Result<Option<VippsOrg>> {
        Ok(load(ctx, &org_id).await?.map(VippsOrg))
    }

    /// Whether an organization can offer "Log in with Vipps", or `null` when there is no such organization.
    async fn vipps_org_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization's id.")] org_id: String,
    ) -> Result<Option<VippsOrgStatus>> {
        Ok(load(ctx, &org_id).await?.map(|org| VippsOrgStatus {
            org_id: org.org_id.to_string(),
            vipps_enabled: org.vipps_enabled,
            client_id: org.client_id.as_str().to_owned(),
            environment: org.environment.into(),
        }))
    }
}

#[derive(Default)]
pub struct OrgMutation;

#[Object]
impl OrgMutation {
    /// Creates an organization configuration. Needs the admin token.
    async fn create_vipps_org(
        &self,
        ctx: &Context<'_>,
        input: CreateVippsOrgInput,
    ) -> Result<VippsOrg> {
        let admin = require_admin(ctx)?;
        Ok(VippsOrg(
            orgs::create(app(ctx)?, admin, input.parse()?).await?,
        ))
    }

    /// Changes the fields the input sets and keeps the rest. Needs the admin token.
    async fn update_vipps_org(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization's id.")] org_id: String,
        input: UpdateVippsOrgInput,
    ) -> Result<VippsOrg> {
        let admin = require_admin(ctx)?;
        let org_id = OrgId::parse(&org_id)?;
        Ok(VippsOrg(
            orgs::update(app(ctx)?, admin, &org_id, &input.parse()?).await?,
        ))
    }

    /// Gives the organization a new consent revocation URL (admin); the old one answers 404
    /// from now on, so register the new `consentRevocationUrl` at Vipps.
    async fn rotate_consent_revocation_secret(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization's id.")] org_id: String,
    ) -> Result<VippsOrg> {
        let admin = require_admin(ctx)?;
        let org_id = OrgId::parse(&org_id)?;
        let app = app(ctx)?;
        consent::rotate(app, admin, &org_id).await?;
        Ok(VippsOrg(orgs::get(app, &org_id).await?))
    }

    /// Removes an organization's Vipps configuration; its `orgId` becomes free. Pending logins
    /// and sessions end; its users, their Vipps identities and the audit trail stay, and
    /// re-creating the `orgId` finds them. With `purgeUsers: true` the users, identities and
    /// sessions are erased as well (also after an earlier removal). Needs the admin token.
    async fn delete_vipps_org(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization's id.")] org_id: String,
        #[graphql(
            default = false,
            desc = "Also erase the organization's users, their Vipps identities and sessions."
        )]
        purge_users: bool,
    ) -> Result<DeletedVippsOrg> {
        let admin = require_admin(ctx)?;
        let org_id = OrgId::parse(&org_id)?;
        let deleted_at = orgs::delete(app(ctx)?, admin, &org_id, purge_users).await?;
        Ok(DeletedVippsOrg {
            org_id: org_id.to_string(),
            deleted: true,
            deleted_at: DateTime(deleted_at),
        })
    }
}
