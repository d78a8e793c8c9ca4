//! What a requester asks the owner to approve: who asks, the action, and the
//! texts in one or more languages. Everything here is bound into the device's
//! signature, so it is checked strictly before it is ever stored.

use serde::{Deserialize, Serialize};

/// Longest request body, in characters (Unicode scalar values).
pub const MAX_BODY_CHARS: usize = 130;
/// Longest request header, in characters.
pub const MAX_HEADER_CHARS: usize = 60;
/// Longest requester display name, in characters.
pub const MAX_REQUESTER_NAME_CHARS: usize = 64;
/// Longest requester id, in bytes (ASCII only).
pub const MAX_REQUESTER_ID_LEN: usize = 64;
/// Most languages one request may carry.
pub const MAX_LANGUAGES: usize = 8;

/// The action the owner is asked to take, shown as a verb in the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Action {
    /// Log on to a service.
    LogOn,
    /// Approve something, such as a payment.
    Approve,
    /// Confirm something the owner did.
    Confirm,
    /// Accept terms or an offer.
    Accept,
    /// Sign a document.
    Sign,
}

impl Action {
    /// The stable wire name, also used in the signed bytes.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::LogOn => "log_on",
            Action::Approve => "approve",
            Action::Confirm => "confirm",
            Action::Accept => "accept",
            Action::Sign => "sign",
        }
    }

    /// Parse a wire name.
    pub fn from_wire(s: &str) -> Option<Self> {
        Some(match s {
            "log_on" => Action::LogOn,
            "approve" => Action::Approve,
            "confirm" => Action::Confirm,
            "accept" => Action::Accept,
            "sign" => Action::Sign,
            _ => return None,
        })
    }

    /// Every action, in wire order.
    pub const ALL: [Action; 5] = [
        Action::LogOn,
        Action::Approve,
        Action::Confirm,
        Action::Accept,
        Action::Sign,
    ];
}

/// A request text in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct LocalizedText {
    /// ISO 639-1 language code in lower case: "kl", "da", "en", …
    pub lang: String,
    /// Short heading, at most 60 characters.
    pub header: String,
    /// The reference text, at most 130 characters.
    pub body: String,
}

/// Why request content was refused. Messages are fit to return to a requester.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// A request needs at least one text.
    #[error("a request needs at least one text")]
    NoTexts,
    /// More languages than allowed.
    #[error("a request may carry at most {MAX_LANGUAGES} languages")]
    TooManyTexts,
    /// A language code that is not two or three lower-case letters.
    #[error("language code {0:?} is not two or three lower-case letters")]
    BadLanguage(String),
    /// The same language twice.
    #[error("language {0:?} appears more than once")]
    DuplicateLanguage(String),
    /// A body over the limit.
    #[error("the {lang} body has {chars} characters; at most {MAX_BODY_CHARS} are allowed")]
    BodyTooLong {
        /// Language of the offending text.
        lang: String,
        /// Its length in characters.
        chars: usize,
    },
    /// A header over the limit.
    #[error("the {lang} header has {chars} characters; at most {MAX_HEADER_CHARS} are allowed")]
    HeaderTooLong {
        /// Language of the offending text.
        lang: String,
        /// Its length in characters.
        chars: usize,
    },
    /// A header or body with nothing to read.
    #[error("the {field} is empty")]
    Empty {
        /// Which field.
        field: &'static str,
    },
    /// Control, bidirectional-override or invisible characters, which can make
    /// a text look different from what is signed.
    #[error(
        "the {field} contains a control, direction-changing or invisible character (U+{code:04X})"
    )]
    ForbiddenCharacter {
        /// Which field.
        field: &'static str,
        /// The offending code point.
        code: u32,
    },
    /// A requester id outside `[a-z0-9._-]{1,64}`.
    #[error("requester id must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-'")]
    BadRequesterId,
    /// A requester name that is empty or too long.
    #[error("requester name must have 1 to {MAX_REQUESTER_NAME_CHARS} characters")]
    RequesterNameLength,
    /// Letters from more than one of the Latin, Greek and Cyrillic scripts in
    /// the requester name: the classic look-alike trick ("Dеmo Bank" with a Cyrillic е).
    #[error("the requester name mixes letters of different scripts ({0}), which can imitate another name")]
    MixedScripts(String),
    /// An amount that is negative, too large, or in a malformed currency.
    #[error("invalid amount: {0}")]
    Amount(&'static str),
    /// An account number with characters other than A–Z, 0–9 and spaces, or too long.
    #[error("an account number has 1 to 34 letters A-Z and digits")]
    Account,
}

