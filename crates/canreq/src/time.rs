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
        let bad = |reason: String| Error::InvalidTime {
            value: shown(text),
            reason,
        };
        if let Some(ts) = parse_amz_date(text) {
            let ts = ts.map_err(bad)?;
            // Already in the `X-Amz-Date` form (checked digit by digit, and a valid date):
            // keep the text rather than formatting the timestamp again.
            if let Ok(amz) = <[u8; 16]>::try_from(text.as_bytes())
                && !text.starts_with("0000")
            {
                return Ok(SigningTime {
                    seconds: ts.as_second(),
                    amz,
                });
            }
            return Self::from_timestamp(ts);
        }
        let ts: Timestamp = text.parse().map_err(|e: jiff::Error| {
            bad(format!(
                "expected YYYYMMDDTHHMMSSZ or RFC 3339 (2015-08-30T12:36:00Z): {e}"
            ))
        })?;
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

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> i64 {
        self.seconds
    }

    /// The time as a `jiff` timestamp.
    pub fn timestamp(&self) -> Timestamp {
        Timestamp::from_second(self.seconds).unwrap_or(Timestamp::UNIX_EPOCH)
    }
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
}
