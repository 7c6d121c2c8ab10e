//! The user registry in GraphQL: `me` (session token), and the admin operations `users`,
//! `user`, `createUser`, `deleteUser`, `unlinkVippsIdentity`.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, InputObject, Object, SimpleObject};

use super::error::GqlError;
use super::loaders::{IdentitiesLoader, OrgLoader};
use super::orgs::{Pagination, VippsEnvironment, VippsOrg, require_admin};
use super::scalars::DateTime;
use super::{Authorization, app};
use crate::domain::{self, NewUser, OrgId, PageRequest, UserFilter, UserId};
use crate::error::Error;
use crate::service::users;

type Result<T> = std::result::Result<T, GqlError>;

/// A user of an organization, linked to Vipps identities by logins.
pub struct User {
    user: domain::User,
    /// Loaded ahead by a list resolver for the whole page; otherwise loaded per field.
    org: Option<domain::VippsOrg>,
    identities: Option<Vec<domain::VippsIdentity>>,
}

impl User {
    pub(super) fn new(user: domain::User) -> Self {
        Self {
            user,
            org: None,
            identities: None,
        }
    }
}

#[Object]
impl User {
    /// The user's id.
    async fn id(&self) -> &str {
        self.user.id.as_str()
    }

    /// The organization the user belongs to.
    async fn org(&self, ctx: &Context<'_>) -> Result<VippsOrg> {
        let org = match &self.org {
            Some(org) => Some(org.clone()),
            None => {
                let loader = ctx.data_unchecked::<DataLoader<OrgLoader>>();
                loader.load_one(self.user.org_id.clone()).await?
            }
        };
        org.map(VippsOrg).ok_or_else(|| {
            Error::Internal(anyhow::anyhow!("user {} has no organization", self.user.id)).into()
        })
    }

    /// The Vipps identities linked to the user (one per environment and `sub`).
    async fn vipps_identities(&self, ctx: &Context<'_>) -> Result<Vec<VippsIdentity>> {
        let identities = match &self.identities {
            Some(identities) => identities.clone(),
            None => {
                let loader = ctx.data_unchecked::<DataLoader<IdentitiesLoader>>();
                loader
                    .load_one(self.user.id.clone())
                    .await?
                    .unwrap_or_default()
            }
        };
        Ok(identities.into_iter().map(VippsIdentity::from).collect())
    }

    /// Full name, from the last login (scope `name`) or registration.
    async fn name(&self) -> Option<&str> {
        self.user.name.as_deref()
    }

    /// First name, from the last login.
    async fn given_name(&self) -> Option<&str> {
        self.user.given_name.as_deref()
    }

    /// Last name, from the last login.
    async fn family_name(&self) -> Option<&str> {
        self.user.family_name.as_deref()
    }

    /// E-mail address (lower case).
    async fn email(&self) -> Option<&str> {
        self.user.email.as_ref().map(domain::Email::as_str)
    }

    /// Whether the e-mail address is verified (by Vipps, or vouched for at registration).
    async fn email_verified(&self) -> bool {
        self.user.email_verified
    }

    /// Phone number: digits with the country code, no `+`.
    async fn phone_number(&self) -> Option<&str> {
        self.user
            .phone_number
            .as_ref()
            .map(domain::PhoneNumber::as_str)
    }

    /// When the user was created (by a first login or by `createUser`).
    async fn created_at(&self) -> DateTime {
        DateTime(self.user.created_at)
    }

    /// When the user last logged in with Vipps; `null` before the first login.
    async fn last_login_at(&self) -> Option<DateTime> {
        self.user.last_login_at.map(DateTime)
    }
}

/// A Vipps identity linked to a user.
#[derive(SimpleObject)]
pub struct VippsIdentity {
    /// The Vipps environment the identity comes from.
    environment: VippsEnvironment,
    /// The Vipps `sub` (per merchant).
    sub: String,
    /// When the identity was linked to the user.
    linked_at: DateTime,
    /// When the identity was last used to log in.
    last_login_at: DateTime,
}

impl From<domain::VippsIdentity> for VippsIdentity {
    fn from(identity: domain::VippsIdentity) -> Self {
        Self {
            environment: identity.environment.into(),
            sub: identity.sub,
            linked_at: DateTime(identity.linked_at),
            last_login_at: DateTime(identity.last_login_at),
        }
    }
}

/// A page of users.
#[derive(SimpleObject)]
pub struct UserPage {
    /// The users on this page, oldest first.
    items: Vec<User>,
    /// Where this page sits in the whole result.
    pagination: Pagination,
}

