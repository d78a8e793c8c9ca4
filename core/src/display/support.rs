//! How to reach support, and whether it is open now.
//!
//! Support is configured per deployment ([`SupportSettings`]): its phone
//! number and web form, the public-holiday calendar it keeps
//! ([`SupportCalendar`]), its opening hours on weekdays and on short days
//! (Saturdays, Sundays and holidays), and the IANA time zone those hours are
//! given in. The core ships **no** contact of its own: a deployment passes
//! its real phone number and web form; the simulator uses plainly fictional
//! ones.
//!
//! The defaults ([`SupportSettings::new`]) are those of the source text:
//! support is run from Denmark, so it keeps the Danish calendar, and it is
//! open Monday to Friday 04:00–16:00 and on Saturdays, Sundays and holidays
//! 06:00–12:00 in *Greenland time*, the zone `America/Nuuk`. That zone
//! changed its rules recently (UTC−3 with EU-style summer time until March
//! 2023, UTC−2 from then on, and summer time at UTC−1 again from 2024), so
//! the hours are computed with jiff's bundled copy of the tz database, never
//! with a fixed offset and never with the device's own (possibly stale)
//! system data.
//!
//! Holidays are computed, the Easter-based ones from the anonymous Gregorian
//! algorithm ([`easter_sunday`]); each list cites where its days come from
//! ([`danish_holidays`], [`greenlandic_holidays`]).

use std::sync::OnceLock;

use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::{TimeZone, TimeZoneDatabase};
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::display::i18n::{format_time, text};

/// The time zone of the default opening hours (Greenland time). Also the
/// zone in which a device suspension's end is shown.
pub const DEFAULT_TIME_ZONE: &str = "America/Nuuk";

/// The default Monday–Friday hours: 04:00–16:00.
pub const DEFAULT_WEEKDAY_HOURS: OpeningHours = OpeningHours {
    open_hour: 4,
    open_minute: 0,
    close_hour: 16,
    close_minute: 0,
};

/// The default hours on Saturdays, Sundays and holidays: 06:00–12:00.
pub const DEFAULT_SHORT_DAY_HOURS: OpeningHours = OpeningHours {
    open_hour: 6,
    open_minute: 0,
    close_hour: 12,
    close_minute: 0,
};

/// Earliest and latest instants [`Support::status`] reasons about
/// (1900-01-01 and 9000-01-01 UTC); anything outside is clamped.
const MIN_MS: i64 = -2_208_988_800_000;
const MAX_MS: i64 = 221_845_392_000_000;

/// The public-holiday calendar support keeps its short hours on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum SupportCalendar {
    /// Denmark's public holidays ([`danish_holidays`]): the default, since
    /// support is run from Denmark.
    #[default]
    Danish,
    /// Greenland's public holidays ([`greenlandic_holidays`]), for a support
    /// desk run from Greenland.
    Greenlandic,
}

impl SupportCalendar {
    /// The days of `year` with the short hours under this calendar, by date.
    pub fn holidays(self, year: i16) -> Vec<Holiday> {
        match self {
            SupportCalendar::Danish => danish_holidays(year),
            SupportCalendar::Greenlandic => greenlandic_holidays(year),
        }
    }

    /// The holiday on `date`, if it is one.
    pub fn holiday(self, date: CivilDate) -> Option<Holiday> {
        self.holidays(date.year)
            .into_iter()
            .find(|h| h.date == date)
    }
}

/// Opening hours on one kind of day, in the support's local time: open from
/// `open` (inclusive) to `close` (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct OpeningHours {
    /// Opening hour, 0–23.
    pub open_hour: u8,
    /// Opening minute, 0–59.
    pub open_minute: u8,
    /// Closing hour, 0–23.
    pub close_hour: u8,
    /// Closing minute, 0–59.
    pub close_minute: u8,
}

impl OpeningHours {
    fn open(self) -> (i8, i8) {
        (small(self.open_hour), small(self.open_minute))
    }

    fn close(self) -> (i8, i8) {
        (small(self.close_hour), small(self.close_minute))
    }

    fn check(self, which: &'static str) -> Result<(), SupportSettingsError> {
        let valid = |h: u8, m: u8| h < 24 && m < 60;
        let minutes = |h: u8, m: u8| u16::from(h) * 60 + u16::from(m);
        if valid(self.open_hour, self.open_minute)
            && valid(self.close_hour, self.close_minute)
            && minutes(self.open_hour, self.open_minute)
                < minutes(self.close_hour, self.close_minute)
        {
            Ok(())
        } else {
            Err(SupportSettingsError::Hours(which))
        }
    }
}

/// A checked hour or minute (below 60) as jiff wants it.
fn small(v: u8) -> i8 {
    i8::try_from(v).unwrap_or(i8::MAX)
}

/// One deployment's support: how to reach it, its calendar and its hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SupportSettings {
    /// Phone number, in international form. Required.
    pub phone: String,
    /// Address of the web form (may be empty if there is none).
    pub web_form: String,
    /// The holidays on which the short hours apply.
    pub calendar: SupportCalendar,
    /// Monday–Friday hours (when not a holiday).
    pub weekday_hours: OpeningHours,
    /// Saturday, Sunday and holiday hours.
    pub short_day_hours: OpeningHours,
    /// The IANA time zone the hours are given in, e.g. "America/Nuuk".
    pub time_zone: String,
}

