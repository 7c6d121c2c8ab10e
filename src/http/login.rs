//! The login for legacy clients: `GET /vipps/login/start` and `GET /vipps/login/callback`.
//! Query parameter names match case-insensitively and without underscores, as the legacy
//! ServiceStack API did (`state`, `State`, `error_description`, `ErrorDescription`), and the
//! callback answers in JSON or JSV as ServiceStack negotiated it (see [`super::format`]).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::client_addr::Client;
use super::error::HttpError;
use super::format::Format;
use crate::app::App;
use crate::domain::{
    CompleteLogin, CompleteLoginFields, InvalidInput, LoginFlow, StartLogin, StartLoginFields,
    VippsAddress, state_key,
};
use crate::error::Error;
use crate::limits::ClientAddr;
use crate::service::login::{self, LoginResult};

/// The query string by normalized name (lower case, no `_`); a name given twice is refused.
pub struct LegacyQuery(HashMap<String, String>);

impl LegacyQuery {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for LegacyQuery {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, HttpError> {
        let mut params = HashMap::new();
        let query = parts.uri.query().unwrap_or_default();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let key: String = name
                .chars()
                .filter(|c| *c != '_')
                .flat_map(char::to_lowercase)
                .collect();
            if params.insert(key, value.into_owned()).is_some() {
                return Err(InvalidInput::request(format!(
                    "the query parameter `{}` is given more than once",
                    name.chars().take(40).collect::<String>()
                ))
                .into());
            }
        }
        Ok(Self(params))
    }
}

/// A started login.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Started {
    /// Where to send the user: Vipps' authorize endpoint with this login's parameters.
    authorization_url: String,
    state: String,
    /// Proves at completion that the completer started the login; keep it out of URLs.
    completion_token: String,
    #[schema(schema_with = super::openapi::timestamp)]
    expires_at: String,
}

/// The header a non-browser client may send the completion token in.
pub(super) const COMPLETION_TOKEN_HEADER: &str = "x-completion-token";

/// The cookie that carries a login's completion token in the browser flow: one per login
/// (named after its `state`), so two logins in two tabs do not displace each other.
fn completion_cookie_name(state: &str) -> String {
    format!("vipps_login_{}", &state_key(state)[..16])
}

/// The completion token cookie: only for the login routes, only over https when the server
/// is public over https, never readable by scripts, sent on Vipps' top-level redirect back.
fn completion_cookie(app: &App, state: &str, token: &str, max_age_secs: u64) -> String {
    let secure = if app.login.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{}={token}; Path=/vipps/login; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}",
        completion_cookie_name(state)
    )
}

/// The value of the cookie `name` among the request's `Cookie` headers.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

