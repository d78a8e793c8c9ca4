//! Every string the core produces, in Greenlandic (kl), Danish (da) and
//! English (en).
//!
//! The strings live in one data file per language, `core/strings/<lang>.toml`,
//! embedded with `include_str!` and parsed once. Keys are dotted paths
//! ("action.log_on.title", "error.wrong_pin", "notification.pin_changed", …);
//! placeholders are written `{name}` and filled from the parameters passed to
//! [`text`]. A value is either a plain string or `{ text = "…", review = "…" }`:
//! the second form marks a string a native speaker should review (see
//! [`review_notes`]); the file headers explain the convention.
//!
//! Lookup falls back like request texts do: the owner's language, then Danish,
//! then English; a key found nowhere comes back as the key itself, so a
//! missing string is visible but never a crash. Tests keep the three files in
//! step: the same keys, the same placeholders, every string renderable.

use std::collections::BTreeMap;
#[cfg(test)]
use std::collections::BTreeSet;
use std::sync::OnceLock;

use crate::error::Error;
use akuersi_protocol::identity::UserIdError;
use akuersi_protocol::pin::PinError;
use akuersi_protocol::request::Action;
use akuersi_protocol::wire::{ErrorCode, RequestStatus};

/// The languages the core's own strings come in, in no particular order.
const LANGUAGES: [&str; 3] = ["kl", "da", "en"];

/// The embedded data files, one per language.
const SOURCES: [(&str, &str); 3] = [
    ("kl", include_str!("../../strings/kl.toml")),
    ("da", include_str!("../../strings/da.toml")),
    ("en", include_str!("../../strings/en.toml")),
];

/// Languages tried after the owner's own, in order (as for request texts).
const FALLBACK: [&str; 2] = ["da", "en"];

/// The strings of one language.
#[derive(Debug, Default)]
struct Catalog {
    /// Key → template.
    texts: BTreeMap<String, String>,
    /// Key → what a native speaker should check.
    review: BTreeMap<String, String>,
}

type Catalogs = BTreeMap<&'static str, Catalog>;

fn catalogs() -> &'static Catalogs {
    static CATALOGS: OnceLock<Catalogs> = OnceLock::new();
    CATALOGS.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(lang, src)| {
                // The files are part of the build and checked by the tests
                // below, so a broken one is a programming error.
                let catalog =
                    parse_catalog(src).unwrap_or_else(|e| panic!("core/strings/{lang}.toml: {e}"));
                (*lang, catalog)
            })
            .collect()
    })
}

fn parse_catalog(src: &str) -> Result<Catalog, String> {
    let table: toml::Table = toml::from_str(src).map_err(|e| e.to_string())?;
    let mut catalog = Catalog::default();
    flatten("", &table, &mut catalog)?;
    Ok(catalog)
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut Catalog) -> Result<(), String> {
    for (name, value) in table {
        let key = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match value {
            toml::Value::String(s) => {
                out.texts.insert(key, s.clone());
            }
            toml::Value::Table(t) if t.contains_key("text") => {
                let text = t.get("text").and_then(toml::Value::as_str);
                let review = t.get("review").and_then(toml::Value::as_str);
                match (text, review, t.len()) {
                    (Some(text), Some(note), 2) => {
                        out.texts.insert(key.clone(), text.to_owned());
                        out.review.insert(key, note.to_owned());
                    }
                    _ => {
                        return Err(format!(
                            "{key}: a marked string is {{ text = \"…\", review = \"…\" }}"
                        ))
                    }
                }
            }
            toml::Value::Table(t) => flatten(&key, t, out)?,
            _ => return Err(format!("{key}: expected a string or a table")),
        }
    }
    Ok(())
}

