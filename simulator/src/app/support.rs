//! The simulator's support setting, the one every screen and command takes
//! support's contact from (the terminal app, `app … support`, the Demo Bank
//! page, `demo`), and the support screen's lines.
//!
//! The calendar and hours are the core's defaults
//! ([`SupportSettings::new`]): the Danish calendar, Monday–Friday
//! 04:00–16:00 and Saturdays, Sundays and holidays 06:00–12:00, Greenland
//! time. The contact is plainly fictional: a number no Danish phone can
//! have, labelled as an example wherever it is shown, and an `.example`
//! address. A real deployment configures its own.

use akuersi_core::display::support::{Support, SupportSettings, DEFAULT_TIME_ZONE};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

/// The simulator's support phone number: fictional (Danish numbers do not
/// start with 0).
pub const PHONE: &str = "+45 00 00 00 00";
/// The label shown next to [`PHONE`].
pub const PHONE_LABEL: &str = "(example number)";
/// The simulator's support web form (an `.example` address).
pub const WEB_FORM: &str = "https://support.akuersi.example/contact";
/// The language support speaks.
pub const LANGUAGE: &str = "Danish";

/// The simulator's support setting.
pub fn settings() -> SupportSettings {
    SupportSettings::new(PHONE, WEB_FORM)
}

/// The simulator's support, checked. Its setting is fixed and valid (a
/// unit test checks it), so a failure here is a bug.
pub fn support() -> Support {
    Support::new(settings()).unwrap_or_else(|e| panic!("the simulator's {e}"))
}

/// The phone number as shown on screen: "+45 00 00 00 00 (example number)".
pub fn phone_shown() -> String {
    format!("{PHONE} {PHONE_LABEL}")
}

/// The viewer's time zone (the system's, or UTC if it cannot be found).
pub fn local_zone() -> TimeZone {
    TimeZone::try_system().unwrap_or(TimeZone::UTC)
}

/// A UTC millisecond instant in `zone`.
fn zoned(ms: i64, zone: &TimeZone) -> Option<Zoned> {
    Timestamp::from_millisecond(ms)
        .ok()
        .map(|t| t.to_zoned(zone.clone()))
}

/// "Mon 04:00" style time of an instant in `zone`.
fn short(ms: i64, zone: &TimeZone) -> String {
    zoned(ms, zone)
        .map(|z| z.strftime("%a %H:%M").to_string())
        .unwrap_or_else(|| "?".into())
}

/// "04:00–16:00" of a pair of opening hours.
fn span(h: akuersi_core::display::support::OpeningHours) -> String {
    format!(
        "{:02}:{:02}–{:02}:{:02}",
        h.open_hour, h.open_minute, h.close_hour, h.close_minute
    )
}

/// The support screen's lines: contact, hours in the support's and the
/// viewer's time, and whether support is open now. `local` is the viewer's
/// zone.
pub fn lines(now: Timestamp, local: &TimeZone) -> Vec<String> {
    lines_for(&support(), now, local)
}