/// `GET /vipps/login/start?orgId=…&nextRelativeUrl=…[&redirectUri=…][&flow=…][&redirect=true]`:
/// the authorize URL, `state` and `completionToken` as JSON, or with `redirect=true` a 302
/// straight to Vipps with the completion token in an HttpOnly cookie for the callback.
#[utoipa::path(
    get,
    path = "/vipps/login/start",
    tag = "login",
    params(
        ("orgId" = String, Query, description = "The organization whose Vipps client to log in with", pattern = "^[a-z0-9][a-z0-9_-]{0,63}$"),
        ("nextRelativeUrl" = Option<String>, Query, description = "A relative path (`/…`, not `//…`, no backslash) to return to after the login (default `/`)", pattern = "^/"),
        ("redirectUri" = Option<String>, Query, description = "One of the organization's redirect URIs (default: its `redirect_uri`)"),
        ("flow" = Option<String>, Query, description = "`BROWSER` (default), `APP_TO_APP` or `AUTOMATIC_RETURN`, in any letter case", pattern = "^([Bb][Rr][Oo][Ww][Ss][Ee][Rr]|[Aa][Pp][Pp]_[Tt][Oo]_[Aa][Pp][Pp]|[Aa][Uu][Tt][Oo][Mm][Aa][Tt][Ii][Cc]_[Rr][Ee][Tt][Uu][Rr][Nn])$"),
        ("redirect" = Option<bool>, Query, description = "`true`: answer 302 to Vipps instead of JSON"),
    ),
    responses(
        (status = 200, description = "The login started", body = Started),
        (status = 302, description = "With `redirect=true`: to Vipps, with the completion token in an HttpOnly cookie",
            headers(("Location" = String, description = "The authorize URL"), ("Set-Cookie" = String, description = "The completion token, for `/vipps/login`"))),
        (status = 400, description = "`INVALID_INPUT`: a query parameter is missing, malformed or given twice (`field` names it)", body = HttpError, content_type = "application/problem+json"),
        (status = 404, description = "`NOT_FOUND`: no organization has this `orgId`", body = HttpError, content_type = "application/problem+json"),
        (status = 422, description = "`VIPPS_DISABLED`: the organization has Vipps login switched off", body = HttpError, content_type = "application/problem+json"),
        (status = 429, description = "`RATE_LIMITED`: too many login starts from this address, or pending logins for the organization", body = HttpError, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 502, description = "`VIPPS_UNAVAILABLE`: Vipps' discovery document cannot be read", body = HttpError, content_type = "application/problem+json"),
        (status = 503, description = "`DATABASE_UNAVAILABLE` (with `Retry-After`) or `REQUEST_TIMEOUT`", body = HttpError, content_type = "application/problem+json"),
    ),
)]
pub async fn start(
    State(app): State<Arc<App>>,
    Client(addr): Client,
    query: LegacyQuery,
) -> Result<Response, HttpError> {
    let redirect = match query.get("redirect") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(InvalidInput::field("redirect", "must be `true` or `false`").into());
        }
    };
    let org_id = query
        .get("orgid")
        .ok_or_else(|| InvalidInput::field("orgId", "is required"))?;
    let flow = query
        .get("flow")
        .map(LoginFlow::parse)
        .transpose()
        .map_err(query_parameter_names)?;
    let request = StartLogin::parse(StartLoginFields {
        org_id,
        next_relative_url: query.get("nextrelativeurl"),
        scopes: None,
        redirect_uri: query.get("redirecturi"),
        flow,
    })
    .map_err(query_parameter_names)?;
    let started = login::start(&app, addr, request)
        .await
        .map_err(|error| match error {
            Error::InvalidInput(invalid) => Error::InvalidInput(query_parameter_names(invalid)),
            other => other,
        })?;
    let mut response = if redirect {
        let location = HeaderValue::from_str(&started.authorization_url)
            .map_err(|e| Error::Internal(anyhow::anyhow!("authorize URL as header: {e}")))?;
        let cookie = completion_cookie(
            &app,
            started.state.as_str(),
            started.completion_token.as_str(),
            app.login.ttl.as_secs(),
        );
        let cookie = HeaderValue::from_str(&cookie)
            .map_err(|e| Error::Internal(anyhow::anyhow!("login cookie as header: {e}")))?;
        (
            StatusCode::FOUND,
            [(header::LOCATION, location), (header::SET_COOKIE, cookie)],
        )
            .into_response()
    } else {
        axum::Json(Started {
            authorization_url: started.authorization_url,
            state: started.state.as_str().to_owned(),
            completion_token: started.completion_token.as_str().to_owned(),
            expires_at: started.expires_at.to_rfc3339(),
        })
        .into_response()
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The error named after the query parameter the client sent (`orgId`, `nextRelativeUrl`,
/// `redirectUri`).
fn query_parameter_names(error: InvalidInput) -> InvalidInput {
    let name = match error.field_name() {
        Some("org_id") => "orgId",
        Some("next_relative_url") => "nextRelativeUrl",
        Some("redirect_uri") => "redirectUri",
        _ => return error,
    };
    InvalidInput::field(name, error.reason())
}

/// `GET /vipps/login/callback?state=…&code=…` (or `error=…`): completes the login and answers
/// with the legacy camelCase profile, in JSON or, as ServiceStack did, in JSV when asked for
/// with `?format=jsv` or `Accept: text/jsv`. The completion token comes from the login's
/// cookie, the `completionToken` query parameter or the `X-Completion-Token` header.
#[utoipa::path(
    get,
    path = "/vipps/login/callback",
    tag = "login",
    params(
        ("state" = String, Query, description = "The login's `state`, as Vipps sent it back", min_length = 1),
        ("code" = Option<String>, Query, description = "The authorization code, on success"),
        ("scope" = Option<String>, Query, description = "The scopes the user granted"),
        ("error" = Option<String>, Query, description = "Vipps' error code, on failure"),
        ("error_description" = Option<String>, Query, description = "Vipps' error description"),
        ("error_hint" = Option<String>, Query, description = "Vipps' error hint"),
        ("completionToken" = Option<String>, Query, description = "The completion token, when neither the cookie nor the header carries it"),
        ("X-Completion-Token" = Option<String>, Header, description = "The completion token"), 
        ("format" = Option<String>, Query, description = "`json` or `jsv`, in any letter case (before `Accept`)", pattern = "^([Jj][Ss][Oo][Nn]|[Jj][Ss][Vv])$"),
        ("Accept" = Option<String>, Header, description = "`application/json` (default) or `text/jsv`"),
    ),
    responses(
        (status = 200, description = "The login completed: the Vipps profile, the linked user and a session, in JSON or ServiceStack's JSV",
            content((LegacyLoginResult = "application/json"), (String = "text/jsv"))),
        (status = 400, description = "`INVALID_INPUT`: `state` is missing, or a parameter is malformed or given twice", body = HttpError, content_type = "application/problem+json"),
        (status = 406, description = "`NOT_ACCEPTABLE`: neither JSON nor JSV is acceptable (the login stays unspent)", body = HttpError, content_type = "application/problem+json"),
        (status = 422, description = "The login failed: `LOGIN_NOT_BOUND` (the completion token is missing or wrong; the login stays usable), `LOGIN_STATE_INVALID`, `LOGIN_STATE_EXPIRED`, `LOGIN_CANCELLED`, `LOGIN_FAILED` (with `vipps_error`), `ID_TOKEN_INVALID`, `VIPPS_DISABLED`, `LINK_AMBIGUOUS` or `NO_ACCOUNT`", body = HttpError, content_type = "application/problem+json",
            example = json!({"type": "about:blank", "title": "Unprocessable Entity", "status": 422, "detail": "this login is unknown or already completed; start a new login", "code": "LOGIN_STATE_INVALID"})),
        (status = 429, description = "`RATE_LIMITED`: too many login completions from this address", body = HttpError, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 502, description = "`VIPPS_UNAVAILABLE`: Vipps cannot be reached or answered garbage", body = HttpError, content_type = "application/problem+json"),
        (status = 503, description = "`SECRET_UNAVAILABLE` (the client secret cannot be read), `DATABASE_UNAVAILABLE` (with `Retry-After`) or `REQUEST_TIMEOUT`", body = HttpError, content_type = "application/problem+json"),
    ),
)]
pub async fn callback(
    State(app): State<Arc<App>>,
    Client(addr): Client,
    headers: HeaderMap,
    query: LegacyQuery,
) -> Result<Response, HttpError> {
    complete(&app, addr, &headers, &query, None).await
}