/// The primary language subtag in lower case: "kl-GL" → "kl", "DA" → "da".
fn primary(lang: &str) -> String {
    lang.split(['-', '_'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Languages to try for `lang`, in order, without repeats.
fn chain(lang: &str) -> Vec<String> {
    let mut out = vec![primary(lang)];
    for l in FALLBACK {
        if !out.iter().any(|o| o == l) {
            out.push(l.to_owned());
        }
    }
    out
}

fn resolve<'a>(cats: &'a Catalogs, lang: &str, key: &str) -> Option<&'a str> {
    chain(lang)
        .iter()
        .find_map(|l| cats.get(l.as_str()).and_then(|c| c.texts.get(key)))
        .map(String::as_str)
}

/// Replace each `{name}` that has a parameter; leave anything else as it is.
/// Values are inserted verbatim and never scanned again, so a requester named
/// "{device}" stays "{device}".
fn fill(template: &str, params: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            params
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v, close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The placeholder names a template uses.
#[cfg(test)]
fn placeholders(template: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                out.insert(after[..close].to_owned());
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    out
}

/// The string `key` in `lang` (falling back to Danish, then English), with
/// each `{name}` replaced by the parameter of that name. A key found in no
/// language comes back as the key itself.
///
/// `lang` may carry a region ("kl-GL"); only the language part counts.
pub fn text(lang: &str, key: &str, params: &[(&str, &str)]) -> String {
    match resolve(catalogs(), lang, key) {
        Some(template) => fill(template, params),
        None => key.to_owned(),
    }
}

/// The languages the core's own strings come in: "kl", "da", "en".
pub fn languages() -> &'static [&'static str] {
    &LANGUAGES
}

/// Every key, sorted (the English file's keys; the others have the same).
pub fn keys() -> Vec<String> {
    catalogs()
        .get("en")
        .map(|c| c.texts.keys().cloned().collect())
        .unwrap_or_default()
}

/// A string marked in its data file for review by a native speaker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewNote {
    /// The key.
    pub key: String,
    /// The string as it stands.
    pub text: String,
    /// What the reviewer should check.
    pub note: String,
}

/// The strings of `lang` that are marked for review, sorted by key.
pub fn review_notes(lang: &str) -> Vec<ReviewNote> {
    let Some(cat) = catalogs().get(primary(lang).as_str()) else {
        return Vec::new();
    };
    cat.review
        .iter()
        .map(|(key, note)| ReviewNote {
            key: key.clone(),
            text: cat.texts.get(key).cloned().unwrap_or_default(),
            note: note.clone(),
        })
        .collect()
}

/// True when the string `key` of `lang` is marked for review.
pub fn needs_review(lang: &str, key: &str) -> bool {
    catalogs()
        .get(primary(lang).as_str())
        .is_some_and(|c| c.review.contains_key(key))
}

// ------------------------------------------------------------ convenience

/// The heading or button text of an action ("Log on", "Log på", "Iserit").
pub fn action_title(lang: &str, action: Action) -> String {
    text(lang, &format!("action.{}.title", action.as_str()), &[])
}

/// The action as a verb for use inside a sentence ("log on", "logge på").
pub fn action_verb(lang: &str, action: Action) -> String {
    text(lang, &format!("action.{}.verb", action.as_str()), &[])
}

/// "{requester} asks you to log on." for the request card.
pub fn action_prompt(lang: &str, action: Action, requester: &str) -> String {
    text(
        lang,
        &format!("action.{}.prompt", action.as_str()),
        &[("requester", requester)],
    )
}

/// A request status as the owner reads it ("Waiting for your answer", …).
pub fn status_text(lang: &str, status: RequestStatus) -> String {
    text(lang, &format!("status.{}", status.as_str()), &[])
}

/// The live countdown: "4:59 left", or "Expired" at 0.
pub fn countdown(lang: &str, seconds_left: u32) -> String {
    if seconds_left == 0 {
        return text(lang, "countdown.expired", &[]);
    }
    let minutes = (seconds_left / 60).to_string();
    let seconds = format!("{:02}", seconds_left % 60);
    text(
        lang,
        "countdown.left",
        &[("minutes", &minutes), ("seconds", &seconds)],
    )
}

/// One of the five security rules.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SecurityRule {
    /// Short title ("Never show your codes").
    pub title: String,
    /// One sentence.
    pub body: String,
}

