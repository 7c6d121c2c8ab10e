//! The userinfo call and the mapping of Vipps' claims into [`VippsUserInfo`].

use serde_json::Value;

use super::{Discovery, IdToken, VippsClient, json_answer, unavailable, with_merchant};
use crate::domain::{AddressType, MerchantSerialNumber, PhoneNumber, VippsAddress, VippsUserInfo};
use crate::error::{Error, Result};
use crate::metrics::UpstreamCall;

const WHAT: &str = "userinfo endpoint";

/// A claim as a non-blank string; any other type counts as absent.
fn text(claims: &Value, name: &str) -> Option<String> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .filter(|v| !v.trim().is_empty())
        .map(str::to_owned)
}

/// A boolean claim; providers that send `"true"`/`"false"` strings are understood too.
fn flag(claims: &Value, name: &str) -> Option<bool> {
    match claims.get(name)? {
        Value::Bool(value) => Some(*value),
        Value::String(value) if value.eq_ignore_ascii_case("true") => Some(true),
        Value::String(value) if value.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// An address object; empty strings mean "none", and an address with no part is no address.
fn address(value: &Value) -> Option<VippsAddress> {
    value.as_object()?;
    VippsAddress {
        address_type: text(value, "address_type")
            .as_deref()
            .and_then(AddressType::from_claim),
        country: text(value, "country"),
        formatted: text(value, "formatted"),
        postal_code: text(value, "postal_code"),
        region: text(value, "region"),
        street_address: text(value, "street_address"),
    }
    .non_empty()
}

/// The userinfo claims as a profile. Each claim is read on its own: one of an unexpected
/// type is left out instead of failing a login whose code is already spent. Vipps documents
/// userinfo's `sid` as unused, so the ID token's `sid` fills in when userinfo has none.
fn profile(claims: &Value, id_token: &IdToken, nin_granted: bool) -> VippsUserInfo {
    let birthdate = text(claims, "birthdate").and_then(|date| {
        let parsed = chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").ok();
        if parsed.is_none() {
            tracing::warn!("userinfo `birthdate` is not YYYY-MM-DD; left out");
        }
        parsed
    });
    let phone_number = text(claims, "phone_number").and_then(|phone| {
        let parsed = PhoneNumber::parse("phone_number", &phone).ok();
        if parsed.is_none() {
            tracing::warn!("userinfo `phone_number` is not a phone number; left out");
        }
        parsed.map(|p| p.as_str().to_owned())
    });
    VippsUserInfo {
        subject_identifier: id_token.sub.clone(),
        session_identifier: text(claims, "sid").or_else(|| id_token.sid.clone()),
        name: text(claims, "name"),
        given_name: text(claims, "given_name"),
        family_name: text(claims, "family_name"),
        email: text(claims, "email"),
        email_verified: flag(claims, "email_verified"),
        phone_number,
        birthdate,
        address: claims.get("address").and_then(address),
        other_addresses: claims
            .get("other_addresses")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(address).collect())
            .unwrap_or_default(),
        nin: text(claims, "nin").filter(|_| nin_granted),
    }
}

impl VippsClient {
    /// The profile of the user the access token belongs to. Its `sub` must be the ID
    /// token's; `nin` is kept only when the `nin` scope was granted.
    pub async fn userinfo(
        &self,
        discovery: &Discovery,
        merchant: Option<&MerchantSerialNumber>,
        access_token: &str,
        id_token: &IdToken,
        nin_granted: bool,
    ) -> Result<VippsUserInfo> {
        let request = self
            .http
            .get(discovery.userinfo_endpoint.clone())
            .bearer_auth(access_token);
        let claims: Value = self
            .timed(
                UpstreamCall::Userinfo,
                json_answer(WHAT, with_merchant(request, merchant)),
            )
            .await?;
        let sub = text(&claims, "sub").ok_or_else(|| {
            unavailable(WHAT, anyhow::anyhow!("the userinfo answer has no `sub`"))
        })?;
        if sub != id_token.sub {
            return Err(Error::IdTokenInvalid(
                "userinfo answers for a different user (`sub`) than the ID token".into(),
            ));
        }
        Ok(profile(&claims, id_token, nin_granted))
    }
}
