//! Test users and the Userinfo claims each scope releases.

use serde_json::{Map, Value, json};

/// A Vipps user the mock can log in as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MockUser {
    /// The Vipps profile logged in with: with the client id it makes the pairwise `sub`. The
    /// first test users use their phone number; a number that changes hands, or a profile
    /// deleted and created again, comes with a new profile (and so a new `sub`).
    pub profile: String,
    /// MSISDN: digits, country code, no `+` (e.g. `"4712345678"`).
    pub phone_number: String,
    /// Full name.
    pub name: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// E-mail address.
    pub email: String,
    /// Whether the user has verified the e-mail address.
    pub email_verified: bool,
    /// `YYYY-MM-DD`.
    pub birthdate: String,
    /// National identity number.
    pub nin: String,
    /// The default address; `None` makes Userinfo send an address of empty strings, as Vipps does.
    pub address: Option<MockAddress>,
    /// Further addresses (`other_addresses`).
    pub other_addresses: Vec<MockAddress>,
}

/// A postal address; `formatted` is built as `"street\npostal region\ncountry"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MockAddress {
    /// Street, possibly with unit details after a `\n`.
    pub street_address: String,
    /// Postal code.
    pub postal_code: String,
    /// Postal region (city).
    pub region: String,
    /// ISO 3166 alpha-2 country code.
    pub country: String,
    /// `"home"`, `"work"` or `"other"`.
    pub address_type: String,
}

impl MockAddress {
    fn new(street: &str, postal: &str, region: &str, country: &str, kind: &str) -> Self {
        Self {
            street_address: street.to_owned(),
            postal_code: postal.to_owned(),
            region: region.to_owned(),
            country: country.to_owned(),
            address_type: kind.to_owned(),
        }
    }

    fn claim(&self) -> Value {
        json!({
            "street_address": self.street_address,
            "postal_code": self.postal_code,
            "region": self.region,
            "country": self.country,
            "formatted": format!(
                "{}\n{} {}\n{}",
                self.street_address, self.postal_code, self.region, self.country
            ),
            "address_type": self.address_type,
        })
    }

    fn empty_claim() -> Value {
        json!({
            "street_address": "",
            "postal_code": "",
            "region": "",
            "country": "",
            "formatted": "",
            "address_type": "",
        })
    }
}

impl MockUser {
    /// Index of [`ada`](Self::ada) in [`test_users`](Self::test_users).
    pub const ADA: usize = 0;
    /// Index of Grace Hopper in [`test_users`](Self::test_users).
    pub const GRACE: usize = 1;
    /// Index of [`kari`](Self::kari) in [`test_users`](Self::test_users).
    pub const KARI: usize = 2;
    /// Index of [`ola`](Self::ola) in [`test_users`](Self::test_users).
    pub const OLA: usize = 3;
    /// Index of [`kari_recreated`](Self::kari_recreated) in [`test_users`](Self::test_users).
    pub const KARI_RECREATED: usize = 4;

    /// Ada Lovelace, the user of the Vipps documentation examples.
    pub fn ada() -> Self {
        Self {
            profile: "4712345678".to_owned(),
            phone_number: "4712345678".to_owned(),
            name: "Ada Lovelace".to_owned(),
            given_name: "Ada".to_owned(),
            family_name: "Lovelace".to_owned(),
            email: "ada@example.com".to_owned(),
            email_verified: true,
            birthdate: "1815-12-10".to_owned(),
            nin: "10121550047".to_owned(),
            address: Some(MockAddress::new(
                "Suburbia 23",
                "2101",
                "OSLO",
                "NO",
                "home",
            )),
            other_addresses: vec![MockAddress::new(
                "Fancy Office Street 2",
                "0218",
                "OSLO",
                "NO",
                "work",
            )],
        }
    }

    /// Kari Nordmann: no address, an unverified e-mail, and phone number 4791234567, which
    /// later passes to [`ola`](Self::ola).
    pub fn kari() -> Self {
        Self {
            profile: "4791234567".to_owned(),
            phone_number: "4791234567".to_owned(),
            name: "Kari Nordmann".to_owned(),
            given_name: "Kari".to_owned(),
            family_name: "Nordmann".to_owned(),
            email: "kari@example.net".to_owned(),
            email_verified: false,
            birthdate: "1990-05-17".to_owned(),
            nin: "17059012345".to_owned(),
            address: None,
            other_addresses: Vec::new(),
        }
    }

