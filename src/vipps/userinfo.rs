//! The userinfo call and the mapping of Vipps' claims into [`VippsUserInfo`].

use serde::Deserialize;

use super::{Discovery, VippsClient, refusal, send, unavailable, with_merchant};
use crate::domain::{AddressType, MerchantSerialNumber, VippsAddress, VippsUserInfo};
use crate::error::{Error, Result};

const WHAT: &str = "userinfo endpoint";

/// The claims Vipps' userinfo returns; each depends on a scope.
#[derive(Deserialize)]
struct Claims {
    sub: String,
    sid: Option<String>,
    name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    email: Option<String>,
    email_verified: Option<bool>,
    phone_number: Option<String>,
    birthdate: Option<String>,
    address: Option<Address>,
    #[serde(default)]
    other_addresses: Vec<Address>,
    nin: Option<String>,
}

#[derive(Deserialize)]
struct Address {
    address_type: Option<String>,
    country: Option<String>,
    formatted: Option<String>,
    postal_code: Option<String>,
    region: Option<String>,
    street_address: Option<String>,
}

impl Address {
    /// Empty strings mean "none"; an address with no part at all is no address.
    fn into_domain(self) -> Option<VippsAddress> {
        VippsAddress {
            address_type: self
                .address_type
                .as_deref()
                .and_then(AddressType::from_claim),
            country: present(self.country),
            formatted: present(self.formatted),
            postal_code: present(self.postal_code),
            region: present(self.region),
            street_address: present(self.street_address),
        }
        .non_empty()
    }
}

/// `None` for a missing or blank claim.
fn present(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

impl VippsClient {
    /// The profile of the user the access token belongs to. Its `sub` must be the ID
    /// token's; `nin` is kept only when the `nin` scope was granted.
    pub async fn userinfo(
        &self,
        discovery: &Discovery,
        merchant: Option<&MerchantSerialNumber>,
        access_token: &str,
        id_token_sub: &str,
        nin_granted: bool,
    ) -> Result<VippsUserInfo> {
        let request = self
            .http
            .get(discovery.userinfo_endpoint.clone())
            .bearer_auth(access_token);
        let response = send(WHAT, with_merchant(request, merchant)).await?;
        if !response.status().is_success() {
            return Err(refusal(WHAT, response).await);
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| unavailable(WHAT, e.without_url().into()))?;
        let claims: Claims = serde_json::from_slice(&body).map_err(|_| {
            unavailable(WHAT, anyhow::anyhow!("the userinfo answer is not readable"))
        })?;
        if claims.sub != id_token_sub {
            return Err(Error::IdTokenInvalid(
                "userinfo answers for a different user (`sub`) than the ID token".into(),
            ));
        }
        let birthdate = present(claims.birthdate).and_then(|date| {
            let parsed = chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").ok();
            if parsed.is_none() {
                tracing::warn!("userinfo `birthdate` is not YYYY-MM-DD; left out");
            }
            parsed
        });
        Ok(VippsUserInfo {
            subject_identifier: claims.sub,
            session_identifier: present(claims.sid),
            name: present(claims.name),
            given_name: present(claims.given_name),
            family_name: present(claims.family_name),
            email: present(claims.email),
            email_verified: claims.email_verified,
            phone_number: present(claims.phone_number),
            birthdate,
            address: claims.address.and_then(Address::into_domain),
            other_addresses: claims
                .other_addresses
                .into_iter()
                .filter_map(Address::into_domain)
                .collect(),
            nin: present(claims.nin).filter(|_| nin_granted),
        })
    }
}
