use std::fmt;

use super::InvalidInput;

const FIELD: &str = "scopes";

/// One OpenID scope Vipps Login supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    OpenId,
    Name,
    Email,
    PhoneNumber,
    Address,
    BirthDate,
    Nin,
}

impl Scope {
    pub const ALL: [Scope; 7] = [
        Scope::OpenId,
        Scope::Name,
        Scope::Email,
        Scope::PhoneNumber,
        Scope::Address,
        Scope::BirthDate,
        Scope::Nin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::OpenId => "openid",
            Scope::Name => "name",
            Scope::Email => "email",
            Scope::PhoneNumber => "phoneNumber",
            Scope::Address => "address",
            Scope::BirthDate => "birthDate",
            Scope::Nin => "nin",
        }
    }

    fn parse(value: &str) -> Result<Self, InvalidInput> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == value)
            .ok_or_else(|| {
                let allowed: Vec<&str> = Self::ALL.iter().map(|s| s.as_str()).collect();
                InvalidInput::field(
                    FIELD,
                    format!(
                        "unknown scope {}; allowed: {}",
                        quote(value),
                        allowed.join(" ")
                    ),
                )
            })
    }
}

/// Quotes a client value for an error message, shortened so a message stays readable.
fn quote(value: &str) -> String {
    let short: String = value.chars().filter(|c| !c.is_control()).take(40).collect();
    format!("`{short}`")
}

/// The scopes an organization may request: `openid` plus any of the supported scopes, each
/// at most once, in the order given. Stored space-separated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    pub fn parse<S: AsRef<str>>(values: &[S]) -> Result<Self, InvalidInput> {
        let mut scopes = Vec::with_capacity(values.len());
        for value in values {
            let scope = Scope::parse(value.as_ref())?;
            if scopes.contains(&scope) {
                return Err(InvalidInput::field(
                    FIELD,
                    format!("`{}` is listed twice", scope.as_str()),
                ));
            }
            scopes.push(scope);
        }
        if !scopes.contains(&Scope::OpenId) {
            return Err(InvalidInput::field(FIELD, "must contain `openid`"));
        }
        Ok(Self(scopes))
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    /// Each scope's name, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.iter().map(Scope::as_str).collect()
    }
}

/// The space-separated form, as stored and as sent to Vipps.
impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::Scopes;

    #[test]
    fn round_trips_the_stored_form() {
        let scopes = Scopes::parse(&["openid", "name", "phoneNumber"]).unwrap();
        assert_eq!(scopes.to_string(), "openid name phoneNumber");
        let stored = scopes.to_string();
        let read_back: Vec<&str> = stored.split(' ').collect();
        assert_eq!(Scopes::parse(&read_back).unwrap(), scopes);
    }

    #[test]
    fn refuses_missing_openid_unknown_and_duplicate_scopes() {
        assert!(
            Scopes::parse(&["name"])
                .unwrap_err()
                .reason()
                .contains("openid")
        );
        assert!(Scopes::parse::<&str>(&[]).is_err());
        assert!(
            Scopes::parse(&["openid", "profile"])
                .unwrap_err()
                .reason()
                .contains("`profile`")
        );
        assert!(
            Scopes::parse(&["openid", "openid"])
                .unwrap_err()
                .reason()
                .contains("twice")
        );
        assert!(
            Scopes::parse(&["openid", "Name"]).is_err(),
            "scopes are case-sensitive"
        );
    }
}
