//! The organization aggregate: one organization's Vipps client configuration.

use super::{
    ClientId, ClientSecretRef, Environment, InvalidInput, MerchantSerialNumber, OrgId, RedirectUri,
    Scopes, Timestamp, TokenEndpointAuthMethod,
};

/// A stored organization configuration. Every instance satisfies all domain rules,
/// including the ones that tie fields together (the redirect URI fits the environment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VippsOrg {
    pub org_id: OrgId,
    pub client_id: ClientId,
    pub client_secret_ref: ClientSecretRef,
    /// The default redirect URI, used when a login names none.
    pub redirect_uri: RedirectUri,
    /// More redirect URIs registered at Vipps (a web and an app callback, say); a login may
    /// name any of these or the default.
    pub additional_redirect_uris: Vec<RedirectUri>,
    pub scopes: Scopes,
    pub vipps_enabled: bool,
    pub environment: Environment,
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    pub merchant_serial_number: Option<MerchantSerialNumber>,
    /// Logins link only to users an administrator registered; nobody new is created.
    pub pre_provisioned_users_only: bool,
    /// Logins may complete without the starter's completion token (for Vipps' automatic
    /// return, where the user may come back in another browser).
    pub allow_unbound_completion: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The field name of the additional redirect URIs.
const ADDITIONAL: &str = "additional_redirect_uris";

/// One field of an organization, for answers that carry a chosen set of fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgField {
    OrgId,
    ClientId,
    ClientSecretRef,
    RedirectUri,
    AdditionalRedirectUris,
    Scopes,
    VippsEnabled,
    Environment,
    TokenEndpointAuthMethod,
    MerchantSerialNumber,
    PreProvisionedUsersOnly,
    AllowUnboundCompletion,
    CreatedAt,
    UpdatedAt,
}

impl OrgField {
    /// The field's name in `snake_case`, as the REST contract spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrgId => "org_id",
            Self::ClientId => "client_id",
            Self::ClientSecretRef => "client_secret_ref",
            Self::RedirectUri => "redirect_uri",
            Self::AdditionalRedirectUris => "additional_redirect_uris",
            Self::Scopes => "scopes",
            Self::VippsEnabled => "vipps_enabled",
            Self::Environment => "environment",
            Self::TokenEndpointAuthMethod => "token_endpoint_auth_method",
            Self::MerchantSerialNumber => "merchant_serial_number",
            Self::PreProvisionedUsersOnly => "pre_provisioned_users_only",
            Self::AllowUnboundCompletion => "allow_unbound_completion",
            Self::CreatedAt => "created_at",
            Self::UpdatedAt => "updated_at",
        }
    }
}

/// Which organizations a listing includes.
#[derive(Debug, Clone, Copy, Default)]
pub struct OrgFilter {
    /// Include organizations with Vipps login switched off.
    pub include_disabled: bool,
    /// Only organizations in this environment.
    pub environment: Option<Environment>,
}

/// A new organization, each field already parsed.
#[derive(Debug, Clone)]
pub struct NewVippsOrg {
    pub org_id: OrgId,
    pub client_id: ClientId,
    pub client_secret_ref: ClientSecretRef,
    pub redirect_uri: RedirectUri,
    pub additional_redirect_uris: Vec<RedirectUri>,
    pub scopes: Scopes,
    pub vipps_enabled: bool,
    pub environment: Environment,
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    pub merchant_serial_number: Option<MerchantSerialNumber>,
    pub pre_provisioned_users_only: bool,
    pub allow_unbound_completion: bool,
}

/// A create request as an adapter receives it: text still unparsed, enumerations typed.
#[derive(Debug, Clone)]
pub struct NewOrgFields {
    pub org_id: String,
    pub client_id: String,
    pub client_secret_ref: String,
    pub redirect_uri: String,
    pub additional_redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
    pub vipps_enabled: bool,
    pub environment: Environment,
    pub token_endpoint_auth_method: Option<TokenEndpointAuthMethod>,
    pub merchant_serial_number: Option<String>,
    pub pre_provisioned_users_only: bool,
    pub allow_unbound_completion: bool,
}

impl NewVippsOrg {
    /// Parses every field of a create request.
    pub fn parse(fields: NewOrgFields) -> Result<Self, InvalidInput> {
        Ok(Self {
            org_id: OrgId::parse(&fields.org_id)?,
            client_id: ClientId::parse(&fields.client_id)?,
            client_secret_ref: ClientSecretRef::parse(&fields.client_secret_ref)?,
            redirect_uri: RedirectUri::parse(&fields.redirect_uri)?,
            additional_redirect_uris: RedirectUri::parse_list(
                ADDITIONAL,
                &fields.additional_redirect_uris,
            )?,
            scopes: Scopes::parse(&fields.scopes)?,
            vipps_enabled: fields.vipps_enabled,
            environment: fields.environment,
            token_endpoint_auth_method: fields.token_endpoint_auth_method.unwrap_or_default(),
            merchant_serial_number: fields
                .merchant_serial_number
                .as_deref()
                .map(MerchantSerialNumber::parse)
                .transpose()?,
            pre_provisioned_users_only: fields.pre_provisioned_users_only,
            allow_unbound_completion: fields.allow_unbound_completion,
        })
    }