/// The five security rules, in order, for first run and the first approval.
pub fn security_rules(lang: &str) -> Vec<SecurityRule> {
    (1..=5)
        .map(|n| SecurityRule {
            title: text(lang, &format!("rule.rule_{n}.title"), &[]),
            body: text(lang, &format!("rule.rule_{n}.body"), &[]),
        })
        .collect()
}

/// The one-line reminder on every request card.
pub fn rules_reminder(lang: &str) -> String {
    text(lang, "rule.reminder", &[])
}

/// The push-fatigue warning, or `None` below the threshold (2 declined).
pub fn push_fatigue_warning(lang: &str, requester: &str, recent_declined: u32) -> Option<String> {
    (recent_declined >= 2).then(|| {
        text(
            lang,
            "warning.push_fatigue",
            &[
                ("requester", requester),
                ("count", &recent_declined.to_string()),
            ],
        )
    })
}

/// The warning shown before an approval when PIN attempts failed (wrong or
/// never finished) on the identity since this device's last approval, or
/// `None` when there were none.
pub fn failed_pins_warning(lang: &str, failed_pin_attempts: u32) -> Option<String> {
    (failed_pin_attempts > 0).then(|| {
        text(
            lang,
            "warning.failed_pins",
            &[("count", &failed_pin_attempts.to_string())],
        )
    })
}

/// A clock time "16:00" / "16.00" in the language's format.
pub(crate) fn format_time(lang: &str, hour: i8, minute: i8) -> String {
    text(
        lang,
        "format.time",
        &[
            ("hour", &format!("{hour:02}")),
            ("minute", &format!("{minute:02}")),
        ],
    )
}

/// A date and time in the language's format.
pub(crate) fn format_date_time(lang: &str, dt: jiff::civil::DateTime) -> String {
    let time = format_time(lang, dt.hour(), dt.minute());
    text(
        lang,
        "format.date_time",
        &[
            ("year", &dt.year().to_string()),
            ("month", &format!("{:02}", dt.month())),
            ("day", &format!("{:02}", dt.day())),
            ("time", &time),
        ],
    )
}

/// Render a notification template (`notification.<event>`) in `lang`.
///
/// Some parameter values arrive as stable codes and are translated first:
/// `action` ("log_on" → the action's title), `decision` ("approve" →
/// "approved"), and `by` ("support" → the word for support; `the device "X"`
/// → the language's "the device \"X\""). An unknown event gives a generic
/// sentence.
pub fn notification(lang: &str, event: &str, params: &[(&str, &str)]) -> String {
    let key = format!("notification.{event}");
    if resolve(catalogs(), lang, &key).is_none() || event == "by_device" {
        return text(lang, "notification.other", &[]);
    }
    let localized: Vec<(&str, String)> = params
        .iter()
        .map(|(k, v)| {
            let value = match *k {
                "action" => match Action::from_wire(v) {
                    Some(a) => action_title(lang, a),
                    None => (*v).to_owned(),
                },
                "decision" if matches!(*v, "approve" | "reject" | "report") => {
                    text(lang, &format!("decision.{v}"), &[])
                }
                "by" if *v == "support" => text(lang, "support.name", &[]),
                "by" => match v
                    .strip_prefix("the device \"")
                    .and_then(|r| r.strip_suffix('"'))
                {
                    Some(device) => text(lang, "notification.by_device", &[("device", device)]),
                    None => (*v).to_owned(),
                },
                _ => (*v).to_owned(),
            };
            (*k, value)
        })
        .collect();
    let borrowed: Vec<(&str, &str)> = localized.iter().map(|(k, v)| (*k, v.as_str())).collect();
    text(lang, &key, &borrowed)
}

// ------------------------------------------------------------------ errors

