//! What a claim names: the credential (access key and scope) and the signed header names,
//! each checked for shape once and then read without another split.

use super::{AuthLocation, malformed};
use crate::refusal::AuthError;
use crate::text::{eq_ignore_case, find_byte};
use crate::time::eight_digits;

/// What ends every credential: `/` and the scope's terminator, as a fixed-size array for one
/// compare (the test `the_terminator_is_the_scopes` holds it to `SCOPE_TERMINATOR`).
const TERMINATOR: &[u8; 13] = b"/aws4_request";
const TERMINATOR_LEN: usize = TERMINATOR.len();

/// Where the parts of a well-formed credential, `AKID/YYYYMMDD/REGION/SERVICE/aws4_request`
/// (SigV4a's `AKID/YYYYMMDD/SERVICE/aws4_request`, whose region ends where the date does), end
/// in its text; read with that text, which the claim borrows and the verified request owns.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CredentialShape {
    key_end: usize,
    region_end: usize,
    service_end: usize,
}

impl CredentialShape {
    #[inline]
    pub fn access_key_id<'t>(&self, text: &'t str) -> &'t str {
        &text[..self.key_end]
    }

    #[inline]
    pub fn date<'t>(&self, text: &'t str) -> &'t str {
        &text[self.key_end + 1..self.key_end + 9]
    }

    /// The region; empty in a SigV4a credential.
    #[inline]
    pub fn region<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.key_end + 10..self.region_end)
            .unwrap_or_default()
    }

    #[inline]
    pub fn service<'t>(&self, text: &'t str) -> &'t str {
        &text[self.region_end + 1..self.service_end]
    }

    /// `YYYYMMDD/REGION/SERVICE/aws4_request`.
    #[inline]
    pub fn scope<'t>(&self, text: &'t str) -> &'t str {
        &text[self.key_end + 1..self.service_end + TERMINATOR_LEN]
    }
}

/// A credential whose shape has been checked, and its text (the claim borrows it from the
/// request, or owns what percent-decoding produced).
#[derive(Debug, Clone)]
pub(crate) struct Credential<T> {
    text: T,
    shape: CredentialShape,
}

impl<T: AsRef<str>> Credential<T> {
    #[inline]
    pub fn access_key_id(&self) -> &str {
        self.shape.access_key_id(self.text.as_ref())
    }

    #[inline]
    pub fn date(&self) -> &str {
        self.shape.date(self.text.as_ref())
    }

    #[inline]
    pub fn region(&self) -> &str {
        self.shape.region(self.text.as_ref())
    }

    #[inline]
    pub fn service(&self) -> &str {
        self.shape.service(self.text.as_ref())
    }

    /// The whole credential, as sent (decoded, in a query).
    #[inline]
    pub fn text(&self) -> &str {
        self.text.as_ref()
    }

    #[inline]
    pub fn shape(&self) -> CredentialShape {
        self.shape
    }
}

