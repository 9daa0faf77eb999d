//! Times and durations: RFC 3339 parsing and printing (UTC), and `--since` values.
//!
//! No time crate is needed for this: the conversions are Howard Hinnant's civil-date
//! algorithms on days since the Unix epoch.

use std::time::{SystemTime, UNIX_EPOCH};

const NANOS_PER_SEC: u64 = 1_000_000_000;

/// Nanoseconds since the Unix epoch, now.
pub(crate) fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Days since 1970-01-01 to (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// (year, month, day) to days since 1970-01-01.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2026-06-03T17:00:00.123Z` (milliseconds, UTC); `-` for 0 (unknown).
pub(crate) fn rfc3339_millis(nanos: u64) -> String {
    if nanos == 0 {
        return "-".into();
    }
    let secs = nanos / NANOS_PER_SEC;
    let millis = (nanos % NANOS_PER_SEC) / 1_000_000;
    let (date, time) = split(secs);
    format!("{date}T{time}.{millis:03}Z")
}

/// `2026-06-03T17:00:00Z` (seconds, UTC).
pub(crate) fn rfc3339_secs(nanos: u64) -> String {
    let (date, time) = split(nanos / NANOS_PER_SEC);
    format!("{date}T{time}Z")
}

/// `2026-06-03 17:00:00` (UTC), for tables; `-` for 0 (unknown).
pub(crate) fn table_time(nanos: u64) -> String {
    if nanos == 0 {
        return "-".into();
    }
    let (date, time) = split(nanos / NANOS_PER_SEC);
    format!("{date} {time}")
}

fn split(secs: u64) -> (String, String) {
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    (
        format!("{y:04}-{m:02}-{d:02}"),
        format!("{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60),
    )
}

/// Parses an RFC 3339 / ISO 8601 time into nanoseconds since the epoch:
/// `2026-06-03T17:00:00Z`, `2026-06-03T17:00:00.698494+00:00`, `2026-06-03 17:00:00`
/// (UTC), or a date `2026-06-03` (midnight UTC).
pub(crate) fn parse_time(text: &str) -> Option<u64> {
    let text = text.trim();
    let bytes = text.as_bytes();
    if bytes.len() < 10 || !bytes[..10].is_ascii() || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year: i64 = digits(&text[0..4])?;
    let month: u32 = digits(&text[5..7])?;
    let day: u32 = digits(&text[8..10])?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let mut rest = &text[10..];
    let mut secs_of_day: i64 = 0;
    let mut frac_nanos: u64 = 0;
    let mut offset_secs: i64 = 0;
    if !rest.is_empty() {
        let sep = rest.as_bytes()[0];
        if sep != b'T' && sep != b't' && sep != b' ' {
            return None;
        }
        rest = &rest[1..];
        let head = rest.as_bytes();
        if head.len() < 8 || !head[..8].is_ascii() || head[2] != b':' || head[5] != b':' {
            return None;
        }
        let hour: i64 = digits(&rest[0..2])?;
        let minute: i64 = digits(&rest[3..5])?;
        let second: i64 = digits(&rest[6..8])?;
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        secs_of_day = hour * 3600 + minute * 60 + second;
        rest = &rest[8..];
        if let Some(frac) = rest.strip_prefix('.') {
            let end = frac
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(frac.len());
            if end == 0 {
                return None;
            }
            let mut scaled = String::from(&frac[..end.min(9)]);
            while scaled.len() < 9 {
                scaled.push('0');
            }
            frac_nanos = digits(&scaled)?;
            rest = &frac[end..];
        }
        match rest {
            "" | "Z" | "z" => {}
            _ => {
                let sign = match rest.as_bytes()[0] {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                let offset = &rest[1..];
                if !offset.is_ascii() {
                    return None;
                }
                let (h, m) = match offset.len() {
                    5 if offset.as_bytes()[2] == b':' => (&offset[0..2], &offset[3..5]),
                    4 => (&offset[0..2], &offset[2..4]),
                    2 => (&offset[0..2], "00"),
                    _ => return None,
                };
                let h: i64 = digits(h)?;
                let m: i64 = digits(m)?;
                offset_secs = sign * (h * 3600 + m * 60);
            }
        }
    }
    let secs = days * 86_400 + secs_of_day - offset_secs;
    let secs = u64::try_from(secs).ok()?;
    // Past 2554 nanoseconds overflow u64: such times sort after every span.
    Some(
        secs.saturating_mul(NANOS_PER_SEC)
            .saturating_add(frac_nanos),
    )
}

fn digits<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Parses a duration such as `90s`, `30m`, `2h`, `7d`, `1w` or `1h30m` into nanoseconds.
pub(crate) fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return None,
        };
        let n: u64 = digits(&number)?;
        number.clear();
        total = total.checked_add(n.checked_mul(unit)?.checked_mul(NANOS_PER_SEC)?)?;
    }
    if !number.is_empty() {
        return None; // a number without a unit
    }
    Some(total)
}

