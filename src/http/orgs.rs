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
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use super::error::HttpError;
use super::extract::{AdminAuth, JsonBody, OrgIdPath};
use super::openapi;
use crate::app::App;
use crate::domain::{
    Environment, InvalidInput, MerchantSerialNumber, NewOrgFields, NewVippsOrg, OrgChanges,
    OrgField, OrgFilter, OrgPatch, PageRequest, Patch, RedirectUri, TokenEndpointAuthMethod,
    VippsOrg,
};
use crate::service::orgs;

/// `POST /api/v1/vipps-orgs` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrgRequest {
    /// 1–64 characters of `a-z 0-9 _ -`, starting with a letter or digit.
    #[schema(schema_with = openapi::org_id)]
    org_id: String,
    /// The organization's Vipps client id.
    #[schema(min_length = 1)]
    client_id: String,
    /// Where the client secret is read at login: `vault://<path>/<key>`, `env://<VAR>` or
    /// `file://<path>`; never the secret itself.
    #[schema(
        pattern = "^(vault|env|file)://",
        examples("vault://vipps/ny_klinikk/client_secret")
    )]
    client_secret_ref: String,
    /// `https://…` or an app scheme with a path; no query or fragment; `http://localhost`
    /// only in the `test` environment.
    #[schema(min_length = 1)]
    redirect_uri: String,
    /// More redirect URIs registered at Vipps for the same client (at most 20); default `[]`.
    additional_redirect_uris: Option<Vec<String>>,
    #[schema(schema_with = openapi::scopes)]
    scopes: Vec<String>,
    #[schema(schema_with = openapi::environment)]
    environment: String,
    /// Default `true`.
    vipps_enabled: Option<bool>,
    /// Default `client_secret_basic`.
    #[schema(schema_with = openapi::optional_token_endpoint_auth_method)]
    token_endpoint_auth_method: Option<String>,
    /// 1–10 digits.
    #[schema(pattern = "^[0-9]{1,10}$")]
    merchant_serial_number: Option<String>,
    /// Default `false`: logins may create users.
    pre_provisioned_users_only: Option<bool>,
    /// Default `false`: completions must present the completion token.
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
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrgRequest {
    #[serde(default)]
    #[schema(value_type = String, min_length = 1)]
    client_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = String, pattern = "^(vault|env|file)://")]
    client_secret_ref: Patch<String>,
    #[serde(default)]
    #[schema(value_type = String, min_length = 1)]
    redirect_uri: Patch<String>,
    /// Replaces the list; `[]` removes them all.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    additional_redirect_uris: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(schema_with = openapi::scopes)]
    scopes: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = bool)]
    vipps_enabled: Patch<bool>,
    #[serde(default)]
    #[schema(schema_with = openapi::environment)]
    environment: Patch<String>,
    #[serde(default)]
    #[schema(schema_with = openapi::token_endpoint_auth_method)]
    token_endpoint_auth_method: Patch<String>,
    /// 1–10 digits; `null` clears it.
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "^[0-9]{1,10}$")]
    merchant_serial_number: Patch<String>,
    #[serde(default)]
    #[schema(value_type = bool)]
    pre_provisioned_users_only: Patch<bool>,
    #[serde(default)]
    #[schema(value_type = bool)]
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
#[derive(Serialize, ToSchema)]
pub struct OrgSummary {
    org_id: String,
    client_id: String,
    vipps_enabled: bool,
    #[schema(schema_with = openapi::environment)]
    environment: &'static str,
    #[schema(schema_with = openapi::timestamp)]
    created_at: String,
}

/// `GET /api/v1/vipps-orgs` answer.
#[derive(Serialize, ToSchema)]
pub struct OrgPage {
    data: Vec<OrgSummary>,
    pagination: Pagination,
}

#[derive(Serialize, ToSchema)]
pub struct Pagination {
    #[schema(minimum = 1)]
    page: u32,
    #[schema(minimum = 1, maximum = 100)]
    limit: u32,
    /// The number of matching organizations on all pages.
    total: u64,
}

/// An organization's whole configuration (the secret reference, never a secret).
#[derive(Serialize, ToSchema)]
pub struct OrgDetails {
    org_id: String,
    client_id: String,
    client_secret_ref: String,
    redirect_uri: String,
    additional_redirect_uris: Vec<String>,
    scopes: Vec<String>,
    vipps_enabled: bool,
    #[schema(schema_with = openapi::environment)]
    environment: &'static str,
    /// `client_secret_basic` or `client_secret_post`.
    token_endpoint_auth_method: &'static str,
    merchant_serial_number: Option<String>,
    pre_provisioned_users_only: bool,
    allow_unbound_completion: bool,
    #[schema(schema_with = openapi::timestamp)]
    created_at: String,
    #[schema(schema_with = openapi::timestamp)]
    updated_at: String,
}

