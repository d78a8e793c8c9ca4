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

/// ISO 4217 List One: every currency code in use for payments, with its
/// minor-unit exponent (digits after the decimal mark), sorted by code.
/// Source: the ISO 4217 maintenance agency's published list (SIX), as of
/// 2025. Left out on purpose: codes withdrawn by then (ANG, CUC, HRK, MRO,
/// SLL, STD, VEF, ZWL) and the codes without a minor unit ("N.A.": XAU, XAG,
/// XPD, XPT, XBA–XBD, XDR, XSU, XUA, XTS, XXX), which no payment uses.
pub const ISO_4217: &[(&str, u32)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BOV", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHE", 2),
    ("CHF", 2),
    ("CHW", 2),
    ("CLF", 4),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("COU", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MXV", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("USN", 2),
    ("UYI", 0),
    ("UYU", 2),
    ("UYW", 4),
    ("UZS", 2),
    ("VED", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XCG", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

/// Largest amount accepted, in minor units (10^15).
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000_000;

/// The ISO 4217 exponent of `code`, or `None` if it is not in [`ISO_4217`].
pub fn minor_unit_exponent(code: &str) -> Option<u32> {
    ISO_4217
        .binary_search_by(|(c, _)| (*c).cmp(code))
        .ok()
        .map(|i| ISO_4217[i].1)
}

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
        if minor_unit_exponent(&self.currency).is_none() {
            return Err(TextError::Amount(
                "the currency is not an ISO 4217 code in use",
            ));
        }
        Ok(())
    }

    /// Digits after the decimal mark for the currency (its ISO 4217
    /// exponent). Only called on an amount that passed [`Amount::validate`];
    /// an unknown code (which validation refuses) would read as 2.
    pub fn exponent(&self) -> u32 {
        minor_unit_exponent(&self.currency).unwrap_or(2)
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
    fn every_iso_4217_code_in_use_has_its_exponent() {
        // Sorted and unique, so the lookup's binary search finds each one.
        assert!(ISO_4217.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(ISO_4217
            .iter()
            .all(|(c, _)| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())));
        let class = |e: u32| {
            let mut codes: Vec<&str> = ISO_4217
                .iter()
                .filter(|(_, x)| *x == e)
                .map(|(c, _)| *c)
                .collect();
            codes.sort_unstable();
            codes
        };
        // The codes with other than two decimals, as ISO 4217 lists them.
        assert_eq!(
            class(0),
            [
                "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                "VND", "VUV", "XAF", "XOF", "XPF"
            ]
        );
        assert_eq!(class(3), ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]);
        assert_eq!(class(4), ["CLF", "UYW"]);
        assert_eq!(ISO_4217.len(), 165);
        for (code, exp) in ISO_4217 {
            assert_eq!(minor_unit_exponent(code), Some(*exp), "{code}");
            let a = Amount {
                minor_units: 1,
                currency: (*code).into(),
            };
            assert_eq!(a.validate(), Ok(()), "{code}");
        }
    }

    #[test]
    fn amounts_use_their_currencys_decimals_and_unknown_codes_are_refused() {
        let amount = |minor_units, currency: &str| Amount {
            minor_units,
            currency: currency.into(),
        };
        // 900000 minor units of XOF (no decimals) is 900,000 XOF, not 9,000.00.
        assert_eq!(amount(900_000, "XOF").render("en"), "XOF 900,000");
        assert_eq!(amount(900_000, "XOF").render("da"), "900.000 XOF");
        assert_eq!(amount(1_234_567, "KWD").render("en"), "KWD 1,234.567");
        assert_eq!(amount(12_345, "CLF").render("en"), "CLF 1.2345");
        assert_eq!(amount(900_000, "DKK").render("kl"), "9.000,00 kr.");
        for code in ["ABC", "XXX", "XAU", "HRK", "ANG", "ZWL"] {
            assert_eq!(
                amount(1, code).validate(),
                Err(TextError::Amount(
                    "the currency is not an ISO 4217 code in use"
                )),
                "{code}"
            );
        }
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
