//! The OpenID discovery document and the JWKS.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::errors::json_response;
use super::{AUTHORIZE_PATH, JWKS_PATH, Shared, TOKEN_PATH, USERINFO_PATH, read};

/// `GET …/.well-known/openid-configuration`: the Vipps test document, pointing at the mock.
pub(super) async fn discovery(State(shared): State<Arc<Shared>>) -> Response {
    let base = &shared.base_url;
    let body = json!({
        "issuer": shared.issuer(),
        "authorization_endpoint": format!("{base}{AUTHORIZE_PATH}"),
        "token_endpoint": format!("{base}{TOKEN_PATH}"),
        "jwks_uri": format!("{base}{JWKS_PATH}"),
        "subject_types_supported": ["pairwise"],
        "response_types_supported": ["code"],
        "claims_supported": ["sub"],
        "grant_types_supported": ["authorization_code"],
        "response_modes_supported": ["query"],
        "userinfo_endpoint": format!("{base}{USERINFO_PATH}"),
        "scopes_supported": ["openid", "address", "name", "email", "phoneNumber", "nin", "birthDate"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "userinfo_signing_alg_values_supported": ["none"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "require_request_uri_registration": true,
        "claims_parameter_supported": false,
        "code_challenge_methods_supported": ["plain", "S256"],
        "backchannel_logout_supported": false,
        "backchannel_logout_session_supported": false,
        "frontchannel_logout_supported": false,
        "frontchannel_logout_session_supported": false,
    });
    json_response(StatusCode::OK, &body, &cache_control(&shared))
}

fn cache_control(shared: &Shared) -> String {
    let seconds = shared.max_age.load(std::sync::atomic::Ordering::Relaxed);
    format!("max-age={seconds}")
}

/// `GET …/.well-known/jwks.json`.
pub(super) async fn jwks(State(shared): State<Arc<Shared>>) -> Response {
    let body = read(&shared.keys).jwks();
    json_response(StatusCode::OK, &body, &cache_control(&shared))
}