impl From<&VippsOrg> for OrgDetails {
    fn from(org: &VippsOrg) -> Self {
        Self {
            org_id: org.org_id.to_string(),
            client_id: org.client_id.as_str().to_owned(),
            client_secret_ref: org.client_secret_ref.as_str().to_owned(),
            redirect_uri: org.redirect_uri.as_str().to_owned(),
            additional_redirect_uris: org
                .additional_redirect_uris
                .iter()
                .map(|uri| uri.as_str().to_owned())
                .collect(),
            scopes: org.scopes.names().into_iter().map(str::to_owned).collect(),
            vipps_enabled: org.vipps_enabled,
            environment: org.environment.as_str(),
            token_endpoint_auth_method: org.token_endpoint_auth_method.as_str(),
            merchant_serial_number: org
                .merchant_serial_number
                .as_ref()
                .map(|msn| msn.as_str().to_owned()),
            pre_provisioned_users_only: org.pre_provisioned_users_only,
            allow_unbound_completion: org.allow_unbound_completion,
            created_at: org.created_at.to_rfc3339(),
            updated_at: org.updated_at.to_rfc3339(),
        }
    }
}

/// `PUT /api/v1/vipps-orgs/{org_id}` answer: `org_id`, each field the request set (as
/// [`OrgDetails`] names them) and `updated_at`.
#[derive(Serialize)]
#[serde(transparent)]
pub struct OrgUpdated(Map<String, Value>);

impl PartialSchema for OrgUpdated {
    fn schema() -> RefOr<Schema> {
        let mut schema = OrgDetails::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            object.required = vec!["org_id".to_owned(), "updated_at".to_owned()];
            object.description =
                Some("`org_id`, each field the request set, and `updated_at`".to_owned());
        }
        schema
    }
}

impl ToSchema for OrgUpdated {}

/// `GET /api/v1/vipps-orgs/{org_id}/status` answer.
#[derive(Serialize, ToSchema)]
pub struct OrgStatus {
    org_id: String,
    vipps_enabled: bool,
    client_id: String,
    #[schema(schema_with = openapi::environment)]
    environment: &'static str,
}

/// `DELETE /api/v1/vipps-orgs/{org_id}` answer.
#[derive(Serialize, ToSchema)]
pub struct OrgDeleted {
    org_id: String,
    /// Always `true`.
    deleted: bool,
    #[schema(schema_with = openapi::timestamp)]
    deleted_at: String,
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
fn org_object(org: &VippsOrg, fields: &[OrgField]) -> Map<String, Value> {
    fields
        .iter()
        .map(|field| {
            let (name, value) = field_entry(org, *field);
            (name.to_owned(), value)
        })
        .collect()
}

/// `GET /api/v1/vipps-orgs?page=1&limit=20`: Vipps-enabled organizations by `org_id`.
/// Optional `include_disabled=true` and `environment=production|test` narrow or widen it.
#[utoipa::path(
    get,
    path = "/api/v1/vipps-orgs",
    tag = "orgs",
    params(
        ("page" = Option<u32>, Query, description = "Page number, from 1 (default 1)", minimum = 1),
        ("limit" = Option<u32>, Query, description = "Organizations per page, 1–100 (default 20)", minimum = 1, maximum = 100),
        ("include_disabled" = Option<bool>, Query, description = "Include organizations with Vipps login switched off (default `false`)"),
        ("environment" = Option<String>, Query, description = "Only organizations in this environment: `production` or `test`", pattern = "^(production|test)$"),
    ),
    responses(
        (status = 200, description = "One page of organizations, ordered by `org_id`", body = OrgPage),
        (status = 400, description = "`INVALID_INPUT`: `page`, `limit`, `include_disabled` or `environment` is malformed or out of range", body = HttpError, content_type = "application/problem+json"),
        (status = 503, description = "`DATABASE_UNAVAILABLE` (with `Retry-After`) or `REQUEST_TIMEOUT`", body = HttpError, content_type = "application/problem+json"),
    ),
)]
pub async fn list(
    State(app): State<Arc<App>>,
    RawQuery(query): RawQuery,
) -> Result<Json<OrgPage>, HttpError> {
    let (filter, page) = parse_list_query(query.as_deref().unwrap_or_default())?;
    let page = orgs::list(&app, filter, page).await?;
    Ok(Json(OrgPage {
        data: page.items.iter().map(OrgSummary::from).collect(),
        pagination: Pagination {
            page: page.request.page(),
            limit: page.request.limit(),
            total: page.total,
        },
    }))
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
#[utoipa::path(
    get,
    path = "/api/v1/vipps-orgs/{org_id}",
    tag = "orgs",
    params(("org_id" = String, Path, description = "The organization's id", pattern = "^[a-z0-9][a-z0-9_-]{0,63}$")),
    responses(
        (status = 200, description = "The organization's configuration", body = OrgDetails),
        (status = 400, description = "`INVALID_INPUT`: `org_id` is not a valid organization id", body = HttpError, content_type = "application/problem+json"),
        (status = 404, description = "`NOT_FOUND`: no organization has this id", body = HttpError, content_type = "application/problem+json",
            example = json!({"type": "about:blank", "title": "Not Found", "status": 404, "detail": "no vipps org with org_id `org_missing`", "code": "NOT_FOUND"})),
        (status = 503, description = "`DATABASE_UNAVAILABLE` (with `Retry-After`) or `REQUEST_TIMEOUT`", body = HttpError, content_type = "application/problem+json"),
    ),
)]
pub async fn get(
    State(app): State<Arc<App>>,
    OrgIdPath(org_id): OrgIdPath,
) -> Result<Json<OrgDetails>, HttpError> {
    let org = orgs::get(&app, &org_id).await?;
    Ok(Json(OrgDetails::from(&org)))
}

