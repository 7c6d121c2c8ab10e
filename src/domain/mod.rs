//! Domain value types: each parses its input once and is valid from then on.
//!
//! Nothing here does I/O or knows about HTTP, GraphQL or diesel.

mod audit;
mod client;
mod consent;
mod cursor;
mod environment;
mod login;
mod login_flow;
mod org;
mod org_id;
mod page;
mod person_name;
mod redirect_uri;
mod scopes;
mod text;
mod timestamp;
mod user;
mod user_list;

pub use audit::{Actor, AuditCursor, AuditEvent, AuditKind, AuditPage, AuditQuery, NewAuditEvent};
pub use client::{
    ClientId, ClientSecretRef, MerchantSerialNumber, SecretLocation, TokenEndpointAuthMethod,
};
pub use consent::{ConsentRevocation, ConsentSecret, MAX_CONSENT_BODY_BYTES};
pub use environment::Environment;
pub use login::{
    AddressType, AuthorizationResponse, CompleteLogin, CompleteLoginFields, LoginAttempt,
    LoginSecret, LoginStart, NextRelativeUrl, ProviderError, StartLogin, StartLoginFields,
    VippsAddress, VippsUserInfo, completion_key, state_key,
};
pub use login_flow::LoginFlow;
pub use org::{
    NewOrgFields, NewVippsOrg, OrgChanges, OrgField, OrgFilter, OrgPatch, Patch, VippsOrg,
};
pub use org_id::OrgId;
pub use page::{Page, PageRequest};
pub use person_name::same_person_name;
pub use redirect_uri::RedirectUri;
pub use scopes::{Scope, Scopes};
pub use timestamp::Timestamp;
pub use user::{
    Email, LoginProfile, NewUser, PhoneNumber, User, UserFilter, UserId, UserSearch, VippsIdentity,
    parse_sub,
};
pub use user_list::{UserCursor, UserListRequest, UserPage};

/// A value that breaks a domain rule: which field, and why.
///
/// The reason never repeats the rejected value when that value could be a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe(|field| field.to_owned()))]
pub struct InvalidInput {
    field: Option<&'static str>,
    reason: String,
}

impl InvalidInput {
    /// A rule broken by one named field (`snake_case`, as in the REST contract).
    pub fn field(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field: Some(field),
            reason: reason.into(),
        }
    }

    /// A rule broken by the request as a whole.
    pub fn request(reason: impl Into<String>) -> Self {
        Self {
            field: None,
            reason: reason.into(),
        }
    }

    /// The offending field in `snake_case`, if one field is to blame.
    pub fn field_name(&self) -> Option<&'static str> {
        self.field
    }

    /// Why the input was refused.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The message with the field named the way the caller's protocol spells it.
    pub fn describe(&self, spell: impl Fn(&str) -> String) -> String {
        match self.field {
            Some(field) => format!("`{}`: {}", spell(field), self.reason),
            None => self.reason.clone(),
        }
    }
}
