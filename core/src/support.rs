//! How to reach support, and whether it is open now.
//!
//! Support is reached by phone or a web form and speaks Danish. It is open
//! Monday to Friday 04:00–16:00, and on Saturdays, Sundays and Danish public
//! holidays 06:00–12:00, in *Greenland time*: the IANA zone `America/Nuuk`.
//! That zone changed its rules recently (UTC−3 with EU-style summer time until
//! March 2023, UTC−2 from then on, and summer time at UTC−1 again from 2024),
//! so the hours are computed with jiff's bundled copy of the tz database,
//! never with a fixed offset and never with the device's own (possibly stale)
//! system data.
//!
//! The Danish public holidays are computed, the Easter-based ones from the
//! anonymous Gregorian algorithm ([`easter_sunday`]). Store bededag counts
//! until 2023; it was abolished from 2024. Grundlovsdag (5 June), Juleaftensdag
//! (24 December) and Nytårsaftensdag (31 December) are not public holidays by
//! law but are customary closing days in Danish public service; we give them
//! the short hours too ([`HolidayKind::SupportReduced`]). Greenland's own
//! national day (21 June) is not included: support is run from Denmark.

use std::sync::OnceLock;

use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::{TimeZone, TimeZoneDatabase};
use jiff::{Timestamp, ToSpan};

use crate::i18n::{format_time, text};

/// Support's phone number.
pub const SUPPORT_PHONE: &str = "+45 33 98 00 10";

/// Support's web form. A documented placeholder: replace it with the
/// operator's real contact page before release.
pub const SUPPORT_WEB_FORM: &str = "https://mitid.dk/kontakt";

/// The time zone the opening hours are given in (Greenland time).
pub const SUPPORT_TIME_ZONE: &str = "America/Nuuk";

/// Monday–Friday hours, as (hour, minute) local opening and closing times.
const WEEKDAY_HOURS: ((i8, i8), (i8, i8)) = ((4, 0), (16, 0));
/// Saturday, Sunday and holiday hours.
const SHORT_HOURS: ((i8, i8), (i8, i8)) = ((6, 0), (12, 0));

/// Earliest and latest instants [`support_status`] reasons about
/// (1900-01-01 and 9000-01-01 UTC); anything outside is clamped.
const MIN_MS: i64 = -2_208_988_800_000;
const MAX_MS: i64 = 221_845_392_000_000;

/// Whether support is open at an instant, and what to tell the owner.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SupportStatus {
    /// True while support answers.
    pub open: bool,
    /// "Open now, until 16:00" or "Closed. Opens Monday at 04:00", in the
    /// owner's language and in Greenland local time.
    pub text: String,
    /// When `open` next changes (the next closing or opening), UTC
    /// milliseconds since the epoch.
    pub next_change_utc_ms: i64,
}

/// How to reach support, in the owner's language.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SupportContact {
    /// Phone number, in international form.
    pub phone: String,
    /// Address of the web form.
    pub web_form: String,
    /// "Support speaks Danish." in the owner's language.
    pub language_note: String,
    /// The opening hours, one line, in Greenland time.
    pub hours_text: String,
}

/// A calendar date without a time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate {
    /// Year, e.g. 2025.
    pub year: i16,
    /// Month, 1–12.
    pub month: i8,
    /// Day of the month, 1–31.
    pub day: i8,
}

/// Why a day has the short hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HolidayKind {
    /// A Danish public holiday (helligdag).
    Public,
    /// Not a holiday by law, but a day support keeps short hours
    /// (Grundlovsdag, Juleaftensdag, Nytårsaftensdag).
    SupportReduced,
}

/// A day with the short hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    /// The date.
    pub date: CivilDate,
    /// Its Danish name ("2. påskedag").
    pub name: String,
    /// Public holiday or a support-reduced day.
    pub kind: HolidayKind,
}

fn civil(d: Date) -> CivilDate {
    CivilDate {
        year: d.year(),
        month: d.month(),
        day: d.day(),
    }
}