    /// Checks the cross-field rules and stamps the organization's times.
    pub fn into_org(
        self,
        created_at: Timestamp,
        updated_at: Timestamp,
    ) -> Result<VippsOrg, InvalidInput> {
        let org = VippsOrg {
            org_id: self.org_id,
            client_id: self.client_id,
            client_secret_ref: self.client_secret_ref,
            redirect_uri: self.redirect_uri,
            additional_redirect_uris: self.additional_redirect_uris,
            scopes: self.scopes,
            vipps_enabled: self.vipps_enabled,
            environment: self.environment,
            token_endpoint_auth_method: self.token_endpoint_auth_method,
            merchant_serial_number: self.merchant_serial_number,
            pre_provisioned_users_only: self.pre_provisioned_users_only,
            allow_unbound_completion: self.allow_unbound_completion,
            created_at,
            updated_at,
        };
        org.check_redirect_uris()?;
        Ok(org)
    }
}

/// A field of a partial update: left out, set to null, or given a value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Patch<T> {
    /// Parses the value, keeping absence and null as they are.
    pub fn try_map<U>(
        self,
        parse: impl FnOnce(T) -> Result<U, InvalidInput>,
    ) -> Result<Patch<U>, InvalidInput> {
        Ok(match self {
            Patch::Absent => Patch::Absent,
            Patch::Null => Patch::Null,
            Patch::Value(value) => Patch::Value(parse(value)?),
        })
    }

    /// For a field that cannot be cleared: `None` when left out, an error when null.
    pub fn required(self, field: &'static str) -> Result<Option<T>, InvalidInput> {
        match self {
            Patch::Absent => Ok(None),
            Patch::Null => Err(InvalidInput::field(
                field,
                "cannot be null; leave it out to keep the current value",
            )),
            Patch::Value(value) => Ok(Some(value)),
        }
    }

    /// For a field that can be cleared: `None` when left out, `Some(None)` to clear it.
    pub fn nullable(self) -> Option<Option<T>> {
        match self {
            Patch::Absent => None,
            Patch::Null => Some(None),
            Patch::Value(value) => Some(Some(value)),
        }
    }
}

/// A partial update: `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct OrgChanges {
    pub client_id: Option<ClientId>,
    pub client_secret_ref: Option<ClientSecretRef>,
    pub redirect_uri: Option<RedirectUri>,
    /// Replaces the whole list (`[]` removes them all).
    pub additional_redirect_uris: Option<Vec<RedirectUri>>,
    pub scopes: Option<Scopes>,
    pub vipps_enabled: Option<bool>,
    pub environment: Option<Environment>,
    pub token_endpoint_auth_method: Option<TokenEndpointAuthMethod>,
    /// `Some(None)` clears the merchant serial number.
    pub merchant_serial_number: Option<Option<MerchantSerialNumber>>,
    pub pre_provisioned_users_only: Option<bool>,
    pub allow_unbound_completion: Option<bool>,
}

/// An update request as an adapter receives it: each field left out, null, or a value.
#[derive(Debug, Clone, Default)]
pub struct OrgPatch {
    pub client_id: Patch<String>,
    pub client_secret_ref: Patch<String>,
    pub redirect_uri: Patch<String>,
    pub additional_redirect_uris: Patch<Vec<String>>,
    pub scopes: Patch<Vec<String>>,
    pub vipps_enabled: Patch<bool>,
    pub environment: Patch<Environment>,
    pub token_endpoint_auth_method: Patch<TokenEndpointAuthMethod>,
    pub merchant_serial_number: Patch<String>,
    pub pre_provisioned_users_only: Patch<bool>,
    pub allow_unbound_completion: Patch<bool>,
}

