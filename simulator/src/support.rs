//! Support contact information, with the opening hours shown in the
//! viewer's own time and whether support is open now.
//!
//! Support keeps Greenland time (the zone America/Nuuk, which moved from
//! UTC−3 to UTC−2 in 2023 and has had daylight saving time since 2024), so the
//! hours are computed with jiff and its bundled tz database rather than a
//! fixed offset.

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

/// The support phone number.
pub const PHONE: &str = "+45 33 98 00 10";
/// The support web form (the simulator's placeholder address).
pub const WEB_FORM: &str = "https://support.akuersi.example/contact";
/// The zone support keeps its hours in.
pub const SUPPORT_ZONE: &str = "America/Nuuk";
/// The language support speaks.
pub const LANGUAGE: &str = "Danish";

/// Opening hours on a weekday (Monday to Friday), Greenland time.
const WEEKDAY_HOURS: (Time, Time) = (Time::constant(4, 0, 0, 0), Time::constant(16, 0, 0, 0));
/// Opening hours on Saturdays, Sundays and public holidays, Greenland time.
const WEEKEND_HOURS: (Time, Time) = (Time::constant(6, 0, 0, 0), Time::constant(12, 0, 0, 0));

/// Whether support is open at one moment, and when that changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportNow {
    /// True while support answers.
    pub open: bool,
    /// The next opening (when closed) or closing (when open), in Greenland time.
    pub next_change: Zoned,
}

/// Public holidays in Greenland on which support keeps its weekend hours:
/// New Year's Day, Epiphany, Maundy Thursday, Good Friday, Easter Sunday and
/// Monday, Ascension Day, Whit Sunday and Monday, National Day (21 June),
/// Christmas Eve, Christmas Day, Boxing Day and New Year's Eve. This is the
/// simulator's calendar; a real service publishes its own.
pub fn is_holiday(date: Date) -> bool {
    let (m, d) = (date.month(), date.day());
    if matches!(
        (m, d),
        (1, 1) | (1, 6) | (6, 21) | (12, 24) | (12, 25) | (12, 26) | (12, 31)
    ) {
        return true;
    }
    let Some(easter) = easter_sunday(date.year()) else {
        return false;
    };
    [-3i64, -2, 0, 1, 39, 49, 50].iter().any(|offset| {
        easter
            .checked_add(jiff::Span::new().days(*offset))
            .is_ok_and(|h| h == date)
    })
}