/// `GET /vipps/login/callback.json`: the callback, answering in JSON whatever else is asked.
#[utoipa::path(
    get,
    path = "/vipps/login/callback.json",
    tag = "login",
    params(
        ("state" = String, Query, description = "The login's `state`, as Vipps sent it back", min_length = 1),
        ("code" = Option<String>, Query, description = "The authorization code, on success"),
        ("scope" = Option<String>, Query, description = "The scopes the user granted"),
        ("error" = Option<String>, Query, description = "Vipps' error code, on failure"),
        ("error_description" = Option<String>, Query, description = "Vipps' error description"),
        ("error_hint" = Option<String>, Query, description = "Vipps' error hint"),
        ("completionToken" = Option<String>, Query, description = "The completion token, when neither the cookie nor the header carries it"),
        ("X-Completion-Token" = Option<String>, Header, description = "The completion token"),
    ),
    responses(
        (status = 200, description = "The login completed: the Vipps profile, the linked user and a session", body = LegacyLoginResult),
        (status = 400, description = "`INVALID_INPUT`: `state` is missing, or a parameter is malformed or given twice", body = HttpError, content_type = "application/problem+json"),
        (status = 422, description = "The login failed: `LOGIN_NOT_BOUND` (the completion token is missing or wrong; the login stays usable), `LOGIN_STATE_INVALID`, `LOGIN_STATE_EXPIRED`, `LOGIN_CANCELLED`, `LOGIN_FAILED` (with `vipps_error`), `ID_TOKEN_INVALID`, `VIPPS_DISABLED`, `LINK_AMBIGUOUS` or `NO_ACCOUNT`", body = HttpError, content_type = "application/problem+json",
            example = json!({"type": "about:blank", "title": "Unprocessable Entity", "status": 422, "detail": "this login is unknown or already completed; start a new login", "code": "LOGIN_STATE_INVALID"})),
        (status = 429, description = "`RATE_LIMITED`: too many login completions from this address", body = HttpError, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 502, description = "`VIPPS_UNAVAILABLE`: Vipps cannot be reached or answered garbage", body = HttpError, content_type = "application/problem+json"),
        (status = 503, description = "`SECRET_UNAVAILABLE` (the client secret cannot be read), `DATABASE_UNAVAILABLE` (with `Retry-After`) or `REQUEST_TIMEOUT`", body = HttpError, content_type = "application/problem+json"),
    ),
)]
pub async fn callback_json(
    State(app): State<Arc<App>>,
    Client(addr): Client,
    headers: HeaderMap,
    query: LegacyQuery,
) -> Result<Response, HttpError> {
    complete(&app, addr, &headers, &query, Some(Format::Json)).await
}