impl OrgChanges {
    /// Parses an update request; only `merchant_serial_number` may be null (to clear it).
    pub fn parse(patch: OrgPatch) -> Result<Self, InvalidInput> {
        Ok(Self {
            client_id: patch
                .client_id
                .try_map(|v| ClientId::parse(&v))?
                .required("client_id")?,
            client_secret_ref: patch
                .client_secret_ref
                .try_map(|v| ClientSecretRef::parse(&v))?
                .required("client_secret_ref")?,
            redirect_uri: patch
                .redirect_uri
                .try_map(|v| RedirectUri::parse(&v))?
                .required("redirect_uri")?,
            additional_redirect_uris: patch
                .additional_redirect_uris
                .try_map(|v| RedirectUri::parse_list(ADDITIONAL, &v))?
                .required(ADDITIONAL)?,
            scopes: patch
                .scopes
                .try_map(|v| Scopes::parse(&v))?
                .required("scopes")?,
            vipps_enabled: patch.vipps_enabled.required("vipps_enabled")?,
            environment: patch.environment.required("environment")?,
            token_endpoint_auth_method: patch
                .token_endpoint_auth_method
                .required("token_endpoint_auth_method")?,
            merchant_serial_number: patch
                .merchant_serial_number
                .try_map(|v| MerchantSerialNumber::parse(&v))?
                .nullable(),
            pre_provisioned_users_only: patch
                .pre_provisioned_users_only
                .required("pre_provisioned_users_only")?,
            allow_unbound_completion: patch
                .allow_unbound_completion
                .required("allow_unbound_completion")?,
        })
    }

    /// The fields this update sets, in contract order.
    pub fn fields(&self) -> Vec<OrgField> {
        [
            (OrgField::ClientId, self.client_id.is_some()),
            (OrgField::ClientSecretRef, self.client_secret_ref.is_some()),
            (OrgField::RedirectUri, self.redirect_uri.is_some()),
            (
                OrgField::AdditionalRedirectUris,
                self.additional_redirect_uris.is_some(),
            ),
            (OrgField::Scopes, self.scopes.is_some()),
            (OrgField::VippsEnabled, self.vipps_enabled.is_some()),
            (OrgField::Environment, self.environment.is_some()),
            (
                OrgField::TokenEndpointAuthMethod,
                self.token_endpoint_auth_method.is_some(),
            ),
            (
                OrgField::MerchantSerialNumber,
                self.merchant_serial_number.is_some(),
            ),
            (
                OrgField::PreProvisionedUsersOnly,
                self.pre_provisioned_users_only.is_some(),
            ),
            (
                OrgField::AllowUnboundCompletion,
                self.allow_unbound_completion.is_some(),
            ),
        ]
        .into_iter()
        .filter_map(|(field, set)| set.then_some(field))
        .collect()
    }
}

impl VippsOrg {
    /// The organization after `changes`, checked against every rule again.
    pub fn apply(&self, changes: &OrgChanges, now: Timestamp) -> Result<VippsOrg, InvalidInput> {
        if changes.fields().is_empty() {
            return Err(InvalidInput::request(
                "the update sets no field; send at least one field to change",
            ));
        }
        let updated = VippsOrg {
            org_id: self.org_id.clone(),
            client_id: changes
                .client_id
                .clone()
                .unwrap_or_else(|| self.client_id.clone()),
            client_secret_ref: changes
                .client_secret_ref
                .clone()
                .unwrap_or_else(|| self.client_secret_ref.clone()),
            redirect_uri: changes
                .redirect_uri
                .clone()
                .unwrap_or_else(|| self.redirect_uri.clone()),
            additional_redirect_uris: changes
                .additional_redirect_uris
                .clone()
                .unwrap_or_else(|| self.additional_redirect_uris.clone()),
            scopes: changes
                .scopes
                .clone()
                .unwrap_or_else(|| self.scopes.clone()),
            vipps_enabled: changes.vipps_enabled.unwrap_or(self.vipps_enabled),
            environment: changes.environment.unwrap_or(self.environment),
            token_endpoint_auth_method: changes
                .token_endpoint_auth_method
                .unwrap_or(self.token_endpoint_auth_method),
            merchant_serial_number: changes
                .merchant_serial_number
                .clone()
                .unwrap_or_else(|| self.merchant_serial_number.clone()),
            pre_provisioned_users_only: changes
                .pre_provisioned_users_only
                .unwrap_or(self.pre_provisioned_users_only),
            allow_unbound_completion: changes
                .allow_unbound_completion
                .unwrap_or(self.allow_unbound_completion),
            created_at: self.created_at,
            updated_at: self.updated_at.later_of(now),
        };
        updated.check_redirect_uris()?;
        Ok(updated)
    }

    /// The rules that tie the redirect URIs to the rest: each fits the environment, and no
    /// additional one repeats the default.
    fn check_redirect_uris(&self) -> Result<(), InvalidInput> {
        self.redirect_uri
            .check_allowed_in("redirect_uri", self.environment)?;
        for uri in &self.additional_redirect_uris {
            uri.check_allowed_in(ADDITIONAL, self.environment)?;
            if *uri == self.redirect_uri {
                return Err(InvalidInput::field(
                    ADDITIONAL,
                    format!("`{}` is already the `redirect_uri`", uri.as_str()),
                ));
            }
        }
        Ok(())
    }