/// Checks the shape of `AKID/YYYYMMDD/REGION/SERVICE/aws4_request` (without the region for
/// SigV4a, `region_less`) and finds its parts.
pub(super) fn parse_credential<T: AsRef<str>>(
    text: T,
    location: AuthLocation,
    region_less: bool,
) -> Result<Credential<T>, AuthError> {
    let value = text.as_ref();
    let bytes = value.as_bytes();
    let slash_after = |from: usize| {
        bytes
            .get(from..)
            .and_then(|rest| find_byte(rest, b'/'))
            .map(|i| from + i)
    };
    // The date has a fixed length, so only the key, region and service ends are searched for;
    // the terminator's exact match rules out a sixth part.
    let ends = slash_after(0).and_then(|key_end| {
        // SigV4a's region is empty: it ends at the slash after the date.
        let region_end = if region_less {
            key_end + 9
        } else {
            slash_after(key_end + 10)?
        };
        let service_end = slash_after(region_end + 1)?;
        let date = bytes.get(key_end + 1..)?.first_chunk::<9>()?;
        let well_formed = key_end > 0
            && eight_digits(date.first_chunk::<8>()?)
            && date[8] == b'/'
            && (region_less || region_end > key_end + 10)
            && service_end > region_end + 1
            && service_end + TERMINATOR_LEN == bytes.len()
            && bytes.last_chunk() == Some(TERMINATOR);
        well_formed.then_some((key_end, region_end, service_end))
    });
    let Some((key_end, region_end, service_end)) = ends else {
        let form = if region_less {
            "<YOUR-AKID>/YYYYMMDD/SERVICE/aws4_request"
        } else {
            "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request"
        };
        return Err(AuthError::new(
            malformed(location),
            format!(
                "The Credential '{}' is mal-formed; expecting \"{form}\".",
                crate::error::shown(value)
            ),
        ));
    };
    let credential = Credential {
        text,
        shape: CredentialShape {
            key_end,
            region_end,
            service_end,
        },
    };
    // Region and service go into the string to sign: the same rules as a signer's scope.
    let region = (!region_less).then(|| ("region", credential.region()));
    for (field, part) in region
        .into_iter()
        .chain([("service", credential.service())])
    {
        crate::credentials::check_scope_part(field, part)
            .map_err(|e| AuthError::new(malformed(location), e.to_string()))?;
    }
    Ok(credential)
}

/// Checks that `value` is a list of header names, and finds where each ends.
pub(super) fn check_signed_headers(
    value: &str,
    location: AuthLocation,
) -> Result<SignedNames, AuthError> {
    let bytes = value.as_bytes();
    let mut names = SignedNames::default();
    // One pass: each byte is a name's or a separator, and a separator ends a name.
    let mut well_formed = true;
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b';' {
            well_formed &= i > start;
            names.note(&bytes[start..i], i);
            start = i + 1;
        } else {
            well_formed &= crate::canonical::is_tchar(b);
        }
    }
    well_formed &= bytes.len() > start;
    names.note(&bytes[start..], bytes.len());
    if !well_formed {
        return Err(AuthError::new(
            malformed(location),
            format!(
                "SignedHeaders '{}' is not a ';'-separated list of header names.",
                crate::error::shown(value)
            ),
        ));
    }
    if names.overflow {
        names.long = sorted_names(value);
    }
    Ok(names)
}

/// The names of a `SignedHeaders` list, found once when the list is checked: every header of
/// the request is then looked up without splitting the list again. Long lists (beyond
/// [`SignedNames::HELD`] names) are sorted once instead, so that a request with thousands of
/// headers and names costs a sort and a binary search each, not their product.
#[derive(Debug, Clone, Default)]
pub(crate) struct SignedNames {
    ends: [u16; SignedNames::HELD],
    count: usize,
    overflow: bool,
    host: bool,
    /// For a long list: where each name starts and ends, sorted by name ignoring case.
    long: Box<[(usize, usize)]>,
}

/// `host`, as `SignedNames::note` compares it.
const HOST: u32 = u32::from_le_bytes(*b"host");

// `SignedNames::find` gives each held name a bit of a `u32`.
const _: () = assert!(SignedNames::HELD < 32);

impl SignedNames {
    const HELD: usize = 16;

    /// Whether `host` is among the names.
    pub(super) fn has_host(&self) -> bool {
        self.host
    }

    /// Notes `name`, which ends at `end` in the list.
    #[inline]
    fn note(&mut self, name: &[u8], end: usize) {
        // `host` in any case, by one compare: or-ing 0x20 folds exactly the letters' cases
        // onto `host`'s bytes.
        self.host |= name
            .first_chunk::<4>()
            .is_some_and(|n| name.len() == 4 && u32::from_le_bytes(*n) | 0x2020_2020 == HOST);
        self.push(end);
    }

    fn push(&mut self, end: usize) {
        match (self.ends.get_mut(self.count), u16::try_from(end)) {
            (Some(slot), Ok(end)) => {
                *slot = end;
                self.count += 1;
            }
            _ => self.overflow = true,
        }
    }