/// Easter Sunday of `year` in the Gregorian calendar (the anonymous Gregorian
/// algorithm, also known as Meeus/Jones/Butcher). Valid for 1583–9999.
pub fn easter_sunday(year: i16) -> CivilDate {
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
    let n = h + l - 7 * m + 114;
    // month is 3 or 4 and day 1–31: both fit in i8.
    CivilDate {
        year,
        month: (n / 31) as i8,
        day: (n % 31 + 1) as i8,
    }
}

/// The days of `year` with the short hours: the Danish public holidays
/// (Store bededag only until 2023) and the support-reduced days, by date.
/// Valid for 1583–9998.
pub fn danish_holidays(year: i16) -> Vec<Holiday> {
    let e = easter_sunday(year);
    let Ok(easter) = Date::new(e.year, e.month, e.day) else {
        return Vec::new(); // a year the algorithm is not meant for
    };
    let rel = |days: i32| {
        // Easter ± 50 days stays inside the same year for every valid year.
        civil(easter.checked_add(days.days()).unwrap_or(easter))
    };
    let fixed = |month: i8, day: i8| CivilDate { year, month, day };
    let mut list = vec![
        (fixed(1, 1), "Nytårsdag", HolidayKind::Public),
        (rel(-3), "Skærtorsdag", HolidayKind::Public),
        (rel(-2), "Langfredag", HolidayKind::Public),
        (rel(0), "Påskedag", HolidayKind::Public),
        (rel(1), "2. påskedag", HolidayKind::Public),
        (rel(39), "Kristi himmelfartsdag", HolidayKind::Public),
        (rel(49), "Pinsedag", HolidayKind::Public),
        (rel(50), "2. pinsedag", HolidayKind::Public),
        (fixed(6, 5), "Grundlovsdag", HolidayKind::SupportReduced),
        (fixed(12, 24), "Juleaftensdag", HolidayKind::SupportReduced),
        (fixed(12, 25), "Juledag", HolidayKind::Public),
        (fixed(12, 26), "2. juledag", HolidayKind::Public),
        (
            fixed(12, 31),
            "Nytårsaftensdag",
            HolidayKind::SupportReduced,
        ),
    ];
    if year <= 2023 {
        // The fourth Friday after Easter; abolished by law from 2024.
        list.push((rel(26), "Store bededag", HolidayKind::Public));
    }
    list.sort_by_key(|(d, _, _)| *d);
    list.into_iter()
        .map(|(date, name, kind)| Holiday {
            date,
            name: name.to_owned(),
            kind,
        })
        .collect()
}

fn is_short_day(date: Date) -> bool {
    if matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) {
        return true;
    }
    let c = civil(date);
    danish_holidays(c.year).iter().any(|h| h.date == c)
}

/// Local opening and closing time on `date`.
fn hours_on(date: Date) -> ((i8, i8), (i8, i8)) {
    if is_short_day(date) {
        SHORT_HOURS
    } else {
        WEEKDAY_HOURS
    }
}

/// America/Nuuk from the tz database bundled into the binary.
fn greenland() -> &'static TimeZone {
    static TZ: OnceLock<TimeZone> = OnceLock::new();
    TZ.get_or_init(|| {
        TimeZoneDatabase::bundled()
            .get(SUPPORT_TIME_ZONE)
            // The bundled database is compiled in: a missing zone is a
            // build problem, caught by the tests.
            .unwrap_or_else(|e| {
                panic!("{SUPPORT_TIME_ZONE} is not in the bundled tz database: {e}")
            })
    })
}

fn timestamp(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms.clamp(MIN_MS, MAX_MS)).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The Greenland wall-clock time of an instant (UTC milliseconds).
pub(crate) fn greenland_civil(at_utc_ms: i64) -> DateTime {
    greenland().to_datetime(timestamp(at_utc_ms))
}

/// The instant of a Greenland wall-clock time. Opening times never fall in a
/// DST gap or fold (Nuuk changes around 22:00–00:00 local), but should a
/// future rule put one there, jiff's "compatible" choice is taken.
fn instant_ms(date: Date, (hour, minute): (i8, i8)) -> i64 {
    greenland()
        .to_timestamp(date.at(hour, minute, 0, 0))
        .map(Timestamp::as_millisecond)
        .unwrap_or(MAX_MS)
}