/// A user to register ahead of their first login; a login links to it by phone number or
/// e-mail.
#[derive(InputObject)]
pub struct CreateUserInput {
    /// The organization the user belongs to.
    org_id: String,
    /// Phone number with country code, as in `4712345678` or `+47 123 45 678`.
    phone_number: Option<String>,
    /// E-mail address (the organization vouches for it: it counts as verified).
    email: Option<String>,
    /// Full name.
    name: Option<String>,
}

/// The answer to a deletion.
#[derive(SimpleObject)]
pub struct DeletedUser {
    /// The deleted user's id.
    id: String,
    /// Always true.
    deleted: bool,
    /// When the user was deleted.
    deleted_at: DateTime,
}

/// Wraps a page of users, loading the organizations and identities the query selects for the
/// whole page at once: one batched loader call per relation, however many users.
async fn with_relations(ctx: &Context<'_>, page: Vec<domain::User>) -> Result<Vec<User>> {
    let items = ctx.look_ahead().field("items");
    let wants_org = items.field("org").exists();
    let wants_identities = items.field("vippsIdentities").exists();
    let org_ids: Vec<OrgId> = page.iter().map(|u| u.org_id.clone()).collect();
    let user_ids: Vec<UserId> = page.iter().map(|u| u.id.clone()).collect();
    let orgs = async {
        if wants_org {
            let loader = ctx.data_unchecked::<DataLoader<OrgLoader>>();
            loader.load_many(org_ids).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let identities = async {
        if wants_identities {
            let loader = ctx.data_unchecked::<DataLoader<IdentitiesLoader>>();
            loader.load_many(user_ids).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let (orgs, mut identities) = tokio::try_join!(orgs, identities)?;
    Ok(page
        .into_iter()
        .map(|user| User {
            org: orgs
                .as_ref()
                .and_then(|orgs| orgs.get(&user.org_id).cloned()),
            identities: identities
                .as_mut()
                .map(|found| found.remove(&user.id).unwrap_or_default()),
            user,
        })
        .collect())
}

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The user a session token belongs to (`Authorization: Bearer <sessionToken>` from
    /// `completeVippsLogin`). `UNAUTHENTICATED` for a missing, expired or forged token.
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        let authorization = ctx.data_opt::<Authorization>().and_then(|a| a.0.as_deref());
        Ok(User::new(users::me(app(ctx), authorization).await?))
    }

    /// An organization's users, oldest first, a page at a time (admin).
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization's id.")] org_id: String,
        #[graphql(default = 1, desc = "The page number, from 1.")] page: i64,
        #[graphql(default = 20, desc = "Items per page, 1 to 100.")] limit: i64,
        #[graphql(desc = "Only users whose name, e-mail or phone number contains this text.")]
        search: Option<String>,
    ) -> Result<UserPage> {
        let admin = require_admin(ctx)?;
        let request = PageRequest::parse(page, limit)?;
        let filter = UserFilter::parse(&org_id, search.as_deref())?;
        let page = users::list(app(ctx), &admin, &filter, request).await?;
        let pagination = Pagination::from(&page);
        let items = with_relations(ctx, page.items).await?;
        Ok(UserPage { items, pagination })
    }

    /// One user, or `null` when there is none (admin).
    async fn user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's id.")] id: String,
    ) -> Result<Option<User>> {
        let admin = require_admin(ctx)?;
        let id = UserId::parse(&id)?;
        Ok(users::find(app(ctx), &admin, &id).await?.map(User::new))
    }
}

#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Registers a user ahead of their first login, by phone number and/or e-mail (admin).
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> Result<User> {
        let admin = require_admin(ctx)?;
        let new = NewUser::parse(
            &input.org_id,
            input.phone_number.as_deref(),
            input.email.as_deref(),
            input.name.as_deref(),
        )?;
        Ok(User::new(users::create(app(ctx), &admin, new).await?))
    }

    /// Deletes a user and the links to their Vipps identities (admin).
    async fn delete_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's id.")] id: String,
    ) -> Result<DeletedUser> {
        let admin = require_admin(ctx)?;
        let id = UserId::parse(&id)?;
        let deleted_at = users::delete(app(ctx), &admin, &id).await?;
        Ok(DeletedUser {
            id: id.to_string(),
            deleted: true,
            deleted_at: DateTime(deleted_at),
        })
    }

    /// Removes the link between a user and a Vipps `sub` (admin); the next login with that
    /// Vipps account links anew.
    async fn unlink_vipps_identity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's id.")] user_id: String,
        #[graphql(desc = "The Vipps `sub` to unlink.")] sub: String,
    ) -> Result<User> {
        let admin = require_admin(ctx)?;
        let id = UserId::parse(&user_id)?;
        let sub = domain::parse_sub(&sub)?;
        Ok(User::new(users::unlink(app(ctx), &admin, &id, &sub).await?))
    }
}
