//! Row structs and their conversion to and from domain types.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::vipps_orgs;
use crate::domain::{
    Environment, InvalidInput, NewOrgFields, NewVippsOrg, Timestamp, TokenEndpointAuthMethod,
    VippsOrg,
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