/// [`lines`] for any support setting.
pub fn lines_for(support: &Support, now: Timestamp, local: &TimeZone) -> Vec<String> {
    let s = support.settings();
    let phone = if s.phone == PHONE {
        phone_shown()
    } else {
        s.phone.clone()
    };
    let mut out = vec![
        format!("Phone:     {phone}"),
        format!("Web form:  {}", s.web_form),
        format!("Language:  {LANGUAGE}"),
        String::new(),
    ];
    let zone = support.time_zone();
    let zone_name = if s.time_zone == DEFAULT_TIME_ZONE {
        format!("Greenland time, {DEFAULT_TIME_ZONE}")
    } else {
        s.time_zone.clone()
    };
    out.push(format!("Opening hours ({zone_name}):"));
    out.push(format!(
        "  Mon–Fri                       {}",
        span(s.weekday_hours)
    ));
    out.push(format!(
        "  Sat, Sun and public holidays  {}",
        span(s.short_day_hours)
    ));
    // The next seven days in the viewer's time (offsets differ with DST).
    let local_name = local.iana_name().unwrap_or("your zone");
    out.push(format!("The next 7 days in your time ({local_name}):"));
    let now_ms = now.as_millisecond();
    let mut date = now.to_zoned(zone.clone()).date();
    for _ in 0..7 {
        let civil = akuersi_core::display::support::CivilDate {
            year: date.year(),
            month: date.month(),
            day: date.day(),
        };
        if let Some(day) = support.day(civil) {
            let note = if day.holiday.is_some() {
                " (holiday)"
            } else {
                ""
            };
            let hm = |ms| {
                zoned(ms, local)
                    .map(|z| z.strftime("%H:%M").to_string())
                    .unwrap_or_else(|| "?".into())
            };
            out.push(format!(
                "  {}  {}–{}{note}",
                date.strftime("%a %d %b"),
                hm(day.opens_utc_ms),
                hm(day.closes_utc_ms),
            ));
        }
        match date.tomorrow() {
            Ok(d) => date = d,
            Err(_) => break,
        }
    }
    out.push(String::new());
    let st = support.status(now_ms, "en");
    let (state, verb) = if st.open {
        ("OPEN", "until")
    } else {
        ("CLOSED", "opens")
    };
    let zone_word = if s.time_zone == DEFAULT_TIME_ZONE {
        "Greenland time".to_owned()
    } else {
        s.time_zone.clone()
    };
    out.push(format!(
        "Support is {state} now: {verb} {} {zone_word} ({} your time).",
        short(st.next_change_utc_ms, zone),
        short(st.next_change_utc_ms, local)
    ));
    out.push(String::new());
    out.push("Support never asks you to approve anything, nor for your PIN or codes.".into());
    out.push("Citizen service centres can help with activation.".into());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("a valid timestamp")
    }

    #[test]
    fn the_setting_is_valid_and_fictional() {
        let s = support();
        assert_eq!(s.settings().phone, "+45 00 00 00 00");
        assert!(WEB_FORM.starts_with("https://") && WEB_FORM.contains(".example/"));
        assert_eq!(phone_shown(), "+45 00 00 00 00 (example number)");
        let c = s.contact("en");
        assert_eq!((c.phone.as_str(), c.web_form.as_str()), (PHONE, WEB_FORM));
    }

    #[test]
    fn lines_show_local_hours() {
        let copenhagen = TimeZone::get("Europe/Copenhagen").unwrap();
        let text = lines(ts("2025-01-15T12:00:00Z"), &copenhagen).join("\n");
        assert!(
            text.contains("Phone:     +45 00 00 00 00 (example number)"),
            "{text}"
        );
        assert!(text.contains("Web form:  https://support.akuersi.example/contact"));
        assert!(text.contains("Opening hours (Greenland time, America/Nuuk):"));
        assert!(text.contains("  Mon–Fri                       04:00–16:00"));
        assert!(text.contains("  Sat, Sun and public holidays  06:00–12:00"));
        // Weekday 04:00–16:00 Nuuk (UTC-2) = 07:00–19:00 Copenhagen (UTC+1).
        assert!(text.contains("Wed 15 Jan  07:00–19:00"), "{text}");
        // Saturday 06:00–12:00 Nuuk = 09:00–15:00 Copenhagen.
        assert!(text.contains("Sat 18 Jan  09:00–15:00\n"), "{text}");
        assert!(
            text.contains(
                "Support is OPEN now: until Wed 16:00 Greenland time (Wed 19:00 your time)."
            ),
            "{text}"
        );
    }

    #[test]
    fn lines_follow_the_core_calendar() {
        let utc = TimeZone::UTC;
        // Grundlovsdag (Thursday 5 June 2025) is short in the Danish
        // calendar; 21 June is not (the Greenlandic calendar's day).
        let text = lines(ts("2025-06-02T12:00:00Z"), &utc).join("\n");
        assert!(text.contains("Thu 05 Jun  07:00–13:00 (holiday)"), "{text}");
        let text = lines(ts("2025-06-16T12:00:00Z"), &utc).join("\n");
        assert!(text.contains("Fri 20 Jun  05:00–17:00\n"), "{text}");
        assert!(text.contains("Sat 21 Jun  07:00–13:00\n"), "{text}");
        // Closed on Sunday evening: opens Monday 04:00 Nuuk = 05:00 UTC.
        let text = lines(ts("2025-06-22T20:00:00Z"), &utc).join("\n");
        assert!(
            text.contains(
                "Support is CLOSED now: opens Mon 04:00 Greenland time (Mon 05:00 your time)."
            ),
            "{text}"
        );
    }
}
