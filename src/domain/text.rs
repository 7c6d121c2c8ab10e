//! Rules every free-text field shares.

use super::InvalidInput;

/// Checks the rules that hold for every stored string: not empty, no surrounding
/// whitespace, no control characters (NUL included), at most `max` characters.
pub(super) fn check(field: &'static str, value: &str, max: usize) -> Result<(), InvalidInput> {
    if value.is_empty() {
        return Err(InvalidInput::field(field, "must not be empty"));
    }
    if value.chars().any(char::is_control) {
        return Err(InvalidInput::field(
            field,
            "must not contain control characters",
        ));
    }
    if value.trim() != value {
        return Err(InvalidInput::field(
            field,
            "must not start or end with whitespace",
        ));
    }
    let len = value.chars().count();
    if len > max {
        return Err(InvalidInput::field(
            field,
            format!("must be at most {max} characters (got {len})"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn refuses_empty_control_padded_and_long_values() {
        assert!(check("f", "ok", 5).is_ok());
        assert_eq!(check("f", "", 5).unwrap_err().reason(), "must not be empty");
        assert!(
            check("f", "a\0b", 5)
                .unwrap_err()
                .reason()
                .contains("control")
        );
        assert!(check("f", "a\u{7}", 5).is_err());
        assert!(
            check("f", " a", 5)
                .unwrap_err()
                .reason()
                .contains("whitespace")
        );
        assert!(
            check("f", "abcdef", 5)
                .unwrap_err()
                .reason()
                .contains("at most 5")
        );
        assert!(
            check("f", "ææææ", 4).is_ok(),
            "length counts characters, not bytes"
        );
    }
}