/// The key and parameters of the message for a service error code. Matched
/// exhaustively so that a new code needs a message before it compiles.
fn service_key(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::Malformed
        | ErrorCode::TooLarge
        | ErrorCode::UnknownPath
        | ErrorCode::BadSignature
        | ErrorCode::Replayed
        | ErrorCode::Unauthorized
        | ErrorCode::UnknownRequester
        | ErrorCode::RequesterRevoked
        | ErrorCode::StaleTimestamp
        | ErrorCode::ActionNotAllowed
        | ErrorCode::ChannelBindingNotAllowed
        | ErrorCode::RequesterExists
        | ErrorCode::InvalidRequester => "error.protocol",
        ErrorCode::InvalidText | ErrorCode::InvalidTtl | ErrorCode::Internal => "error.service",
        ErrorCode::InvalidUserId => "error.user_id_invalid",
        ErrorCode::InvalidActivationCode => "error.invalid_activation_code",
        ErrorCode::ActivationCodeBlocked => "error.activation_code_blocked",
        ErrorCode::DeviceLimit => "error.device_limit",
        ErrorCode::DeviceExists => "error.device_exists",
        ErrorCode::IdentityExists => "error.user_id_taken",
        ErrorCode::UnknownDevice => "error.unknown_device",
        ErrorCode::RequestNotFound => "error.request_not_found",
        ErrorCode::RequestExpired => "error.request_expired",
        ErrorCode::AlreadyDecided => "error.already_decided",
        ErrorCode::RequestCancelled => "error.request_cancelled",
        ErrorCode::PendingRequestExists => "error.pending_request_exists",
        ErrorCode::WrongPin => "error.wrong_pin_simple",
        ErrorCode::DeviceSuspended => "error.device_suspended_simple",
        ErrorCode::DeviceBlocked => "error.device_blocked",
        ErrorCode::PinSessionInvalid | ErrorCode::PinRequired => "error.pin_session",
        ErrorCode::IdentityFrozen => "error.identity_frozen",
        ErrorCode::LastDevice => "error.last_device",
        ErrorCode::AdditionNotReady => "error.addition_not_ready",
        ErrorCode::PairingInvalid => "error.pairing_invalid",
        ErrorCode::InvalidContact => "error.invalid_contact",
        ErrorCode::ChannelBindingRequired => "error.channel_binding_required",
        ErrorCode::WrongChannelCode => "error.wrong_channel_code_simple",
        ErrorCode::RateLimited => "error.rate_limited",
    }
}