fn day_key(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Monday => "day.monday",
        Weekday::Tuesday => "day.tuesday",
        Weekday::Wednesday => "day.wednesday",
        Weekday::Thursday => "day.thursday",
        Weekday::Friday => "day.friday",
        Weekday::Saturday => "day.saturday",
        Weekday::Sunday => "day.sunday",
    }
}

/// Whether support is open at `at_utc_ms` (UTC milliseconds since the
/// epoch), with a sentence for the owner in `lang` and Greenland time, and
/// the instant at which that changes. Opening is inclusive, closing
/// exclusive: open at 04:00:00.000, closed at 16:00:00.000.
pub fn support_status(at_utc_ms: i64, lang: &str) -> SupportStatus {
    let at = at_utc_ms.clamp(MIN_MS, MAX_MS);
    let today = greenland_civil(at).date();
    let (open_t, close_t) = hours_on(today);
    let opens = instant_ms(today, open_t);
    let closes = instant_ms(today, close_t);
    if (opens..closes).contains(&at) {
        let until = format_time(lang, close_t.0, close_t.1);
        return SupportStatus {
            open: true,
            text: text(lang, "support.open_until", &[("time", &until)]),
            next_change_utc_ms: closes,
        };
    }
    // Closed: every day has hours, so the next opening is today's or the
    // next day's.
    let (day, open_t, next) = if at < opens {
        (text(lang, "day.today", &[]), open_t, opens)
    } else {
        let tomorrow = today.tomorrow().unwrap_or(today);
        let (open_t, _) = hours_on(tomorrow);
        (
            text(lang, day_key(tomorrow.weekday()), &[]),
            open_t,
            instant_ms(tomorrow, open_t),
        )
    };
    let time = format_time(lang, open_t.0, open_t.1);
    SupportStatus {
        open: false,
        text: text(lang, "support.opens_at", &[("day", &day), ("time", &time)]),
        next_change_utc_ms: next,
    }
}