impl SupportSettings {
    /// A deployment's contact with the default calendar and hours: the
    /// Danish calendar, Monday–Friday 04:00–16:00 and Saturdays, Sundays and
    /// holidays 06:00–12:00, Greenland time (America/Nuuk).
    pub fn new(phone: impl Into<String>, web_form: impl Into<String>) -> Self {
        SupportSettings {
            phone: phone.into(),
            web_form: web_form.into(),
            calendar: SupportCalendar::Danish,
            weekday_hours: DEFAULT_WEEKDAY_HOURS,
            short_day_hours: DEFAULT_SHORT_DAY_HOURS,
            time_zone: DEFAULT_TIME_ZONE.to_owned(),
        }
    }
}

/// Why [`SupportSettings`] cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SupportSettingsError {
    /// No phone number was given.
    #[error("support settings: the phone number is empty")]
    NoPhone,
    /// The time zone is not in the bundled tz database.
    #[error("support settings: unknown time zone {0:?}")]
    UnknownTimeZone(String),
    /// Opening hours that are not a time of day, or that close before they
    /// open (the field is named).
    #[error("support settings: {0} must open before they close, within one day")]
    Hours(&'static str),
}

/// Whether support is open at an instant, and what to tell the owner.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SupportStatus {
    /// True while support answers.
    pub open: bool,
    /// "Open now, until 16:00" or "Closed. Opens Monday at 04:00", in the
    /// owner's language and in the support's local time.
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
    /// The opening hours, one line, in the support's time zone.
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
    /// A public holiday (helligdag) of the calendar.
    Public,
    /// Not a public holiday, but a customary day off on which support keeps
    /// the short hours (Grundlovsdag, Juleaftensdag, Nytårsaftensdag, and in
    /// Greenland its national day).
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

/// Support's opening on one date, as instants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportDay {
    /// The date, in the support's time zone.
    pub date: CivilDate,
    /// When support opens that day, UTC milliseconds since the epoch.
    pub opens_utc_ms: i64,
    /// When it closes (exclusive), UTC milliseconds since the epoch.
    pub closes_utc_ms: i64,
    /// The holiday that gives the day its short hours, if any (a Saturday or
    /// Sunday has them without one).
    pub holiday: Option<Holiday>,
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

