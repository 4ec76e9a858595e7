//! The signing time: a UTC instant the caller supplies (the signer never reads a clock).

use std::fmt;

/// A UTC instant with one-second precision, formatted the two ways SigV4 needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SigningTime {
    unix_seconds: u64,
}

impl SigningTime {
    /// The instant `unix_seconds` after 1970-01-01T00:00:00Z.
    pub fn from_unix_seconds(unix_seconds: u64) -> Self {
        Self { unix_seconds }
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(self) -> u64 {
        self.unix_seconds
    }

    /// Parses the SigV4 basic format `YYYYMMDDTHHMMSSZ` (as in `x-amz-date`).
    ///
    /// # Errors
    /// Returns `None` when the text is not exactly that format or names an impossible date.
    pub fn parse_amz_date(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
            return None;
        }
        let digits = |range: std::ops::Range<usize>| -> Option<u64> {
            let part = text.get(range)?;
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let (year, month, day) = (digits(0..4)?, digits(4..6)?, digits(6..8)?);
        let (hour, minute, second) = (digits(9..11)?, digits(11..13)?, digits(13..15)?);
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 59
            || year < 1970
        {
            return None;
        }
        let days = days_from_civil(year, month, day);
        Some(Self::from_unix_seconds(
            days * 86_400 + hour * 3600 + minute * 60 + second,
        ))
    }

    /// Parses an HTTP date in its one current form, IMF-fixdate (`Sun, 06 Nov 1994 08:49:37
    /// GMT`, RFC 9110), as servers send it in `Date`.
    pub fn parse_http_date(text: &str) -> Option<Self> {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let fields: Vec<&str> = text.split(' ').collect();
        let [weekday, day, month, year, clock, "GMT"] = fields[..] else {
            return None;
        };
        if weekday.len() != 4 || !weekday.ends_with(',') || day.len() != 2 || clock.len() != 8 {
            return None;
        }
        let month = MONTHS.iter().position(|m| *m == month)? + 1;
        let (hour, rest) = clock.split_once(':')?;
        let (minute, second) = rest.split_once(':')?;
        Self::parse_amz_date(&format!("{year}{month:02}{day}T{hour}{minute}{second}Z"))
    }

    /// `YYYYMMDDTHHMMSSZ`, written on the stack without formatting machinery (it is on the
    /// signing hot path).
    pub(crate) fn amz_date(self) -> AmzDate {
        let (y, mo, d, h, mi, s) = self.parts();
        let mut out = [b'T'; 16];
        let fields = [
            (y, 0, 4),
            (mo, 4, 2),
            (d, 6, 2),
            (h, 9, 2),
            (mi, 11, 2),
            (s, 13, 2),
        ];
        for (mut value, start, width) in fields {
            for digit in out[start..start + width].iter_mut().rev() {
                *digit = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        out[15] = b'Z';
        AmzDate(out)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, UTC), for humans and JSON.
    pub fn rfc3339(self) -> Rfc3339 {
        Rfc3339(self)
    }

    fn parts(self) -> (u64, u64, u64, u64, u64, u64) {
        let days = self.unix_seconds / 86_400;
        let secs = self.unix_seconds % 86_400;
        let (year, month, day) = civil_from_days(days);
        (year, month, day, secs / 3600, secs % 3600 / 60, secs % 60)
    }
}

/// Display adapter for `YYYY-MM-DDTHH:MM:SSZ`.
#[derive(Clone, Copy, Debug)]
pub struct Rfc3339(SigningTime);

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s) = self.0.parts();
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }
}

fn is_leap(year: u64) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// An `x-amz-date` value (`YYYYMMDDTHHMMSSZ`) held inline.
#[derive(Clone, Copy)]
pub(crate) struct AmzDate([u8; 16]);

impl AmzDate {
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("digits, T and Z are ASCII")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        // 2015-08-30T12:36:00Z, the AWS test-suite time (1440938160 per `date -u -d`).
        let t = SigningTime::from_unix_seconds(1_440_938_160);
        assert_eq!(t.amz_date().as_str(), "20150830T123600Z");
        assert_eq!(t.rfc3339().to_string(), "2015-08-30T12:36:00Z");
        let leap = SigningTime::from_unix_seconds(951_782_400); // 2000-02-29T00:00:00Z
        assert_eq!(leap.amz_date().as_str(), "20000229T000000Z");
    }

    #[test]
    fn parse_round_trips_and_rejects_nonsense() {
        for text in [
            "19700101T000000Z",
            "20130524T000000Z",
            "20991231T235959Z",
            "20240229T120000Z",
        ] {
            let t = SigningTime::parse_amz_date(text).expect(text);
            assert_eq!(t.amz_date().as_str(), text);
        }
        for bad in [
            "20130524T000000",
            "2013-05-24T00:00:00Z",
            "20230229T000000Z",
            "20131301T000000Z",
            "2013052AT000000Z",
            "20130524T246000Z",
            "+0130524T000000Z",
        ] {
            assert_eq!(SigningTime::parse_amz_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn http_dates_parse_in_their_fixed_form_only() {
        let parse = SigningTime::parse_http_date;
        // RFC 9110's example, 784111777 per `date -u -d 'Sun, 06 Nov 1994 08:49:37 GMT' +%s`.
        assert_eq!(
            parse("Sun, 06 Nov 1994 08:49:37 GMT").map(SigningTime::unix_seconds),
            Some(784_111_777)
        );
        assert_eq!(
            parse("Mon, 23 Nov 2026 09:16:47 GMT").map(|t| t.amz_date().as_str().to_owned()),
            Some("20261123T091647Z".to_owned())
        );
        for bad in [
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 1994 8:49:370 GMT",
            "",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        for days in 0..146_097 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
