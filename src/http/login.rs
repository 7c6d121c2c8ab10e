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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Started {
    authorization_url: String,
    state: String,
    completion_token: String,
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
pub async fn callback(
    State(app): State<Arc<App>>,
    Client(addr): Client,
    headers: HeaderMap,
    query: LegacyQuery,
) -> Result<Response, HttpError> {
    complete(&app, addr, &headers, &query, None).await
}

/// `GET /vipps/login/callback.json`: the callback, answering in JSON whatever else is asked.
pub async fn callback_json(
    State(app): State<Arc<App>>,
    Client(addr): Client,
    headers: HeaderMap,
    query: LegacyQuery,
) -> Result<Response, HttpError> {
    complete(&app, addr, &headers, &query, Some(Format::Json)).await
}

/// `GET /vipps/login/callback.jsv`: the callback, answering in JSV whatever else is asked.
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
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LegacyLoginResult {
    vipps_user_info: LegacyUserInfo,
    next_relative_url: String,
    /// Additions to the legacy shape: the linked local user and a session token.
    user_id: String,
    session_token: String,
    session_expires_at: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LegacyUserInfo {
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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LegacyAddress {
    /// `Home`, `Work` or `Other`.
    address_type: Option<&'static str>,
    country: Option<String>,
    formatted: Option<String>,
    postal_code: Option<String>,
    region: Option<String>,
    street_address: Option<String>,
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
