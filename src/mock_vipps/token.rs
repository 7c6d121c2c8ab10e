//! `POST …/oauth2/token`: the authorization-code exchange and the ID token.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::errors::{TokenError, json_response};
use super::faults::IdTokenForgery;
use super::keys::{Signer, compact_jws};
use super::{MockAuthMethod, MockClient, Shared, lock, random, read};

/// How long an access token works at Userinfo.
const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(600);
/// `expires_in` as Vipps reports it.
const EXPIRES_IN: u64 = 3599;
/// ID token lifetime (`exp - iat`).
const ID_TOKEN_TTL: i64 = 3600;

/// PKCE transformation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PkceMethod {
    Plain,
    S256,
}

/// A code challenge from the authorize request.
#[derive(Clone, Debug)]
pub(super) struct Challenge {
    pub(super) value: String,
    pub(super) method: PkceMethod,
}

/// What a code stands for.
pub(super) struct CodeGrant {
    pub(super) client_id: String,
    pub(super) redirect_uri: String,
    pub(super) scope: String,
    pub(super) nonce: Option<String>,
    pub(super) challenge: Option<Challenge>,
    pub(super) user: usize,
    pub(super) sub: String,
    pub(super) sid: String,
    pub(super) requested_at: i64,
    pub(super) auth_time: i64,
    pub(super) expires: Instant,
}

/// What an access token stands for at Userinfo.
#[derive(Clone)]
pub(super) struct AccessGrant {
    pub(super) user: usize,
    pub(super) scopes: Vec<String>,
    pub(super) sub: String,
    pub(super) sid: String,
    pub(super) expires: Instant,
}

/// `POST …/oauth2/token`.
pub(super) async fn token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match exchange(&shared, &headers, &body) {
        Ok(body) => json_response(StatusCode::OK, &body, "no-store"),
        Err(error) => error.into_response(),
    }
}

fn exchange(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<Value, TokenError> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(TokenError::InvalidRequest(
            "The request body must be application/x-www-form-urlencoded.".to_owned(),
        ));
    }
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    let param = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let client = authenticate(shared, headers, param("client_id"), param("client_secret"))?;
    let missing = |name: &str| {
        TokenError::InvalidRequest(format!(
            "The request is missing the required parameter '{name}'."
        ))
    };
    match param("grant_type") {
        Some("authorization_code") => {}
        Some(_) => return Err(TokenError::UnsupportedGrantType),
        None => return Err(missing("grant_type")),
    }
    let code = param("code").ok_or_else(|| missing("code"))?;
    let redirect_uri = param("redirect_uri").ok_or_else(|| missing("redirect_uri"))?;
    let grant = {
        let mut codes = lock(&shared.codes);
        match codes.get(code) {
            None => return Err(TokenError::InvalidGrant),
            Some(grant) if grant.expires <= Instant::now() => {
                codes.remove(code);
                return Err(TokenError::InvalidGrant);
            }
            Some(grant)
                if grant.client_id != client.client_id || grant.redirect_uri != redirect_uri =>
            {
                return Err(TokenError::InvalidGrant);
            }
            Some(_) => codes.remove(code).ok_or(TokenError::InvalidGrant)?,
        }
    };
    verify_pkce(grant.challenge.as_ref(), param("code_verifier"))?;
    issue(shared, client, grant)
}

/// Client authentication with the client's one method; anything else is `invalid_client`.
fn authenticate<'a>(
    shared: &'a Shared,
    headers: &HeaderMap,
    form_id: Option<&str>,
    form_secret: Option<&str>,
) -> Result<&'a MockClient, TokenError> {
    let basic = match headers.get(header::AUTHORIZATION) {
        Some(value) => Some(parse_basic(value.as_bytes()).ok_or(TokenError::InvalidClient)?),
        None => None,
    };
    let (client, candidates) = match (basic, form_secret) {
        (Some(candidates), None) => {
            let client = candidates
                .iter()
                .find_map(|(id, _)| shared.client(id))
                .ok_or(TokenError::InvalidClient)?;
            let form_id_differs = form_id.is_some_and(|id| id != client.client_id);
            if form_id_differs || client.auth_method != MockAuthMethod::ClientSecretBasic {
                return Err(TokenError::InvalidClient);
            }
            (client, candidates)
        }
        (None, Some(secret)) => {
            let id = form_id.ok_or(TokenError::InvalidClient)?;
            let client = shared.client(id).ok_or(TokenError::InvalidClient)?;
            if client.auth_method != MockAuthMethod::ClientSecretPost {
                return Err(TokenError::InvalidClient);
            }
            (client, vec![(id.to_owned(), secret.to_owned())])
        }
        _ => return Err(TokenError::InvalidClient),
    };
    let authenticated = candidates.iter().any(|(id, secret)| {
        *id == client.client_id
            && bool::from(client.client_secret.as_bytes().ct_eq(secret.as_bytes()))
    });
    if authenticated {
        Ok(client)
    } else {
        Err(TokenError::InvalidClient)
    }
}

/// `Basic base64(urlencode(id):urlencode(secret))`: the URL-decoded pair, then the pair as
/// sent (clients that do not URL-encode are accepted too).
fn parse_basic(value: &[u8]) -> Option<Vec<(String, String)>> {
    let value = std::str::from_utf8(value).ok()?;
    let (scheme, credentials) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(credentials.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map_or_else(String::new, |(_, v)| v.into_owned())
    };
    let mut candidates = vec![(unescape(id), unescape(secret))];
    let raw = (id.to_owned(), secret.to_owned());
    if candidates[0] != raw {
        candidates.push(raw);
    }
    Some(candidates)
}

