use chrono::{DateTime, NaiveDateTime, SecondsFormat, SubsecRound, Utc};

/// A moment in UTC with microsecond precision (what both databases keep).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    pub fn now() -> Self {
        Self(Utc::now().trunc_subsecs(6))
    }

    /// A stored UTC value read back from the database.
    pub fn from_utc(naive: NaiveDateTime) -> Self {
        Self(naive.and_utc().trunc_subsecs(6))
    }

    /// The value to store (UTC, no offset).
    pub fn naive_utc(self) -> NaiveDateTime {
        self.0.naive_utc()
    }

    /// `now`, or one microsecond after `self` when the clock has not moved past it, so a
    /// new version always gets a new, later stamp.
    pub fn later_of(self, now: Timestamp) -> Timestamp {
        if now > self {
            now
        } else {
            Self(self.0 + chrono::Duration::microseconds(1))
        }
    }

    /// This moment plus `duration`; configuration bounds every duration passed here to
    /// hours, far from chrono's range.
    pub fn plus(self, duration: std::time::Duration) -> Timestamp {
        let delta = chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX);
        Self(
            self.0
                .checked_add_signed(delta)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        )
    }

    /// The moment `secs` seconds after the Unix epoch, when chrono can represent it.
    pub fn from_unix(secs: i64) -> Option<Timestamp> {
        DateTime::from_timestamp(secs, 0).map(Self)
    }

    /// Seconds since the Unix epoch.
    pub fn unix(self) -> i64 {
        self.0.timestamp()
    }

    /// Microseconds since the Unix epoch (the precision both databases keep).
    pub fn unix_micros(self) -> i64 {
        self.0.timestamp_micros()
    }

    /// The moment `micros` microseconds after the Unix epoch, when chrono can represent it.
    pub fn from_unix_micros(micros: i64) -> Option<Timestamp> {
        DateTime::from_timestamp_micros(micros).map(Self)
    }

    /// This moment minus `duration`.
    pub fn minus(self, duration: std::time::Duration) -> Timestamp {
        let delta = chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX);
        Self(self.0.checked_sub_signed(delta).unwrap_or(self.0))
    }

    /// RFC 3339 in UTC with whole seconds, the contract's form: `2026-03-26T10:00:00Z`.
    pub fn to_rfc3339(self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Secs, true)
    }
}

#[cfg(test)]
mod tests {
    use super::Timestamp;

    #[test]
    fn renders_the_contract_form() {
        let naive = chrono::NaiveDate::from_ymd_opt(2026, 3, 26)
            .and_then(|d| d.and_hms_micro_opt(10, 0, 0, 123_456))
            .expect("valid date");
        assert_eq!(
            Timestamp::from_utc(naive).to_rfc3339(),
            "2026-03-26T10:00:00Z"
        );
    }
}
