//! Timestamps, read into microseconds since the Unix epoch (UTC).
//!
//! Recognised without help: RFC 3339 / ISO 8601 with or without an offset
//! (`2011-10-01T00:38:44.546+02:00`, `2024-03-05T14:07:33Z`,
//! `2024-03-05 14:07:33`), date only (`2016-01-04`), `YYYY/MM/DD hh:mm:ss.sss`,
//! `YYYYMMDD`, `M/D/YYYY H:MM[:SS]`, and epoch numbers (seconds, milliseconds
//! or microseconds, by magnitude). A naive time is in `default_offset`
//! (UTC unless `--tz`). Anything else can be read with a strftime pattern.

/// How to read the time column.
#[derive(Clone, Debug, Default)]
pub struct TimeFormat {
    /// A chrono strftime pattern (`--time-format`), tried instead of the built-ins.
    pub pattern: Option<String>,
    /// Offset of naive times from UTC, in seconds (`--tz +02:00`).
    pub default_offset: i64,
}

impl TimeFormat {
    /// Microseconds since the epoch, or `None` when the text is not a time.
    pub fn parse(&self, text: &str) -> Option<i64> {
        let t = text.trim();
        if let Some(p) = &self.pattern {
            return parse_pattern(t, p, self.default_offset);
        }
        parse_builtin(t, self.default_offset)
    }
}

/// Parses `+02:00`, `-0530`, `Z`, `UTC` into seconds east of UTC.
pub fn parse_offset(text: &str) -> Option<i64> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("utc") {
        return Some(0);
    }
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 && digits.len() != 2 {
        return None;
    }
    let h: i64 = digits.get(0..2)?.parse().ok()?;
    let m: i64 = if digits.len() == 4 { digits[2..4].parse().ok()? } else { 0 };
    (h <= 23 && m <= 59).then_some(sign * (h * 3600 + m * 60))
}

fn parse_pattern(t: &str, pattern: &str, offset: i64) -> Option<i64> {
    if let Ok(dt) = chrono::DateTime::parse_from_str(t, pattern) {
        return Some(dt.timestamp_micros());
    }
    if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(t, pattern) {
        return Some(dt.and_utc().timestamp_micros() - offset * 1_000_000);
    }
    chrono::NaiveDate::parse_from_str(t, pattern)
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc().timestamp_micros() - offset * 1_000_000)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn valid_date(y: i64, m: u32, d: u32) -> bool {
    if !(1..=12).contains(&m) || d == 0 {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    d <= days[(m - 1) as usize]
}

/// A small cursor over ASCII digits.
struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cur<'_> {
    fn digits(&mut self, min: usize, max: usize) -> Option<i64> {
        let start = self.i;
        let mut v: i64 = 0;
        while self.i < self.b.len() && self.i - start < max && self.b[self.i].is_ascii_digit() {
            v = v * 10 + i64::from(self.b[self.i] - b'0');
            self.i += 1;
        }
        (self.i - start >= min).then_some(v)
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn done(&self) -> bool {
        self.i == self.b.len()
    }
}

fn micros(days: i64, h: i64, mi: i64, s: i64, frac_us: i64) -> Option<i64> {
    (h <= 24 && mi <= 59 && s <= 60).then(|| ((days * 86_400 + h * 3600 + mi * 60 + s) * 1_000_000) + frac_us)
}

/// Time of day after the date: `hh:mm[:ss[.fff…]]`, then an optional offset.
fn time_part(c: &mut Cur, days: i64, default_offset: i64) -> Option<i64> {
    let h = c.digits(1, 2)?;
    if !c.eat(b':') {
        return None;
    }
    let mi = c.digits(2, 2)?;
    let mut s = 0;
    let mut frac = 0;
    if c.eat(b':') {
        s = c.digits(2, 2)?;
        if c.eat(b'.') || c.eat(b',') {
            let start = c.i;
            let v = c.digits(1, 9)?;
            let n = c.i - start;
            frac = if n <= 6 { v * 10_i64.pow((6 - n) as u32) } else { v / 10_i64.pow((n - 6) as u32) };
        }
    }
    let base = micros(days, h, mi, s, frac)?;
    while c.peek() == Some(b' ') {
        c.i += 1;
    }
    if c.done() {
        return Some(base - default_offset * 1_000_000);
    }
    let rest = std::str::from_utf8(&c.b[c.i..]).ok()?;
    let off = parse_offset(rest)?;
    Some(base - off * 1_000_000)
}

fn parse_builtin(t: &str, default_offset: i64) -> Option<i64> {
    let b = t.as_bytes();
    if b.is_empty() {
        return None;
    }
    // Epoch numbers.
    if b.iter().all(|c| c.is_ascii_digit()) && b.len() != 8 {
        let v: i64 = t.parse().ok()?;
        return Some(if v < 100_000_000_000 {
            v * 1_000_000
        } else if v < 100_000_000_000_000 {
            v * 1000
        } else {
            v
        });
    }
    if b.len() == 8 && b.iter().all(|c| c.is_ascii_digit()) {
        // YYYYMMDD
        let y: i64 = t[0..4].parse().ok()?;
        let m: u32 = t[4..6].parse().ok()?;
        let d: u32 = t[6..8].parse().ok()?;
        return valid_date(y, m, d).then(|| (days_from_civil(y, m, d) * 86_400 - default_offset) * 1_000_000);
    }
    let mut c = Cur { b, i: 0 };
    let first = c.digits(1, 4)?;
    let sep = c.peek()?;
    let (y, m, d) = if c.i == 4 && (sep == b'-' || sep == b'/') {
        c.i += 1;
        let m = c.digits(1, 2)? as u32;
        if !c.eat(sep) {
            return None;
        }
        let d = c.digits(1, 2)? as u32;
        (first, m, d)
    } else if sep == b'/' && c.i <= 2 {
        // M/D/YYYY
        c.i += 1;
        let d = c.digits(1, 2)? as u32;
        if !c.eat(b'/') {
            return None;
        }
        let y = c.digits(4, 4)?;
        (y, first as u32, d)
    } else {
        return None;
    };
    if !valid_date(y, m, d) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    if c.done() {
        return Some((days * 86_400 - default_offset) * 1_000_000);
    }
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return None;
    }
    time_part(&mut c, days, default_offset)
}

