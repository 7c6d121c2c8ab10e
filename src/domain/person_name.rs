//! Comparing people's names the way Vipps advises for linking: a sanity check that a login
//! and a local user are the same person before a recycled phone number or e-mail joins them.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Whether two (given name, family name) pairs name the same person: both parts equal after
/// [`fold`], so case, accents and runs of whitespace do not matter. A part missing (or blank)
/// on either side is no match.
pub fn same_person_name(
    (given, family): (Option<&str>, Option<&str>),
    (other_given, other_family): (Option<&str>, Option<&str>),
) -> bool {
    let same = |a: Option<&str>, b: Option<&str>| match (a.map(fold), b.map(fold)) {
        (Some(a), Some(b)) => !a.is_empty() && a == b,
        _ => false,
    };
    same(given, other_given) && same(family, other_family)
}

/// A name in comparable form: compatibility-decomposed (NFKD) without combining marks, lower
/// case, whitespace trimmed and collapsed to single spaces (`"  ÉLODIE  Ånes"` → `"elodie anes"`).
fn fold(name: &str) -> String {
    let bare: String = name
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect();
    bare.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_case_accents_and_whitespace() {
        assert_eq!(fold("  ÉLODIE \t Ånes "), "elodie anes");
        assert_eq!(fold("Jose\u{301}"), "jose", "a combining accent");
        assert_eq!(fold("ﬁnn"), "finn", "a compatibility ligature");
        assert_eq!(fold("Søren"), "søren", "ø is a letter, not an accented o");
    }

    #[test]
    fn both_parts_must_match() {
        let kari = (Some("Kari"), Some("Nordmann"));
        assert!(same_person_name(kari, (Some(" kari "), Some("NORDMANN"))));
        assert!(same_person_name(
            (Some("Zoë Anne"), Some("Brønn")),
            (Some("zoe  anne"), Some("brønn"))
        ));
        assert!(!same_person_name(kari, (Some("Ola"), Some("Nordmann"))));
        assert!(!same_person_name(kari, (Some("Kari"), Some("Hansen"))));
    }

    #[test]
    fn a_missing_part_is_no_match() {
        let kari = (Some("Kari"), Some("Nordmann"));
        assert!(!same_person_name(kari, (Some("Kari"), None)));
        assert!(!same_person_name((None, Some("Nordmann")), kari));
        assert!(!same_person_name(
            (Some(""), Some(" ")),
            (Some(""), Some(" "))
        ));
        assert!(!same_person_name((None, None), (None, None)));
    }
}
