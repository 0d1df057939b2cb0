//! The signing time, in the two forms SigV4 uses: `20150830T123600Z` (`X-Amz-Date`) and
//! `20150830` (the credential scope's date).

use std::fmt;

use jiff::{Timestamp, civil::DateTime, tz::TimeZone};

use crate::error::{Error, Result, shown};

/// A signing time, UTC, whole seconds, between the years 1 and 9999.
///
/// ```
/// use canreq::SigningTime;
///
/// let t = SigningTime::parse("2015-08-30T12:36:00Z")?;
/// assert_eq!(t.amz_date(), "20150830T123600Z");
/// assert_eq!(t.date(), "20150830");
/// assert_eq!(SigningTime::parse("20150830T123600Z")?, t);
/// assert_eq!(t.unix_seconds(), 1440938160);
/// # Ok::<(), canreq::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SigningTime {
    seconds: i64,
    amz: [u8; 16],
}

impl SigningTime {
    /// The current time from the system clock.
    pub fn now() -> Self {
        Self::from_timestamp(Timestamp::now()).expect("the system clock is within years 1..=9999")
    }

    /// The time `seconds` after the Unix epoch.
    pub fn from_unix_seconds(seconds: i64) -> Result<Self> {
        let ts = Timestamp::from_second(seconds).map_err(|e| Error::InvalidTime {
            value: seconds.to_string(),
            reason: e.to_string(),
        })?;
        Self::from_timestamp(ts)
    }