    #[inline]
    pub(super) fn contains(&self, list: &str, name: &str) -> bool {
        self.find(list, name).is_some()
    }

    /// Whether `name` is in `list` (ignoring case), as a bit for [`all_seen`](Self::all_seen):
    /// `1 << i` for the `i`th name of a held list, 0 for a list too long to hold.
    #[inline]
    pub(super) fn find(&self, list: &str, name: &str) -> Option<u32> {
        let (list, name) = (list.as_bytes(), name.as_bytes());
        if self.overflow {
            let found = self
                .long
                .binary_search_by(|&(start, end)| cmp_folded(&list[start..end], name));
            return found.is_ok().then_some(0);
        }
        let mut start = 0;
        for (i, &end) in self.ends[..self.count].iter().enumerate() {
            let end = usize::from(end);
            if end - start == name.len() && eq_ignore_case(&list[start..end], name) {
                return Some(1 << i);
            }
            start = end + 1;
        }
        None
    }

    /// Whether the bits [`find`](Self::find) gave cover every name of the list. `false` for a
    /// list too long to hold: the caller then looks for each name itself.
    pub(super) fn all_seen(&self, seen: u32) -> bool {
        !self.overflow && seen == (1u32 << self.count) - 1
    }
}

/// Where each name of `list` starts and ends, sorted by name ignoring case.
#[cold]
fn sorted_names(list: &str) -> Box<[(usize, usize)]> {
    let bytes = list.as_bytes();
    let mut start = 0;
    let mut ranges: Vec<(usize, usize)> = list
        .split(';')
        .map(|name| {
            let range = (start, start + name.len());
            start = range.1 + 1;
            range
        })
        .collect();
    ranges.sort_unstable_by(|a, b| cmp_folded(&bytes[a.0..a.1], &bytes[b.0..b.1]));
    ranges.into_boxed_slice()
}