/// RFC 7636: the verifier must match the challenge given at authorize (the code is already
/// spent, as Hydra spends it).
fn verify_pkce(challenge: Option<&Challenge>, verifier: Option<&str>) -> Result<(), TokenError> {
    let Some(challenge) = challenge else {
        return match verifier {
            None => Ok(()),
            Some(_) => Err(TokenError::InvalidGrant),
        };
    };
    let verifier = verifier.ok_or(TokenError::InvalidGrant)?;
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if !well_formed {
        return Err(TokenError::InvalidGrant);
    }
    let computed = match challenge.method {
        PkceMethod::Plain => verifier.to_owned(),
        PkceMethod::S256 => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
    };
    if bool::from(computed.as_bytes().ct_eq(challenge.value.as_bytes())) {
        Ok(())
    } else {
        Err(TokenError::InvalidGrant)
    }
}

/// The access token (stored for Userinfo) and the ID token.
fn issue(shared: &Shared, client: &MockClient, grant: CodeGrant) -> Result<Value, TokenError> {
    let no_randomness = |_| TokenError::Server("No randomness available.");
    let access_token = random::token(32).map_err(no_randomness)?;
    let jti = random::uuid().map_err(no_randomness)?;
    let digest = Sha256::digest(access_token.as_bytes());
    let at_hash = URL_SAFE_NO_PAD.encode(&digest[..16]);
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "at_hash": at_hash,
        "aud": [client.client_id],
        "auth_time": grant.auth_time,
        "exp": now + ID_TOKEN_TTL,
        "iat": now,
        "iss": shared.issuer(),
        "jti": jti,
        "nonce": grant.nonce.clone().unwrap_or_default(),
        "rat": grant.requested_at,
        "sid": grant.sid,
        "sub": grant.sub,
    });
    let forgeries = lock(&shared.faults).forgeries();
    for forgery in &forgeries {
        forge_claims(&mut claims, *forgery, now);
    }
    let signing = forgeries.iter().rev().find(|f| f.is_signing()).copied();
    let id_token = {
        let keys = read(&shared.keys);
        let no_rogue = || TokenError::Server("The rogue key is missing.");
        let (alg, kid, signer) = match signing {
            Some(IdTokenForgery::BadSignature) => (
                "RS256",
                keys.current().kid(),
                Signer::Rs256(keys.rogue().ok_or_else(no_rogue)?),
            ),
            Some(IdTokenForgery::UnknownKid) => {
                let rogue = keys.rogue().ok_or_else(no_rogue)?;
                ("RS256", rogue.kid(), Signer::Rs256(rogue))
            }
            Some(IdTokenForgery::AlgNone) => ("none", keys.current().kid(), Signer::Unsigned),
            Some(IdTokenForgery::Hs256WithSecret) => (
                "HS256",
                keys.current().kid(),
                Signer::Hs256(client.client_secret.as_bytes()),
            ),
            _ => ("RS256", keys.current().kid(), Signer::Rs256(keys.current())),
        };
        let header = json!({"alg": alg, "kid": kid, "typ": "JWT"});
        compact_jws(&header, &claims, signer)
            .map_err(|_| TokenError::Server("Signing the ID token failed."))?
    };
    lock(&shared.tokens).insert(
        access_token.clone(),
        AccessGrant {
            user: grant.user,
            scopes: grant.scope.split(' ').map(str::to_owned).collect(),
            sub: grant.sub,
            sid: grant.sid,
            expires: Instant::now() + ACCESS_TOKEN_TTL,
        },
    );
    Ok(json!({
        "access_token": access_token,
        "id_token": id_token,
        "expires_in": EXPIRES_IN,
        "scope": grant.scope,
        "token_type": "bearer",
    }))
}

/// Applies a claim-level forgery (signing forgeries are applied when signing).
fn forge_claims(claims: &mut Value, forgery: IdTokenForgery, now: i64) {
    match forgery {
        IdTokenForgery::WrongNonce => {
            let forged = match claims["nonce"].as_str() {
                Some(nonce) if !nonce.is_empty() => format!("{nonce}-forged"),
                _ => "forged-nonce".to_owned(),
            };
            claims["nonce"] = json!(forged);
        }
        IdTokenForgery::MissingNonce => {
            if let Some(map) = claims.as_object_mut() {
                map.remove("nonce");
            }
        }
        IdTokenForgery::WrongIssuer => {
            claims["iss"] = json!("https://apitest.vipps.no/access-management-1.0/access/");
        }
        IdTokenForgery::WrongAudience => claims["aud"] = json!(["another-client"]),
        IdTokenForgery::Expired => {
            claims["exp"] = json!(now - 600);
            claims["iat"] = json!(now - 600 - ID_TOKEN_TTL);
        }
        IdTokenForgery::IssuedInFuture => {
            claims["iat"] = json!(now + 600);
            claims["exp"] = json!(now + 600 + ID_TOKEN_TTL);
        }
        IdTokenForgery::WrongAtHash => {
            claims["at_hash"] = json!(URL_SAFE_NO_PAD.encode(&Sha256::digest(b"another")[..16]));
        }
        IdTokenForgery::MissingAtHash => {
            if let Some(map) = claims.as_object_mut() {
                map.remove("at_hash");
            }
        }
        IdTokenForgery::BadSignature
        | IdTokenForgery::UnknownKid
        | IdTokenForgery::AlgNone
        | IdTokenForgery::Hs256WithSecret => {}
    }
}
