//! Cache timestamps: lenient parsing, `%Y-%m-%dT%H:%M:%SZ` formatting.

use std::time::{Duration, SystemTime};

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// `0000-01-01T00:00:00Z`, the earliest instant [`format`] writes.
const MIN_WRITTEN: i64 = -62_167_219_200;
/// `9999-12-31T23:59:59Z`, the latest instant [`format`] writes.
const MAX_WRITTEN: i64 = 253_402_300_799;

/// Parses the timestamp forms found in SSO cache files:
///
/// * `YYYY-MM-DD` + (`T` | `t` | space) + `hh:mm:ss`,
/// * optionally `.` and one or more fraction digits (digits beyond
///   nanoseconds are ignored),
/// * then `Z`, `z`, `UTC` (CLI v1), `±hh:mm` or `±hhmm` (converted to UTC).
///
/// A leap second (`:60`) is read as the last nanosecond of `:59`. Returns
/// `None` for anything else, or when the instant cannot be represented as a
/// `SystemTime`.
pub(super) fn parse(text: &str) -> Option<SystemTime> {
    let b = text.as_bytes();
    let year = digits(b, 0, 4)?;
    expect(b, 4, b'-')?;
    let month = digits(b, 5, 2)?;
    expect(b, 7, b'-')?;
    let day = digits(b, 8, 2)?;
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let hour = digits(b, 11, 2)?;
    expect(b, 13, b':')?;
    let minute = digits(b, 14, 2)?;
    expect(b, 16, b':')?;
    let mut second = digits(b, 17, 2)?;

    let mut i = 19;
    let mut nanos: u32 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            if i - start < 9 {
                nanos = nanos * 10 + u32::from(d - b'0');
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 {
            return None;
        }
        for _ in n..9 {
            nanos *= 10;
        }
    }

    let offset_seconds: i32 = match b.get(i..)? {
        b"Z" | b"z" | b"UTC" => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest {
                [_, _, b':', _, _] => (digits(rest, 0, 2)?, digits(rest, 3, 2)?),
                [_, _, _, _] => (digits(rest, 0, 2)?, digits(rest, 2, 2)?),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let magnitude = i32::try_from(h * 3600 + m * 60).ok()?;
            if *sign == b'-' {
                -magnitude
            } else {
                magnitude
            }
        }
        _ => return None,
    };

    if second == 60 {
        second = 59;
        nanos = 999_999_999;
    }
    let date = Date::from_calendar_date(
        i32::try_from(year).ok()?,
        Month::try_from(u8::try_from(month).ok()?).ok()?,
        u8::try_from(day).ok()?,
    )
    .ok()?;
    let time = Time::from_hms_nano(
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
        nanos,
    )
    .ok()?;
    let offset = UtcOffset::from_whole_seconds(offset_seconds).ok()?;
    let instant = PrimitiveDateTime::new(date, time).assume_offset(offset);
    from_unix(instant.unix_timestamp(), instant.nanosecond())
}

fn digits(b: &[u8], start: usize, len: usize) -> Option<u32> {
    let slice = b.get(start..start.checked_add(len)?)?;
    let mut value: u32 = 0;
    for d in slice {
        if !d.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u32::from(d - b'0');
    }
    Some(value)
}

fn expect(b: &[u8], at: usize, byte: u8) -> Option<()> {
    (b.get(at) == Some(&byte)).then_some(())
}

/// `secs` (may be negative) plus `nanos` after the Unix epoch, if the
/// platform's `SystemTime` can represent it.
pub(super) fn from_unix(secs: i64, nanos: u32) -> Option<SystemTime> {
    let nanos = Duration::from_nanos(u64::from(nanos));
    if secs >= 0 {
        SystemTime::UNIX_EPOCH
            .checked_add(Duration::from_secs(secs.unsigned_abs()))?
            .checked_add(nanos)
    } else {
        SystemTime::UNIX_EPOCH
            .checked_sub(Duration::from_secs(secs.unsigned_abs()))?
            .checked_add(nanos)
    }
}

/// Whole seconds since the Unix epoch, rounded towards negative infinity
/// (i.e. sub-seconds truncated on the calendar), saturating at the `i64`
/// range.
pub(super) fn floor_unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let before = before.duration();
            let whole = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            if before.subsec_nanos() == 0 {
                -whole
            } else {
                (-whole).saturating_sub(1)
            }
        }
    }
}