/// `a` against `b`, as if both were lowercase.
fn cmp_folded(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    a.iter()
        .map(u8::to_ascii_lowercase)
        .cmp(b.iter().map(u8::to_ascii_lowercase))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refusal::ErrorCode;

    #[test]
    fn the_terminator_is_the_scopes() {
        let expected = format!("/{}", crate::credentials::SCOPE_TERMINATOR);
        assert_eq!(TERMINATOR, expected.as_bytes());
    }

    #[test]
    fn credentials_of_the_wrong_shape_are_malformed() {
        let good = "AKID/20150830/us-east-1/service/aws4_request";
        let parts = parse_credential(good, AuthLocation::Header, false).expect("well formed");
        assert_eq!(parts.access_key_id(), "AKID");
        assert_eq!(parts.date(), "20150830");
        assert_eq!(parts.region(), "us-east-1");
        assert_eq!(parts.service(), "service");
        // The shape reads the credential from its text, wherever that text is kept.
        let shape = parts.shape();
        let owned = good.to_owned();
        assert_eq!(shape.access_key_id(&owned), "AKID");
        assert_eq!(shape.region(&owned), "us-east-1");
        assert_eq!(shape.service(&owned), "service");
        assert_eq!(
            shape.scope(&owned),
            "20150830/us-east-1/service/aws4_request"
        );
        for bad in [
            "",
            "AKID",
            "/20150830/us-east-1/service/aws4_request",
            "AKID/2015083/us-east-1/service/aws4_request",
            "AKID/2015083x/us-east-1/service/aws4_request",
            "AKID/201508300/us-east-1/service/aws4_request",
            "AKID/20150830//service/aws4_request",
            "AKID/20150830/us-east-1//aws4_request",
            "AKID/20150830/us-east-1/service",
            "AKID/20150830/us-east-1/service/",
            "AKID/20150830/us-east-1/service/aws4_request/",
            "AKID/20150830/us-east-1/service/aws4_request/x",
            "AKID/20150830/us-east-1/service/aws4_requesx",
            "AKID/20150830/us east-1/service/aws4_request",
            "AKID/20150830/us-east-1/serv\u{85}ice/aws4_request",
            "AKID/20150830/us-east-1/a=b/aws4_request",
            "AKID/2015/830/us-east-1/service/aws4_request",
        ] {
            let err = parse_credential(bad, AuthLocation::Header, false).expect_err(bad);
            assert_eq!(err.code(), ErrorCode::AuthorizationHeaderMalformed, "{bad}");
        }
    }

    #[test]
    fn sigv4a_credentials_have_no_region() {
        let good = "AKID/20150830/service/aws4_request";
        let parts = parse_credential(good, AuthLocation::Query, true).expect("well formed");
        assert_eq!(parts.access_key_id(), "AKID");
        assert_eq!(parts.date(), "20150830");
        assert_eq!(parts.region(), "");
        assert_eq!(parts.service(), "service");
        assert_eq!(parts.shape().scope(good), "20150830/service/aws4_request");
        for bad in [
            "AKID/20150830/us-east-1/service/aws4_request",
            "AKID/20150830//aws4_request",
            "AKID/20150830/aws4_request",
            "AKID/2015083x/service/aws4_request",
            "/20150830/service/aws4_request",
            "AKID/20150830/a=b/aws4_request",
        ] {
            let err = parse_credential(bad, AuthLocation::Query, true).expect_err(bad);
            assert_eq!(
                err.code(),
                ErrorCode::AuthorizationQueryParametersError,
                "{bad}"
            );
        }
        // A SigV4 credential is not read as SigV4a's, nor the reverse.
        assert!(parse_credential(good, AuthLocation::Header, false).is_err());
    }

    #[test]
    fn host_is_noted_in_any_case_and_nothing_else() {
        for b0 in 0..=255u8 {
            for name in [
                [b0, b'o', b's', b't'],
                [b'h', b0, b's', b't'],
                [b'h', b'o', b'S', b0],
            ] {
                let mut names = SignedNames::default();
                names.note(&name, 4);
                assert_eq!(names.host, name.eq_ignore_ascii_case(b"host"), "{name:?}");
            }
        }
        let mut names = SignedNames::default();
        names.note(b"hostx", 5);
        names.note(b"hos", 9);
        assert!(!names.host);
    }

    #[test]
    fn signed_names_are_found_in_short_and_long_lists() {
        let short = "host;x-amz-date;x-amz-content-sha256";
        let long: Vec<String> = (0..40).map(|i| format!("x-h{i:02}")).collect();
        let long = format!("host;{}", long.join(";"));
        // Long lists are sorted for the search: one out of order and in mixed case, and one
        // past the u16 offsets of the short form.
        let shuffled: Vec<String> = (0..40).rev().map(|i| format!("X-H{i:02}")).collect();
        let shuffled = format!("{};Host", shuffled.join(";"));
        let wide = format!("host;x-{}", "w".repeat(70_000));
        for list in [short, long.as_str(), shuffled.as_str(), wide.as_str()] {
            let names = check_signed_headers(list, AuthLocation::Header).expect("well formed");
            assert!(names.host);
            for name in list.split(';') {
                assert!(names.contains(list, name), "{name} in {list}");
                assert!(names.contains(list, &name.to_ascii_uppercase()));
            }
            for absent in ["hos", "hostx", "x-amz", "", "date", "x-h4", "x-h400"] {
                assert!(!names.contains(list, absent), "{absent} in {list}");
            }
        }
        let names = check_signed_headers("x-amz-date", AuthLocation::Query).expect("one name");
        assert!(!names.host);
        for bad in ["", ";", "host;", ";host", "host;;x-amz-date", "host;x amz"] {
            let err = check_signed_headers(bad, AuthLocation::Query).expect_err(bad);
            assert_eq!(err.code(), ErrorCode::AuthorizationQueryParametersError);
        }
    }
}
