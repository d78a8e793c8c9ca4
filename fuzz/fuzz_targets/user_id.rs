//! User IDs as typed on a requester's page or sent by a device: whatever
//! `UserId::parse` accepts obeys every rule, parses again to the same value,
//! and its key (under which it is unique) is its lower-case form.
#![no_main]

use akuersi_fuzz::text;
use akuersi_protocol::identity::{is_allowed_char, UserId, USER_ID_MAX_CHARS, USER_ID_MIN_CHARS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = text(data);
    let Ok(id) = UserId::parse(&input) else {
        return;
    };
    assert_eq!(id.as_str(), input);
    let n = input.chars().count();
    assert!((USER_ID_MIN_CHARS..=USER_ID_MAX_CHARS).contains(&n));
    assert!(!input.starts_with(char::is_whitespace) && !input.ends_with(char::is_whitespace));
    assert!(input.chars().all(is_allowed_char));
    assert!(
        !(n == 10 && input.chars().all(|c| c.is_ascii_digit())),
        "CPR-like {input:?}"
    );

    let again = UserId::parse(id.as_str()).expect("an accepted ID parses again");
    assert_eq!(again, id);
    assert_eq!(again.key(), id.key());
    assert_eq!(id.key(), input.to_lowercase());
    assert_eq!(id.key(), id.key().to_lowercase(), "key is not lower case");

    // Case does not matter: the lower-case form, when it is itself a valid
    // ID, has the same key; so does the ASCII-upper-case form.
    if let Ok(lower) = UserId::parse(&input.to_lowercase()) {
        assert_eq!(lower.key(), id.key());
    }
    if let Ok(upper) = UserId::parse(&input.to_ascii_uppercase()) {
        assert_eq!(upper.key(), id.key());
    }
    // Through JSON, as the wire carries it.
    let json = serde_json::to_string(&id).expect("serializes");
    let back: UserId = serde_json::from_str(&json).expect("parses");
    assert_eq!(back, id);
});
