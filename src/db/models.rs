//! Row structs and their conversion to and from domain types.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{login_attempts, sessions, users, vipps_identities, vipps_orgs};
use crate::domain::{
    ClientId, Email, Environment, InvalidInput, LoginAttempt, LoginFlow, LoginProfile, LoginSecret,
    NewOrgFields, NewVippsOrg, NextRelativeUrl, OrgId, PhoneNumber, RedirectUri, Scopes, Timestamp,
    TokenEndpointAuthMethod, User, UserId, VippsIdentity, VippsOrg,
};
use crate::error::Error;

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = vipps_orgs, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
#[diesel(treat_none_as_null = true)]
pub(super) struct OrgRow {
    pub org_id: String,
    pub client_id: String,
    pub client_secret_ref: String,
    pub redirect_uri: String,
    pub scopes: String,
    pub vipps_enabled: bool,
    pub environment: String,
    pub token_endpoint_auth_method: String,
    pub merchant_serial_number: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub pre_provisioned_users_only: bool,
    pub allow_unbound_completion: bool,
    /// Space-separated, like `scopes`; empty when there are none.
    pub additional_redirect_uris: String,
}

impl From<&VippsOrg> for OrgRow {
    fn from(org: &VippsOrg) -> Self {
        Self {
            org_id: org.org_id.as_str().to_owned(),
            client_id: org.client_id.as_str().to_owned(),
            client_secret_ref: org.client_secret_ref.as_str().to_owned(),
            redirect_uri: org.redirect_uri.as_str().to_owned(),
            scopes: org.scopes.to_string(),
            vipps_enabled: org.vipps_enabled,
            environment: org.environment.as_str().to_owned(),
            token_endpoint_auth_method: org.token_endpoint_auth_method.as_str().to_owned(),
            merchant_serial_number: org
                .merchant_serial_number
                .as_ref()
                .map(|m| m.as_str().to_owned()),
            created_at: org.created_at.naive_utc(),
            updated_at: org.updated_at.naive_utc(),
            pre_provisioned_users_only: org.pre_provisioned_users_only,
            allow_unbound_completion: org.allow_unbound_completion,
            additional_redirect_uris: org
                .additional_redirect_uris
                .iter()
                .map(RedirectUri::as_str)
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

impl OrgRow {
    /// Reads a stored row back into the domain; a row that breaks a rule is corrupt.
    pub fn into_domain(self) -> Result<VippsOrg, Error> {
        let org_id = self.org_id.clone();
        let parse = || -> Result<VippsOrg, InvalidInput> {
            let created_at = Timestamp::from_utc(self.created_at);
            let updated_at = Timestamp::from_utc(self.updated_at);
            NewVippsOrg::parse(NewOrgFields {
                environment: Environment::parse(&self.environment)?,
                token_endpoint_auth_method: Some(TokenEndpointAuthMethod::parse(
                    &self.token_endpoint_auth_method,
                )?),
                scopes: self.scopes.split(' ').map(str::to_owned).collect(),
                org_id: self.org_id,
                client_id: self.client_id,
                client_secret_ref: self.client_secret_ref,
                redirect_uri: self.redirect_uri,
                additional_redirect_uris: self
                    .additional_redirect_uris
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect(),
                vipps_enabled: self.vipps_enabled,
                merchant_serial_number: self.merchant_serial_number,
                pre_provisioned_users_only: self.pre_provisioned_users_only,
                allow_unbound_completion: self.allow_unbound_completion,
            })?
            .into_org(created_at, updated_at)
        };
        parse().map_err(|e| {
            Error::Internal(anyhow::anyhow!(
                "stored vipps org `{org_id}` is invalid: {e}"
            ))
        })
    }
}

/// No `Debug`: the row holds the nonce and the PKCE verifier.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = login_attempts, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(super) struct LoginAttemptRow {
    pub state_key: String,
    pub org_id: String,
    pub environment: String,
    pub client_id: String,
    pub nonce: String,
    pub code_verifier: String,
    pub redirect_uri: String,
    pub scopes: String,
    pub next_relative_url: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub consumed_at: Option<NaiveDateTime>,
    pub completion_key: String,
    pub flow: String,
}

impl From<&LoginAttempt> for LoginAttemptRow {
    fn from(attempt: &LoginAttempt) -> Self {
        Self {
            state_key: attempt.state_key.clone(),
            org_id: attempt.org_id.as_str().to_owned(),
            environment: attempt.environment.as_str().to_owned(),
            client_id: attempt.client_id.as_str().to_owned(),
            nonce: attempt.nonce.as_str().to_owned(),
            code_verifier: attempt.code_verifier.as_str().to_owned(),
            redirect_uri: attempt.redirect_uri.as_str().to_owned(),
            scopes: attempt.scopes.to_string(),
            next_relative_url: attempt.next_relative_url.as_str().to_owned(),
            created_at: attempt.created_at.naive_utc(),
            expires_at: attempt.expires_at.naive_utc(),
            consumed_at: None,
            completion_key: attempt.completion_key.clone(),
            flow: attempt.flow.as_str().to_owned(),
        }
    }
}

impl LoginAttemptRow {
    /// Reads a stored attempt back through the same parsers the adapters use.
    pub fn into_domain(self) -> Result<LoginAttempt, Error> {
        let parse = || -> Result<LoginAttempt, InvalidInput> {
            let scopes: Vec<&str> = self.scopes.split(' ').collect();
            Ok(LoginAttempt {
                org_id: OrgId::parse(&self.org_id)?,
                environment: Environment::parse(&self.environment)?,
                client_id: ClientId::parse(&self.client_id)?,
                redirect_uri: RedirectUri::parse(&self.redirect_uri)?,
                flow: LoginFlow::stored(&self.flow)?,
                scopes: Scopes::parse(&scopes)?,
                next_relative_url: NextRelativeUrl::parse(Some(&self.next_relative_url))?,
                nonce: LoginSecret::stored(self.nonce.clone()),
                code_verifier: LoginSecret::stored(self.code_verifier.clone()),
                state_key: self.state_key.clone(),
                completion_key: self.completion_key.clone(),
                created_at: Timestamp::from_utc(self.created_at),
                expires_at: Timestamp::from_utc(self.expires_at),
            })
        };
        parse()
            .map_err(|e| Error::Internal(anyhow::anyhow!("stored login attempt is invalid: {e}")))
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(super) struct UserRow {
    pub id: String,
    pub org_id: String,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
    pub phone_number: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
}

impl From<&User> for UserRow {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.as_str().to_owned(),
            org_id: user.org_id.as_str().to_owned(),
            name: user.name.clone(),
            given_name: user.given_name.clone(),
            family_name: user.family_name.clone(),
            email: user.email.as_ref().map(|e| e.as_str().to_owned()),
            email_verified: user.email_verified,
            phone_number: user.phone_number.as_ref().map(|p| p.as_str().to_owned()),
            created_at: user.created_at.naive_utc(),
            updated_at: user.updated_at.naive_utc(),
            last_login_at: user.last_login_at.map(Timestamp::naive_utc),
        }
    }
}

impl UserRow {
    pub fn into_domain(self) -> Result<User, Error> {
        let id = self.id.clone();
        let parse = || -> Result<User, InvalidInput> {
            Ok(User {
                id: UserId::parse(&self.id)?,
                org_id: OrgId::parse(&self.org_id)?,
                email: self
                    .email
                    .as_deref()
                    .map(|e| Email::parse("email", e))
                    .transpose()?,
                phone_number: self
                    .phone_number
                    .as_deref()
                    .map(|p| PhoneNumber::parse("phone_number", p))
                    .transpose()?,
                name: self.name,
                given_name: self.given_name,
                family_name: self.family_name,
                email_verified: self.email_verified,
                created_at: Timestamp::from_utc(self.created_at),
                updated_at: Timestamp::from_utc(self.updated_at),
                last_login_at: self.last_login_at.map(Timestamp::from_utc),
            })
        };
        parse().map_err(|e| Error::Internal(anyhow::anyhow!("stored user `{id}` is invalid: {e}")))
    }
}

/// The profile a login writes; `None` leaves a column as it is.
#[derive(AsChangeset)]
#[diesel(table_name = users)]
pub(super) struct ProfileChanges {
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub phone_number: Option<String>,
    pub updated_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
}

impl ProfileChanges {
    pub fn from_login(profile: &LoginProfile, now: Timestamp) -> Self {
        Self {
            name: profile.name.clone(),
            given_name: profile.given_name.clone(),
            family_name: profile.family_name.clone(),
            email: profile.email.as_ref().map(|e| e.as_str().to_owned()),
            email_verified: profile.email.as_ref().map(|_| profile.email_verified),
            phone_number: profile.phone_number.as_ref().map(|p| p.as_str().to_owned()),
            updated_at: now.naive_utc(),
            last_login_at: Some(now.naive_utc()),
        }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = vipps_identities, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(super) struct IdentityRow {
    pub org_id: String,
    pub environment: String,
    pub sub: String,
    pub user_id: String,
    pub linked_at: NaiveDateTime,
    pub last_login_at: NaiveDateTime,
    /// The phone number of the identity's last login (kept when the user's own is cleared).
    pub phone_number: Option<String>,
}

impl IdentityRow {
    pub fn into_domain(self) -> Result<VippsIdentity, Error> {
        let parse = || -> Result<VippsIdentity, InvalidInput> {
            Ok(VippsIdentity {
                org_id: OrgId::parse(&self.org_id)?,
                environment: Environment::parse(&self.environment)?,
                user_id: UserId::parse(&self.user_id)?,
                sub: self.sub.clone(),
                linked_at: Timestamp::from_utc(self.linked_at),
                last_login_at: Timestamp::from_utc(self.last_login_at),
            })
        };
        parse()
            .map_err(|e| Error::Internal(anyhow::anyhow!("stored vipps identity is invalid: {e}")))
    }
}

/// An issued session; the token itself is never stored, only its `jti`.
#[derive(Debug, Insertable)]
#[diesel(table_name = sessions, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(super) struct SessionRow {
    pub id: String,
    pub org_id: String,
    pub user_id: String,
    pub sub: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
}