    /// The redirect URI a login uses: the one it names, when that is exactly one of the
    /// organization's, or the default.
    pub fn pick_redirect_uri(
        &self,
        wanted: Option<&RedirectUri>,
    ) -> Result<&RedirectUri, InvalidInput> {
        let Some(wanted) = wanted else {
            return Ok(&self.redirect_uri);
        };
        std::iter::once(&self.redirect_uri)
            .chain(&self.additional_redirect_uris)
            .find(|uri| *uri == wanted)
            .ok_or_else(|| {
                InvalidInput::field(
                    "redirect_uri",
                    "is not one of the organization's redirect URIs (`redirect_uri` or `additional_redirect_uris`, matched exactly)",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(redirect: &str, environment: Environment) -> Result<VippsOrg, InvalidInput> {
        NewVippsOrg {
            org_id: OrgId::parse("org_a")?,
            client_id: ClientId::parse("client-a")?,
            client_secret_ref: ClientSecretRef::parse("env://SECRET")?,
            redirect_uri: RedirectUri::parse(redirect)?,
            additional_redirect_uris: Vec::new(),
            scopes: Scopes::parse(&["openid"])?,
            vipps_enabled: true,
            environment,
            token_endpoint_auth_method: TokenEndpointAuthMethod::default(),
            merchant_serial_number: None,
            pre_provisioned_users_only: false,
            allow_unbound_completion: false,
        }
        .into_org(Timestamp::now(), Timestamp::now())
    }

    #[test]
    fn an_environment_change_is_checked_against_the_kept_redirect_uri() {
        let local = org("http://localhost:3000/cb", Environment::Test).unwrap();
        let to_prod = OrgChanges {
            environment: Some(Environment::Production),
            ..OrgChanges::default()
        };
        assert!(local.apply(&to_prod, Timestamp::now()).is_err());
        assert!(org("http://localhost:3000/cb", Environment::Production).is_err());
    }

    #[test]
    fn an_update_must_change_something_and_keeps_the_rest() {
        let current = org("https://x.no/cb", Environment::Production).unwrap();
        assert!(
            current
                .apply(&OrgChanges::default(), Timestamp::now())
                .is_err()
        );
        let disable = OrgChanges {
            vipps_enabled: Some(false),
            ..OrgChanges::default()
        };
        let updated = current.apply(&disable, Timestamp::now()).unwrap();
        assert!(!updated.vipps_enabled);
        assert_eq!(updated.client_id, current.client_id);
        assert_eq!(disable.fields(), [OrgField::VippsEnabled]);
    }

    #[test]
    fn additional_redirect_uris_follow_the_environment_and_do_not_repeat_the_default() {
        let current = org("https://x.no/cb", Environment::Production).unwrap();
        let with = |uris: &[&str]| OrgChanges {
            additional_redirect_uris: Some(
                uris.iter()
                    .map(|u| RedirectUri::parse(u).unwrap())
                    .collect(),
            ),
            ..OrgChanges::default()
        };
        let app = current
            .apply(&with(&["myapp://cb"]), Timestamp::now())
            .unwrap();
        assert_eq!(app.additional_redirect_uris.len(), 1);
        for refused in [["http://localhost/cb"], ["https://x.no/cb"]] {
            let error = current
                .apply(&with(&refused), Timestamp::now())
                .unwrap_err();
            assert_eq!(error.field_name(), Some(ADDITIONAL));
        }
    }

    #[test]
    fn a_login_picks_one_of_the_org_redirect_uris_exactly() {
        let mut current = org("https://x.no/cb", Environment::Production).unwrap();
        current.additional_redirect_uris = vec![RedirectUri::parse("myapp://cb").unwrap()];
        assert_eq!(
            current.pick_redirect_uri(None).unwrap().as_str(),
            "https://x.no/cb"
        );
        let app = RedirectUri::parse("myapp://cb").unwrap();
        assert_eq!(current.pick_redirect_uri(Some(&app)).unwrap(), &app);
        let other = RedirectUri::parse("https://x.no/cb/").unwrap();
        assert!(current.pick_redirect_uri(Some(&other)).is_err());
    }

    #[test]
    fn patch_tells_null_from_absent() {
        assert_eq!(Patch::<u8>::Absent.required("f"), Ok(None));
        assert!(Patch::<u8>::Null.required("f").is_err());
        assert_eq!(Patch::<u8>::Null.nullable(), Some(None));
        assert_eq!(Patch::Value(1).nullable(), Some(Some(1)));
    }
}
