//! Small time formats for the demo's output: countdowns, demo-relative times
//! and UTC dates, without a date library.

/// "4:59 left" for a number of whole seconds.
pub fn countdown(seconds_left: u32) -> String {
    format!("{}:{:02} left", seconds_left / 60, seconds_left % 60)
}

/// "1:00:00 left", "59:40 left" for the milliseconds until a deadline (none
/// left once it has passed).
pub fn time_left(ms: i64) -> String {
    format!("{} left", relative(ms.max(0)).trim_start_matches("T+"))
}

/// A time relative to the start of the demo: "T+0:00", "T+5:00.000" with
/// milliseconds when they are not zero, "T+1:02:03" past an hour.
pub fn relative(ms_since_start: i64) -> String {
    let sign = if ms_since_start < 0 { "-" } else { "+" };
    let ms = ms_since_start.unsigned_abs();
    let (h, m, s, frac) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    let base = if h > 0 {
        format!("T{sign}{h}:{m:02}:{s:02}")
    } else {
        format!("T{sign}{m}:{s:02}")
    };
    if frac == 0 {
        base
    } else {
        format!("{base}.{frac:03}")
    }
}

/// "2026-05-01 12:34:56 UTC" for milliseconds since the Unix epoch.
pub fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, mo, d) = civil_from_days(days);
    format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Year, month, day of a day count since 1970-01-01 (proleptic Gregorian;
/// Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    // d is 1..=31 and m is 1..=12 by construction.
    (y, m as u32, d as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let cases = [
            (countdown(300), "5:00 left"),
            (countdown(299), "4:59 left"),
            (countdown(1), "0:01 left"),
            (time_left(3_600_000), "1:00:00 left"),
            (time_left(180_000), "3:00 left"),
            (time_left(-5), "0:00 left"),
            (relative(0), "T+0:00"),
            (relative(299_999), "T+4:59.999"),
            (relative(3_723_000), "T+1:02:03"),
            (utc(0), "1970-01-01 00:00:00 UTC"),
            (utc(1_709_210_096_000), "2024-02-29 12:34:56 UTC"),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }
}
