use std::fmt;

use super::InvalidInput;

/// Which Vipps environment an organization uses; it picks the OpenID issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Environment {
    Production,
    Test,
}

impl Environment {
    pub fn parse(value: &str) -> Result<Self, InvalidInput> {
        match value {
            "production" => Ok(Self::Production),
            "test" => Ok(Self::Test),
            _ => Err(InvalidInput::field(
                "environment",
                "must be `production` or `test`",
            )),
        }
    }

    /// The stored and REST spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Production => "production",
            Self::Test => "test",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