/// The message for `err` that the owner reads, in `lang`.
///
/// Every variant is matched (a new one does not compile until it has a
/// message). Technical details (`Storage`, `Network`, … texts) are left out:
/// they stay in the `Display` form for logs. A suspension's end is shown in
/// Greenland time (America/Nuuk), as the default support hours are.
pub fn localized_message(err: &Error, lang: &str) -> String {
    let mut params: Vec<(&str, String)> = Vec::new();
    let key: &str = match err {
        Error::Pin(PinError::Format) => "error.pin_format",
        Error::Pin(PinError::TooSimple) => "error.pin_too_simple",
        Error::UserId(e) => match e {
            UserIdError::Length => "error.user_id_length",
            UserIdError::OuterSpace => "error.user_id_outer_space",
            UserIdError::LooksLikeCpr => "error.user_id_looks_like_cpr",
            UserIdError::Character(c) => {
                let shown = if c.is_control() || c.is_whitespace() {
                    format!("U+{:04X}", u32::from(*c))
                } else {
                    c.to_string()
                };
                params.push(("character", shown));
                "error.user_id_character"
            }
        },
        Error::WrongPin { attempts_left } => {
            params.push(("attempts_left", attempts_left.to_string()));
            "error.wrong_pin"
        }
        Error::DeviceSuspended { until_ms } => {
            let local = crate::display::support::greenland_civil(*until_ms);
            params.push(("until", format_date_time(lang, local)));
            "error.device_suspended"
        }
        Error::DeviceBlocked => "error.device_blocked",
        Error::RequestExpired => "error.request_expired",
        Error::AlreadyDecided => "error.already_decided",
        Error::ChannelBindingRequired => "error.channel_binding_required",
        Error::WrongChannelCode { attempts_left } => {
            params.push(("attempts_left", attempts_left.to_string()));
            "error.wrong_channel_code"
        }
        Error::CallInProgress => "error.call_in_progress",
        Error::RateLimited => "error.rate_limited",
        Error::RequestCancelled => "error.request_cancelled",
        Error::RequestNotFound => "error.request_not_found",
        Error::UnknownProfile => "error.unknown_profile",
        Error::ProfileExists => "error.profile_exists",
        Error::InvalidActivationCode => "error.invalid_activation_code",
        Error::ActivationCodeBlocked => "error.activation_code_blocked",
        Error::DeviceLimit => "error.device_limit",
        Error::InvalidInput(_) => "error.invalid_input",
        Error::Network(_) => "error.network",
        Error::Service { code, .. } => service_key(*code),
        // A bug in the app's shell (a callback calling back in): what the
        // owner can do about it is what `protocol` says, update the app.
        Error::Protocol(_) | Error::Reentrant => "error.protocol",
        Error::Storage(_) => "error.storage",
        Error::KeyStore(_) => "error.key_store",
        Error::Vault(_) => "error.vault",
        Error::Crypto(_) => "error.crypto",
    };
    let borrowed: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    text(lang, key, &borrowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sample value for a placeholder, per name.
    fn sample(name: &str) -> &'static str {
        match name {
            "minutes" => "4",
            "seconds" => "05",
            "count" => "3",
            "attempts_left" => "2",
            "hour" => "16",
            "minute" => "00",
            "year" => "2025",
            "month" => "06",
            "day" => "05",
            _ => "Sample",
        }
    }

    #[test]
    fn every_data_file_parses() {
        for (lang, src) in SOURCES {
            parse_catalog(src).unwrap_or_else(|e| panic!("{lang}: {e}"));
        }
        assert_eq!(catalogs().len(), LANGUAGES.len());
        for lang in languages() {
            assert!(catalogs().contains_key(lang), "{lang}");
        }
    }

    #[test]
    fn every_language_has_every_key() {
        let all: BTreeSet<&String> = catalogs().values().flat_map(|c| c.texts.keys()).collect();
        let mut problems = Vec::new();
        for (lang, cat) in catalogs() {
            for key in &all {
                if !cat.texts.contains_key(*key) {
                    problems.push(format!("{lang} lacks {key}"));
                }
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
        assert!(all.len() > 100, "only {} keys", all.len());
    }

    #[test]
    fn every_string_renders_with_sample_parameters() {
        let en = &catalogs()["en"];
        for (key, en_template) in &en.texts {
            let names = placeholders(en_template);
            let params: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), sample(n))).collect();
            for lang in languages() {
                let template = &catalogs()[lang].texts[key];
                assert_eq!(
                    placeholders(template),
                    names,
                    "{lang} {key}: placeholders differ from English"
                );
                let out = text(lang, key, &params);
                assert!(
                    !out.contains('{') && !out.contains('}'),
                    "{lang} {key}: left a placeholder: {out}"
                );
                assert!(!out.trim().is_empty(), "{lang} {key} is empty");
                assert_eq!(out.trim(), out, "{lang} {key}: stray space");
            }
        }
    }

    #[test]
    fn fallback_order_is_own_language_then_danish_then_english() {
        let mut cats = Catalogs::new();
        let mk = |pairs: &[(&str, &str)]| Catalog {
            texts: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            review: BTreeMap::new(),
        };
        cats.insert("kl", mk(&[("a", "kl-a")]));
        cats.insert("da", mk(&[("a", "da-a"), ("b", "da-b")]));
        cats.insert("en", mk(&[("a", "en-a"), ("b", "en-b"), ("c", "en-c")]));
        assert_eq!(resolve(&cats, "kl", "a"), Some("kl-a"));
        assert_eq!(resolve(&cats, "kl", "b"), Some("da-b"));
        assert_eq!(resolve(&cats, "kl", "c"), Some("en-c"));
        assert_eq!(resolve(&cats, "en", "b"), Some("en-b"));
        assert_eq!(resolve(&cats, "fr", "a"), Some("da-a"));
        assert_eq!(resolve(&cats, "KL-gl", "a"), Some("kl-a"));
        assert_eq!(resolve(&cats, "kl", "d"), None);
        assert_eq!(chain("en"), ["en", "da"]);
        assert_eq!(chain("da"), ["da", "en"]);
        assert_eq!(chain("kl"), ["kl", "da", "en"]);

        // And on the real files.
        assert_eq!(text("fr", "button.reject", &[]), "Afvis");
        assert_eq!(text("da_DK", "button.reject", &[]), "Afvis");
        assert_eq!(text("en", "button.reject", &[]), "Reject");
        assert_eq!(text("kl", "no.such.key", &[]), "no.such.key");
    }

    #[test]
    fn parameters_are_inserted_verbatim_once() {
        let out = text(
            "en",
            "action.log_on.prompt",
            &[("requester", "{device} {requester}")],
        );
        assert_eq!(out, "{device} {requester} asks you to log on.");
        assert_eq!(fill("{a}{b}{", &[("a", "}"), ("b", "x")]), "}x{");
        assert_eq!(fill("{unknown}", &[]), "{unknown}");
    }

    #[test]
    fn review_marks_are_well_formed() {
        let kl = review_notes("kl");
        assert!(!kl.is_empty());
        for n in &kl {
            assert!(!n.note.trim().is_empty(), "{}", n.key);
            assert!(!n.text.is_empty(), "{}", n.key);
            assert!(needs_review("kl", &n.key));
        }
        // Danish and English are written by fluent speakers: nothing marked.
        assert!(review_notes("da").is_empty());
        assert!(review_notes("en").is_empty());
        assert!(!needs_review("kl", "format.time"));
        // A malformed mark is refused.
        assert!(parse_catalog("a = { text = \"x\" }").is_err());
        assert!(parse_catalog("a = { text = \"x\", review = \"y\", z = \"w\" }").is_err());
        assert!(parse_catalog("a = 1").is_err());
    }

    #[test]
    fn action_status_and_countdown_wording() {
        assert_eq!(action_title("en", Action::LogOn), "Log on");
        assert_eq!(action_title("da", Action::LogOn), "Log på");
        assert_eq!(action_verb("da", Action::Sign), "underskrive");
        assert_eq!(
            action_prompt("da", Action::Approve, "Demo Bank"),
            "Demo Bank beder dig godkende."
        );
        for lang in languages() {
            for a in Action::ALL {
                assert!(!action_title(lang, a).starts_with("action."));
            }
        }
        assert_eq!(status_text("da", RequestStatus::Expired), "Udløbet");
        assert_eq!(countdown("en", 299), "4:59 left");
        assert_eq!(countdown("en", 5), "0:05 left");
        assert_eq!(countdown("da", 61), "1:01 tilbage");
        assert_eq!(countdown("en", 0), "Expired");
    }

    #[test]
    fn security_rules_come_in_every_language() {
        for lang in languages() {
            let rules = security_rules(lang);
            assert_eq!(rules.len(), 5);
            for r in &rules {
                assert!(!r.title.starts_with("rule.") && !r.body.starts_with("rule."));
            }
            // Rule 5 points at the button by its exact label.
            let button = text(lang, "button.not_started", &[]);
            assert!(rules[4].body.contains(&button), "{lang}: {}", rules[4].body);
            assert!(!rules_reminder(lang).is_empty());
        }
        assert!(security_rules("en")[2].body.contains("police"));
        assert_eq!(push_fatigue_warning("en", "Demo Bank", 1), None);
        let w = push_fatigue_warning("da", "Demo Bank", 3).unwrap();
        assert!(w.starts_with("Demo Bank har") && w.contains(" 3 "), "{w}");
    }

    /// The GSM 03.38 default alphabet and its extension table (SMS).
    fn is_gsm7(c: char) -> bool {
        c.is_ascii_alphanumeric()
            || " \n\r!\"#%&'()*+,-./:;<=>?@_$^{}\\[~]|€£¥èéùìòÇØøÅåÆæßÉÄÖÑÜ§¿¡äöñüà¤".contains(c)
    }

    #[test]
    fn notifications_fit_the_sms_alphabet() {
        for lang in languages() {
            for (key, template) in &catalogs()[lang].texts {
                if let Some(event) = key.strip_prefix("notification.") {
                    let names = placeholders(template);
                    let params: Vec<(&str, &str)> =
                        names.iter().map(|n| (n.as_str(), sample(n))).collect();
                    let out = notification(lang, event, &params);
                    if let Some(bad) = out.chars().find(|c| !is_gsm7(*c)) {
                        panic!("{lang} {key}: {bad:?} is not in the SMS alphabet");
                    }
                }
            }
        }
    }

    #[test]
    fn notifications_translate_codes_in_parameters() {
        let used = [
            ("requester", "Demo Bank"),
            ("action", "log_on"),
            ("decision", "approve"),
            ("device", "phone"),
        ];
        assert_eq!(
            notification("en", "identity_used", &used),
            "Your identity was used: \"Log on\", approved on \"phone\"."
        );
        assert_eq!(
            notification("da", "identity_used", &used),
            "Din identitet er brugt: \"Log på\", godkendt på \"phone\"."
        );
        let da = notification("da", "identity_frozen", &[("by", "the device \"tablet\"")]);
        assert!(da.contains("af enheden \"tablet\"."), "{da}");
        let kl = notification("kl", "identity_frozen", &[("by", "support")]);
        assert!(kl.contains("(ikiorsiivik)"), "{kl}");
        assert_eq!(
            notification("en", "something_new", &[]),
            text("en", "notification.other", &[])
        );
    }

    fn every_error() -> Vec<Error> {
        let mut v = vec![
            Error::Pin(PinError::Format),
            Error::Pin(PinError::TooSimple),
            Error::UserId(UserIdError::Length),
            Error::UserId(UserIdError::OuterSpace),
            Error::UserId(UserIdError::LooksLikeCpr),
            Error::UserId(UserIdError::Character('\u{7}')),
            Error::UserId(UserIdError::Character('é')),
            Error::WrongPin { attempts_left: 2 },
            Error::DeviceSuspended {
                until_ms: 1_750_000_000_000,
            },
            Error::DeviceBlocked,
            Error::RequestExpired,
            Error::AlreadyDecided,
            Error::ChannelBindingRequired,
            Error::WrongChannelCode { attempts_left: 1 },
            Error::CallInProgress,
            Error::RateLimited,
            Error::RequestCancelled,
            Error::RequestNotFound,
            Error::UnknownProfile,
            Error::ProfileExists,
            Error::InvalidActivationCode,
            Error::ActivationCodeBlocked,
            Error::DeviceLimit,
            Error::InvalidInput("device name is empty".into()),
            Error::Network("refused".into()),
            Error::Protocol("bad json".into()),
            Error::Storage("disk full".into()),
            Error::KeyStore("gone".into()),
            Error::Vault("gone".into()),
            Error::Crypto("rng"),
        ];
        v.extend(ErrorCode::ALL.into_iter().map(|code| Error::Service {
            code,
            message: "english detail".into(),
        }));
        v
    }

    #[test]
    fn every_error_has_a_message_in_every_language() {
        for lang in languages() {
            for e in every_error() {
                let m = localized_message(&e, lang);
                assert!(!m.starts_with("error."), "{lang} {e:?}: no string {m}");
                assert!(!m.contains('{'), "{lang} {e:?}: {m}");
                // Technical details stay out of what the owner reads.
                for detail in ["disk full", "bad json", "english detail", "refused"] {
                    assert!(!m.contains(detail), "{lang} {e:?}: {m}");
                }
            }
        }
        assert_eq!(
            localized_message(&Error::WrongPin { attempts_left: 2 }, "da"),
            "Forkert PIN-kode. Forsøg tilbage, før enheden spærres: 2."
        );
        let bell = localized_message(&Error::UserId(UserIdError::Character('\u{7}')), "en");
        assert!(bell.contains("\"U+0007\""), "{bell}");
        // 2025-06-15T15:06:40Z is 14:06 in Nuuk (summer time, UTC-1).
        let s = localized_message(
            &Error::DeviceSuspended {
                until_ms: 1_750_000_000_000,
            },
            "da",
        );
        assert!(s.contains("15.06.2025 kl. 14.06"), "{s}");
    }
}