/// Formats microseconds since the epoch as RFC 3339 UTC (`2024-03-05T14:07:33Z`,
/// with a fraction only when there is one).
pub fn format_utc(us: i64) -> String {
    let secs = us.div_euclid(1_000_000);
    let frac = us.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let base = format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", sod / 3600, sod % 3600 / 60, sod % 60);
    if frac == 0 {
        format!("{base}Z")
    } else {
        format!("{base}.{frac:06}Z")
    }
}

/// The proleptic Gregorian date (year, month, day) of a day since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(t: &str) -> Option<String> {
        TimeFormat::default().parse(t).map(format_utc)
    }

    #[test]
    fn reads_the_usual_formats() {
        assert_eq!(p("2024-03-05T14:07:33Z").unwrap(), "2024-03-05T14:07:33Z");
        assert_eq!(p("2011-10-01T00:38:44.546+02:00").unwrap(), "2011-09-30T22:38:44.546000Z");
        assert_eq!(p("2011-10-01T00:38:44.546+0200").unwrap(), "2011-09-30T22:38:44.546000Z");
        assert_eq!(p("2024-03-05 14:07:33").unwrap(), "2024-03-05T14:07:33Z");
        assert_eq!(p("2016-01-04").unwrap(), "2016-01-04T00:00:00Z");
        assert_eq!(p("2014/10/22 11:15:41.000").unwrap(), "2014-10-22T11:15:41Z");
        assert_eq!(p("20160104").unwrap(), "2016-01-04T00:00:00Z");
        assert_eq!(p("3/5/2024 9:07").unwrap(), "2024-03-05T09:07:00Z");
        assert_eq!(p("1709647653").unwrap(), "2024-03-05T14:07:33Z");
        assert_eq!(p("1709647653123").unwrap(), "2024-03-05T14:07:33.123000Z");
        assert_eq!(p("1709647653123456").unwrap(), "2024-03-05T14:07:33.123456Z");
        for bad in ["", "yesterday", "2024-13-01", "2024-02-30", "2024-03-05T25:00", "12:00"] {
            assert_eq!(p(bad), None, "{bad}");
        }
    }

    #[test]
    fn naive_times_take_the_default_offset_and_patterns_work() {
        let tz = TimeFormat { pattern: None, default_offset: 7200 };
        assert_eq!(tz.parse("2024-03-05 14:00:00").map(format_utc).unwrap(), "2024-03-05T12:00:00Z");
        assert_eq!(tz.parse("2024-03-05T14:00:00Z").map(format_utc).unwrap(), "2024-03-05T14:00:00Z");
        let pat = TimeFormat { pattern: Some("%d.%m.%Y %H.%M".into()), default_offset: 0 };
        assert_eq!(pat.parse("05.03.2024 14.07").map(format_utc).unwrap(), "2024-03-05T14:07:00Z");
        assert_eq!(parse_offset("-05:30"), Some(-19800));
    }
}
