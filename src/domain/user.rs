//! The local user registry: users of an organization and the Vipps identities linked to them.

use super::{Environment, InvalidInput, OrgId, Timestamp, VippsUserInfo, text};

/// A user's id: 128 random bits as a UUID-shaped lowercase hex string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserId(String);

impl UserId {
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)?;
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self(format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )))
    }

    pub fn parse(value: &str) -> Result<Self, InvalidInput> {
        let shaped = value.len() == 36
            && value.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_digit() || ('a'..='f').contains(&c),
            });
        if !shaped {
            return Err(InvalidInput::field("id", "is not a user id"));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number the way Vipps sends it: digits with the country code, no `+`
/// (`4712345678`). Input may carry a leading `+`, spaces or dashes; they are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(field: &'static str, value: &str) -> Result<Self, InvalidInput> {
        let trimmed = value.trim();
        let body = trimmed
            .strip_prefix('+')
            .or_else(|| trimmed.strip_prefix("00"))
            .unwrap_or(trimmed);
        if !body
            .chars()
            .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
        {
            return Err(InvalidInput::field(
                field,
                "must be digits with the country code, as in `4712345678` or `+47 123 45 678`",
            ));
        }
        let digits: String = body.chars().filter(char::is_ascii_digit).collect();
        if !(10..=15).contains(&digits.len()) {
            return Err(InvalidInput::field(
                field,
                "must have 10 to 15 digits including the country code (Vipps sends `4712345678`)",
            ));
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address, kept in lower case so that matching ignores case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &'static str, value: &str) -> Result<Self, InvalidInput> {
        text::check(field, value, 254)?;
        let valid = value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        }) && !value.chars().any(char::is_whitespace);
        if !valid {
            return Err(InvalidInput::field(field, "must be an e-mail address"));
        }
        Ok(Self(value.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user of one organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub org_id: OrgId,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<Email>,
    pub email_verified: bool,
    pub phone_number: Option<PhoneNumber>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub last_login_at: Option<Timestamp>,
}

/// A Vipps identity linked to a user: Vipps gives each merchant its own `sub` for a person,
/// so the key is (organization, environment, sub).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VippsIdentity {
    pub org_id: OrgId,
    pub environment: Environment,
    pub sub: String,
    pub user_id: UserId,
    pub linked_at: Timestamp,
    pub last_login_at: Timestamp,
}

/// A user an administrator registers ahead of their first login, by phone and/or e-mail.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub org_id: OrgId,
    pub phone_number: Option<PhoneNumber>,
    pub email: Option<Email>,
    pub name: Option<String>,
}

impl NewUser {
    pub fn parse(
        org_id: &str,
        phone_number: Option<&str>,
        email: Option<&str>,
        name: Option<&str>,
    ) -> Result<Self, InvalidInput> {
        let phone_number = phone_number
            .map(|p| PhoneNumber::parse("phone_number", p))
            .transpose()?;
        let email = email.map(|e| Email::parse("email", e)).transpose()?;
        if phone_number.is_none() && email.is_none() {
            return Err(InvalidInput::request(
                "give `phoneNumber` or `email` (or both): a login links by them",
            ));
        }
        if let Some(name) = name {
            text::check("name", name, 200)?;
        }
        Ok(Self {
            org_id: OrgId::parse(org_id)?,
            phone_number,
            email,
            name: name.map(str::to_owned),
        })
    }
}

/// The profile fields a login brings, parsed from Vipps' claims. Claims that do not parse
/// are left out rather than failing the login.
#[derive(Debug, Clone, Default)]
pub struct LoginProfile {
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<Email>,
    pub email_verified: bool,
    pub phone_number: Option<PhoneNumber>,
}

impl LoginProfile {
    pub fn from_user_info(info: &VippsUserInfo) -> Self {
        let email = info
            .email
            .as_deref()
            .and_then(|e| Email::parse("email", e).ok());
        Self {
            name: info.name.clone(),
            given_name: info.given_name.clone(),
            family_name: info.family_name.clone(),
            email_verified: email.is_some() && info.email_verified == Some(true),
            email,
            phone_number: info
                .phone_number
                .as_deref()
                .and_then(|p| PhoneNumber::parse("phone_number", p).ok()),
        }
    }
}

/// Which users a listing includes.
#[derive(Debug, Clone)]
pub struct UserFilter {
    pub org_id: OrgId,
    pub search: Option<UserSearch>,
}

/// A search: a case-insensitive part of the name, or an exact phone number or e-mail
/// address (each found through its index).
#[derive(Debug, Clone)]
pub struct UserSearch {
    /// The text in lower case, to find within names.
    pub name_part: String,
    /// The text as a phone number, when it reads as one (`+47 123 45 678`).
    pub phone_number: Option<PhoneNumber>,
    /// The text as an e-mail address, when it reads as one (compared in lower case).
    pub email: Option<Email>,
}

impl UserFilter {
    /// A blank `search` lists everyone.
    pub fn parse(org_id: &str, search: Option<&str>) -> Result<Self, InvalidInput> {
        let search = search.map(str::trim).filter(|s| !s.is_empty());
        if let Some(search) = search {
            text::check("search", search, 200)?;
        }
        Ok(Self {
            org_id: OrgId::parse(org_id)?,
            search: search.map(|text| UserSearch {
                name_part: text.to_lowercase(),
                phone_number: PhoneNumber::parse("search", text).ok(),
                email: Email::parse("search", text).ok(),
            }),
        })
    }
}

/// A Vipps `sub` as an administrator names it.
pub fn parse_sub(value: &str) -> Result<String, InvalidInput> {
    text::check("sub", value, 255)?;
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_uuid_shaped_and_parse_back() {
        let id = UserId::generate().unwrap();
        assert_eq!(UserId::parse(id.as_str()).unwrap(), id);
        assert!(UserId::parse("not-an-id").is_err());
        assert!(UserId::parse(&id.as_str().to_uppercase()).is_err());
    }

    #[test]
    fn phone_numbers_normalize_to_vipps_digits() {
        let parse = |v| PhoneNumber::parse("phone_number", v).map(|p| p.0);
        assert_eq!(parse("+47 123 45 678").unwrap(), "4712345678");
        assert_eq!(parse("4712345678").unwrap(), "4712345678");
        assert_eq!(parse("0047 12345678").unwrap(), "4712345678");
        assert!(parse("12345678").is_err(), "no country code");
        assert!(parse("12345").is_err());
        assert!(parse("47abc45678").is_err());
    }

    #[test]
    fn emails_match_case_insensitively() {
        let email = Email::parse("email", "Ada@Example.COM").unwrap();
        assert_eq!(email.as_str(), "ada@example.com");
        assert!(Email::parse("email", "no-at-sign").is_err());
        assert!(Email::parse("email", "a@b").is_err());
    }

    #[test]
    fn a_new_user_needs_a_phone_or_an_email() {
        assert!(NewUser::parse("org", None, None, Some("Ada")).is_err());
        assert!(NewUser::parse("org", Some("4712345678"), None, None).is_ok());
    }
}
