//! The authorization-code exchange at the token endpoint.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use super::{Discovery, VippsClient, json_answer, unavailable, with_merchant};
use crate::domain::{LoginSecret, RedirectUri, TokenEndpointAuthMethod, VippsOrg};
use crate::error::{Error, Result};
use crate::metrics::UpstreamCall;
use crate::secrets::Secret;

const WHAT: &str = "token endpoint";

/// What a code exchange needs. The code is spent by the first attempt: it is never retried.
pub struct CodeExchange<'a> {
    pub org: &'a VippsOrg,
    pub client_secret: &'a Secret,
    pub code: &'a str,
    /// The `redirect_uri` of the authorize request, byte for byte.
    pub redirect_uri: &'a RedirectUri,
    pub code_verifier: &'a LoginSecret,
}

/// The tokens of one login. Neither is ever logged or returned; `Debug` hides them.
pub struct Tokens {
    pub access_token: String,
    pub id_token: String,
    /// The scopes granted, when the provider says.
    pub scope: Option<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    id_token: Option<String>,
    token_type: String,
    scope: Option<String>,
}

impl VippsClient {
    /// Exchanges the code with the organization's client authentication and the PKCE
    /// verifier.
    pub async fn exchange_code(
        &self,
        discovery: &Discovery,
        exchange: CodeExchange<'_>,
    ) -> Result<Tokens> {
        let org = exchange.org;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", exchange.code),
            ("redirect_uri", exchange.redirect_uri.as_str()),
            ("code_verifier", exchange.code_verifier.as_str()),
        ];
        let mut request = self.http.post(discovery.token_endpoint.clone());
        match org.token_endpoint_auth_method {
            TokenEndpointAuthMethod::ClientSecretBasic => {
                request = request.header(
                    reqwest::header::AUTHORIZATION,
                    basic_credentials(org.client_id.as_str(), exchange.client_secret.expose()),
                );
            }
            TokenEndpointAuthMethod::ClientSecretPost => {
                form.push(("client_id", org.client_id.as_str()));
                form.push(("client_secret", exchange.client_secret.expose()));
            }
        }
        let request = with_merchant(request, org.merchant_serial_number.as_ref()).form(&form);
        let answer: TokenResponse = self
            .timed(UpstreamCall::Token, json_answer(WHAT, request))
            .await?;
        if !answer.token_type.eq_ignore_ascii_case("bearer") {
            return Err(unavailable(
                WHAT,
                anyhow::anyhow!("unexpected token type `{}`", answer.token_type),
            ));
        }
        let id_token = answer
            .id_token
            .ok_or_else(|| Error::IdTokenInvalid("the token response holds no ID token".into()))?;
        Ok(Tokens {
            access_token: answer.access_token,
            id_token,
            scope: answer.scope,
        })
    }
}

/// `Basic base64(urlencode(id):urlencode(secret))`, as RFC 6749 §2.3.1 defines it (a secret
/// with `+`, `/` or `=` survives a provider that decodes it).
fn basic_credentials(client_id: &str, secret: &str) -> String {
    let encode =
        |value: &str| url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", encode(client_id), encode(secret)))
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn basic_credentials_form_encode_before_base64() {
        assert_eq!(
            super::basic_credentials("id", "a+b/c="),
            "Basic aWQ6YSUyQmIlMkZjJTNE"
        );
    }
}