/// A sum of money, passed as a structured field so the core renders it in
/// the owner's locale: no requester can make "9.000,00" look like "900,00".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Amount {
    /// The amount in the currency's minor unit (øre, cents): 900000 is 9,000.00 DKK.
    pub minor_units: i64,
    /// ISO 4217 code in capitals ("DKK", "EUR", "ISK").
    pub currency: String,
}

/// Largest amount accepted, in minor units (10^15).
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000_000;

impl Amount {
    /// Check sign, size and currency code.
    pub fn validate(&self) -> Result<(), TextError> {
        if self.minor_units < 0 {
            return Err(TextError::Amount("the amount is negative"));
        }
        if self.minor_units > MAX_AMOUNT_MINOR {
            return Err(TextError::Amount("the amount is too large"));
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(TextError::Amount(
                "the currency is not three capital letters",
            ));
        }
        Ok(())
    }

    /// Digits after the decimal mark for the currency (ISO 4217 exponent).
    pub fn exponent(&self) -> u32 {
        match self.currency.as_str() {
            "ISK" | "JPY" | "KRW" | "CLP" | "VND" => 0,
            "BHD" | "KWD" | "OMR" | "TND" | "JOD" | "IQD" | "LYD" => 3,
            _ => 2,
        }
    }

    /// The amount as the owner reads it: Danish and Greenlandic "9.000,00 kr."
    /// (other currencies "9.000,00 EUR"); English "DKK 9,000.00".
    pub fn render(&self, lang: &str) -> String {
        let exp = self.exponent();
        let scale = 10i64.pow(exp);
        let whole = self.minor_units / scale;
        let frac = self.minor_units % scale;
        let english = !matches!(lang, "da" | "kl");
        let (group, decimal) = if english { (',', '.') } else { ('.', ',') };
        let digits = whole.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(group);
            }
            grouped.push(c);
        }
        let number = if exp == 0 {
            grouped
        } else {
            format!("{grouped}{decimal}{frac:0width$}", width = exp as usize)
        };
        if english {
            format!("{} {number}", self.currency)
        } else if self.currency == "DKK" {
            format!("{number} kr.")
        } else {
            format!("{number} {}", self.currency)
        }
    }
}

/// Check an account number (IBAN or domestic): 1–34 of A–Z and 0–9, spaces
/// ignored; returns it without spaces.
pub fn validate_account(account: &str) -> Result<String, TextError> {
    let compact: String = account.chars().filter(|c| *c != ' ').collect();
    if compact.is_empty()
        || compact.len() > 34
        || !compact
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return Err(TextError::Account);
    }
    Ok(compact)
}

/// An account number in groups of four, as the app shows it.
pub fn render_account(account: &str) -> String {
    let chars: Vec<char> = account.chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The script of a letter, for the three scripts whose letters imitate each other.
fn confusable_script(c: char) -> Option<&'static str> {
    if !c.is_alphabetic() {
        return None;
    }
    match c as u32 {
        0x0041..=0x024F | 0x1E00..=0x1EFF => Some("Latin"),
        0x0370..=0x03FF | 0x1F00..=0x1FFF => Some("Greek"),
        0x0400..=0x052F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F => Some("Cyrillic"),
        _ => None,
    }
}

/// Refuse a name whose letters come from more than one of Latin, Greek and Cyrillic.
pub fn check_single_script(name: &str) -> Result<(), TextError> {
    let mut seen: Vec<&str> = Vec::new();
    for s in name.chars().filter_map(confusable_script) {
        if !seen.contains(&s) {
            seen.push(s);
        }
    }
    if seen.len() > 1 {
        return Err(TextError::MixedScripts(seen.join(" and ")));
    }
    Ok(())
}

/// Unicode NFC form of a text.
pub fn nfc(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfc().collect()
}

/// True for characters that can make displayed text differ from what it seems:
/// C0/C1 controls, bidirectional embeddings, overrides and isolates, zero-width
/// characters and other invisible format characters.
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}'               // soft hyphen
            | '\u{034F}'             // combining grapheme joiner
            | '\u{061C}'             // Arabic letter mark
            | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' // Hangul fillers
            | '\u{180E}'             // Mongolian vowel separator
            | '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM, RLM
            | '\u{2028}'..='\u{202E}' // line/paragraph separators, embeddings, overrides
            | '\u{2060}'..='\u{206F}' // word joiner, invisible operators, isolates
            | '\u{FE00}'..='\u{FE0F}' // variation selectors
            | '\u{FEFF}'             // zero-width no-break space
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotations
            | '\u{E0000}'..='\u{E007F}' // tags
        )
}

