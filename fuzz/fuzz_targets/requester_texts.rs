//! What a requester asks the owner to approve, and how it is registered:
//! requester id and name (the registry's rules), the texts in every
//! language, amount and account. Validation is idempotent
//! (validating its own output gives the same output), and what passes has
//! no forbidden (control, direction-changing, invisible) character, keeps
//! the length limits, is NFC, sorted by language and free of duplicates.
//! Input: a `CreateRequest` as JSON, or else any text used as body; the
//! text is also tried as a requester id and name.
#![no_main]

use akuersi_fuzz::{log_on, text};
use akuersi_protocol::request::{
    check_single_script, is_forbidden_char, nfc, render_account, validate_account,
    validate_requester, validate_texts, LocalizedText, MAX_BODY_CHARS, MAX_HEADER_CHARS,
    MAX_LANGUAGES, MAX_REQUESTER_NAME_CHARS,
};
use akuersi_protocol::wire::CreateRequest;
use libfuzzer_sys::fuzz_target;

fn clean(s: &str) -> bool {
    !s.chars().any(is_forbidden_char)
}

fuzz_target!(|data: &[u8]| {
    let s = text(data);
    let req = serde_json::from_slice::<CreateRequest>(data).unwrap_or_else(|_| {
        let mut r = log_on("fuzz-owner");
        r.texts = vec![LocalizedText {
            lang: "da".into(),
            header: s.chars().take(60).collect(),
            body: s.clone(),
        }];
        r
    });

    // A requester id and name, as the registry checks them (name in NFC).
    let id: String = s.chars().take(64).collect();
    let name = nfc(&s);
    if validate_requester(&id, &name).is_ok() {
        assert!(clean(&name), "forbidden character in name {name:?}");
        assert!(name.chars().count() <= MAX_REQUESTER_NAME_CHARS);
        assert!(!name.trim().is_empty());
        assert!(check_single_script(&name).is_ok());
        assert_eq!(nfc(&name), name, "NFC is not idempotent");
        assert!(validate_requester(&id, &nfc(&name)).is_ok());
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)));
    }

    // Texts: idempotent, clean, within limits, canonical order.
    if let Ok(texts) = validate_texts(req.texts.clone()) {
        assert_eq!(
            validate_texts(texts.clone()).as_ref(),
            Ok(&texts),
            "validate_texts is not idempotent"
        );
        assert!(!texts.is_empty() && texts.len() <= MAX_LANGUAGES);
        for t in &texts {
            assert!(
                clean(&t.header) && clean(&t.body),
                "forbidden character in {t:?}"
            );
            assert!(t.header.chars().count() <= MAX_HEADER_CHARS);
            assert!(t.body.chars().count() <= MAX_BODY_CHARS);
            assert!(!t.header.trim().is_empty() && !t.body.trim().is_empty());
            assert_eq!(nfc(&t.header), t.header);
            assert_eq!(nfc(&t.body), t.body);
            assert!(
                (2..=3).contains(&t.lang.len()) && t.lang.bytes().all(|b| b.is_ascii_lowercase())
            );
        }
        assert!(
            texts.windows(2).all(|w| w[0].lang < w[1].lang),
            "not sorted or duplicated"
        );
        // Stored by the service as JSON and read back.
        let json = serde_json::to_string(&texts).expect("serializes");
        let back: Vec<LocalizedText> = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, texts);
    }

    // Amount: checked values render in every language without panicking.
    if let Some(a) = &req.amount {
        if a.validate().is_ok() {
            for lang in ["kl", "da", "en", "fr"] {
                let shown = a.render(lang);
                assert!(!shown.is_empty());
            }
        }
    }
    // Account: idempotent, A–Z and 0–9 only, grouped in fours.
    if let Some(account) = &req.account {
        if let Ok(compact) = validate_account(account) {
            assert_eq!(validate_account(&compact).as_ref(), Ok(&compact));
            assert!(compact
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
            assert_eq!(render_account(&compact).replace(' ', ""), compact);
        }
    }
});