    /// Ola Hansen, the next owner of Kari's recycled phone number: another person, another
    /// profile.
    pub fn ola() -> Self {
        Self {
            profile: "ola-hansen".to_owned(),
            phone_number: "4791234567".to_owned(),
            name: "Ola Hansen".to_owned(),
            given_name: "Ola".to_owned(),
            family_name: "Hansen".to_owned(),
            email: "ola@example.org".to_owned(),
            email_verified: true,
            birthdate: "1985-02-01".to_owned(),
            nin: "01028512345".to_owned(),
            address: Some(MockAddress::new(
                "Kongens gate 5",
                "7011",
                "TRONDHEIM",
                "NO",
                "home",
            )),
            other_addresses: Vec::new(),
        }
    }

    /// Kari Nordmann again, with her Vipps profile deleted and created again: the same person
    /// and phone number under a new `sub`.
    pub fn kari_recreated() -> Self {
        Self {
            profile: "kari-nordmann-recreated".to_owned(),
            ..Self::kari()
        }
    }

    /// Ada, Grace Hopper (a two-line street address), Kari Nordmann, Ola Hansen (Kari's phone
    /// number, recycled) and Kari's re-created profile, at the indices of the constants
    /// [`ADA`](Self::ADA) … [`KARI_RECREATED`](Self::KARI_RECREATED).
    pub fn test_users() -> Vec<Self> {
        vec![
            Self::ada(),
            Self {
                profile: "4798765432".to_owned(),
                phone_number: "4798765432".to_owned(),
                name: "Grace Hopper".to_owned(),
                given_name: "Grace".to_owned(),
                family_name: "Hopper".to_owned(),
                email: "grace@example.com".to_owned(),
                email_verified: true,
                birthdate: "1906-12-09".to_owned(),
                nin: "09120612345".to_owned(),
                address: Some(MockAddress::new(
                    "Storgata 1\nH0301",
                    "0155",
                    "OSLO",
                    "NO",
                    "home",
                )),
                other_addresses: Vec::new(),
            },
            Self::kari(),
            Self::ola(),
            Self::kari_recreated(),
        ]
    }

    /// The Userinfo body for the granted `scopes`: `sub`, the claims of each scope, and `sid`.
    pub(super) fn userinfo(&self, scopes: &[String], sub: &str, sid: &str) -> Value {
        let mut claims = Map::new();
        claims.insert("sub".to_owned(), json!(sub));
        for scope in scopes {
            match scope.as_str() {
                "name" => {
                    claims.insert("name".to_owned(), json!(self.name));
                    claims.insert("given_name".to_owned(), json!(self.given_name));
                    claims.insert("family_name".to_owned(), json!(self.family_name));
                }
                "email" => {
                    claims.insert("email".to_owned(), json!(self.email));
                    claims.insert("email_verified".to_owned(), json!(self.email_verified));
                }
                "phoneNumber" => {
                    claims.insert("phone_number".to_owned(), json!(self.phone_number));
                    claims.insert("phone_number_verified".to_owned(), json!(true));
                }
                "address" => {
                    let address = self
                        .address
                        .as_ref()
                        .map_or_else(MockAddress::empty_claim, MockAddress::claim);
                    let others: Vec<Value> = self
                        .other_addresses
                        .iter()
                        .map(MockAddress::claim)
                        .collect();
                    claims.insert("address".to_owned(), address);
                    claims.insert("other_addresses".to_owned(), Value::Array(others));
                }
                "birthDate" => {
                    claims.insert("birthdate".to_owned(), json!(self.birthdate));
                }
                "nin" => {
                    claims.insert("nin".to_owned(), json!(self.nin));
                }
                _ => {}
            }
        }
        claims.insert("sid".to_owned(), json!(sid));
        Value::Object(claims)
    }
}
