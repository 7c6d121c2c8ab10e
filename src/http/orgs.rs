//! REST compatibility routes for organization configs (`/api/v1/vipps-orgs`).
//!
//! Field names are `snake_case` exactly as legacy clients expect. Each handler parses its
//! input into domain types, calls `service::orgs` and maps the result.

use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value, json};

use super::error::HttpError;
use super::extract::{AdminAuth, JsonBody, OrgIdPath};
use crate::app::App;
use crate::domain::{
    Environment, InvalidInput, MerchantSerialNumber, NewOrgFields, NewVippsOrg, OrgChanges,
    OrgField, OrgFilter, OrgPatch, PageRequest, Patch, RedirectUri, TokenEndpointAuthMethod,
    VippsOrg,
};
use crate::service::orgs;

/// `POST /api/v1/vipps-orgs` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateOrgRequest {
    org_id: String,
    client_id: String,
    client_secret_ref: String,
    redirect_uri: String,
    additional_redirect_uris: Option<Vec<String>>,
    scopes: Vec<String>,
    environment: String,
    vipps_enabled: Option<bool>,
    token_endpoint_auth_method: Option<String>,
    merchant_serial_number: Option<String>,
    pre_provisioned_users_only: Option<bool>,
    allow_unbound_completion: Option<bool>,
}

impl CreateOrgRequest {
    fn parse(self) -> Result<NewVippsOrg, InvalidInput> {
        NewVippsOrg::parse(NewOrgFields {
            environment: Environment::parse(&self.environment)?,
            token_endpoint_auth_method: self
                .token_endpoint_auth_method
                .as_deref()
                .map(TokenEndpointAuthMethod::parse)
                .transpose()?,
            org_id: self.org_id,
            client_id: self.client_id,
            client_secret_ref: self.client_secret_ref,
            redirect_uri: self.redirect_uri,
            additional_redirect_uris: self.additional_redirect_uris.unwrap_or_default(),
            scopes: self.scopes,
            vipps_enabled: self.vipps_enabled.unwrap_or(true),
            merchant_serial_number: self.merchant_serial_number,
            pre_provisioned_users_only: self.pre_provisioned_users_only.unwrap_or(false),
            allow_unbound_completion: self.allow_unbound_completion.unwrap_or(false),
        })
    }
}

/// `PUT /api/v1/vipps-orgs/{org_id}` body: every field optional; only `merchant_serial_number`
/// may be `null` (to clear it).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrgRequest {
    #[serde(default)]
    client_id: Patch<String>,
    #[serde(default)]
    client_secret_ref: Patch<String>,
    #[serde(default)]
    redirect_uri: Patch<String>,
    #[serde(default)]
    additional_redirect_uris: Patch<Vec<String>>,
    #[serde(default)]
    scopes: Patch<Vec<String>>,
    #[serde(default)]
    vipps_enabled: Patch<bool>,
    #[serde(default)]
    environment: Patch<String>,
    #[serde(default)]
    token_endpoint_auth_method: Patch<String>,
    #[serde(default)]
    merchant_serial_number: Patch<String>,
    #[serde(default)]
    pre_provisioned_users_only: Patch<bool>,
    #[serde(default)]
    allow_unbound_completion: Patch<bool>,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer)? {
            None => Patch::Null,
            Some(value) => Patch::Value(value),
        })
    }
}

impl UpdateOrgRequest {
    fn parse(self) -> Result<OrgChanges, InvalidInput> {
        OrgChanges::parse(OrgPatch {
            environment: self.environment.try_map(|v| Environment::parse(&v))?,
            token_endpoint_auth_method: self
                .token_endpoint_auth_method
                .try_map(|v| TokenEndpointAuthMethod::parse(&v))?,
            client_id: self.client_id,
            client_secret_ref: self.client_secret_ref,
            redirect_uri: self.redirect_uri,
            additional_redirect_uris: self.additional_redirect_uris,
            scopes: self.scopes,
            vipps_enabled: self.vipps_enabled,
            merchant_serial_number: self.merchant_serial_number,
            pre_provisioned_users_only: self.pre_provisioned_users_only,
            allow_unbound_completion: self.allow_unbound_completion,
        })
    }
}

