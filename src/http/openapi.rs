//! The OpenAPI 3.1 document of the REST API, generated from the handlers' `#[utoipa::path]`
//! annotations and their answer types (see [`super::rest_routes`]), served at
//! `GET /openapi.json` and committed as `openapi.json`.

use std::sync::Arc;

use axum::response::IntoResponse;
use utoipa::openapi::schema::{
    ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{OpenApi, RefOr, Schema};
use utoipa::{Modify, PartialSchema, ToSchema};

use super::error::HttpError;
use crate::domain::{Scope, TokenEndpointAuthMethod};

/// Every `code` a problem answer can carry.
const PROBLEM_CODES: &[&str] = &[
    "INVALID_INPUT",
    "UNAUTHENTICATED",
    "NOT_FOUND",
    "CONFLICT",
    "VIPPS_DISABLED",
    "LOGIN_NOT_BOUND",
    "LOGIN_STATE_INVALID",
    "LOGIN_STATE_EXPIRED",
    "LOGIN_CANCELLED",
    "LOGIN_FAILED",
    "ID_TOKEN_INVALID",
    "LINK_AMBIGUOUS",
    "NO_ACCOUNT",
    "RATE_LIMITED",
    "VIPPS_UNAVAILABLE",
    "SECRET_UNAVAILABLE",
    "DATABASE_UNAVAILABLE",
    "PAYLOAD_TOO_LARGE",
    "UNSUPPORTED_MEDIA_TYPE",
    "NOT_ACCEPTABLE",
    "METHOD_NOT_ALLOWED",
    "REQUEST_TIMEOUT",
    "INTERNAL",
];

/// The document's frame: its description, tags and security schemes. The paths come from
/// the routes.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "vipps-identity REST API",
        description = "The REST compatibility API of vipps-identity: organization configs, the \
legacy login, sessions and the consent webhook (GraphQL is at `/graphql`, described by \
`schema.graphql`). Every error is an RFC 7807 `application/problem+json` body with a stable \
`code`. Any route answers 405 `METHOD_NOT_ALLOWED` to a method it does not list, and 503 \
`REQUEST_TIMEOUT` (with `Connection: close`) when a request takes longer than the server allows.",
        license(name = "MIT", identifier = "MIT"),
    ),
    tags(
        (name = "orgs", description = "Organization configs for Log in with Vipps"),
        (name = "login", description = "The login for legacy clients"),
        (name = "sessions", description = "Session tokens: logout, introspection and the signing keys"),
        (name = "consent", description = "Vipps' consent revocation webhook"),
        (name = "health", description = "Liveness and readiness"),
    ),
    modifiers(&SecuritySchemes),
)]
pub struct ApiDoc;

/// The two bearer tokens: the admin token and a session token.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The admin token (`ADMIN_TOKEN`)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("A session token from a completed login"))
                    .build(),
            ),
        );
    }
}

/// A failed request answers the RFC 7807 problem document [`HttpError`] renders.
impl PartialSchema for HttpError {
    fn schema() -> RefOr<Schema> {
        let text = |description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(description))
        };
        ObjectBuilder::new()
            .description(Some(
                "An RFC 7807 problem: `status` equals the HTTP status, `code` is stable",
            ))
            .property(
                "type",
                text("Always `about:blank`").enum_values(Some(["about:blank"])),
            )
            .required("type")
            .property("title", text("The HTTP status' reason phrase"))
            .required("title")
            .property(
                "status",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(400))
                    .maximum(Some(599)),
            )
            .required("status")
            .property("detail", text("What went wrong, for people"))
            .required("detail")
            .property(
                "code",
                text("The stable machine-readable code")
                    .enum_values(Some(PROBLEM_CODES.iter().copied())),
            )
            .required("code")
            .property("instance", text("The request's id (`X-Request-Id`)"))
            .property(
                "field",
                text("The input field at fault, for `INVALID_INPUT`"),
            )
            .property(
                "vipps_error",
                text("Vipps' error code, for `LOGIN_CANCELLED` and `LOGIN_FAILED`"),
            )
            .property(
                "vipps_error_description",
                text("Vipps' error description, when it sent one"),
            )
            .property(
                "vipps_error_hint",
                text("Vipps' error hint, when it sent one"),
            )
            .into()
    }
}

impl ToSchema for HttpError {
    fn name() -> std::borrow::Cow<'static, str> {
        "Problem".into()
    }
}

/// An RFC 3339 UTC timestamp, for `#[schema(schema_with = …)]`.
pub fn timestamp() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .examples(["2026-03-26T10:00:00Z"])
}

/// An organization id, for `#[schema(schema_with = …)]`.
pub fn org_id() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(ORG_ID_PATTERN))
        .examples(["org_ny_klinikk"])
}

/// What an organization id matches: 1–64 characters of `a-z 0-9 _ -`, starting with a
/// letter or digit.
pub const ORG_ID_PATTERN: &str = "^[a-z0-9][a-z0-9_-]{0,63}$";

/// Scopes to ask Vipps for, for `#[schema(schema_with = …)]`.
pub fn scopes() -> ArrayBuilder {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(Scope::ALL.map(Scope::as_str))),
        )
        .unique_items(true)
        .min_items(Some(1))
        .description(Some("`openid` plus any of the others, each once"))
}

/// How the client authenticates at Vipps' token endpoint, for `#[schema(schema_with = …)]`.
pub fn token_endpoint_auth_method() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(
            [
                TokenEndpointAuthMethod::ClientSecretBasic,
                TokenEndpointAuthMethod::ClientSecretPost,
            ]
            .map(TokenEndpointAuthMethod::as_str),
        ))
}

/// [`token_endpoint_auth_method`] or `null` (the default), for `#[schema(schema_with = …)]`.
pub fn optional_token_endpoint_auth_method() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some([
            Some(TokenEndpointAuthMethod::ClientSecretBasic.as_str()),
            Some(TokenEndpointAuthMethod::ClientSecretPost.as_str()),
            None,
        ]))
}

/// `production` or `test`, for `#[schema(schema_with = …)]`.
pub fn environment() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["production", "test"]))
}

/// `GET /openapi.json`: the document built at start-up.
pub fn serve(document: Arc<OpenApi>) -> axum::routing::MethodRouter<super::AppState> {
    axum::routing::get(move || {
        let document = document.clone();
        async move { axum::Json(&*document).into_response() }
    })
}
