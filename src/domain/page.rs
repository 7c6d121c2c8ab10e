use super::InvalidInput;

/// A validated page request: `page` ≥ 1 and 1 ≤ `limit` ≤ 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    page: u32,
    limit: u32,
}

impl PageRequest {
    pub const DEFAULT_LIMIT: i64 = 20;
    pub const MAX_LIMIT: i64 = 100;

    pub fn parse(page: i64, limit: i64) -> Result<Self, InvalidInput> {
        if !(1..=i64::from(u32::MAX)).contains(&page) {
            return Err(InvalidInput::field(
                "page",
                "must be a whole number of at least 1",
            ));
        }
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            return Err(InvalidInput::field(
                "limit",
                format!("must be between 1 and {}", Self::MAX_LIMIT),
            ));
        }
        Ok(Self {
            page: page as u32,
            limit: limit as u32,
        })
    }

    pub fn page(self) -> u32 {
        self.page
    }

    pub fn limit(self) -> u32 {
        self.limit
    }

    /// How many items come before this page.
    pub fn offset(self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.limit)
    }
}

/// One page of results and the number of all matches.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub request: PageRequest,
    pub total: u64,
}

#[cfg(test)]
mod tests {
    use super::PageRequest;

    #[test]
    fn bounds() {
        assert_eq!(PageRequest::parse(3, 20).unwrap().offset(), 40);
        assert!(PageRequest::parse(0, 20).is_err());
        assert!(PageRequest::parse(1, 0).is_err());
        assert!(PageRequest::parse(1, 101).is_err());
        assert!(PageRequest::parse(1, 1000).is_err());
        assert!(PageRequest::parse(-1, 5).is_err());
    }
}