fn check_chars(field: &'static str, s: &str) -> Result<(), TextError> {
    match s.chars().find(|c| is_forbidden_char(*c)) {
        Some(c) => Err(TextError::ForbiddenCharacter {
            field,
            code: c as u32,
        }),
        None => Ok(()),
    }
}

fn check_language(lang: &str) -> Result<(), TextError> {
    let ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
    if ok {
        Ok(())
    } else {
        Err(TextError::BadLanguage(lang.chars().take(8).collect()))
    }
}

/// Check a requester id and display name.
pub fn validate_requester(id: &str, name: &str) -> Result<(), TextError> {
    if id.is_empty()
        || id.len() > MAX_REQUESTER_ID_LEN
        || !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    {
        return Err(TextError::BadRequesterId);
    }
    let n = name.chars().count();
    if n == 0 || n > MAX_REQUESTER_NAME_CHARS || name.trim().is_empty() {
        return Err(TextError::RequesterNameLength);
    }
    check_chars("requester name", name)?;
    check_single_script(name)
}

/// Check every text and return them in NFC and in canonical order (sorted by language).
pub fn validate_texts(texts: Vec<LocalizedText>) -> Result<Vec<LocalizedText>, TextError> {
    let mut texts: Vec<LocalizedText> = texts
        .into_iter()
        .map(|t| LocalizedText {
            lang: t.lang,
            header: nfc(&t.header),
            body: nfc(&t.body),
        })
        .collect();
    if texts.is_empty() {
        return Err(TextError::NoTexts);
    }
    if texts.len() > MAX_LANGUAGES {
        return Err(TextError::TooManyTexts);
    }
    for t in &texts {
        check_language(&t.lang)?;
        let header_chars = t.header.chars().count();
        if header_chars > MAX_HEADER_CHARS {
            return Err(TextError::HeaderTooLong {
                lang: t.lang.clone(),
                chars: header_chars,
            });
        }
        let body_chars = t.body.chars().count();
        if body_chars > MAX_BODY_CHARS {
            return Err(TextError::BodyTooLong {
                lang: t.lang.clone(),
                chars: body_chars,
            });
        }
        if t.header.trim().is_empty() {
            return Err(TextError::Empty { field: "header" });
        }
        if t.body.trim().is_empty() {
            return Err(TextError::Empty { field: "body" });
        }
        check_chars("header", &t.header)?;
        check_chars("body", &t.body)?;
    }
    texts.sort_by(|a, b| a.lang.cmp(&b.lang));
    if let Some(w) = texts.windows(2).find(|w| w[0].lang == w[1].lang) {
        return Err(TextError::DuplicateLanguage(w[0].lang.clone()));
    }
    Ok(texts)
}

