//! User IDs: what the owner types to start a log-on. Hard to guess, easy to
//! remember, case-insensitive, and never a civil registration number.
//!
//! Rules (each refusal names the rule it broke):
//! * 5 to 48 characters;
//! * letters of the Latin alphabets (a–z, æ ø å, ä ö ü é, Greenlandic ĸ, …, in
//!   either case), digits 0–9, the space, and these symbols:
//!   `! # $ % & ' ( ) * + , - . / : ; < = > ? @ [ ] ^ _ { | } ~`;
//! * no space at the start or the end;
//! * not a 10-digit number (that is what a CPR number looks like);
//! * compared without regard to case: "Aviaja" and "aviaja" are the same ID.

use serde::{Deserialize, Serialize};

/// Shortest allowed user ID, in characters.
pub const USER_ID_MIN_CHARS: usize = 5;
/// Longest allowed user ID, in characters.
pub const USER_ID_MAX_CHARS: usize = 48;

/// Why a user ID was refused. The messages are fit to show to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserIdError {
    /// Fewer than 5 or more than 48 characters.
    #[error("a user ID has 5 to 48 characters")]
    Length,
    /// Starts or ends with a space.
    #[error("a user ID cannot start or end with a space")]
    OuterSpace,
    /// Ten digits: that is a civil registration number, which must never be a user ID.
    #[error("a user ID cannot be a 10-digit number (that looks like a CPR number)")]
    LooksLikeCpr,
    /// A character that is not an allowed letter, digit, space or symbol.
    #[error("a user ID may contain letters, digits, spaces and the symbols ! # $ % & ' ( ) * + , - . / : ; < = > ? @ [ ] ^ _ {{ | }} ~ (not {0:?})")]
    Character(char),
}

/// A validated user ID. `as_str` is what the owner typed; `key` is the
/// case-folded form under which it is unique.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserId {
    display: String,
    key: String,
}

impl UserId {
    /// Validate a user ID as typed.
    pub fn parse(input: &str) -> Result<Self, UserIdError> {
        let n = input.chars().count();
        if !(USER_ID_MIN_CHARS..=USER_ID_MAX_CHARS).contains(&n) {
            return Err(UserIdError::Length);
        }
        if input.starts_with(char::is_whitespace) || input.ends_with(char::is_whitespace) {
            return Err(UserIdError::OuterSpace);
        }
        if let Some(c) = input.chars().find(|c| !is_allowed_char(*c)) {
            return Err(UserIdError::Character(c));
        }
        if n == 10 && input.chars().all(|c| c.is_ascii_digit()) {
            return Err(UserIdError::LooksLikeCpr);
        }
        let key = input.to_lowercase();
        Ok(Self {
            display: input.to_owned(),
            key,
        })
    }

    /// The user ID as the owner typed it.
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The case-folded form: two user IDs are the same when their keys are equal.
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// The symbols a user ID may contain besides letters, digits and the space.
pub const USER_ID_SYMBOLS: &str = "!#$%&'()*+,-./:;<=>?@[]^_{|}~";

/// True for the characters a user ID may contain.
pub fn is_allowed_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || c == ' '
        || USER_ID_SYMBOLS.contains(c)
        || (matches!(c, '\u{00C0}'..='\u{024F}') && c.is_alphabetic())
}

impl std::fmt::Debug for UserId {
    // A user ID is shown to no one but its owner; keep it out of debug logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UserId([redacted])")
    }
}

impl TryFrom<String> for UserId {
    type Error = UserIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<UserId> for String {
    fn from(u: UserId) -> String {
        u.display
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_ids_case_insensitively() {
        let a = UserId::parse("Aviaja.Nuuk-77").unwrap();
        let b = UserId::parse("aviaja.nuuk-77").unwrap();
        assert_eq!(a.key(), b.key());
        assert_eq!(a.as_str(), "Aviaja.Nuuk-77");
        assert!(UserId::parse("Søren_Ærø!").is_ok());
    }

    #[test]
    fn refuses_bad_ids() {
        assert_eq!(UserId::parse("abcd"), Err(UserIdError::Length));
        assert_eq!(UserId::parse(&"a".repeat(49)), Err(UserIdError::Length));
        assert!(UserId::parse(&"a".repeat(48)).is_ok());
        assert_eq!(UserId::parse(" abcde"), Err(UserIdError::OuterSpace));
        assert_eq!(UserId::parse("abcde "), Err(UserIdError::OuterSpace));
        assert_eq!(UserId::parse("0101901234"), Err(UserIdError::LooksLikeCpr));
        assert!(UserId::parse("01019012345").is_ok());
        assert!(UserId::parse("ab cde").is_ok(), "spaces inside are allowed");
        assert_eq!(
            UserId::parse("abc\u{202e}de"),
            Err(UserIdError::Character('\u{202e}'))
        );
        assert_eq!(
            UserId::parse("abc\u{0}de"),
            Err(UserIdError::Character('\u{0}'))
        );
        assert_eq!(UserId::parse("abc\\de"), Err(UserIdError::Character('\\')));
        assert_eq!(UserId::parse("abc\"de"), Err(UserIdError::Character('"')));
        // Look-alike letters from other scripts are refused (Cyrillic а).
        assert_eq!(
            UserId::parse("\u{0430}viaja"),
            Err(UserIdError::Character('\u{0430}'))
        );
        assert_eq!(UserId::parse("abc×de"), Err(UserIdError::Character('×')));
        assert!(UserId::parse("ĸalâleĸ-77").is_ok());
    }

    #[test]
    fn debug_does_not_show_the_id() {
        let a = UserId::parse("secret-owner").unwrap();
        assert!(!format!("{a:?}").contains("secret"));
    }
}