/// Formats `t` as `%Y-%m-%dT%H:%M:%SZ` in UTC, dropping sub-seconds.
///
/// Instants outside years 0000–9999 (which RFC 3339 cannot express) are
/// clamped to `0000-01-01T00:00:00Z` / `9999-12-31T23:59:59Z`.
pub(super) fn format(t: SystemTime) -> String {
    let secs = floor_unix_seconds(t).clamp(MIN_WRITTEN, MAX_WRITTEN);
    let dt = OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64, nanos: u32) -> SystemTime {
        from_unix(secs, nanos).unwrap()
    }

    // 2024-01-01T08:00:00Z
    const T: i64 = 1_704_096_000;

    #[test]
    fn accepted_forms() {
        let cases: &[(&str, i64, u32)] = &[
            ("2024-01-01T08:00:00Z", T, 0),
            ("2024-01-01t08:00:00z", T, 0),
            ("2024-01-01 08:00:00Z", T, 0),
            ("2024-01-01T08:00:00UTC", T, 0),
            ("2024-01-01T08:00:00.5Z", T, 500_000_000),
            ("2024-01-01T08:00:00.123456Z", T, 123_456_000),
            ("2024-01-01T08:00:00.123456789Z", T, 123_456_789),
            ("2024-01-01T08:00:00.1234567891234Z", T, 123_456_789),
            ("2024-01-01T08:00:00+00:00", T, 0),
            ("2024-01-01T08:00:00-00:00", T, 0),
            ("2024-01-01T03:00:00-05:00", T, 0),
            ("2024-01-01T13:30:00+05:30", T, 0),
            ("2024-01-01T13:30:00+0530", T, 0),
            ("2024-01-01T03:00:00.25-05:00", T, 250_000_000),
            ("2024-01-01T07:59:60Z", T - 1, 999_999_999),
            ("1970-01-01T00:00:00Z", 0, 0),
            ("1969-12-31T23:59:59.5Z", -1, 500_000_000),
            ("2019-11-14T04:05:45UTC", 1_573_704_345, 0),
            ("2024-02-29T00:00:00Z", 1_709_164_800, 0),
            ("0000-01-01T00:00:00Z", MIN_WRITTEN, 0),
            ("9999-12-31T23:59:59Z", MAX_WRITTEN, 0),
        ];
        for (text, secs, nanos) in cases {
            assert_eq!(parse(text), Some(at(*secs, *nanos)), "{text}");
        }
    }

    #[test]
    fn rejected_forms() {
        for text in [
            "",
            "2024-01-01",
            "2024-01-01T08:00:00",
            "2024-01-01T08:00Z",
            "2024-01-01T08:00:00.Z",
            "2024-01-01T08:00:00ZZ",
            "2024-01-01T08:00:00 Z",
            "2024-01-01T08:00:00+5:00",
            "2024-01-01T08:00:00+05",
            "2024-01-01T08:00:00+24:00",
            "2024-01-01T08:00:00+05:60",
            "2024-01-01T08:00:00utc",
            "2024-13-01T08:00:00Z",
            "2024-00-01T08:00:00Z",
            "2023-02-29T08:00:00Z",
            "2024-01-32T08:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T08:60:00Z",
            "2024-01-01T08:00:61Z",
            "2024-01-01X08:00:00Z",
            "24-01-01T08:00:00Z",
            "+2024-01-01T08:00:00Z",
            "2024-01-01T08:00:00.１Z",
            "1704096000",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn formatting() {
        assert_eq!(format(at(T, 0)), "2024-01-01T08:00:00Z");
        assert_eq!(format(at(T, 999_999_999)), "2024-01-01T08:00:00Z");
        assert_eq!(format(at(0, 0)), "1970-01-01T00:00:00Z");
        assert_eq!(format(at(-1, 500_000_000)), "1969-12-31T23:59:59Z");
        assert_eq!(format(at(-1, 0)), "1969-12-31T23:59:59Z");
        assert_eq!(format(at(MAX_WRITTEN + 10, 0)), "9999-12-31T23:59:59Z");
        assert_eq!(format(at(MIN_WRITTEN - 10, 0)), "0000-01-01T00:00:00Z");
    }

    #[test]
    fn floor_seconds() {
        assert_eq!(floor_unix_seconds(at(5, 1)), 5);
        assert_eq!(floor_unix_seconds(at(-5, 1)), -5);
        assert_eq!(floor_unix_seconds(at(-5, 0)), -5);
        assert_eq!(
            floor_unix_seconds(SystemTime::UNIX_EPOCH - Duration::from_nanos(1)),
            -1
        );
    }
}
