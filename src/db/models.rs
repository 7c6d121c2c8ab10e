//! Row structs and their conversion to and from domain types.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{login_attempts, vipps_orgs};
use crate::domain::{
    ClientId, Environment, InvalidInput, LoginAttempt, LoginSecret, NewOrgFields, NewVippsOrg,
    NextRelativeUrl, OrgId, RedirectUri, Scopes, Timestamp, TokenEndpointAuthMethod, VippsOrg,
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
                vipps_enabled: self.vipps_enabled,
                merchant_serial_number: self.merchant_serial_number,
                pre_provisioned_users_only: self.pre_provisioned_users_only,
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
                scopes: Scopes::parse(&scopes)?,
                next_relative_url: NextRelativeUrl::parse(Some(&self.next_relative_url))?,
                nonce: LoginSecret::stored(self.nonce.clone()),
                code_verifier: LoginSecret::stored(self.code_verifier.clone()),
                state_key: self.state_key.clone(),
                created_at: Timestamp::from_utc(self.created_at),
                expires_at: Timestamp::from_utc(self.expires_at),
            })
        };
        parse()
            .map_err(|e| Error::Internal(anyhow::anyhow!("stored login attempt is invalid: {e}")))
    }
}