/// Phone, web form, the language note and the opening hours, in `lang`.
pub fn support_contact(lang: &str) -> SupportContact {
    let t = |(h, m): (i8, i8)| format_time(lang, h, m);
    let hours_text = text(
        lang,
        "support.hours",
        &[
            ("weekday_open", &t(WEEKDAY_HOURS.0)),
            ("weekday_close", &t(WEEKDAY_HOURS.1)),
            ("weekend_open", &t(SHORT_HOURS.0)),
            ("weekend_close", &t(SHORT_HOURS.1)),
        ],
    );
    SupportContact {
        phone: SUPPORT_PHONE.to_owned(),
        web_form: SUPPORT_WEB_FORM.to_owned(),
        language_note: text(lang, "support.language_note", &[]),
        hours_text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// UTC milliseconds of an RFC 3339 instant.
    fn ms(s: &str) -> i64 {
        s.parse::<Timestamp>().unwrap().as_millisecond()
    }

    fn offset_hours(s: &str) -> i32 {
        greenland().to_offset(s.parse().unwrap()).seconds() / 3600
    }

    fn d(year: i16, month: i8, day: i8) -> CivilDate {
        CivilDate { year, month, day }
    }

    #[test]
    fn easter_sunday_for_several_years() {
        for (year, month, day) in [
            (1818, 3, 22),
            (1943, 4, 25),
            (2000, 4, 23),
            (2008, 3, 23),
            (2011, 4, 24),
            (2019, 4, 21),
            (2023, 4, 9),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2030, 4, 21),
            (2038, 4, 25),
            (2285, 3, 22),
        ] {
            assert_eq!(easter_sunday(year), d(year, month, day), "{year}");
        }
    }

    #[test]
    fn danish_holidays_2025() {
        let h = danish_holidays(2025);
        let public: Vec<(CivilDate, &str)> = h
            .iter()
            .filter(|h| h.kind == HolidayKind::Public)
            .map(|h| (h.date, h.name.as_str()))
            .collect();
        assert_eq!(
            public,
            vec![
                (d(2025, 1, 1), "Nytårsdag"),
                (d(2025, 4, 17), "Skærtorsdag"),
                (d(2025, 4, 18), "Langfredag"),
                (d(2025, 4, 20), "Påskedag"),
                (d(2025, 4, 21), "2. påskedag"),
                (d(2025, 5, 29), "Kristi himmelfartsdag"),
                (d(2025, 6, 8), "Pinsedag"),
                (d(2025, 6, 9), "2. pinsedag"),
                (d(2025, 12, 25), "Juledag"),
                (d(2025, 12, 26), "2. juledag"),
            ]
        );
        let reduced: Vec<CivilDate> = h
            .iter()
            .filter(|h| h.kind == HolidayKind::SupportReduced)
            .map(|h| h.date)
            .collect();
        assert_eq!(reduced, [d(2025, 6, 5), d(2025, 12, 24), d(2025, 12, 31)]);
    }

    #[test]
    fn store_bededag_until_2023_only() {
        let bededag = |y| {
            danish_holidays(y)
                .into_iter()
                .find(|h| h.name == "Store bededag")
                .map(|h| h.date)
        };
        assert_eq!(bededag(2022), Some(d(2022, 5, 13)));
        assert_eq!(bededag(2023), Some(d(2023, 5, 5)));
        assert_eq!(bededag(2024), None);
        assert_eq!(bededag(2030), None);
        // Friday 2023-05-05 had the short hours; Friday 2024-04-26 (when it
        // would have been) has the weekday hours.
        assert!(!support_status(ms("2023-05-05T15:00:00Z"), "en").open);
        assert!(support_status(ms("2024-04-26T15:00:00Z"), "en").open);
        // Kristi himmelfart 2026 is Thursday 14 May, 2. pinsedag Monday 25 May.
        assert!(!support_status(ms("2026-05-14T16:00:00Z"), "en").open);
        assert!(!support_status(ms("2026-05-25T16:00:00Z"), "en").open);
        assert!(support_status(ms("2026-05-26T16:00:00Z"), "en").open);
    }

    #[test]
    fn nuuk_offsets_across_the_rule_changes() {
        // Before 2023: UTC-3, and UTC-2 in (EU-timed) summer.
        assert_eq!(offset_hours("2022-01-15T12:00:00Z"), -3);
        assert_eq!(offset_hours("2022-07-01T12:00:00Z"), -2);
        // 2023-03-26 01:00 UTC: to UTC-2, and no return to -3 that autumn.
        assert_eq!(offset_hours("2023-03-26T00:59:59Z"), -3);
        assert_eq!(offset_hours("2023-03-26T01:00:00Z"), -2);
        assert_eq!(offset_hours("2023-11-15T12:00:00Z"), -2);
        // From 2024: UTC-2, summer time UTC-1 (last Sundays, 01:00 UTC).
        assert_eq!(offset_hours("2024-03-31T00:59:59Z"), -2);
        assert_eq!(offset_hours("2024-03-31T01:00:00Z"), -1);
        assert_eq!(offset_hours("2024-10-27T00:59:59Z"), -1);
        assert_eq!(offset_hours("2024-10-27T01:00:00Z"), -2);
        assert_eq!(offset_hours("2025-07-01T12:00:00Z"), -1);
        assert_eq!(offset_hours("2026-01-15T12:00:00Z"), -2);
    }

    #[test]
    fn weekday_morning_is_open_until_16() {
        // Tuesday 2025-01-14, 10:00 in Nuuk (UTC-2).
        let s = support_status(ms("2025-01-14T12:00:00Z"), "en");
        assert!(s.open);
        assert_eq!(s.text, "Open now, until 16:00");
        assert_eq!(s.next_change_utc_ms, ms("2025-01-14T18:00:00Z"));
        assert_eq!(
            support_status(ms("2025-01-14T12:00:00Z"), "da").text,
            "Åben nu, indtil kl. 16.00"
        );
        assert_eq!(
            support_status(ms("2025-01-14T12:00:00Z"), "kl").text,
            "Ammavoq, nal. 16.00 tikillugu"
        );
    }

    #[test]
    fn weekday_evening_and_night_are_closed() {
        // Tuesday 20:00 in Nuuk: opens Wednesday 04:00 (06:00 UTC).
        let s = support_status(ms("2025-01-14T22:00:00Z"), "en");
        assert!(!s.open);
        assert_eq!(s.text, "Closed. Opens Wednesday at 04:00");
        assert_eq!(s.next_change_utc_ms, ms("2025-01-15T06:00:00Z"));
        let da = support_status(ms("2025-01-14T22:00:00Z"), "da");
        assert_eq!(da.text, "Lukket. Åbner onsdag kl. 04.00");
        // Wednesday 03:00 in Nuuk: opens today.
        let s = support_status(ms("2025-01-15T05:00:00Z"), "en");
        assert_eq!(s.text, "Closed. Opens today at 04:00");
        assert_eq!(s.next_change_utc_ms, ms("2025-01-15T06:00:00Z"));
        assert_eq!(
            support_status(ms("2025-01-15T05:00:00Z"), "kl").text,
            "Matoqqavoq. Ullumi nal. 04.00 ammassaaq."
        );
    }

    #[test]
    fn saturday_has_short_hours() {
        // Saturday 2025-01-18: 07:00 in Nuuk is open until 12:00.
        let s = support_status(ms("2025-01-18T09:00:00Z"), "en");
        assert!(s.open);
        assert_eq!(s.text, "Open now, until 12:00");
        assert_eq!(s.next_change_utc_ms, ms("2025-01-18T14:00:00Z"));
        // 05:00 is before opening; 13:00 is after: opens Sunday 06:00.
        let s = support_status(ms("2025-01-18T07:00:00Z"), "en");
        assert_eq!(s.text, "Closed. Opens today at 06:00");
        let s = support_status(ms("2025-01-18T15:00:00Z"), "en");
        assert!(!s.open);
        assert_eq!(s.text, "Closed. Opens Sunday at 06:00");
        assert_eq!(s.next_change_utc_ms, ms("2025-01-19T08:00:00Z"));
        // Sunday after closing: Monday is a weekday again.
        let s = support_status(ms("2025-01-19T15:00:00Z"), "en");
        assert_eq!(s.text, "Closed. Opens Monday at 04:00");
        assert_eq!(s.next_change_utc_ms, ms("2025-01-20T06:00:00Z"));
    }

    #[test]
    fn easter_monday_has_short_hours() {
        // Monday 2025-04-21 (2. påskedag), summer time UTC-1.
        let s = support_status(ms("2025-04-21T06:00:00Z"), "en"); // 05:00 local
        assert!(!s.open);
        assert_eq!(s.text, "Closed. Opens today at 06:00");
        assert_eq!(s.next_change_utc_ms, ms("2025-04-21T07:00:00Z"));
        let s = support_status(ms("2025-04-21T14:00:00Z"), "en"); // 13:00 local
        assert!(!s.open);
        assert_eq!(s.text, "Closed. Opens Tuesday at 04:00");
        assert_eq!(s.next_change_utc_ms, ms("2025-04-22T05:00:00Z"));
        // The Thursday before (Skærtorsdag) is short too, Wednesday is not.
        assert!(!support_status(ms("2025-04-17T14:00:00Z"), "en").open);
        assert!(support_status(ms("2025-04-16T14:00:00Z"), "en").open);
    }

    #[test]
    fn christmas_day_has_short_hours() {
        // Thursday 2025-12-25, UTC-2.
        let s = support_status(ms("2025-12-25T12:00:00Z"), "en"); // 10:00
        assert!(s.open);
        assert_eq!(s.text, "Open now, until 12:00");
        assert_eq!(s.next_change_utc_ms, ms("2025-12-25T14:00:00Z"));
        let s = support_status(ms("2025-12-25T16:00:00Z"), "en"); // 14:00
        assert!(!s.open);
        // 26 December is a holiday too.
        assert_eq!(s.text, "Closed. Opens Friday at 06:00");
        assert_eq!(s.next_change_utc_ms, ms("2025-12-26T08:00:00Z"));
        // Juleaftensdag (Wednesday 24th) is a support-reduced day.
        assert!(!support_status(ms("2025-12-24T16:00:00Z"), "en").open);
    }

    #[test]
    fn the_moments_of_opening_and_closing() {
        // Wednesday 2025-01-15: 04:00 local = 06:00 UTC, 16:00 = 18:00 UTC.
        let opening = ms("2025-01-15T06:00:00Z");
        let closing = ms("2025-01-15T18:00:00Z");
        assert!(!support_status(opening - 1, "en").open);
        assert_eq!(
            support_status(opening - 1, "en").next_change_utc_ms,
            opening
        );
        assert!(support_status(opening, "en").open);
        assert!(support_status(closing - 1, "en").open);
        assert_eq!(
            support_status(closing - 1, "en").next_change_utc_ms,
            closing
        );
        let after = support_status(closing, "en");
        assert!(!after.open);
        assert_eq!(after.next_change_utc_ms, ms("2025-01-16T06:00:00Z"));
    }

    #[test]
    fn the_dst_change_weekends() {
        // 2024-03-30/31: summer time starts Saturday 23:00 local (01:00 UTC).
        // Saturday 06:00 is 08:00 UTC (UTC-2); Sunday 06:00 is 07:00 UTC.
        let sat = support_status(ms("2024-03-30T08:00:00Z"), "en");
        assert!(sat.open);
        assert_eq!(sat.next_change_utc_ms, ms("2024-03-30T14:00:00Z"));
        let sat_evening = support_status(ms("2024-03-30T23:30:00Z"), "en");
        assert_eq!(sat_evening.text, "Closed. Opens Sunday at 06:00");
        assert_eq!(sat_evening.next_change_utc_ms, ms("2024-03-31T07:00:00Z"));
        assert!(!support_status(ms("2024-03-31T06:59:59.999Z"), "en").open);
        assert!(support_status(ms("2024-03-31T07:00:00Z"), "en").open);
        // That Sunday was Easter Day, so Monday is 2. påskedag: it opens at
        // 06:00 local, 07:00 UTC in summer time.
        let sun = support_status(ms("2024-03-31T13:00:00Z"), "en");
        assert_eq!(sun.text, "Closed. Opens Monday at 06:00");
        assert_eq!(sun.next_change_utc_ms, ms("2024-04-01T07:00:00Z"));
        // Tuesday 04:00 local is 05:00 UTC.
        let mon = support_status(ms("2024-04-01T13:00:00Z"), "en");
        assert_eq!(mon.next_change_utc_ms, ms("2024-04-02T05:00:00Z"));

        // 2024-10-26/27: back to UTC-2 at 01:00 UTC (Sunday 00:00 local).
        let sat = support_status(ms("2024-10-26T12:00:00Z"), "en");
        assert!(sat.open); // 11:00 local
        assert_eq!(sat.next_change_utc_ms, ms("2024-10-26T13:00:00Z"));
        let night = support_status(ms("2024-10-27T00:30:00Z"), "en"); // 23:30 local Sat
        assert_eq!(night.text, "Closed. Opens Sunday at 06:00");
        assert_eq!(night.next_change_utc_ms, ms("2024-10-27T08:00:00Z"));

        // 2023-03-25/26: from UTC-3 to UTC-2 for good.
        let sat = support_status(ms("2023-03-25T09:00:00Z"), "en"); // 06:00 local
        assert!(sat.open);
        assert_eq!(sat.next_change_utc_ms, ms("2023-03-25T15:00:00Z"));
        let sun = support_status(ms("2023-03-25T20:00:00Z"), "en");
        assert_eq!(sun.next_change_utc_ms, ms("2023-03-26T08:00:00Z"));
    }

    #[test]
    fn contact_data_in_every_language() {
        for lang in crate::i18n::languages() {
            let c = support_contact(lang);
            assert_eq!(c.phone, "+45 33 98 00 10");
            assert_eq!(c.web_form, SUPPORT_WEB_FORM);
            assert!(!c.language_note.starts_with("support."));
            assert!(!c.hours_text.contains('{'), "{}", c.hours_text);
        }
        let en = support_contact("en");
        assert_eq!(en.language_note, "Support speaks Danish.");
        assert_eq!(
            en.hours_text,
            "Monday to Friday 04:00 to 16:00; Saturday, Sunday and public holidays 06:00 to 12:00 (Greenland time)"
        );
        assert!(support_contact("da").hours_text.contains("kl. 04.00-16.00"));
        assert!(support_contact("kl")
            .hours_text
            .contains("nal. 06.00-12.00"));
    }

    #[test]
    fn far_instants_do_not_panic() {
        for at in [i64::MIN, -1, 0, i64::MAX] {
            let s = support_status(at, "en");
            assert!(!s.text.is_empty());
        }
    }
}