/// Easter Sunday (Gregorian) of a year: the anonymous Gregorian algorithm.
pub fn easter_sunday(year: i16) -> Option<Date> {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

/// Support's hours on a date (Greenland time): weekday or weekend/holiday hours.
pub fn hours_on(date: Date) -> (Time, Time) {
    let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
    if weekend || is_holiday(date) {
        WEEKEND_HOURS
    } else {
        WEEKDAY_HOURS
    }
}

/// The America/Nuuk zone from jiff's bundled database.
pub fn support_zone() -> Result<TimeZone, jiff::Error> {
    TimeZone::get(SUPPORT_ZONE)
}

/// Whether support is open at `now`, and when that changes next.
pub fn status_at(now: Timestamp) -> Result<SupportNow, String> {
    let zone = support_zone().map_err(|e| e.to_string())?;
    let here = now.to_zoned(zone.clone());
    let mut date = here.date();
    // Look at most a week ahead: every day has opening hours.
    for _ in 0..8 {
        let (open, close) = hours_on(date);
        let opens = at(date, open, &zone)?;
        let closes = at(date, close, &zone)?;
        if here < opens {
            return Ok(SupportNow {
                open: false,
                next_change: opens,
            });
        }
        if here < closes {
            return Ok(SupportNow {
                open: true,
                next_change: closes,
            });
        }
        date = date.tomorrow().map_err(|e| e.to_string())?;
    }
    Err("no opening hours found within a week".into())
}

/// A wall-clock time on a date in a zone.
fn at(date: Date, time: Time, zone: &TimeZone) -> Result<Zoned, String> {
    date.to_datetime(time)
        .to_zoned(zone.clone())
        .map_err(|e| e.to_string())
}

/// "Mon 04:00" style time of `at` in `zone`.
fn short(at: &Zoned, zone: &TimeZone) -> String {
    let z = at.with_time_zone(zone.clone());
    z.strftime("%a %H:%M").to_string()
}

/// The support screen's lines: contact, hours in Greenland and local time,
/// and whether support is open now. `local` is the viewer's zone.
pub fn lines(now: Timestamp, local: &TimeZone) -> Vec<String> {
    let mut out = vec![
        format!("Phone:     {PHONE}"),
        format!("Web form:  {WEB_FORM}"),
        format!("Language:  {LANGUAGE}"),
        String::new(),
    ];
    let Ok(zone) = support_zone() else {
        out.push("Opening hours: the time zone database is unavailable.".into());
        return out;
    };
    let today = now.to_zoned(zone.clone()).date();
    out.push("Opening hours (Greenland time, America/Nuuk):".into());
    out.push("  Mon–Fri                       04:00–16:00".into());
    out.push("  Sat, Sun and public holidays  06:00–12:00".into());
    // The next seven days in the viewer's time (offsets differ with DST).
    let local_name = local.iana_name().unwrap_or("your zone");
    out.push(format!("The next 7 days in your time ({local_name}):"));
    let mut date = today;
    for _ in 0..7 {
        let (open, close) = hours_on(date);
        if let (Ok(o), Ok(c)) = (at(date, open, &zone), at(date, close, &zone)) {
            let note = if is_holiday(date) { " (holiday)" } else { "" };
            out.push(format!(
                "  {}  {}–{}{note}",
                date.strftime("%a %d %b"),
                o.with_time_zone(local.clone()).strftime("%H:%M"),
                c.with_time_zone(local.clone()).strftime("%H:%M"),
            ));
        }
        match date.tomorrow() {
            Ok(d) => date = d,
            Err(_) => break,
        }
    }
    out.push(String::new());
    match status_at(now) {
        Ok(s) if s.open => out.push(format!(
            "Support is OPEN now: until {} Greenland time ({} your time).",
            short(&s.next_change, &zone),
            short(&s.next_change, local)
        )),
        Ok(s) => out.push(format!(
            "Support is CLOSED now: opens {} Greenland time ({} your time).",
            short(&s.next_change, &zone),
            short(&s.next_change, local)
        )),
        Err(e) => out.push(format!("Could not work out the opening hours: {e}")),
    }
    out.push(String::new());
    out.push("Support never asks you to approve anything, nor for your PIN or codes.".into());
    out.push("Citizen service centres can help with activation.".into());
    out
}

/// The viewer's time zone (the system's, or UTC if it cannot be found).
pub fn local_zone() -> TimeZone {
    TimeZone::try_system().unwrap_or(TimeZone::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("a valid timestamp")
    }

    #[test]
    fn easter_dates() {
        assert_eq!(easter_sunday(2024), Date::new(2024, 3, 31).ok());
        assert_eq!(easter_sunday(2025), Date::new(2025, 4, 20).ok());
        assert_eq!(easter_sunday(2026), Date::new(2026, 4, 5).ok());
        assert!(is_holiday(Date::new(2026, 4, 3).unwrap())); // Good Friday
        assert!(is_holiday(Date::new(2026, 5, 14).unwrap())); // Ascension
        assert!(is_holiday(Date::new(2026, 6, 21).unwrap())); // National Day
        assert!(!is_holiday(Date::new(2026, 4, 7).unwrap()));
    }

    #[test]
    fn open_and_closed_in_greenland_time() {
        // Wednesday 15 Jan 2025: Nuuk is UTC-2 (standard time since 2023).
        // 04:00 Nuuk = 06:00 UTC.
        assert!(!status_at(ts("2025-01-15T05:59:00Z")).unwrap().open);
        assert!(status_at(ts("2025-01-15T06:00:00Z")).unwrap().open);
        // 16:00 Nuuk = 18:00 UTC.
        let s = status_at(ts("2025-01-15T17:59:00Z")).unwrap();
        assert!(s.open);
        assert_eq!(s.next_change.strftime("%H:%M").to_string(), "16:00");
        assert!(!status_at(ts("2025-01-15T18:00:00Z")).unwrap().open);
        // Saturday 18 Jan 2025, 13:00 Nuuk: closed, opens Sunday 06:00.
        let s = status_at(ts("2025-01-18T15:00:00Z")).unwrap();
        assert!(!s.open);
        assert_eq!(s.next_change.strftime("%a %H:%M").to_string(), "Sun 06:00");
        // Summer (DST, UTC-1): Wednesday 16 Jul 2025 04:00 Nuuk = 05:00 UTC.
        assert!(status_at(ts("2025-07-16T05:00:00Z")).unwrap().open);
        assert!(!status_at(ts("2025-07-16T04:59:00Z")).unwrap().open);
        // Before the 2023 change Nuuk was UTC-3: 04:00 = 07:00 UTC in Jan 2023.
        assert!(!status_at(ts("2023-01-11T06:30:00Z")).unwrap().open);
        assert!(status_at(ts("2023-01-11T07:00:00Z")).unwrap().open);
    }

    #[test]
    fn lines_show_local_hours() {
        let copenhagen = TimeZone::get("Europe/Copenhagen").unwrap();
        let text = lines(ts("2025-01-15T12:00:00Z"), &copenhagen).join("\n");
        assert!(text.contains(PHONE));
        assert!(text.contains("OPEN now"));
        // Weekday 04:00–16:00 Nuuk (UTC-2) = 07:00–19:00 Copenhagen (UTC+1).
        assert!(text.contains("Wed 15 Jan  07:00–19:00"), "{text}");
    }
}
