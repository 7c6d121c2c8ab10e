//! Opaque page cursors: `base64url("<kind>:<position>")`, one encoding for every list that
//! pages by keyset. A cursor of one list is refused by another (the kind differs).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::InvalidInput;

/// The longest cursor accepted, encoded: far above any position this server hands out.
const MAX_ENCODED_LEN: usize = 512;

pub(super) fn encode(kind: &str, position: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{position}"))
}

/// The position of a cursor of `kind`, or `INVALID_INPUT` on `after`.
pub(super) fn decode(kind: &str, value: &str) -> Result<String, InvalidInput> {
    if value.len() > MAX_ENCODED_LEN {
        return Err(invalid());
    }
    let bytes = URL_SAFE_NO_PAD.decode(value).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix(kind)
        .and_then(|rest| rest.strip_prefix(':'))
        .map(str::to_owned)
        .ok_or_else(invalid)
}

pub(super) fn invalid() -> InvalidInput {
    InvalidInput::field("after", "is not a cursor this server handed out")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_do_not_mix() {
        let cursor = encode("user", "1:abc");
        assert_eq!(decode("user", &cursor), Ok("1:abc".to_owned()));
        assert!(decode("audit", &cursor).is_err());
        assert!(decode("use", &cursor).is_err());
        assert!(decode("user", &"A".repeat(600)).is_err());
    }
}
