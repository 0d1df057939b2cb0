//! Percent-encoding and hex, as SigV4 defines them.
//!
//! SigV4's `UriEncode` keeps exactly the RFC 3986 unreserved set (`A-Z a-z 0-9 - . _ ~`) and
//! writes every other byte as `%XY` with uppercase hex. A space is `%20`, never `+`. The tables
//! here are 256-entry lookups rather than `percent-encoding`'s `AsciiSet`, because the hot loop
//! copies whole runs of unreserved bytes at once and that needs a byte class, not an iterator.

use std::borrow::Cow;

/// Byte classes, one bit each.
const UNRESERVED: u8 = 1;
/// Bytes that may stand raw in a path on the wire: unreserved, sub-delims, `:`, `@`, `/`, `%`.
const PATH_SAFE: u8 = 2;

static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let unreserved = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~');
        let path_safe = unreserved
            || matches!(
                c,
                b'!' | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
                    | b'/'
                    | b'%'
            );
        t[b] = (unreserved as u8 * UNRESERVED) | (path_safe as u8 * PATH_SAFE);
        b += 1;
    }
    t
};

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// Is `b` in the SigV4 unreserved set?
#[inline]
pub(crate) fn is_unreserved(b: u8) -> bool {
    CLASS[b as usize] & UNRESERVED != 0
}

/// Appends `input` to `out` with SigV4 `UriEncode`; `/` is kept when `keep_slash`.
pub(crate) fn uri_encode_into(out: &mut String, input: &[u8], keep_slash: bool) {
    encode_where(out, input, |b| {
        is_unreserved(b) || (keep_slash && b == b'/')
    });
}

/// Appends `input`, percent-encoding only bytes that may not stand raw in a URI path (space,
/// controls, non-ASCII, `"<>\^`{|}` …). Existing `%XY` escapes are kept as they are.
pub(crate) fn wire_path_encode_into(out: &mut String, input: &[u8]) {
    encode_where(out, input, |b| CLASS[b as usize] & PATH_SAFE != 0);
}

#[inline]
fn encode_where(out: &mut String, input: &[u8], keep: impl Fn(u8) -> bool) {
    // Every byte kept is ASCII, every other byte becomes three ASCII bytes, so the output is
    // ASCII whatever `input` is; building it from ASCII pieces keeps `out` valid UTF-8.
    let mut rest = input;
    while !rest.is_empty() {
        let run = rest.iter().position(|&b| !keep(b)).unwrap_or(rest.len());
        let (plain, tail) = rest.split_at(run);
        // `plain` holds only kept bytes, all ASCII.
        out.push_str(std::str::from_utf8(plain).unwrap_or_default());
        if let Some((&b, tail)) = tail.split_first() {
            out.push('%');
            out.push(HEX_UPPER[(b >> 4) as usize] as char);
            out.push(HEX_UPPER[(b & 0xf) as usize] as char);
            rest = tail;
        } else {
            rest = tail;
        }
    }
}

/// The SigV4 encoding of `input` as a new `Cow`: borrowed when nothing needs encoding.
pub(crate) fn uri_encode(input: &str) -> Cow<'_, str> {
    if input.bytes().all(is_unreserved) {
        Cow::Borrowed(input)
    } else {
        let mut out = String::with_capacity(input.len() + 8);
        uri_encode_into(&mut out, input.as_bytes(), false);
        Cow::Owned(out)
    }
}

/// A `%` that is not followed by two hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadEscape;

/// Decodes `%XY` escapes. `+` is a literal plus, as SigV4 (unlike HTML forms) requires.
pub(crate) fn percent_decode(input: &str) -> Result<Cow<'_, [u8]>, BadEscape> {
    let bytes = input.as_bytes();
    let Some(first) = bytes.iter().position(|&b| b == b'%') else {
        return Ok(Cow::Borrowed(bytes));
    };
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..first]);
    let mut i = first;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = bytes.get(i + 1).and_then(|&b| hex_value(b));
            let lo = bytes.get(i + 2).and_then(|&b| hex_value(b));
            match (hi, lo) {
                (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                _ => return Err(BadEscape),
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(Cow::Owned(out))
}

/// Checks that every `%` in `input` starts a valid escape.
pub(crate) fn check_escapes(input: &[u8]) -> Result<(), BadEscape> {
    let mut i = 0;
    while let Some(pos) = input[i..].iter().position(|&b| b == b'%') {
        let at = i + pos;
        let ok = input.get(at + 1).is_some_and(|&b| hex_value(b).is_some())
            && input.get(at + 2).is_some_and(|&b| hex_value(b).is_some());
        if !ok {
            return Err(BadEscape);
        }
        i = at + 3;
    }
    Ok(())
}

#[inline]
fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Appends the lowercase hex of `bytes` to `out`.
pub(crate) fn hex_into(out: &mut String, bytes: &[u8]) {
    out.reserve(bytes.len() * 2);
    for &b in bytes {
        out.push(HEX_LOWER[(b >> 4) as usize] as char);
        out.push(HEX_LOWER[(b & 0xf) as usize] as char);
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    hex_into(&mut out, bytes);
    out
}

/// Parses lowercase hex into `out`; `false` if `text` is not exactly `2 * out.len()` lowercase
/// hex digits.
pub(crate) fn parse_lower_hex(text: &str, out: &mut [u8]) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != out.len() * 2 {
        return false;
    }
    for (dst, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let lower = |b: u8| match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            _ => None,
        };
        match (lower(pair[0]), lower(pair[1])) {
            (Some(hi), Some(lo)) => *dst = hi << 4 | lo,
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(input: &str, keep_slash: bool) -> String {
        let mut out = String::new();
        uri_encode_into(&mut out, input.as_bytes(), keep_slash);
        out
    }

    #[test]
    fn unreserved_is_kept_everything_else_is_encoded() {
        assert_eq!(enc("AZaz09-._~", false), "AZaz09-._~");
        assert_eq!(enc("a b+c/d", false), "a%20b%2Bc%2Fd");
        assert_eq!(enc("a b+c/d", true), "a%20b%2Bc/d");
        assert_eq!(enc("ሴ", false), "%E1%88%B4");
        assert_eq!(enc("%20", false), "%2520");
    }

    #[test]
    fn wire_encoding_keeps_escapes_and_sub_delims() {
        let mut out = String::new();
        wire_path_encode_into(&mut out, "/a b/%2F!$'()*+,;=:@/ሴ\"".as_bytes());
        assert_eq!(out, "/a%20b/%2F!$'()*+,;=:@/%E1%88%B4%22");
    }

    #[test]
    fn decode_keeps_plus_and_rejects_bad_escapes() {
        assert_eq!(&*percent_decode("a+b%20c%2b").unwrap(), b"a+b c+");
        assert_eq!(percent_decode("%"), Err(BadEscape));
        assert_eq!(percent_decode("%4"), Err(BadEscape));
        assert_eq!(percent_decode("%zz"), Err(BadEscape));
        assert!(check_escapes(b"%41%").is_err());
        assert!(check_escapes(b"%41x").is_ok());
    }

    #[test]
    fn hex_round_trip() {
        let mut buf = [0u8; 2];
        assert_eq!(hex(&[0xab, 0x01]), "ab01");
        assert!(parse_lower_hex("ab01", &mut buf));
        assert_eq!(buf, [0xab, 0x01]);
        assert!(!parse_lower_hex("AB01", &mut buf));
        assert!(!parse_lower_hex("ab0", &mut buf));
    }
}
