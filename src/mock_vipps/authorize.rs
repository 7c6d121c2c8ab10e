//! `GET …/oauth2/auth` and the interactive page's `POST …/oauth2/auth/decision`.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::errors::{INVALID_CLIENT, error_page, escape_html};
use super::token::{Challenge, CodeGrant, PkceMethod};
use super::{AuthorizeMode, DECISION_PATH, Shared, lock, random, read};

/// How long a code can be redeemed.
const CODE_TTL: Duration = Duration::from_secs(120);

/// Scopes a client may ask for. `offline` is advertised by Vipps but rejected, as here.
const ALLOWED_SCOPES: &[&str] = &[
    "openid",
    "name",
    "email",
    "phoneNumber",
    "address",
    "birthDate",
    "nin",
    "api_version_2",
];

/// The parameters this endpoint reads; each may appear at most once.
const PARAMS: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "requested_flow",
    "final_redirect_is_app",
];

/// The `requested_flow` values the mock knows (the deprecated `app_to_app`, which needs an
/// `app_callback_uri`, is not among them).
const REQUESTED_FLOWS: &[&str] = &["automatic_return_from_vipps_app", "app_to_app_v2"];

/// A validated authorization request.
struct AuthRequest {
    client_id: String,
    redirect_uri: String,
    scope: String,
    state: String,
    nonce: Option<String>,
    challenge: Option<Challenge>,
    requested_at: i64,
}

/// The query or form parameters, in order.
type Params = Vec<(String, String)>;

fn parse(input: &[u8]) -> Params {
    url::form_urlencoded::parse(input).into_owned().collect()
}

/// `Ok(None)` when absent, `Err(())` when repeated.
fn single<'a>(params: &'a Params, name: &str) -> Result<Option<&'a str>, ()> {
    let mut values = params.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(v), None) => Ok(Some(v.as_str())),
        (Some(_), Some(_)) => Err(()),
    }
}

/// A 302 to `location`.
fn found(location: &str) -> Response {
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, "no-store"),
        ],
    )
        .into_response()
}

/// `redirect_uri` with `pairs` appended to its query.
fn redirect_with(redirect_uri: &str, pairs: &[(&str, &str)]) -> Response {
    match url::Url::parse(redirect_uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(pairs);
            found(url.as_str())
        }
        Err(_) => error_page(
            "invalid_request",
            "The registered redirect_uri is not an absolute URL.",
        ),
    }
}

/// Sends the user back with an OAuth error.
fn redirect_error(
    redirect_uri: &str,
    error: &str,
    description: &str,
    hint: Option<&str>,
    state: Option<&str>,
) -> Response {
    let mut pairs = vec![("error", error), ("error_description", description)];
    if let Some(hint) = hint {
        pairs.push(("error_hint", hint));
    }
    if let Some(state) = state {
        pairs.push(("state", state));
    }
    redirect_with(redirect_uri, &pairs)
}

/// Why an authorization request was refused.
enum Rejection {
    /// Shown on Vipps's own error page: the client cannot be trusted with a redirect.
    Page {
        error: &'static str,
        description: String,
    },
    /// Sent back to the client's redirect URI.
    Back {
        redirect_uri: String,
        error: &'static str,
        description: String,
        state: Option<String>,
    },
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Self::Page { error, description } => error_page(error, &description),
            Self::Back {
                redirect_uri,
                error,
                description,
                state,
            } => redirect_error(&redirect_uri, error, &description, None, state.as_deref()),
        }
    }
}