/// `POST /api/v1/vipps-orgs` (admin): 201 with the summary of the new organization.
#[utoipa::path(
    post,
    path = "/api/v1/vipps-orgs",
    tag = "orgs",
    security(("admin" = [])),
    request_body(content = CreateOrgRequest, example = json!({
        "org_id": "org_ny_klinikk",
        "client_id": "fb492b5e-7907-4d83-ba20-c7fb60ca35de",
        "client_secret_ref": "env://VIPPS_SECRET_NY_KLINIKK",
        "redirect_uri": "https://ny-klinikk.no/auth/vipps/callback",
        "scopes": ["openid", "name", "phoneNumber"],
        "vipps_enabled": true,
        "environment": "production",
    })),
    responses(
        (status = 201, description = "The organization was created", body = OrgSummary),
        (status = 400, description = "`INVALID_INPUT`: the body is not JSON of this shape, or a field breaks a domain rule (`field` names it)", body = HttpError, content_type = "application/problem+json"),
        (status = 401, description = "`UNAUTHENTICATED`: the admin token is missing or wrong", body = HttpError, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "`Bearer`")),
            example = json!({"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": "this operation needs the admin token: send `Authorization: Bearer <admin token>`", "code": "UNAUTHENTICATED"})),
        (status = 409, description = "`CONFLICT`: an organization with this `org_id` exists", body = HttpError, content_type = "application/problem+json"),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`: the body exceeds 64 KiB", body = HttpError, content_type = "application/problem+json"),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`: the body is not `application/json`", body = HttpError, content_type = "application/problem+json"),
        (status = 429, description = "`RATE_LIMITED`: too many failed admin authentications from this address", body = HttpError, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "`DATABASE_UNAVAILABLE` (with `Retry-After`) or `REQUEST_TIMEOUT`", body = HttpError, content_type = "application/problem+json"),
    ),
)]
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
#[utoipa::path(
    put,
    path = "/api/v1/vipps-orgs/{org_id}",
    tag = "orgs",
    security(("admin" = [])),
    params(("org_id" = String, Path, description = "The organization's id", pattern = "^[a-z0-9][a-z0-9_-]{0,63}$")),
    request_body(content = UpdateOrgRequest, example = json!({ "vipps_enabled": false })),
    responses(
        (status = 200, description = "The organization was updated", body = OrgUpdated),
        (status = 400, description = "`INVALID_INPUT`: `org_id` or the body is malformed, or a field breaks a domain rule (`field` names it)", body = HttpError, content_type = "application/problem+json"),
        (status = 401, description = "`UNAUTHENTICATED`: the admin token is missing or wrong", body = HttpError, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 404, description = "`NOT_FOUND`: no organization has this id", body = HttpError, content_type = "application/problem+json"),
        (status = 409, description = "`CONFLICT`: the organization is being changed by someone else at the same time", body = HttpError, content_type = "application/problem+json"),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`: the body exceeds 64 KiB", body = HttpError, content_type = "application/problem+json"),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`: the body is not `application/json`", body = HttpError, content_type = "application/problem+json"),
        (status = 429, description = "`RATE_LIMITED`: too many failed admin authentications from this address", body = HttpError, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "`DATABASE_UNAVAILABLE` (with `Retry-After`) or `REQUEST_TIMEOUT`", body = HttpError, content_type = "application/problem+json"),
    ),
)]
pub async fn update(
    State(app): State<Arc<App>>,
    AdminAuth(admin): AdminAuth,
    OrgIdPath(org_id): OrgIdPath,
    JsonBody(request): JsonBody<UpdateOrgRequest>,
) -> Result<Json<OrgUpdated>, HttpError> {
    let changes = request.parse()?;
    let org = orgs::update(&app, &admin, &org_id, &changes).await?;
    let fields: Vec<OrgField> = std::iter::once(OrgField::OrgId)
        .chain(changes.fields())
        .chain([OrgField::UpdatedAt])
        .collect();
    Ok(Json(OrgUpdated(org_object(&org, &fields))))
}