/// A `--since` value: a duration back from `now`, or an absolute time.
pub(crate) fn parse_since(text: &str, now: u64) -> Option<u64> {
    match parse_duration(text) {
        Some(ago) => Some(now.saturating_sub(ago)),
        None => parse_time(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_known_instants() {
        // 2026-06-03T17:00:00Z
        let t = 1_780_506_000 * NANOS_PER_SEC;
        assert_eq!(parse_time("2026-06-03T17:00:00Z"), Some(t));
        assert_eq!(rfc3339_secs(t), "2026-06-03T17:00:00Z");
        assert_eq!(rfc3339_millis(t + 698_494_000), "2026-06-03T17:00:00.698Z");
        assert_eq!(
            parse_time("2026-06-03T17:00:00.698494+00:00"),
            Some(t + 698_494_000)
        );
        assert_eq!(parse_time("2026-06-03T19:00:00+02:00"), Some(t));
        assert_eq!(parse_time("2026-06-03 17:00:00"), Some(t));
        assert_eq!(
            parse_time("2026-06-03"),
            Some(t - 17 * 3600 * NANOS_PER_SEC)
        );
        assert_eq!(table_time(t), "2026-06-03 17:00:00");
        // Leap day and a pre-2000 date.
        assert_eq!(
            parse_time("2000-02-29T12:34:56Z"),
            Some(951_827_696 * NANOS_PER_SEC)
        );
        assert_eq!(
            rfc3339_secs(951_827_696 * NANOS_PER_SEC),
            "2000-02-29T12:34:56Z"
        );
    }

    #[test]
    fn rejects_malformed_times() {
        for bad in [
            "",
            "2026",
            "2026-13-01",
            "2026-06-03T25:00:00Z",
            "2026-06-03X",
            "yesterday",
            "2026-06-0\u{e9}",
            "2026-06-03T17:00:0\u{e9}",
            "2026-06-03T17:00:00+0\u{e9}",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Some(90 * NANOS_PER_SEC));
        assert_eq!(parse_duration("1h30m"), Some(5400 * NANOS_PER_SEC));
        assert_eq!(parse_duration("7d"), Some(7 * 86_400 * NANOS_PER_SEC));
        assert_eq!(parse_duration("1w"), Some(7 * 86_400 * NANOS_PER_SEC));
        assert_eq!(parse_duration("15"), None);
        assert_eq!(parse_duration("2x"), None);
        assert_eq!(parse_duration("h"), None);
        let now = 10_000 * NANOS_PER_SEC;
        assert_eq!(parse_since("1h", now), Some(6_400 * NANOS_PER_SEC));
        assert_eq!(
            parse_since("1970-01-01T00:00:01Z", now),
            Some(NANOS_PER_SEC)
        );
        assert_eq!(parse_since("soon", now), None);
    }
}
