//! The user registry in GraphQL: `me` (session token), and the admin operations `users`,
//! `user`, `createUser`, `deleteUser`, `unlinkVippsIdentity`.

use std::collections::HashMap;

use async_graphql::{Context, InputObject, Lookahead, Object, SimpleObject};

use super::error::GqlError;
use super::orgs::{Pagination, VippsEnvironment, VippsOrg, require_admin};
use super::scalars::DateTime;
use super::{app, caller};
use crate::app::App;
use crate::domain::{self, NewUser, OrgId, UserFilter, UserId, UserListRequest};
use crate::error::Error;
use crate::service::{orgs, users};

type Result<T> = std::result::Result<T, GqlError>;

/// A user of an organization, linked to Vipps identities by logins.
pub struct User {
    user: domain::User,
    /// The organization (`None` inside when its configuration was removed), when the
    /// selection asks for it (see [`with_relations`]).
    org: Option<Option<domain::VippsOrg>>,
    /// The identities, when the selection asks for them (see [`with_relations`]).
    identities: Option<Vec<domain::VippsIdentity>>,
}

/// Wraps users, loading the organizations and identities that `selection` (the selection of
/// one user) asks for, for all of them at once: one query per relation, however many users.
/// Every resolver that answers with users goes through here, so `User.org` and
/// `User.vippsIdentities` never query on their own.
pub(super) async fn with_relations(
    app: &App,
    selection: Lookahead<'_>,
    users: Vec<domain::User>,
) -> Result<Vec<User>> {
    let orgs = async {
        if !selection.field("org").exists() {
            return Ok(None);
        }
        let org_ids: Vec<OrgId> = users.iter().map(|u| u.org_id.clone()).collect();
        let found = orgs::find_many(app, &org_ids).await?;
        Ok::<_, Error>(Some(
            found
                .into_iter()
                .map(|org| (org.org_id.clone(), org))
                .collect::<HashMap<_, _>>(),
        ))
    };
    let identities = async {
        if !selection.field("vippsIdentities").exists() {
            return Ok(None);
        }
        let user_ids: Vec<UserId> = users.iter().map(|u| u.id.clone()).collect();
        users::identities_of(app, &user_ids).await.map(Some)
    };
    let (orgs, mut identities) = tokio::try_join!(orgs, identities)?;
    Ok(users
        .into_iter()
        .map(|user| User {
            org: orgs.as_ref().map(|orgs| orgs.get(&user.org_id).cloned()),
            identities: identities
                .as_mut()
                .map(|found| found.remove(&user.id).unwrap_or_default()),
            user,
        })
        .collect())
}

/// One user, with the relations `selection` asks for.
pub(super) async fn with_relations_one(
    app: &App,
    selection: Lookahead<'_>,
    user: domain::User,
) -> Result<User> {
    with_relations(app, selection, vec![user])
        .await?
        .pop()
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("a user went missing")).into())
}

#[Object]
impl User {
    /// The user's id.
    async fn id(&self) -> &str {
        self.user.id.as_str()
    }

    /// The organization the user belongs to; `null` while its Vipps configuration is removed
    /// (the user is kept, and a re-created `orgId` finds it).
    async fn org(&self) -> Result<Option<VippsOrg>> {
        let org = self.org.clone().ok_or_else(|| {
            Error::Internal(anyhow::anyhow!(
                "the organization of user {} was not loaded",
                self.user.id
            ))
        })?;
        Ok(org.map(VippsOrg))
    }

