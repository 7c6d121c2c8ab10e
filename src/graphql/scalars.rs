//! Custom scalars.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

use crate::domain::Timestamp;

/// A moment in time (see the scalar's description).
pub struct DateTime(pub Timestamp);

/// An RFC 3339 timestamp in UTC with whole seconds, such as `2026-03-26T10:00:00Z`.
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339"
)]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        let Value::String(text) = &value else {
            return Err(InputValueError::expected_type(value));
        };
        let parsed = chrono::DateTime::parse_from_rfc3339(text)
            .map_err(|e| InputValueError::custom(format!("not an RFC 3339 timestamp: {e}")))?;
        Ok(Self(Timestamp::from_utc(parsed.naive_utc())))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339())
    }
}

/// A calendar date (see the scalar's description).
pub struct Date(pub chrono::NaiveDate);

/// A calendar date, `YYYY-MM-DD`, such as `1815-12-10`.
#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        let Value::String(text) = &value else {
            return Err(InputValueError::expected_type(value));
        };
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Self)
            .map_err(|_| InputValueError::custom("not a date in the form YYYY-MM-DD"))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}
