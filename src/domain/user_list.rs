//! Listing an organization's users: by keyset cursor (any depth at the cost of the first
//! page) or by page number (small offsets), with the total only when it is asked for.

use super::{InvalidInput, PageRequest, Timestamp, User, UserFilter, cursor};

const CURSOR_KIND: &str = "user";

/// The longest user id a cursor carries (ids are 36 characters; imported ones stay short).
const MAX_ID_LEN: usize = 255;

/// A position in an organization's users, oldest first: the page after it starts with the
/// next user by `(created_at, id)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCursor {
    pub created_at: Timestamp,
    pub id: String,
}

impl UserCursor {
    pub fn of(user: &User) -> Self {
        Self {
            created_at: user.created_at,
            id: user.id.as_str().to_owned(),
        }
    }

    pub fn parse(value: &str) -> Result<Self, InvalidInput> {
        let position = cursor::decode(CURSOR_KIND, value)?;
        let (micros, id) = position.split_once(':').ok_or_else(cursor::invalid)?;
        let created_at = micros
            .parse::<i64>()
            .ok()
            .and_then(Timestamp::from_unix_micros)
            .ok_or_else(cursor::invalid)?;
        if id.is_empty() || id.len() > MAX_ID_LEN {
            return Err(cursor::invalid());
        }
        Ok(Self {
            created_at,
            id: id.to_owned(),
        })
    }

    pub fn encode(&self) -> String {
        cursor::encode(
            CURSOR_KIND,
            &format!("{}:{}", self.created_at.unix_micros(), self.id),
        )
    }
}

/// A request for one page of users: the page number counts from `after` (the start when
/// there is none); a cursor comes with page 1 only.
#[derive(Debug, Clone)]
pub struct UserListRequest {
    pub filter: UserFilter,
    pub page: PageRequest,
    pub after: Option<UserCursor>,
    /// Whether to count every match (the caller asked for `total`).
    pub with_total: bool,
}

impl UserListRequest {
    pub fn parse(
        filter: UserFilter,
        page: i64,
        limit: i64,
        after: Option<&str>,
        with_total: bool,
    ) -> Result<Self, InvalidInput> {
        let after = after.map(UserCursor::parse).transpose()?;
        if after.is_some() && page != 1 {
            return Err(InvalidInput::field(
                "page",
                "give either `page` or `after`, not both",
            ));
        }
        Ok(Self {
            filter,
            page: PageRequest::parse(page, limit)?,
            after,
            with_total,
        })
    }
}

/// One page of users, where the next one starts (`None` on the last page), and the number
/// of all matches when it was asked for.
#[derive(Debug, Clone)]
pub struct UserPage {
    pub items: Vec<User>,
    pub request: PageRequest,
    pub next_cursor: Option<UserCursor>,
    pub total: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        let cursor = UserCursor {
            created_at: Timestamp::from_unix_micros(1_780_000_000_123_456).unwrap(),
            id: "0b9d1a54-2f0e-4c4e-9a59-7d1b2f6c0e11".to_owned(),
        };
        assert_eq!(UserCursor::parse(&cursor.encode()), Ok(cursor));
        for bad in [
            "",
            "dXNlcjo",
            "dXNlcjox",
            "dXNlcjp4OmFi",
            "YXVkaXQ6NDI",
            "!!",
        ] {
            assert!(UserCursor::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_cursor_comes_with_page_one_only() {
        let filter = UserFilter::parse("org", None).unwrap();
        let cursor = UserCursor {
            created_at: Timestamp::now(),
            id: "x".to_owned(),
        }
        .encode();
        assert!(UserListRequest::parse(filter.clone(), 2, 20, Some(&cursor), false).is_err());
        assert!(UserListRequest::parse(filter, 1, 20, Some(&cursor), true).is_ok());
    }
}