/// Pick the text to show: the owner's language, then Danish, then English, then
/// the first one (texts are sorted by language).
pub fn pick_text<'a>(texts: &'a [LocalizedText], preferred: &str) -> Option<&'a LocalizedText> {
    [preferred, "da", "en"]
        .iter()
        .find_map(|lang| texts.iter().find(|t| t.lang == *lang))
        .or_else(|| texts.first())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(lang: &str, header: &str, body: &str) -> LocalizedText {
        LocalizedText {
            lang: lang.into(),
            header: header.into(),
            body: body.into(),
        }
    }

    #[test]
    fn body_limit_is_130_characters_not_bytes() {
        let ok = "æ".repeat(130);
        assert!(validate_texts(vec![t("da", "Log på", &ok)]).is_ok());
        let long = "æ".repeat(131);
        assert_eq!(
            validate_texts(vec![t("da", "Log på", &long)]),
            Err(TextError::BodyTooLong {
                lang: "da".into(),
                chars: 131
            })
        );
    }

    #[test]
    fn refuses_tricks_and_sorts_languages() {
        for bad in [
            "a\u{202e}b",
            "a\u{200b}b",
            "a\u{2066}b",
            "a\nb",
            "a\u{feff}b",
        ] {
            assert!(matches!(
                validate_texts(vec![t("en", "Log on", bad)]),
                Err(TextError::ForbiddenCharacter { field: "body", .. })
            ));
        }
        assert_eq!(
            validate_texts(vec![t("en", "a", "b"), t("en", "c", "d")]),
            Err(TextError::DuplicateLanguage("en".into()))
        );
        assert!(matches!(
            validate_texts(vec![t("EN", "a", "b")]),
            Err(TextError::BadLanguage(_))
        ));
        assert_eq!(validate_texts(vec![]), Err(TextError::NoTexts));
        let sorted = validate_texts(vec![t("kl", "a", "b"), t("da", "c", "d")]).unwrap();
        assert_eq!(sorted[0].lang, "da");
    }

    #[test]
    fn texts_are_normalized_to_nfc() {
        // "æ" is already composed; "å" as a + combining ring becomes one code point.
        let texts = validate_texts(vec![t("da", "Log på", "Tilla\u{030a}d")]).unwrap();
        assert_eq!(texts[0].body, "Till\u{00e5}d");
        // Counting happens after normalization: 130 decomposed letters pass.
        let decomposed = "a\u{030a}".repeat(130);
        assert!(validate_texts(vec![t("da", "x", &decomposed)]).is_ok());
    }

    #[test]
    fn mixed_script_requester_names_are_refused() {
        // Cyrillic е (U+0435) in a Latin name.
        assert_eq!(
            validate_requester("demo", "D\u{0435}mo Bank"),
            Err(TextError::MixedScripts("Latin and Cyrillic".into()))
        );
        // Greek omicron in a Latin name.
        assert!(validate_requester("demo", "Dem\u{03bf} Bank").is_err());
        // A name wholly in one script is fine, and so are digits and symbols.
        assert!(validate_requester("demo", "Сбербанк").is_ok());
        assert!(validate_requester("demo", "Nuna Bank A/S 2").is_ok());
        assert!(validate_requester("demo", "Pilersuisoq Ærø").is_ok());
    }

    #[test]
    fn amounts_render_in_the_owners_locale() {
        let a = Amount {
            minor_units: 900_000,
            currency: "DKK".into(),
        };
        assert_eq!(a.render("da"), "9.000,00 kr.");
        assert_eq!(a.render("kl"), "9.000,00 kr.");
        assert_eq!(a.render("en"), "DKK 9,000.00");
        let small = Amount {
            minor_units: 90_000,
            currency: "DKK".into(),
        };
        assert_eq!(small.render("da"), "900,00 kr.");
        assert_ne!(small.render("da"), a.render("da"));
        let isk = Amount {
            minor_units: 1_234_567,
            currency: "ISK".into(),
        };
        assert_eq!(isk.render("da"), "1.234.567 ISK");
        let eur = Amount {
            minor_units: 5,
            currency: "EUR".into(),
        };
        assert_eq!(eur.render("en"), "EUR 0.05");
        for bad in [
            Amount {
                minor_units: -1,
                currency: "DKK".into(),
            },
            Amount {
                minor_units: 1,
                currency: "dkk".into(),
            },
            Amount {
                minor_units: MAX_AMOUNT_MINOR + 1,
                currency: "DKK".into(),
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn accounts_are_checked_and_grouped() {
        assert_eq!(
            validate_account("GL89 6471 0001 0002 06").unwrap(),
            "GL8964710001000206"
        );
        assert_eq!(
            render_account("GL8964710001000206"),
            "GL89 6471 0001 0002 06"
        );
        assert_eq!(validate_account("12-34"), Err(TextError::Account));
        assert_eq!(validate_account(""), Err(TextError::Account));
    }

    #[test]
    fn requester_checks() {
        assert!(validate_requester("demo-bank", "Demo Bank").is_ok());
        assert_eq!(
            validate_requester("Demo Bank", "Demo Bank"),
            Err(TextError::BadRequesterId)
        );
        assert_eq!(
            validate_requester("demo", ""),
            Err(TextError::RequesterNameLength)
        );
        assert!(validate_requester("demo", "Bank\u{202e}").is_err());
    }

    #[test]
    fn language_fallback_order() {
        let texts = vec![t("da", "D", "d"), t("en", "E", "e"), t("kl", "K", "k")];
        assert_eq!(pick_text(&texts, "kl").unwrap().lang, "kl");
        assert_eq!(pick_text(&texts, "fr").unwrap().lang, "da");
        let texts = vec![t("de", "D", "d"), t("en", "E", "e")];
        assert_eq!(pick_text(&texts, "kl").unwrap().lang, "en");
        let texts = vec![t("de", "D", "d")];
        assert_eq!(pick_text(&texts, "kl").unwrap().lang, "de");
    }

    #[test]
    fn action_wire_names_round_trip() {
        for a in Action::ALL {
            assert_eq!(Action::from_wire(a.as_str()), Some(a));
            let json = serde_json::to_string(&a).unwrap();
            assert_eq!(json, format!("\"{}\"", a.as_str()));
        }
    }
}