/// Checks the request as Vipps does: client and redirect URI first (failures stay on an error
/// page), then the rest (failures go back to the client).
fn validate(shared: &Shared, params: &Params) -> Result<AuthRequest, Rejection> {
    let repeated = |name: &str| Rejection::Page {
        error: "invalid_request",
        description: format!("The request includes the parameter '{name}' more than once."),
    };
    let client_id = single(params, "client_id").map_err(|()| repeated("client_id"))?;
    let Some(client) = client_id.and_then(|id| shared.client(id)) else {
        return Err(Rejection::Page {
            error: "invalid_client",
            description: INVALID_CLIENT.to_owned(),
        });
    };
    let redirect_uri = single(params, "redirect_uri").map_err(|()| repeated("redirect_uri"))?;
    let Some(redirect_uri) =
        redirect_uri.filter(|uri| client.redirect_uris.iter().any(|r| r == uri))
    else {
        return Err(Rejection::Page {
            error: "invalid_request",
            description: "The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed. The 'redirect_uri' parameter does not match any of your preregistered URIs.".to_owned(),
        });
    };
    let state = single(params, "state").ok().flatten();
    let fail = |error: &'static str, description: &str| Rejection::Back {
        redirect_uri: redirect_uri.to_owned(),
        error,
        description: description.to_owned(),
        state: state.map(str::to_owned),
    };
    if let Some(name) = PARAMS.iter().find(|name| single(params, name).is_err()) {
        return Err(fail(
            "invalid_request",
            &format!("The request includes the parameter '{name}' more than once."),
        ));
    }
    let Some(state) = state.filter(|s| s.chars().count() >= 8) else {
        return Err(fail(
            "invalid_request",
            "The state is missing or does not have enough characters and is therefore considered too weak. Request parameter 'state' must be at least be 8 characters long to ensure sufficient entropy.",
        ));
    };
    match single(params, "response_type").ok().flatten() {
        Some("code") => {}
        Some(_) => {
            return Err(fail(
                "unsupported_response_type",
                "The authorization server does not support obtaining a token using this method. Only response_type=code is supported.",
            ));
        }
        None => {
            return Err(fail(
                "invalid_request",
                "The request is missing the required parameter 'response_type'.",
            ));
        }
    }
    let scope = single(params, "scope").ok().flatten().unwrap_or_default();
    let scopes: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
    if let Some(bad) = scopes.iter().find(|s| !ALLOWED_SCOPES.contains(s)) {
        return Err(fail(
            "invalid_scope",
            &format!(
                "The requested scope is invalid, unknown, or malformed. The OAuth 2.0 Client is not allowed to request scope '{bad}'."
            ),
        ));
    }
    if !scopes.contains(&"openid") {
        return Err(fail(
            "invalid_scope",
            "The requested scope is invalid, unknown, or malformed. The scope 'openid' is required.",
        ));
    }
    let challenge = match (
        single(params, "code_challenge").ok().flatten(),
        single(params, "code_challenge_method").ok().flatten(),
    ) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err(fail(
                "invalid_request",
                "The parameter 'code_challenge_method' was given without 'code_challenge'.",
            ));
        }
        (Some(value), method) => {
            let method = match method {
                None | Some("plain") => PkceMethod::Plain,
                Some("S256") => PkceMethod::S256,
                Some(_) => {
                    return Err(fail(
                        "invalid_request",
                        "The code_challenge_method is not supported, use S256 or plain.",
                    ));
                }
            };
            Some(Challenge {
                value: value.to_owned(),
                method,
            })
        }
    };
    let requested_flow = single(params, "requested_flow").ok().flatten();
    if let Some(flow) = requested_flow.filter(|flow| !REQUESTED_FLOWS.contains(flow)) {
        return Err(fail(
            "invalid_request",
            &format!("The requested_flow '{flow}' is not supported."),
        ));
    }
    if requested_flow == Some("app_to_app_v2")
        && !challenge
            .as_ref()
            .is_some_and(|c| c.method == PkceMethod::S256)
    {
        return Err(fail(
            "invalid_request",
            "The app_to_app_v2 flow requires PKCE with code_challenge_method S256.",
        ));
    }
    if !matches!(
        single(params, "final_redirect_is_app").ok().flatten(),
        None | Some("true" | "false")
    ) {
        return Err(fail(
            "invalid_request",
            "The parameter 'final_redirect_is_app' must be 'true' or 'false'.",
        ));
    }
    Ok(AuthRequest {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        scope: scopes.join(" "),
        state: state.to_owned(),
        nonce: single(params, "nonce").ok().flatten().map(str::to_owned),
        challenge,
        requested_at: chrono::Utc::now().timestamp(),
    })
}