    /// The Vipps identities linked to the user (one per environment and `sub`).
    async fn vipps_identities(&self) -> Result<Vec<VippsIdentity>> {
        let identities = self.identities.clone().ok_or_else(|| {
            Error::Internal(anyhow::anyhow!(
                "the identities of user {} were not loaded",
                self.user.id
            ))
        })?;
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
    /// Pass as `after` for the next page; `null` on the last page.
    next_cursor: Option<String>,
    /// Where this page sits: `page` counts from `after` (1 for a page read by cursor);
    /// `total` is counted only when the query selects it.
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

/// The answer to `logout`.
#[derive(SimpleObject)]
pub struct LoggedOut {
    /// Always true: the session has ended.
    logged_out: bool,
    /// When the session ended.
    ended_at: DateTime,
}

/// The answer to `revokeUserSessions`.
#[derive(SimpleObject)]
pub struct RevokedSessions {
    /// The user whose sessions ended.
    user_id: String,
    /// How many open sessions ended now.
    revoked: u64,
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

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The user a session token belongs to (`Authorization: Bearer <sessionToken>` from
    /// `completeVippsLogin`). `UNAUTHENTICATED` for a missing, expired or forged token.
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        let app = app(ctx)?;
        let user = users::me(app, caller(ctx)?.session()?).await?;
        with_relations_one(app, ctx.look_ahead(), user).await
    }

    /// An organization's users, oldest first (by creation, then id), a page at a time
    /// (admin). Page through with `after`: pass each page's `nextCursor` until it is
    /// `null`. A page by cursor costs the same at any depth and sees every user exactly once,
    /// while users are added or deleted in between (users added meanwhile show up when they
    /// sort after the cursor). `page` numbers skip the users before them one by one, so deep
    /// pages of a large organization are slow: use them for the first few pages only. The users
    /// of an organization whose configuration was removed are listed too, until a purge.
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization's id.")] org_id: String,
        #[graphql(
            default = 1,
            desc = "The page number, from 1 (slow deep into a large organization: prefer `after`); only 1 with `after`."
        )]
        page: i64,
        #[graphql(default = 20, desc = "Items per page, 1 to 100.")] limit: i64,
        #[graphql(desc = "The `nextCursor` of the previous page; leave out for the first page.")]
        after: Option<String>,
        #[graphql(
            desc = "Only users whose name contains this text (ignoring case), or whose phone number or e-mail address is exactly this."
        )]
        search: Option<String>,
    ) -> Result<UserPage> {
        let admin = require_admin(ctx)?;
        let filter = UserFilter::parse(&org_id, search.as_deref())?;
        let with_total = ctx.look_ahead().field("pagination").field("total").exists();
        let request = UserListRequest::parse(filter, page, limit, after.as_deref(), with_total)?;
        let app = app(ctx)?;
        let page = users::list(app, admin, &request).await?;
        let pagination = Pagination::new(
            page.request.page(),
            page.request.limit(),
            page.total.unwrap_or_default(),
        );
        let items = with_relations(app, ctx.look_ahead().field("items"), page.items).await?;
        Ok(UserPage {
            items,
            next_cursor: page.next_cursor.map(|cursor| cursor.encode()),
            pagination,
        })
    }

    /// One user, or `null` when there is none (admin).
    async fn user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's id.")] id: String,
    ) -> Result<Option<User>> {
        let admin = require_admin(ctx)?;
        let id = UserId::parse(&id)?;
        let app = app(ctx)?;
        match users::find(app, admin, &id).await? {
            Some(user) => Ok(Some(with_relations_one(app, ctx.look_ahead(), user).await?)),
            None => Ok(None),
        }
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
        let app = app(ctx)?;
        let user = users::create(app, admin, new).await?;
        with_relations_one(app, ctx.look_ahead(), user).await
    }

    /// Deletes a user, the links to their Vipps identities and their sessions (admin).
    async fn delete_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's id.")] id: String,
    ) -> Result<DeletedUser> {
        let admin = require_admin(ctx)?;
        let id = UserId::parse(&id)?;
        let deleted_at = users::delete(app(ctx)?, admin, &id).await?;
        Ok(DeletedUser {
            id: id.to_string(),
            deleted: true,
            deleted_at: DateTime(deleted_at),
        })
    }

    /// Ends the session whose token the request carries (`Authorization: Bearer
    /// <sessionToken>`); `me` and token introspection refuse it from then on.
    async fn logout(&self, ctx: &Context<'_>) -> Result<LoggedOut> {
        let ended_at = users::logout(app(ctx)?, caller(ctx)?.session()?).await?;
        Ok(LoggedOut {
            logged_out: true,
            ended_at: DateTime(ended_at),
        })
    }

    /// Ends every open session of a user (admin).
    async fn revoke_user_sessions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's id.")] user_id: String,
    ) -> Result<RevokedSessions> {
        let admin = require_admin(ctx)?;
        let id = UserId::parse(&user_id)?;
        let revoked = users::revoke_sessions(app(ctx)?, admin, &id).await?;
        Ok(RevokedSessions {
            user_id: id.to_string(),
            revoked: u64::try_from(revoked).unwrap_or(u64::MAX),
        })
    }

    /// Removes the link between a user and a Vipps `sub` (admin); the next login with that
    /// Vipps account links anew. The sessions that logins with this identity opened end;
    /// unlinking the user's last identity ends all of their sessions.
    async fn unlink_vipps_identity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's id.")] user_id: String,
        #[graphql(desc = "The Vipps `sub` to unlink.")] sub: String,
    ) -> Result<User> {
        let admin = require_admin(ctx)?;
        let id = UserId::parse(&user_id)?;
        let sub = domain::parse_sub(&sub)?;
        let app = app(ctx)?;
        let user = users::unlink(app, admin, &id, &sub).await?;
        with_relations_one(app, ctx.look_ahead(), user).await
    }
}