/// A holiday list's entries: (date, Danish name, kind).
type Entries = Vec<(CivilDate, &'static str, HolidayKind)>;

/// The Easter-based days common to the Danish and Greenlandic church
/// calendars, and a helper for fixed dates. `None` for a year the Easter
/// algorithm is not meant for.
fn church_days(year: i16) -> Option<(Entries, impl Fn(i32) -> CivilDate)> {
    let e = easter_sunday(year);
    let easter = Date::new(e.year, e.month, e.day).ok()?;
    // Easter ± 50 days stays inside the same year for every valid year.
    let rel = move |days: i32| civil(easter.checked_add(days.days()).unwrap_or(easter));
    let list = vec![
        (rel(-3), "Skærtorsdag", HolidayKind::Public),
        (rel(-2), "Langfredag", HolidayKind::Public),
        (rel(0), "Påskedag", HolidayKind::Public),
        (rel(1), "2. påskedag", HolidayKind::Public),
        (rel(39), "Kristi himmelfartsdag", HolidayKind::Public),
        (rel(49), "Pinsedag", HolidayKind::Public),
        (rel(50), "2. pinsedag", HolidayKind::Public),
    ];
    Some((list, rel))
}

fn finish(mut list: Entries) -> Vec<Holiday> {
    list.sort_by_key(|(d, _, _)| *d);
    list.into_iter()
        .map(|(date, name, kind)| Holiday {
            date,
            name: name.to_owned(),
            kind,
        })
        .collect()
}

/// The days of `year` with the short hours in Denmark, by date. Valid for
/// 1583–9998.
///
/// Where they come from:
/// * The public holidays (helligdage) are the Danish national church's
///   (folkekirken) holy days, set by royal authorisation of its altar book
///   and enumerated for shop closing by the Danish act on retail sales
///   (lukkeloven, lov om detailsalg fra butikker m.v., § 2, stk. 1):
///   Nytårsdag (1 January), Skærtorsdag, Langfredag, Påskedag, 2. påskedag,
///   Kristi himmelfartsdag (Easter + 39), Pinsedag (Easter + 49),
///   2. pinsedag, Juledag (25 December) and 2. juledag (26 December).
/// * Store bededag (the fourth Friday after Easter, Easter + 26) counts
///   until 2023 only: it was abolished as a public holiday from 1 January
///   2024 by the Danish act on the consequences of abolishing Store bededag
///   (lov om konsekvenser ved afskaffelsen af store bededag som helligdag,
///   bill L 13 of the Folketing's 2022-23 second session, passed on 28
///   February 2023), with the church's side done by royal resolution.
/// * Grundlovsdag (5 June, Constitution Day) and Juleaftensdag (24
///   December) are not helligdage but closing days under the same § 2,
///   stk. 1 of lukkeloven; Nytårsaftensdag (31 December) is a customary
///   closing day in Danish public service. Support gives all three the
///   short hours ([`HolidayKind::SupportReduced`]).
pub fn danish_holidays(year: i16) -> Vec<Holiday> {
    // Store bededag: abolished from 2024 by the 2023 act cited above.
    short_days(year, year <= 2023, (6, 5, "Grundlovsdag"))
}

/// The days of `year` with the short hours in Greenland, by date. Valid for
/// 1583–9998.
///
/// Where they come from:
/// * Greenland's public holidays are those of its church (Grønlands Kirke,
///   the Evangelical-Lutheran church in Greenland): Nytårsdag, Skærtorsdag,
///   Langfredag, Påskedag, 2. påskedag, Store bededag, Kristi
///   himmelfartsdag, Pinsedag, 2. pinsedag, Juledag and 2. juledag, as
///   listed by the Nordic Council of Ministers' Info Norden ("Public
///   holidays in Greenland", norden.org).
/// * Store bededag (Easter + 26; "Tussiarfissuaq" in the Greenlandic altar
///   book) is kept in every year: church affairs are a Greenlandic matter
///   under home rule, and the Danish 2023 abolition applies in Denmark only
///   (as the Danish minister for church affairs stated in January 2023).
/// * Ullortuneq, Greenland's national day (21 June), introduced by the
///   Home Rule government and first held in 1985, and Juleaftensdag (24
///   December) and Nytårsaftensdag (31 December) are days off by custom and
///   collective agreement (Info Norden, same page): support keeps the short
///   hours on them ([`HolidayKind::SupportReduced`]). 1 May, often a half
///   day off by agreement, and Mitaarneq (6 January), a celebration but not
///   a day off, keep the normal hours.
pub fn greenlandic_holidays(year: i16) -> Vec<Holiday> {
    short_days(year, true, (6, 21, "Nationaldag (Ullortuneq)"))
}

/// A calendar's short days of `year`, by date: the church days, Store
/// bededag if it is kept, Nytårsdag, the national day (`month`, `day`,
/// `name`; support reduced), and the Christmas and New Year's Eve days.
fn short_days(
    year: i16,
    store_bededag: bool,
    (month, day, name): (i8, i8, &'static str),
) -> Vec<Holiday> {
    let Some((mut list, rel)) = church_days(year) else {
        return Vec::new(); // a year the algorithm is not meant for
    };
    let fixed = |month: i8, day: i8| CivilDate { year, month, day };
    list.extend([
        (fixed(1, 1), "Nytårsdag", HolidayKind::Public),
        (fixed(month, day), name, HolidayKind::SupportReduced),
        (fixed(12, 24), "Juleaftensdag", HolidayKind::SupportReduced),
        (fixed(12, 25), "Juledag", HolidayKind::Public),
        (fixed(12, 26), "2. juledag", HolidayKind::Public),
        (
            fixed(12, 31),
            "Nytårsaftensdag",
            HolidayKind::SupportReduced,
        ),
    ]);
    if store_bededag {
        list.push((rel(26), "Store bededag", HolidayKind::Public));
    }
    finish(list)
}

/// Loads an IANA zone from the tz database bundled into the binary.
fn bundled_zone(name: &str) -> Option<TimeZone> {
    TimeZoneDatabase::bundled().get(name).ok()
}

/// America/Nuuk from the bundled tz database.
fn greenland() -> &'static TimeZone {
    static TZ: OnceLock<TimeZone> = OnceLock::new();
    TZ.get_or_init(|| {
        // The bundled database is compiled in: a missing zone is a build
        // problem, caught by the tests.
        bundled_zone(DEFAULT_TIME_ZONE)
            .unwrap_or_else(|| panic!("{DEFAULT_TIME_ZONE} is not in the bundled tz database"))
    })
}

fn timestamp(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms.clamp(MIN_MS, MAX_MS)).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The Greenland wall-clock time of an instant (UTC milliseconds).
pub(crate) fn greenland_civil(at_utc_ms: i64) -> DateTime {
    greenland().to_datetime(timestamp(at_utc_ms))
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

/// A deployment's support: checked [`SupportSettings`] with their time zone
/// loaded. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Support {
    settings: SupportSettings,
    zone: TimeZone,
}

impl Support {
    /// Checks `settings`: a phone number, a time zone from the bundled tz
    /// database, and hours that open before they close.
    pub fn new(settings: SupportSettings) -> Result<Self, SupportSettingsError> {
        if settings.phone.trim().is_empty() {
            return Err(SupportSettingsError::NoPhone);
        }
        settings.weekday_hours.check("weekday_hours")?;
        settings.short_day_hours.check("short_day_hours")?;
        let zone = bundled_zone(&settings.time_zone)
            .ok_or_else(|| SupportSettingsError::UnknownTimeZone(settings.time_zone.clone()))?;
        Ok(Support { settings, zone })
    }

    /// The settings this support was made from.
    pub fn settings(&self) -> &SupportSettings {
        &self.settings
    }

    /// The time zone the hours are kept in.
    pub fn time_zone(&self) -> &TimeZone {
        &self.zone
    }

    /// The date in the support's time zone at an instant (UTC milliseconds).
    pub fn local_date(&self, at_utc_ms: i64) -> CivilDate {
        civil(self.zone.to_datetime(timestamp(at_utc_ms)).date())
    }

    /// The holiday on `date` under the configured calendar, if any.
    pub fn holiday(&self, date: CivilDate) -> Option<Holiday> {
        self.settings.calendar.holiday(date)
    }

    /// Local opening hours on `date`, and the holiday behind short hours.
    fn hours_on(&self, date: Date) -> (OpeningHours, Option<Holiday>) {
        let holiday = self.holiday(civil(date));
        let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
        if weekend || holiday.is_some() {
            (self.settings.short_day_hours, holiday)
        } else {
            (self.settings.weekday_hours, None)
        }
    }

    /// The instant of a local wall-clock time. Opening times rarely fall in
    /// a DST gap or fold (Nuuk changes around 22:00–00:00 local); where one
    /// does, jiff's "compatible" choice is taken.
    fn instant_ms(&self, date: Date, (hour, minute): (i8, i8)) -> i64 {
        self.zone
            .to_timestamp(date.at(hour, minute, 0, 0))
            .map(Timestamp::as_millisecond)
            .unwrap_or(MAX_MS)
    }

    /// When support opens and closes on `date` (a date in the support's
    /// time zone), or `None` for a date that does not exist.
    pub fn day(&self, date: CivilDate) -> Option<SupportDay> {
        let d = Date::new(date.year, date.month, date.day).ok()?;
        let (hours, holiday) = self.hours_on(d);
        Some(SupportDay {
            date,
            opens_utc_ms: self.instant_ms(d, hours.open()),
            closes_utc_ms: self.instant_ms(d, hours.close()),
            holiday,
        })
    }

    /// Whether support is open at `at_utc_ms` (UTC milliseconds since the
    /// epoch), with a sentence for the owner in `lang` and the support's
    /// local time, and the instant at which that changes. Opening is
    /// inclusive, closing exclusive: open at 04:00:00.000, closed at
    /// 16:00:00.000.
    pub fn status(&self, at_utc_ms: i64, lang: &str) -> SupportStatus {
        let at = at_utc_ms.clamp(MIN_MS, MAX_MS);
        let today = self.zone.to_datetime(timestamp(at)).date();
        let (hours, _) = self.hours_on(today);
        let opens = self.instant_ms(today, hours.open());
        let closes = self.instant_ms(today, hours.close());
        if (opens..closes).contains(&at) {
            let (h, m) = hours.close();
            let until = format_time(lang, h, m);
            return SupportStatus {
                open: true,
                text: text(lang, "support.open_until", &[("time", &until)]),
                next_change_utc_ms: closes,
            };
        }
        // Closed: every day has hours, so the next opening is today's or the
        // next day's.
        let (day, open_t, next) = if at < opens {
            (text(lang, "day.today", &[]), hours.open(), opens)
        } else {
            let tomorrow = today.tomorrow().unwrap_or(today);
            let (hours, _) = self.hours_on(tomorrow);
            (
                text(lang, day_key(tomorrow.weekday()), &[]),
                hours.open(),
                self.instant_ms(tomorrow, hours.open()),
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
    pub fn contact(&self, lang: &str) -> SupportContact {
        let t = |(h, m): (i8, i8)| format_time(lang, h, m);
        let (wd, short) = (self.settings.weekday_hours, self.settings.short_day_hours);
        let mut params = vec![
            ("weekday_open", t(wd.open())),
            ("weekday_close", t(wd.close())),
            ("weekend_open", t(short.open())),
            ("weekend_close", t(short.close())),
        ];
        // The strings name Greenland time; any other zone is named as is.
        let key = if self.settings.time_zone == DEFAULT_TIME_ZONE {
            "support.hours"
        } else {
            params.push(("zone", self.settings.time_zone.clone()));
            "support.hours_in_zone"
        };
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        SupportContact {
            phone: self.settings.phone.clone(),
            web_form: self.settings.web_form.clone(),
            language_note: text(lang, "support.language_note", &[]),
            hours_text: text(lang, key, &params),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plainly fictional contact: the core has no built-in one.
    const PHONE: &str = "+45 00 00 00 00";
    const WEB_FORM: &str = "https://support.test.example/contact";

    /// The default calendar and hours with the fictional contact.
    fn danish() -> Support {
        Support::new(SupportSettings::new(PHONE, WEB_FORM)).unwrap()
    }

    fn greenlandic() -> Support {
        Support::new(SupportSettings {
            calendar: SupportCalendar::Greenlandic,
            ..SupportSettings::new(PHONE, WEB_FORM)
        })
        .unwrap()
    }

    /// The default support's status (Danish calendar, Greenland time).
    fn support_status(at: i64, lang: &str) -> SupportStatus {
        danish().status(at, lang)
    }

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

    fn hours(open: (u8, u8), close: (u8, u8)) -> OpeningHours {
        OpeningHours {
            open_hour: open.0,
            open_minute: open.1,
            close_hour: close.0,
            close_minute: close.1,
        }
    }

    /// (date, name) of every short day of a year's calendar.
    fn listed(list: Vec<Holiday>) -> Vec<(CivilDate, String, HolidayKind)> {
        list.into_iter().map(|h| (h.date, h.name, h.kind)).collect()
    }

    /// A year's short days as [`listed`] gives them: the movable `(name,
    /// (month, day))` feasts (public holidays), the national day (support
    /// reduced) and the fixed days both calendars share, in date order.
    fn expected_calendar<'a>(
        y: i16,
        movable: impl IntoIterator<Item = (&'a str, (i8, i8))>,
        ((national_month, national_day), national_name): ((i8, i8), &str),
    ) -> Vec<(CivilDate, String, HolidayKind)> {
        use HolidayKind::{Public as P, SupportReduced as R};
        let mut v: Vec<(CivilDate, String, HolidayKind)> = movable
            .into_iter()
            .map(|(n, (m, day))| (d(y, m, day), n.to_owned(), P))
            .collect();
        v.extend([
            (d(y, 1, 1), "Nytårsdag".into(), P),
            (d(y, national_month, national_day), national_name.into(), R),
            (d(y, 12, 24), "Juleaftensdag".into(), R),
            (d(y, 12, 25), "Juledag".into(), P),
            (d(y, 12, 26), "2. juledag".into(), P),
            (d(y, 12, 31), "Nytårsaftensdag".into(), R),
        ]);
        v.sort_by_key(|(date, _, _)| *date);
        v
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
    fn danish_calendar_2023_2024_2030() {
        let want = |y: i16, easter_days: [(i8, i8); 7], bededag: Option<(i8, i8)>| {
            let names = [
                "Skærtorsdag",
                "Langfredag",
                "Påskedag",
                "2. påskedag",
                "Kristi himmelfartsdag",
                "Pinsedag",
                "2. pinsedag",
            ];
            let mut movable: Vec<(&str, (i8, i8))> = names.into_iter().zip(easter_days).collect();
            movable.extend(bededag.map(|day| ("Store bededag", day)));
            expected_calendar(y, movable, ((6, 5), "Grundlovsdag"))
        };
        let e2023 = [(4, 6), (4, 7), (4, 9), (4, 10), (5, 18), (5, 28), (5, 29)];
        let e2024 = [(3, 28), (3, 29), (3, 31), (4, 1), (5, 9), (5, 19), (5, 20)];
        let e2030 = [(4, 18), (4, 19), (4, 21), (4, 22), (5, 30), (6, 9), (6, 10)];
        assert_eq!(
            listed(danish_holidays(2023)),
            want(2023, e2023, Some((5, 5)))
        );
        assert_eq!(listed(danish_holidays(2024)), want(2024, e2024, None));
        assert_eq!(listed(danish_holidays(2030)), want(2030, e2030, None));
        assert_eq!(danish_holidays(2030).len(), 13);
        assert_eq!(danish_holidays(2023).len(), 14);
    }

    #[test]
    fn greenlandic_calendar_2023_2024_2025_2030() {
        let want = |y: i16, easter_days: [(i8, i8); 8]| {
            let names = [
                "Skærtorsdag",
                "Langfredag",
                "Påskedag",
                "2. påskedag",
                "Store bededag",
                "Kristi himmelfartsdag",
                "Pinsedag",
                "2. pinsedag",
            ];
            expected_calendar(
                y,
                names.into_iter().zip(easter_days),
                ((6, 21), "Nationaldag (Ullortuneq)"),
            )
        };
        // Store bededag stays in Greenland after Denmark dropped it.
        let years: [(i16, [(i8, i8); 8]); 4] = [
            (
                2023,
                [
                    (4, 6),
                    (4, 7),
                    (4, 9),
                    (4, 10),
                    (5, 5),
                    (5, 18),
                    (5, 28),
                    (5, 29),
                ],
            ),
            (
                2024,
                [
                    (3, 28),
                    (3, 29),
                    (3, 31),
                    (4, 1),
                    (4, 26),
                    (5, 9),
                    (5, 19),
                    (5, 20),
                ],
            ),
            (
                2025,
                [
                    (4, 17),
                    (4, 18),
                    (4, 20),
                    (4, 21),
                    (5, 16),
                    (5, 29),
                    (6, 8),
                    (6, 9),
                ],
            ),
            (
                2030,
                [
                    (4, 18),
                    (4, 19),
                    (4, 21),
                    (4, 22),
                    (5, 17),
                    (5, 30),
                    (6, 9),
                    (6, 10),
                ],
            ),
        ];
        for (y, easter_days) in years {
            assert_eq!(listed(greenlandic_holidays(y)), want(y, easter_days), "{y}");
            // Neither Grundlovsdag, 1 May nor Mitaarneq (6 January).
            for (m, day) in [(6, 5), (5, 1), (1, 6)] {
                assert_eq!(SupportCalendar::Greenlandic.holiday(d(y, m, day)), None);
            }
        }
        assert_eq!(
            SupportCalendar::Danish.holiday(d(2030, 6, 21)),
            None,
            "21 June is Greenland's, not Denmark's"
        );
        assert_eq!(
            SupportCalendar::Greenlandic.holidays(2025),
            greenlandic_holidays(2025)
        );
        assert_eq!(
            SupportCalendar::Danish.holidays(2025),
            danish_holidays(2025)
        );
        assert_eq!(SupportCalendar::default(), SupportCalendar::Danish);
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
    fn the_two_calendars_give_different_hours() {
        let (dk, gl) = (danish(), greenlandic());
        // Store bededag 2024 (Friday 26 April, UTC-1): 14:00 local.
        let at = ms("2024-04-26T15:00:00Z");
        assert!(dk.status(at, "en").open);
        let s = gl.status(at, "en");
        assert!(!s.open);
        assert_eq!(s.text, "Closed. Opens Saturday at 06:00");
        assert_eq!(s.next_change_utc_ms, ms("2024-04-27T07:00:00Z"));
        // Store bededag 2030 (Friday 17 May): 05:00 local is before the short
        // day's 06:00 in Greenland, after the weekday's 04:00 in Denmark.
        let at = ms("2030-05-17T06:00:00Z");
        assert!(dk.status(at, "en").open);
        assert_eq!(gl.status(at, "en").text, "Closed. Opens today at 06:00");
        // Greenland's national day, Friday 21 June 2024 (UTC-1), 14:00 local.
        let at = ms("2024-06-21T15:00:00Z");
        let s = dk.status(at, "en");
        assert!(s.open);
        assert_eq!(s.next_change_utc_ms, ms("2024-06-21T17:00:00Z"));
        let s = gl.status(at, "en");
        assert!(!s.open);
        assert_eq!(s.next_change_utc_ms, ms("2024-06-22T07:00:00Z"));
        // Wednesday 21 June 2023 (UTC-2 all year), 13:00 local.
        let at = ms("2023-06-21T15:00:00Z");
        assert_eq!(dk.status(at, "en").text, "Open now, until 16:00");
        assert_eq!(gl.status(at, "en").text, "Closed. Opens Thursday at 04:00");
        // Friday 21 June 2030, 09:00 local (UTC-1): both open, until 12 in
        // Greenland and 16 in Denmark.
        let at = ms("2030-06-21T10:00:00Z");
        assert_eq!(
            gl.status(at, "en").next_change_utc_ms,
            ms("2030-06-21T13:00:00Z")
        );
        assert_eq!(
            dk.status(at, "en").next_change_utc_ms,
            ms("2030-06-21T17:00:00Z")
        );
        // Grundlovsdag, Thursday 5 June 2025 (UTC-1), 15:00 local: short in
        // Denmark, a normal weekday in Greenland.
        let at = ms("2025-06-05T16:00:00Z");
        assert!(!dk.status(at, "en").open);
        assert!(gl.status(at, "en").open);
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
        // 2030: summer time from 31 March, standard time from 27 October.
        assert_eq!(offset_hours("2030-03-31T00:59:59Z"), -2);
        assert_eq!(offset_hours("2030-03-31T01:00:00Z"), -1);
        assert_eq!(offset_hours("2030-10-27T00:59:59Z"), -1);
        assert_eq!(offset_hours("2030-10-27T01:00:00Z"), -2);
    }

    /// One expected answer of `support_status`: the instant (UTC), the
    /// language, then whether it is open, its text and the next change
    /// (UTC); a `None` is not checked.
    type StatusCase = (
        &'static str,
        &'static str,
        Option<bool>,
        Option<&'static str>,
        Option<&'static str>,
    );

    fn check_statuses(cases: &[StatusCase]) {
        for &(at, lang, open, text, next) in cases {
            let s = support_status(ms(at), lang);
            if let Some(open) = open {
                assert_eq!(s.open, open, "open at {at}");
            }
            if let Some(text) = text {
                assert_eq!(s.text, text, "text at {at} in {lang}");
            }
            if let Some(next) = next {
                assert_eq!(s.next_change_utc_ms, ms(next), "next change after {at}");
            }
        }
    }

    #[test]
    fn weekday_morning_is_open_until_16() {
        check_statuses(&[
            // Tuesday 2025-01-14, 10:00 in Nuuk (UTC-2).
            (
                "2025-01-14T12:00:00Z",
                "en",
                Some(true),
                Some("Open now, until 16:00"),
                Some("2025-01-14T18:00:00Z"),
            ),
            (
                "2025-01-14T12:00:00Z",
                "da",
                None,
                Some("Åben nu, indtil kl. 16.00"),
                None,
            ),
            (
                "2025-01-14T12:00:00Z",
                "kl",
                None,
                Some("Ammavoq, nal. 16.00 tikillugu"),
                None,
            ),
        ]);
    }

    #[test]
    fn weekday_evening_and_night_are_closed() {
        check_statuses(&[
            // Tuesday 20:00 in Nuuk: opens Wednesday 04:00 (06:00 UTC).
            (
                "2025-01-14T22:00:00Z",
                "en",
                Some(false),
                Some("Closed. Opens Wednesday at 04:00"),
                Some("2025-01-15T06:00:00Z"),
            ),
            (
                "2025-01-14T22:00:00Z",
                "da",
                None,
                Some("Lukket. Åbner onsdag kl. 04.00"),
                None,
            ),
            // Wednesday 03:00 in Nuuk: opens today.
            (
                "2025-01-15T05:00:00Z",
                "en",
                None,
                Some("Closed. Opens today at 04:00"),
                Some("2025-01-15T06:00:00Z"),
            ),
            (
                "2025-01-15T05:00:00Z",
                "kl",
                None,
                Some("Matoqqavoq. Ullumi nal. 04.00 ammassaaq."),
                None,
            ),
        ]);
    }

    #[test]
    fn saturday_has_short_hours() {
        check_statuses(&[
            // Saturday 2025-01-18: 07:00 in Nuuk is open until 12:00.
            (
                "2025-01-18T09:00:00Z",
                "en",
                Some(true),
                Some("Open now, until 12:00"),
                Some("2025-01-18T14:00:00Z"),
            ),
            // 05:00 is before opening; 13:00 is after: opens Sunday 06:00.
            (
                "2025-01-18T07:00:00Z",
                "en",
                None,
                Some("Closed. Opens today at 06:00"),
                None,
            ),
            (
                "2025-01-18T15:00:00Z",
                "en",
                Some(false),
                Some("Closed. Opens Sunday at 06:00"),
                Some("2025-01-19T08:00:00Z"),
            ),
            // Sunday after closing: Monday is a weekday again.
            (
                "2025-01-19T15:00:00Z",
                "en",
                None,
                Some("Closed. Opens Monday at 04:00"),
                Some("2025-01-20T06:00:00Z"),
            ),
        ]);
    }

    #[test]
    fn easter_monday_has_short_hours() {
        check_statuses(&[
            // Monday 2025-04-21 (2. påskedag), summer time UTC-1: 05:00 and 13:00 local.
            (
                "2025-04-21T06:00:00Z",
                "en",
                Some(false),
                Some("Closed. Opens today at 06:00"),
                Some("2025-04-21T07:00:00Z"),
            ),
            (
                "2025-04-21T14:00:00Z",
                "en",
                Some(false),
                Some("Closed. Opens Tuesday at 04:00"),
                Some("2025-04-22T05:00:00Z"),
            ),
            // The Thursday before (Skærtorsdag) is short too, Wednesday is not.
            ("2025-04-17T14:00:00Z", "en", Some(false), None, None),
            ("2025-04-16T14:00:00Z", "en", Some(true), None, None),
        ]);
    }

    #[test]
    fn christmas_day_has_short_hours() {
        check_statuses(&[
            // Thursday 2025-12-25, UTC-2: 10:00, then 14:00 (26 December is a holiday too).
            (
                "2025-12-25T12:00:00Z",
                "en",
                Some(true),
                Some("Open now, until 12:00"),
                Some("2025-12-25T14:00:00Z"),
            ),
            (
                "2025-12-25T16:00:00Z",
                "en",
                Some(false),
                Some("Closed. Opens Friday at 06:00"),
                Some("2025-12-26T08:00:00Z"),
            ),
            // Juleaftensdag (Wednesday 24th) is a support-reduced day.
            ("2025-12-24T16:00:00Z", "en", Some(false), None, None),
        ]);
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
        check_statuses(&[
            // 2024-03-30/31: summer time starts Saturday 23:00 local (01:00 UTC).
            // Saturday 06:00 is 08:00 UTC (UTC-2); Sunday 06:00 is 07:00 UTC.
            (
                "2024-03-30T08:00:00Z",
                "en",
                Some(true),
                None,
                Some("2024-03-30T14:00:00Z"),
            ),
            (
                "2024-03-30T23:30:00Z",
                "en",
                None,
                Some("Closed. Opens Sunday at 06:00"),
                Some("2024-03-31T07:00:00Z"),
            ),
            ("2024-03-31T06:59:59.999Z", "en", Some(false), None, None),
            ("2024-03-31T07:00:00Z", "en", Some(true), None, None),
            // That Sunday was Easter Day, so Monday is 2. påskedag: it opens at
            // 06:00 local, 07:00 UTC in summer time.
            (
                "2024-03-31T13:00:00Z",
                "en",
                None,
                Some("Closed. Opens Monday at 06:00"),
                Some("2024-04-01T07:00:00Z"),
            ),
            // Tuesday 04:00 local is 05:00 UTC.
            (
                "2024-04-01T13:00:00Z",
                "en",
                None,
                None,
                Some("2024-04-02T05:00:00Z"),
            ),
            // 2024-10-26/27: back to UTC-2 at 01:00 UTC (Sunday 00:00 local);
            // 11:00 local Saturday, then 23:30.
            (
                "2024-10-26T12:00:00Z",
                "en",
                Some(true),
                None,
                Some("2024-10-26T13:00:00Z"),
            ),
            (
                "2024-10-27T00:30:00Z",
                "en",
                None,
                Some("Closed. Opens Sunday at 06:00"),
                Some("2024-10-27T08:00:00Z"),
            ),
            // 2023-03-25/26: from UTC-3 to UTC-2 for good (06:00 local, then evening).
            (
                "2023-03-25T09:00:00Z",
                "en",
                Some(true),
                None,
                Some("2023-03-25T15:00:00Z"),
            ),
            (
                "2023-03-25T20:00:00Z",
                "en",
                None,
                None,
                Some("2023-03-26T08:00:00Z"),
            ),
            // 2030-03-30/31 and 2030-10-26/27, likewise.
            (
                "2030-03-30T23:30:00Z",
                "en",
                None,
                Some("Closed. Opens Sunday at 06:00"),
                Some("2030-03-31T07:00:00Z"),
            ),
            (
                "2030-10-27T00:30:00Z",
                "en",
                None,
                Some("Closed. Opens Sunday at 06:00"),
                Some("2030-10-27T08:00:00Z"),
            ),
        ]);
    }

    #[test]
    fn days_as_instants() {
        let s = danish();
        // Saturday before the 2024 switch to summer time: UTC-2.
        let sat = s.day(d(2024, 3, 30)).unwrap();
        assert_eq!(sat.opens_utc_ms, ms("2024-03-30T08:00:00Z"));
        assert_eq!(sat.closes_utc_ms, ms("2024-03-30T14:00:00Z"));
        assert_eq!(sat.holiday, None);
        // Easter Day, in summer time.
        let sun = s.day(d(2024, 3, 31)).unwrap();
        assert_eq!(sun.opens_utc_ms, ms("2024-03-31T07:00:00Z"));
        assert_eq!(sun.holiday.map(|h| h.name), Some("Påskedag".to_owned()));
        // An ordinary Tuesday.
        let tue = s.day(d(2024, 4, 2)).unwrap();
        assert_eq!(tue.opens_utc_ms, ms("2024-04-02T05:00:00Z"));
        assert_eq!(tue.closes_utc_ms, ms("2024-04-02T17:00:00Z"));
        assert_eq!(tue.holiday, None);
        assert_eq!(s.day(d(2025, 2, 30)), None);
        // The local date: 2025-01-15 01:00 UTC is still the 14th in Nuuk.
        assert_eq!(s.local_date(ms("2025-01-15T01:00:00Z")), d(2025, 1, 14));
        assert_eq!(s.local_date(ms("2025-01-15T03:00:00Z")), d(2025, 1, 15));
    }

    #[test]
    fn configured_hours_zone_and_calendar() {
        let support = Support::new(SupportSettings {
            phone: "+299 00 00 00".into(),
            web_form: String::new(),
            calendar: SupportCalendar::Greenlandic,
            weekday_hours: hours((8, 30), (17, 15)),
            short_day_hours: hours((10, 0), (14, 0)),
            time_zone: "Europe/Copenhagen".into(),
        })
        .unwrap();
        // Wednesday 2025-01-15, Copenhagen UTC+1: 08:30 local = 07:30 UTC.
        let opening = ms("2025-01-15T07:30:00Z");
        let s = support.status(opening - 1, "en");
        assert!(!s.open);
        assert_eq!(s.text, "Closed. Opens today at 08:30");
        assert_eq!(s.next_change_utc_ms, opening);
        let s = support.status(opening, "en");
        assert!(s.open);
        assert_eq!(s.text, "Open now, until 17:15");
        assert_eq!(s.next_change_utc_ms, ms("2025-01-15T16:15:00Z"));
        assert!(!support.status(ms("2025-01-15T16:15:00Z"), "en").open);
        // Summer (UTC+2), Saturday 21 June 2025: 10:00–14:00 local.
        let s = support.status(ms("2025-06-21T07:59:59Z"), "en");
        assert_eq!(s.text, "Closed. Opens today at 10:00");
        assert_eq!(s.next_change_utc_ms, ms("2025-06-21T08:00:00Z"));
        // Greenland's national day on a Friday (2024) has the short hours.
        let s = support.status(ms("2024-06-21T12:30:00Z"), "en"); // 14:30 local
        assert!(!s.open);
        assert_eq!(s.text, "Closed. Opens Saturday at 10:00");
        // The contact and hours are the configured ones, the zone named.
        let c = support.contact("en");
        assert_eq!(c.phone, "+299 00 00 00");
        assert_eq!(c.web_form, "");
        assert_eq!(
            c.hours_text,
            "Monday to Friday 08:30 to 17:15; Saturday, Sunday and public holidays 10:00 to 14:00 (Europe/Copenhagen)"
        );
        assert!(support.contact("da").hours_text.contains("kl. 08.30-17.15"));
        assert!(support
            .contact("kl")
            .hours_text
            .ends_with("(Europe/Copenhagen)"));
        assert_eq!(support.settings().time_zone, "Europe/Copenhagen");
        assert_eq!(support.time_zone().iana_name(), Some("Europe/Copenhagen"));
    }

    #[test]
    fn settings_are_checked() {
        let ok = SupportSettings::new(PHONE, WEB_FORM);
        assert_eq!(ok.calendar, SupportCalendar::Danish);
        assert_eq!(ok.weekday_hours, hours((4, 0), (16, 0)));
        assert_eq!(ok.short_day_hours, hours((6, 0), (12, 0)));
        assert_eq!(ok.time_zone, "America/Nuuk");
        let err = |s: SupportSettings| Support::new(s).unwrap_err();
        assert_eq!(
            err(SupportSettings::new(" ", WEB_FORM)),
            SupportSettingsError::NoPhone
        );
        assert_eq!(
            err(SupportSettings {
                time_zone: "Greenland/Nowhere".into(),
                ..ok.clone()
            }),
            SupportSettingsError::UnknownTimeZone("Greenland/Nowhere".into())
        );
        for bad in [
            hours((16, 0), (4, 0)),
            hours((4, 0), (4, 0)),
            hours((4, 60), (16, 0)),
            hours((4, 0), (24, 0)),
        ] {
            assert_eq!(
                err(SupportSettings {
                    weekday_hours: bad,
                    ..ok.clone()
                }),
                SupportSettingsError::Hours("weekday_hours"),
                "{bad:?}"
            );
            assert_eq!(
                err(SupportSettings {
                    short_day_hours: bad,
                    ..ok.clone()
                }),
                SupportSettingsError::Hours("short_day_hours"),
                "{bad:?}"
            );
        }
        // The edges that are fine: 00:00 to 23:59.
        assert!(Support::new(SupportSettings {
            weekday_hours: hours((0, 0), (23, 59)),
            ..ok
        })
        .is_ok());
    }

    #[test]
    fn contact_data_in_every_language() {
        for lang in crate::display::i18n::languages() {
            let c = danish().contact(lang);
            assert_eq!(c.phone, PHONE);
            assert_eq!(c.web_form, WEB_FORM);
            assert!(!c.language_note.starts_with("support."));
            assert!(!c.hours_text.contains('{'), "{}", c.hours_text);
        }
        let en = danish().contact("en");
        assert_eq!(en.language_note, "Support speaks Danish.");
        assert_eq!(
            en.hours_text,
            "Monday to Friday 04:00 to 16:00; Saturday, Sunday and public holidays 06:00 to 12:00 (Greenland time)"
        );
        assert!(danish()
            .contact("da")
            .hours_text
            .contains("kl. 04.00-16.00"));
        assert!(danish()
            .contact("kl")
            .hours_text
            .contains("nal. 06.00-12.00"));
    }

    #[test]
    fn far_instants_do_not_panic() {
        for at in [i64::MIN, -1, 0, i64::MAX] {
            let s = support_status(at, "en");
            assert!(!s.text.is_empty());
            assert!(!greenlandic().status(at, "kl").text.is_empty());
        }
    }

    #[test]
    fn suspensions_are_shown_in_greenland_time() {
        let t = greenland_civil(ms("2025-01-15T01:00:00Z"));
        assert_eq!((t.day(), t.hour()), (14, 23));
    }
}