/// An organization in a listing and in the create answer.
#[derive(Serialize)]
pub struct OrgSummary {
    org_id: String,
    client_id: String,
    vipps_enabled: bool,
    environment: &'static str,
    created_at: String,
}

impl From<&VippsOrg> for OrgSummary {
    fn from(org: &VippsOrg) -> Self {
        Self {
            org_id: org.org_id.to_string(),
            client_id: org.client_id.as_str().to_owned(),
            vipps_enabled: org.vipps_enabled,
            environment: org.environment.as_str(),
            created_at: org.created_at.to_rfc3339(),
        }
    }
}

/// The REST name of a field (see [`OrgField::as_str`]) and its value in `org`.
fn field_entry(org: &VippsOrg, field: OrgField) -> (&'static str, Value) {
    let value = match field {
        OrgField::OrgId => json!(org.org_id.as_str()),
        OrgField::ClientId => json!(org.client_id.as_str()),
        OrgField::ClientSecretRef => json!(org.client_secret_ref.as_str()),
        OrgField::RedirectUri => json!(org.redirect_uri.as_str()),
        OrgField::AdditionalRedirectUris => json!(
            org.additional_redirect_uris
                .iter()
                .map(RedirectUri::as_str)
                .collect::<Vec<_>>()
        ),
        OrgField::Scopes => json!(org.scopes.names()),
        OrgField::VippsEnabled => json!(org.vipps_enabled),
        OrgField::Environment => json!(org.environment.as_str()),
        OrgField::TokenEndpointAuthMethod => json!(org.token_endpoint_auth_method.as_str()),
        OrgField::MerchantSerialNumber => json!(
            org.merchant_serial_number
                .as_ref()
                .map(MerchantSerialNumber::as_str)
        ),
        OrgField::PreProvisionedUsersOnly => json!(org.pre_provisioned_users_only),
        OrgField::AllowUnboundCompletion => json!(org.allow_unbound_completion),
        OrgField::CreatedAt => json!(org.created_at.to_rfc3339()),
        OrgField::UpdatedAt => json!(org.updated_at.to_rfc3339()),
    };
    (field.as_str(), value)
}

/// A JSON object with `fields` of `org`, in the given order.
fn org_object(org: &VippsOrg, fields: &[OrgField]) -> Value {
    Value::Object(
        fields
            .iter()
            .map(|field| {
                let (name, value) = field_entry(org, *field);
                (name.to_owned(), value)
            })
            .collect::<Map<_, _>>(),
    )
}

/// `GET /api/v1/vipps-orgs?page=1&limit=20`: Vipps-enabled organizations by `org_id`.
/// Optional `include_disabled=true` and `environment=production|test` narrow or widen it.
pub async fn list(
    State(app): State<Arc<App>>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, HttpError> {
    let (filter, page) = parse_list_query(query.as_deref().unwrap_or_default())?;
    let page = orgs::list(&app, filter, page).await?;
    let data: Vec<OrgSummary> = page.items.iter().map(OrgSummary::from).collect();
    Ok(Json(json!({
        "data": data,
        "pagination": { "page": page.request.page(), "limit": page.request.limit(), "total": page.total },
    })))
}

fn parse_list_query(query: &str) -> Result<(OrgFilter, PageRequest), InvalidInput> {
    let mut page = 1;
    let mut limit = PageRequest::DEFAULT_LIMIT;
    let mut filter = OrgFilter::default();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "page" => page = whole_number("page", &value)?,
            "limit" => limit = whole_number("limit", &value)?,
            "include_disabled" => {
                filter.include_disabled = match value.as_ref() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(InvalidInput::field(
                            "include_disabled",
                            "must be `true` or `false`",
                        ));
                    }
                }
            }
            "environment" => filter.environment = Some(Environment::parse(&value)?),
            _ => {}
        }
    }
    Ok((filter, PageRequest::parse(page, limit)?))
}