    /// A `jiff` timestamp, truncated to whole seconds.
    pub fn from_timestamp(ts: Timestamp) -> Result<Self> {
        let dt = TimeZone::UTC.to_datetime(ts);
        if dt.year() < 1 {
            return Err(Error::InvalidTime {
                value: ts.to_string(),
                reason: "the year must be between 1 and 9999".into(),
            });
        }
        let mut amz = [0u8; 16];
        let digits = |out: &mut [u8], mut v: i64| {
            for slot in out.iter_mut().rev() {
                *slot = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        digits(&mut amz[0..4], dt.year().into());
        digits(&mut amz[4..6], dt.month().into());
        digits(&mut amz[6..8], dt.day().into());
        amz[8] = b'T';
        digits(&mut amz[9..11], dt.hour().into());
        digits(&mut amz[11..13], dt.minute().into());
        digits(&mut amz[13..15], dt.second().into());
        amz[15] = b'Z';
        Ok(SigningTime {
            seconds: ts.as_second(),
            amz,
        })
    }

    /// Parses `20150830T123600Z` (the `X-Amz-Date` form) or RFC 3339 (`2015-08-30T12:36:00Z`,
    /// any offset).
    ///
    /// ```
    /// use canreq::SigningTime;
    ///
    /// let t = SigningTime::parse("2015-08-30T14:36:00+02:00")?;
    /// assert_eq!(t, SigningTime::parse("20150830T123600Z")?);
    /// assert_eq!((t.amz_date(), t.date(), t.unix_seconds()), ("20150830T123600Z", "20150830", 1_440_938_160));
    ///
    /// let err = SigningTime::parse("20150230T123600Z").unwrap_err(); // no February 30
    /// assert!(err.to_string().contains("20150230T123600Z"));
    /// # Ok::<(), canreq::Error>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self> {
        match read_amz_date(text) {
            Some(time) => Ok(time),
            None => Self::parse_slowly(text),
        }
    }

    /// Anything but a real time in the `X-Amz-Date` form, through `jiff`, which also explains
    /// what is wrong.
    #[cold]
    fn parse_slowly(text: &str) -> Result<Self> {
        let ts = match parse_amz_date(text) {
            Some(ts) => ts.map_err(|reason| Error::InvalidTime {
                value: shown(text),
                reason,
            })?,
            None => text.parse().map_err(|e: jiff::Error| Error::InvalidTime {
                value: shown(text),
                reason: format!(
                    "expected YYYYMMDDTHHMMSSZ or RFC 3339 (2015-08-30T12:36:00Z): {e}"
                ),
            })?,
        };
        Self::from_timestamp(ts)
    }

    /// Parses an HTTP `Date` header (`Fri, 09 Sep 2011 23:36:00 GMT`, RFC 2822 with any zone),
    /// which gives a SigV4 request's time when it has no `X-Amz-Date`. The weekday is not
    /// checked: it adds nothing to the time, and AWS's own 2011 test vectors name the wrong one.
    ///
    /// ```
    /// use canreq::SigningTime;
    ///
    /// let t = SigningTime::parse_http_date("Mon, 09 Sep 2011 23:36:00 GMT")?;
    /// assert_eq!(t.amz_date(), "20110909T233600Z");
    /// assert_eq!(SigningTime::parse_http_date("09 Sep 2011 23:36:00 +0100")?.amz_date(), "20110909T223600Z");
    /// assert!(SigningTime::parse_http_date("20110909T233600Z").is_err());
    /// # Ok::<(), canreq::Error>(())
    /// ```
    pub fn parse_http_date(text: &str) -> Result<Self> {
        let without_weekday = text.split_once(", ").map_or(text, |(_, rest)| rest);
        let ts = jiff::fmt::rfc2822::DateTimeParser::new()
            .parse_timestamp(without_weekday)
            .map_err(|e| Error::InvalidTime {
                value: shown(text),
                reason: format!("expected an HTTP date (Fri, 09 Sep 2011 23:36:00 GMT): {e}"),
            })?;
        Self::from_timestamp(ts)
    }

    /// `YYYYMMDDTHHMMSSZ`, the value of `X-Amz-Date`.
    pub fn amz_date(&self) -> &str {
        // Built from ASCII digits, 'T' and 'Z' only.
        std::str::from_utf8(&self.amz).unwrap_or_default()
    }

    /// `YYYYMMDD`, the date of the credential scope.
    pub fn date(&self) -> &str {
        &self.amz_date()[..8]
    }

    /// [`date`](Self::date)'s bytes, for a compare that needs no `str`.
    pub(crate) fn date_bytes(&self) -> &[u8; 8] {
        self.amz.first_chunk().unwrap_or(&[0; 8])
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> i64 {
        self.seconds
    }

    /// The time as a `jiff` timestamp.
    pub fn timestamp(&self) -> Timestamp {
        Timestamp::from_second(self.seconds).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

/// `YYYYMMDDTHHMMSSZ` read by arithmetic, as every signer sends it and a verifier reads it once
/// per request. `None` for anything but a real time in that form, from the year 1 to the last
/// instant `jiff` can hold; [`parse_amz_date`] then decides and explains. The test
/// `read_amz_date_agrees_with_jiff` holds the two to the same answers.
fn read_amz_date(text: &str) -> Option<SigningTime> {
    let amz: [u8; 16] = text.as_bytes().try_into().ok()?;
    let [date, time] = [0, 8].map(|at| {
        let mut word = [0; 8];
        word.copy_from_slice(&amz[at..at + 8]);
        u64::from_le_bytes(word)
    });
    // `THHMMSSZ`: `T` and `Z` in place, then the six digits, moved down and followed by two
    // `0`s so that they read as eight.
    const TIME_DIGITS: u64 = 0x00ff_ffff_ffff_ff00;
    const T_AND_Z: u64 = u64::from_le_bytes([b'T', 0, 0, 0, 0, 0, 0, b'Z']);
    let time_digits =
        (time & TIME_DIGITS) >> 8 | u64::from_le_bytes([0, 0, 0, 0, 0, 0, b'0', b'0']);
    if time & !TIME_DIGITS != T_AND_Z
        || !eight_digits(&date.to_le_bytes())
        || !eight_digits(&time_digits.to_le_bytes())
    {
        return None;
    }
    let [century, year_in_century, month, day] = two_digit_numbers(date);
    let [hour, minute, second, _] = two_digit_numbers(time_digits);
    let year = century * 100 + year_in_century;
    let month_days = match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if year == 0 || !(1..=month_days).contains(&day) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    // Days since 1970-01-01, counted in years that start on 1 March, so that the leap day
    // ends a year (the civil-from-days algorithm, run backwards).
    let march_year = if month <= 2 { year - 1 } else { year };
    let (era, year_of_era) = (march_year / 400, march_year % 400);
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second;
    // `jiff`'s last instant (late on 9999-12-30, so that every offset can show it) is ours.
    (seconds <= Timestamp::MAX.as_second()).then_some(SigningTime { seconds, amz })
}

/// The four two-digit numbers that eight ASCII digits (first digit in the low byte) spell, in
/// order: each digit times ten plus the next, in every even byte at once.
fn two_digit_numbers(digits: u64) -> [i64; 4] {
    let values = digits - u64::from_le_bytes(*b"00000000");
    let pairs = (values * 10 + (values >> 8)) & 0x00ff_00ff_00ff_00ff;
    [0, 16, 32, 48].map(|shift| ((pairs >> shift) & 0xff) as i64)
}

/// Whether all eight bytes are ASCII digits, at once: a digit is `0x30..=0x39`, so its high
/// nibble is 3 and adding 6 leaves the high nibble 3 (a byte that carries into the next has
/// the high nibble `f`, and fails on its own).
#[inline]
pub(crate) fn eight_digits(bytes: &[u8; 8]) -> bool {
    const HIGH_NIBBLES: u64 = 0xf0f0_f0f0_f0f0_f0f0;
    let word = u64::from_le_bytes(*bytes);
    let sixes = word.wrapping_add(0x0606_0606_0606_0606);
    (word & HIGH_NIBBLES) | ((sixes & HIGH_NIBBLES) >> 4) == 0x3333_3333_3333_3333
}

/// `None` when `text` is not shaped like `YYYYMMDDTHHMMSSZ`; `Some(Err)` when it is but names no
/// real time (month 13, …).
fn parse_amz_date(text: &str) -> Option<std::result::Result<Timestamp, String>> {
    let b = text.as_bytes();
    let shaped = b.len() == 16
        && b[8] == b'T'
        && b[15] == b'Z'
        && b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit);
    if !shaped {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> i64 {
        b[r].iter().fold(0, |acc, d| acc * 10 + i64::from(d - b'0'))
    };
    let dt = DateTime::new(
        num(0..4) as i16,
        num(4..6) as i8,
        num(6..8) as i8,
        num(9..11) as i8,
        num(11..13) as i8,
        num(13..15) as i8,
        0,
    );
    Some(
        dt.and_then(|dt| TimeZone::UTC.to_timestamp(dt))
            .map_err(|e| e.to_string()),
    )
}

impl fmt::Debug for SigningTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningTime({})", self.amz_date())
    }
}

impl fmt::Display for SigningTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.amz_date())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_agree() {
        let a = SigningTime::parse("20150830T123600Z").unwrap();
        let b = SigningTime::parse("2015-08-30T14:36:00+02:00").unwrap();
        assert_eq!(a, b);
        assert_eq!(SigningTime::from_unix_seconds(1440938160).unwrap(), a);
    }