/// `DELETE /api/v1/vipps-orgs/{org_id}[?purge_users=true]` (admin): removes the
/// configuration and keeps the users; `purge_users=true` erases them as well.
#[utoipa::path(
    delete,
    path = "/api/v1/vipps-orgs/{org_id}",
    tag = "orgs",
    security(("admin" = [])),
    params(
        ("org_id" = String, Path, description = "The organization's id", pattern = "^[a-z0-9][a-z0-9_-]{0,63}$"),
        ("purge_users" = Option<bool>, Query, description = "`true` also erases the organization's users, their Vipps identities and sessions; `false` (default) keeps them. No other query parameter is accepted."),
    ),
    responses(
        (status = 200, description = "The organization's configuration was removed (its users stay unless `purge_users=true`)", body = OrgDeleted),
        (status = 400, description = "`INVALID_INPUT`: `org_id` is not a valid organization id, or the query is not just `purge_users=true|false`", body = HttpError, content_type = "application/problem+json"),
        (status = 401, description = "`UNAUTHENTICATED`: the admin token is missing or wrong", body = HttpError, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 404, description = "`NOT_FOUND`: no organization has this id (with `purge_users=true`: nor any user to erase)", body = HttpError, content_type = "application/problem+json"),
        (status = 429, description = "`RATE_LIMITED`: too many failed admin authentications from this address", body = HttpError, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "`DATABASE_UNAVAILABLE` (with `Retry-After`) or `REQUEST_TIMEOUT`", body = HttpError, content_type = "application/problem+json"),
    ),
)]
pub async fn delete(
    State(app): State<Arc<App>>,
    AdminAuth(admin): AdminAuth,
    OrgIdPath(org_id): OrgIdPath,
    RawQuery(query): RawQuery,
) -> Result<Json<OrgDeleted>, HttpError> {
    let purge_users = parse_delete_query(query.as_deref().unwrap_or_default())?;
    let deleted_at = orgs::delete(&app, &admin, &org_id, purge_users).await?;
    Ok(Json(OrgDeleted {
        org_id: org_id.to_string(),
        deleted: true,
        deleted_at: deleted_at.to_rfc3339(),
    }))
}

/// `GET /api/v1/vipps-orgs/{org_id}/status`.
#[utoipa::path(
    get,
    path = "/api/v1/vipps-orgs/{org_id}/status",
    tag = "orgs",
    params(("org_id" = String, Path, description = "The organization's id", pattern = "^[a-z0-9][a-z0-9_-]{0,63}$")),
    responses(
        (status = 200, description = "Whether the organization has Vipps login switched on", body = OrgStatus),
        (status = 400, description = "`INVALID_INPUT`: `org_id` is not a valid organization id", body = HttpError, content_type = "application/problem+json"),
        (status = 404, description = "`NOT_FOUND`: no organization has this id", body = HttpError, content_type = "application/problem+json"),
        (status = 503, description = "`DATABASE_UNAVAILABLE` (with `Retry-After`) or `REQUEST_TIMEOUT`", body = HttpError, content_type = "application/problem+json"),
    ),
)]
pub async fn status(
    State(app): State<Arc<App>>,
    OrgIdPath(org_id): OrgIdPath,
) -> Result<Json<OrgStatus>, HttpError> {
    let org = orgs::get(&app, &org_id).await?;
    Ok(Json(OrgStatus {
        org_id: org.org_id.to_string(),
        vipps_enabled: org.vipps_enabled,
        client_id: org.client_id.as_str().to_owned(),
        environment: org.environment.as_str(),
    }))
}