/// `purge_users` (`true` or `false`, at most once); any other parameter is refused, so a
/// misspelt purge never passes for a plain removal.
fn parse_delete_query(query: &str) -> Result<bool, InvalidInput> {
    let mut purge_users = None;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if key != "purge_users" {
            return Err(InvalidInput::request(
                "the only query parameter is `purge_users`",
            ));
        }
        if purge_users.is_some() {
            return Err(InvalidInput::field(
                "purge_users",
                "must be given at most once",
            ));
        }
        purge_users = Some(match value.as_ref() {
            "true" => true,
            "false" => false,
            _ => {
                return Err(InvalidInput::field(
                    "purge_users",
                    "must be `true` or `false`",
                ));
            }
        });
    }
    Ok(purge_users.unwrap_or(false))
}

fn whole_number(field: &'static str, value: &str) -> Result<i64, InvalidInput> {
    value
        .parse()
        .map_err(|_| InvalidInput::field(field, "must be a whole number"))
}

/// `GET /api/v1/vipps-orgs/{org_id}`: the full configuration (the secret reference, never a secret).
pub async fn get(
    State(app): State<Arc<App>>,
    OrgIdPath(org_id): OrgIdPath,
) -> Result<Json<Value>, HttpError> {
    let org = orgs::get(&app, &org_id).await?;
    Ok(Json(org_object(
        &org,
        &[
            OrgField::OrgId,
            OrgField::ClientId,
            OrgField::ClientSecretRef,
            OrgField::RedirectUri,
            OrgField::AdditionalRedirectUris,
            OrgField::Scopes,
            OrgField::VippsEnabled,
            OrgField::Environment,
            OrgField::TokenEndpointAuthMethod,
            OrgField::MerchantSerialNumber,
            OrgField::PreProvisionedUsersOnly,
            OrgField::AllowUnboundCompletion,
            OrgField::CreatedAt,
            OrgField::UpdatedAt,
        ],
    )))
}

/// `POST /api/v1/vipps-orgs` (admin): 201 with the summary of the new organization.
pub async fn create(
    State(app): State<Arc<App>>,
    AdminAuth(admin): AdminAuth,
    JsonBody(request): JsonBody<CreateOrgRequest>,
) -> Result<(StatusCode, Json<OrgSummary>), HttpError> {
    let org = orgs::create(&app, &admin, request.parse()?).await?;
    Ok((StatusCode::CREATED, Json(OrgSummary::from(&org))))
}

/// `PUT /api/v1/vipps-orgs/{org_id}` (admin): partial update; answers with `org_id`, each
/// field the request set, and `updated_at`.
pub async fn update(
    State(app): State<Arc<App>>,
    AdminAuth(admin): AdminAuth,
    OrgIdPath(org_id): OrgIdPath,
    JsonBody(request): JsonBody<UpdateOrgRequest>,
) -> Result<Json<Value>, HttpError> {
    let changes = request.parse()?;
    let org = orgs::update(&app, &admin, &org_id, &changes).await?;
    let fields: Vec<OrgField> = std::iter::once(OrgField::OrgId)
        .chain(changes.fields())
        .chain([OrgField::UpdatedAt])
        .collect();
    Ok(Json(org_object(&org, &fields)))
}

/// `DELETE /api/v1/vipps-orgs/{org_id}[?purge_users=true]` (admin): removes the
/// configuration and keeps the users; `purge_users=true` erases them as well.
pub async fn delete(
    State(app): State<Arc<App>>,
    AdminAuth(admin): AdminAuth,
    OrgIdPath(org_id): OrgIdPath,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, HttpError> {
    let purge_users = parse_delete_query(query.as_deref().unwrap_or_default())?;
    let deleted_at = orgs::delete(&app, &admin, &org_id, purge_users).await?;
    Ok(Json(
        json!({ "org_id": org_id.as_str(), "deleted": true, "deleted_at": deleted_at.to_rfc3339() }),
    ))
}

/// `GET /api/v1/vipps-orgs/{org_id}/status`.
pub async fn status(
    State(app): State<Arc<App>>,
    OrgIdPath(org_id): OrgIdPath,
) -> Result<Json<Value>, HttpError> {
    let org = orgs::get(&app, &org_id).await?;
    Ok(Json(org_object(
        &org,
        &[
            OrgField::OrgId,
            OrgField::VippsEnabled,
            OrgField::ClientId,
            OrgField::Environment,
        ],
    )))
}
