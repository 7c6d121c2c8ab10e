use std::fmt;

use super::InvalidInput;

/// An organization's id: 1–64 characters of `[a-z0-9_-]`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgId(String);

impl OrgId {
    pub const MAX_LEN: usize = 64;

    pub fn parse(value: &str) -> Result<Self, InvalidInput> {
        const FIELD: &str = "org_id";
        if value.is_empty() {
            return Err(InvalidInput::field(FIELD, "must not be empty"));
        }
        if value.len() > Self::MAX_LEN {
            return Err(InvalidInput::field(
                FIELD,
                format!("must be at most {} characters", Self::MAX_LEN),
            ));
        }
        let allowed =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-';
        if !value.chars().all(allowed) {
            return Err(InvalidInput::field(
                FIELD,
                "may contain only lowercase letters a-z, digits, `_` and `-`",
            ));
        }
        if !value.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(InvalidInput::field(
                FIELD,
                "must start with a letter or a digit",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::OrgId;

    #[test]
    fn accepts_the_documented_alphabet() {
        for ok in ["org_ny_klinikk", "a", "9-lives", &"x".repeat(64)] {
            assert_eq!(OrgId::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "",
            "_lead",
            "-lead",
            "Upper",
            "with space",
            "æøå",
            "a/b",
            "a.b",
            &"x".repeat(65),
            "a\0",
        ] {
            assert!(OrgId::parse(bad).is_err(), "{bad:?} must be refused");
        }
    }
}