/// `GET /vipps/login/callback.jsv`: the callback, answering in JSV whatever else is asked.
#[utoipa::path(
    get,
    path = "/vipps/login/callback.jsv",
    tag = "login",
    params(
        ("state" = String, Query, description = "The login's `state`, as Vipps sent it back", min_length = 1),
        ("code" = Option<String>, Query, description = "The authorization code, on success"),
        ("scope" = Option<String>, Query, description = "The scopes the user granted"),
        ("error" = Option<String>, Query, description = "Vipps' error code, on failure"),
        ("error_description" = Option<String>, Query, description = "Vipps' error description"),
        ("error_hint" = Option<String>, Query, description = "Vipps' error hint"),
        ("completionToken" = Option<String>, Query, description = "The completion token, when neither the cookie nor the header carries it"),
        ("X-Completion-Token" = Option<String>, Header, description = "The completion token"),
    ),
    responses(
        (status = 200, description = "The login completed, in ServiceStack's JSV", content_type = "text/jsv", body = String),
        (status = 400, description = "`INVALID_INPUT`: `state` is missing, or a parameter is malformed or given twice", body = HttpError, content_type = "application/problem+json"),
        (status = 422, description = "The login failed: `LOGIN_NOT_BOUND` (the completion token is missing or wrong; the login stays usable), `LOGIN_STATE_INVALID`, `LOGIN_STATE_EXPIRED`, `LOGIN_CANCELLED`, `LOGIN_FAILED` (with `vipps_error`), `ID_TOKEN_INVALID`, `VIPPS_DISABLED`, `LINK_AMBIGUOUS` or `NO_ACCOUNT`", body = HttpError, content_type = "application/problem+json",
            example = json!({"type": "about:blank", "title": "Unprocessable Entity", "status": 422, "detail": "this login is unknown or already completed; start a new login", "code": "LOGIN_STATE_INVALID"})),
        (status = 429, description = "`RATE_LIMITED`: too many login completions from this address", body = HttpError, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 502, description = "`VIPPS_UNAVAILABLE`: Vipps cannot be reached or answered garbage", body = HttpError, content_type = "application/problem+json"),
        (status = 503, description = "`SECRET_UNAVAILABLE` (the client secret cannot be read), `DATABASE_UNAVAILABLE` (with `Retry-After`) or `REQUEST_TIMEOUT`", body = HttpError, content_type = "application/problem+json"),
    ),
)]
pub async fn callback_jsv(
    State(app): State<Arc<App>>,
    Client(addr): Client,
    headers: HeaderMap,
    query: LegacyQuery,
) -> Result<Response, HttpError> {
    complete(&app, addr, &headers, &query, Some(Format::Jsv)).await
}

