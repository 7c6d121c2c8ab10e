//! Sessions over REST: `POST /vipps/logout` ends the caller's session, and
//! `POST /oauth2/introspect` (RFC 7662, admin) tells other backends whether a session token
//! is still active — they verify tokens offline against the JWKS and cannot see a session end.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use super::client_addr::Client;
use super::error::HttpError;
use super::extract::{AdminAuth, body_bytes, caller};
use crate::app::App;
use crate::domain::InvalidInput;
use crate::service::users;

/// The logout answer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoggedOut {
    /// Always `true`.
    logged_out: bool,
    #[schema(schema_with = super::openapi::timestamp)]
    ended_at: String,
}

/// `POST /vipps/logout` with `Authorization: Bearer <sessionToken>`: ends that session.
#[utoipa::path(
    post,
    path = "/vipps/logout",
    tag = "sessions",
    security(("session" = [])),
    responses(
        (status = 200, description = "The session has ended", body = LoggedOut),
        (status = 401, description = "`UNAUTHENTICATED`: the session token is missing, expired, ended or forged", body = HttpError, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "`Bearer`")),
            example = json!({"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": "a valid session token is needed: send `Authorization: Bearer <session token>`", "code": "UNAUTHENTICATED"})),
        (status = 429, description = "`RATE_LIMITED`: too many failed authentications from this address", body = HttpError, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "`DATABASE_UNAVAILABLE` (with `Retry-After`) or `REQUEST_TIMEOUT`", body = HttpError, content_type = "application/problem+json"),
    ),
)]
pub async fn logout(
    State(app): State<Arc<App>>,
    Client(addr): Client,
    headers: HeaderMap,
) -> Result<Json<LoggedOut>, HttpError> {
    let caller = caller(&app, addr, &headers);
    let ended_at = users::logout(&app, caller.session()?).await?;
    Ok(Json(LoggedOut {
        logged_out: true,
        ended_at: ended_at.to_rfc3339(),
    }))
}

/// The introspection request (RFC 7662), as a form body.
#[derive(ToSchema)]
pub struct IntrospectionRequest {
    /// A session token.
    #[schema(min_length = 1)]
    token: String,
}

impl IntrospectionRequest {
    /// `token=…` from a form body; other parameters (`token_type_hint`) are ignored.
    fn parse(body: &[u8]) -> Result<Self, InvalidInput> {
        let mut token = None;
        for (name, value) in url::form_urlencoded::parse(body) {
            if name == "token" {
                if token.is_some() {
                    return Err(InvalidInput::field("token", "is given more than once"));
                }
                token = Some(value.into_owned());
            }
        }
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| InvalidInput::field("token", "is required"))?;
        Ok(Self { token })
    }
}

/// The introspection answer: `active` alone for a token whose session is not open.
#[derive(Serialize)]
pub struct Introspection {
    active: bool,
    #[serde(flatten)]
    claims: Option<ActiveSession>,
}

impl PartialSchema for Introspection {
    fn schema() -> RefOr<Schema> {
        let mut schema = ActiveSession::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            object.properties.insert(
                "active".to_owned(),
                ObjectBuilder::new().schema_type(Type::Boolean).into(),
            );
            object.properties.move_index(object.properties.len() - 1, 0);
            object.required = vec!["active".to_owned()];
            object.description = Some(
                "`active` alone for a token whose session is not open; with the session's claims while it is".to_owned(),
            );
        }
        schema
    }
}

impl ToSchema for Introspection {}

/// The claims of an active session token.
#[derive(Serialize, ToSchema)]
pub struct ActiveSession {
    /// `Bearer`.
    token_type: &'static str,
    iss: String,
    /// The user's id.
    sub: String,
    /// The organization's id.
    aud: String,
    org_id: String,
    /// The session's id.
    jti: String,
    iat: i64,
    exp: i64,
}

/// `POST /oauth2/introspect` (admin), form body `token=<sessionToken>`: `{"active": true, …}`
/// with the token's claims while its session is open, else `{"active": false}`.
#[utoipa::path(
    post,
    path = "/oauth2/introspect",
    tag = "sessions",
    security(("admin" = [])),
    request_body(content = IntrospectionRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Whether the token's session is open, with its claims when it is", body = Introspection,
            example = json!({"active": false})),
        (status = 400, description = "`INVALID_INPUT`: `token` is missing, empty or given twice", body = HttpError, content_type = "application/problem+json"),
        (status = 401, description = "`UNAUTHENTICATED`: the admin token is missing or wrong", body = HttpError, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`: the body exceeds 64 KiB", body = HttpError, content_type = "application/problem+json"),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`: the body is not `application/x-www-form-urlencoded`", body = HttpError, content_type = "application/problem+json"),
        (status = 429, description = "`RATE_LIMITED`: too many failed admin authentications from this address", body = HttpError, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "`DATABASE_UNAVAILABLE` (with `Retry-After`) or `REQUEST_TIMEOUT`", body = HttpError, content_type = "application/problem+json"),
    ),
)]
pub async fn introspect(
    State(app): State<Arc<App>>,
    AdminAuth(admin): AdminAuth,
    request: Request,
) -> Result<Response, HttpError> {
    if !is_form(request.headers()) {
        return Err(HttpError::UnsupportedMediaType(
            "introspection takes a form body: send `Content-Type: application/x-www-form-urlencoded` with `token=…`",
        ));
    }
    let body = body_bytes(request, &()).await?;
    let request = IntrospectionRequest::parse(&body)?;
    let claims = users::introspect(&app, &admin, &request.token)
        .await?
        .map(|found| ActiveSession {
            token_type: "Bearer",
            iss: app.sessions.issuer().to_owned(),
            sub: found.user.id.as_str().to_owned(),
            aud: found.session.org_id.as_str().to_owned(),
            org_id: found.session.org_id.as_str().to_owned(),
            jti: found.session.id,
            iat: found.session.issued_at.unix(),
            exp: found.session.expires_at.unix(),
        });
    let answer = Introspection {
        active: claims.is_some(),
        claims,
    };
    let mut response = Json(answer).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| {
            essence
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}