/// `GET …/oauth2/auth`.
pub(super) async fn authorize(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = parse(query.unwrap_or_default().as_bytes());
    let request = match validate(&shared, &params) {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(),
    };
    let mode = read(&shared.authorize).clone();
    match mode {
        AuthorizeMode::Approve { user } => approve(&shared, request, user),
        AuthorizeMode::Deny {
            error,
            description,
            hint,
        } => redirect_error(
            &request.redirect_uri,
            &error,
            &description,
            hint.as_deref(),
            Some(&request.state),
        ),
        AuthorizeMode::Interactive => login_page(&shared, &params),
    }
}

/// `POST …/oauth2/auth/decision`: the interactive page's answer (`decision` = a user index or
/// `cancel`, plus the original parameters).
pub(super) async fn decision(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let (decisions, params): (Params, Params) =
        parse(&body).into_iter().partition(|(k, _)| k == "decision");
    let request = match validate(&shared, &params) {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(),
    };
    match decisions.first().map(|(_, v)| v.as_str()) {
        Some("cancel") => redirect_error(
            &request.redirect_uri,
            "access_denied",
            "user cancelled the login",
            None,
            Some(&request.state),
        ),
        Some(index) => match index.parse::<usize>() {
            Ok(user) => approve(&shared, request, user),
            Err(_) => error_page("invalid_request", "The decision is not a user or 'cancel'."),
        },
        None => error_page("invalid_request", "The decision is missing."),
    }
}

/// Issues a code for `user` and sends the user back with it.
fn approve(shared: &Shared, request: AuthRequest, user: usize) -> Response {
    let fail = |description: &str| {
        redirect_error(
            &request.redirect_uri,
            "server_error",
            description,
            None,
            Some(&request.state),
        )
    };
    let Some(person) = shared.users.get(user) else {
        return fail("The mock has no user at that index.");
    };
    let (Ok(code), Ok(sid)) = (random::token(32), random::uuid()) else {
        return fail("No randomness available.");
    };
    let sub = subject(&request.client_id, &person.profile);
    let location = {
        let pairs = [
            ("code", code.as_str()),
            ("scope", request.scope.as_str()),
            ("state", request.state.as_str()),
        ];
        redirect_with(&request.redirect_uri, &pairs)
    };
    let grant = CodeGrant {
        client_id: request.client_id,
        redirect_uri: request.redirect_uri,
        scope: request.scope,
        nonce: request.nonce,
        challenge: request.challenge,
        user,
        sub,
        sid,
        requested_at: request.requested_at,
        auth_time: chrono::Utc::now().timestamp(),
        expires: Instant::now() + CODE_TTL,
    };
    lock(&shared.codes).insert(code, grant);
    location
}

/// The pairwise `sub`: one Vipps profile has a different one per client, as Vipps gives each
/// merchant its own.
fn subject(client_id: &str, profile: &str) -> String {
    let digest = Sha256::new()
        .chain_update(client_id.as_bytes())
        .chain_update(b"\0")
        .chain_update(profile.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    random::uuid_shaped(&bytes)
}

/// The interactive login page: one button per user and "Cancel", posting the original
/// parameters back in hidden fields.
fn login_page(shared: &Shared, params: &Params) -> Response {
    let mut hidden = String::new();
    for (name, value) in params {
        let _ = writeln!(
            hidden,
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape_html(name),
            escape_html(value)
        );
    }
    let mut buttons = String::new();
    for (index, user) in shared.users.iter().enumerate() {
        let _ = writeln!(
            buttons,
            "<button type=\"submit\" name=\"decision\" value=\"{index}\">{} <small>{} · profile {}</small></button>",
            escape_html(&user.name),
            escape_html(&user.phone_number),
            escape_html(&user.profile)
        );
    }
    let page = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Log in with Vipps (mock)</title>
<style>body{{font-family:sans-serif;max-width:28rem;margin:3rem auto}}button{{display:block;width:100%;margin:.5rem 0;padding:.75rem;font-size:1rem}}.cancel{{background:#eee}}</style>
</head><body>
<h1>Log in with Vipps <small>(mock)</small></h1>
<p>Choose a test user to log in as.</p>
<form method="post" action="{DECISION_PATH}">
{hidden}{buttons}<button type="submit" class="cancel" name="decision" value="cancel">Cancel</button>
</form>
</body></html>
"#
    );
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        page,
    )
        .into_response()
}