/// Completes the login for the callback routes. The answer format is settled first, so a
/// request for a format the route cannot write (406) leaves the login unspent.
async fn complete(
    app: &App,
    addr: ClientAddr,
    headers: &HeaderMap,
    query: &LegacyQuery,
    suffix: Option<Format>,
) -> Result<Response, HttpError> {
    let format = Format::negotiate(suffix, query.get("format"), headers)?;
    let state = query.get("state").unwrap_or_default();
    let cookie_name = completion_cookie_name(state);
    let completion_token = cookie(headers, &cookie_name)
        .or_else(|| query.get("completiontoken"))
        .or_else(|| {
            headers
                .get(COMPLETION_TOKEN_HEADER)
                .and_then(|v| v.to_str().ok())
        });
    let request = CompleteLogin::parse(CompleteLoginFields {
        completion_token,
        state: query.get("state"),
        code: query.get("code"),
        scope: query.get("scope"),
        error: query.get("error"),
        error_description: query.get("errordescription"),
        error_hint: query.get("errorhint"),
    })?;
    let result = login::complete(app, addr, request).await?;
    let mut response = format.respond(&LegacyLoginResult::from(result))?;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::VARY, HeaderValue::from_static("accept"));
    if let Ok(spent) = HeaderValue::from_str(&completion_cookie(app, state, "", 0)) {
        headers.insert(header::SET_COOKIE, spent);
    }
    Ok(response)
}

/// The legacy callback answer: `{vippsUserInfo, nextRelativeUrl}`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LegacyLoginResult {
    vipps_user_info: LegacyUserInfo,
    next_relative_url: String,
    /// Additions to the legacy shape: the linked local user and a session token.
    user_id: String,
    session_token: String,
    #[schema(schema_with = super::openapi::timestamp)]
    session_expires_at: String,
}

/// The Vipps profile, with the claims the granted scopes allow.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LegacyUserInfo {
    address: Option<LegacyAddress>,
    /// `YYYY-MM-DDT00:00:00+00:00`, as the legacy API rendered a date.
    birthdate: Option<String>,
    email: Option<String>,
    email_verified: Option<bool>,
    family_name: Option<String>,
    given_name: Option<String>,
    name: Option<String>,
    phone_number: Option<String>,
    session_identifier: Option<String>,
    subject_identifier: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LegacyAddress {
    /// `Home`, `Work` or `Other`.
    #[schema(schema_with = address_type)]
    address_type: Option<&'static str>,
    country: Option<String>,
    formatted: Option<String>,
    postal_code: Option<String>,
    region: Option<String>,
    street_address: Option<String>,
}

/// `Home`, `Work`, `Other` or `null`, for `#[schema(schema_with = …)]`.
fn address_type() -> utoipa::openapi::schema::ObjectBuilder {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            utoipa::openapi::schema::Type::String,
            utoipa::openapi::schema::Type::Null,
        ]))
        .enum_values(Some([Some("Home"), Some("Work"), Some("Other"), None]))
}

impl From<VippsAddress> for LegacyAddress {
    fn from(address: VippsAddress) -> Self {
        Self {
            address_type: address.address_type.map(|kind| kind.legacy_name()),
            country: address.country,
            formatted: address.formatted,
            postal_code: address.postal_code,
            region: address.region,
            street_address: address.street_address,
        }
    }
}

impl From<LoginResult> for LegacyLoginResult {
    fn from(result: LoginResult) -> Self {
        let info = result.user_info;
        Self {
            vipps_user_info: LegacyUserInfo {
                address: info.address.map(LegacyAddress::from),
                birthdate: info
                    .birthdate
                    .map(|date| date.format("%Y-%m-%dT00:00:00+00:00").to_string()),
                email: info.email,
                email_verified: info.email_verified,
                family_name: info.family_name,
                given_name: info.given_name,
                name: info.name,
                phone_number: info.phone_number,
                session_identifier: info.session_identifier,
                subject_identifier: info.subject_identifier,
            },
            next_relative_url: result.next_relative_url.as_str().to_owned(),
            user_id: result.user.id.as_str().to_owned(),
            session_token: result.session.token,
            session_expires_at: result.session.expires_at.to_rfc3339(),
        }
    }
}