    #[test]
    fn bad_times_are_errors() {
        for bad in [
            "20151330T123600Z",
            "20150830T253600Z",
            "yesterday",
            "",
            "2015-08-30",
        ] {
            let err = SigningTime::parse(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidTime { .. }), "{bad}: {err}");
        }
        assert!(SigningTime::from_unix_seconds(i64::MAX).is_err());
        assert!(SigningTime::from_unix_seconds(-62_135_596_801).is_err());
        assert_eq!(
            SigningTime::from_unix_seconds(-62_135_596_800)
                .unwrap()
                .amz_date(),
            "00010101T000000Z"
        );
    }

    #[test]
    fn eight_digits_is_is_ascii_digit_for_every_byte_in_every_place() {
        for at in 0..8 {
            for b in 0..=255u8 {
                let mut bytes = *b"20150830";
                bytes[at] = b;
                assert_eq!(eight_digits(&bytes), b.is_ascii_digit(), "{bytes:?}");
                // Next to a byte that carries when 6 is added.
                bytes[(at + 1) % 8] = 0xfa;
                assert!(!eight_digits(&bytes), "{bytes:?}");
            }
        }
    }

    /// `jiff`'s reading of the `X-Amz-Date` form: what `parse` did before `read_amz_date`.
    fn through_jiff(text: &str) -> Option<SigningTime> {
        SigningTime::from_timestamp(parse_amz_date(text)?.ok()?).ok()
    }

    fn agree(text: &str) {
        assert_eq!(read_amz_date(text), through_jiff(text), "{text}");
    }

    #[test]
    fn read_amz_date_agrees_with_jiff() {
        // Every year, at the days around each month's start and end; then every day of a few
        // years that test the leap rules and the ends of the range.
        for year in 0..=9999 {
            for month in 0..=13 {
                for day in [0, 1, 28, 29, 30, 31, 32] {
                    agree(&format!("{year:04}{month:02}{day:02}T000000Z"));
                }
            }
        }
        for year in [
            1, 4, 100, 400, 1900, 1969, 1970, 2000, 2015, 2024, 2100, 9999,
        ] {
            for month in 1..=12 {
                for day in 1..=31 {
                    agree(&format!("{year:04}{month:02}{day:02}T123600Z"));
                }
            }
        }
        for (hour, minute, second) in [
            (0, 0, 0),
            (23, 59, 59),
            (24, 0, 0),
            (12, 60, 0),
            (12, 0, 60),
            (99, 99, 99),
        ] {
            agree(&format!("20150830T{hour:02}{minute:02}{second:02}Z"));
        }
        // Every byte in every place of a real time.
        for at in 0..16 {
            for b in 0..=255u8 {
                let mut bytes = *b"20240229T235959Z";
                bytes[at] = b;
                if let Ok(text) = std::str::from_utf8(&bytes) {
                    agree(text);
                }
            }
        }
        for text in [
            "20150830T123600",
            "20150830T123600ZZ",
            "2015-08-30T12:36:00Z",
            "",
        ] {
            assert_eq!(read_amz_date(text), None, "{text}");
        }
    }

    proptest::proptest! {
        #[test]
        fn read_amz_date_agrees_with_jiff_on_any_digits(
            digits in proptest::collection::vec(b'0'..=b'9', 14),
        ) {
            let text = format!(
                "{}T{}Z",
                std::str::from_utf8(&digits[..8]).unwrap(),
                std::str::from_utf8(&digits[8..]).unwrap()
            );
            proptest::prop_assert_eq!(read_amz_date(&text), through_jiff(&text), "{}", text);
        }
    }
}
