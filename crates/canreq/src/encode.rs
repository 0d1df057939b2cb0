//! Percent-encoding and hex, as SigV4 defines them.
//!
//! SigV4's `UriEncode` keeps exactly the RFC 3986 unreserved set (`A-Z a-z 0-9 - . _ ~`) and
//! writes every other byte as `%XY` with uppercase hex. A space is `%20`, never `+`. The tables
//! here are 256-entry lookups rather than `percent-encoding`'s `AsciiSet`, because the hot loop
//! copies whole runs of unreserved bytes at once and that needs a byte class, not an iterator.

use std::borrow::Cow;

use crate::text::find_byte;

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
    encode_where(out, input, None, |b| {
        is_unreserved(b) || (keep_slash && b == b'/')
    });
}

/// [`uri_encode_into`] for text, which saves re-checking the UTF-8 of every copied run.
pub(crate) fn uri_encode_str_into(out: &mut String, input: &str, keep_slash: bool) {
    encode_where(out, input.as_bytes(), Some(input), |b| {
        is_unreserved(b) || (keep_slash && b == b'/')
    });
}

/// Appends `input`, percent-encoding only bytes that may not stand raw in a URI path (space,
/// controls, non-ASCII, `"<>\^`{|}` …). Existing `%XY` escapes are kept as they are.
pub(crate) fn wire_path_encode_into(out: &mut String, input: &[u8]) {
    encode_where(out, input, None, |b| CLASS[b as usize] & PATH_SAFE != 0);
}

/// `text`, when given, is `input` as a `str`.
#[inline]
fn encode_where(out: &mut String, input: &[u8], text: Option<&str>, keep: impl Fn(u8) -> bool) {
    // Every byte kept is ASCII, every other byte becomes three ASCII bytes, so the output is
    // ASCII whatever `input` is; building it from ASCII pieces keeps `out` valid UTF-8.
    let mut start = 0;
    while let Some(rest) = input.get(start..).filter(|r| !r.is_empty()) {
        let end = rest
            .iter()
            .position(|&b| !keep(b))
            .map_or(input.len(), |n| start + n);
        // `start..end` holds only kept bytes, all ASCII, so in `text` it lies on character
        // boundaries and needs no second UTF-8 check.
        let plain = match text {
            Some(text) => text.get(start..end),
            None => input
                .get(start..end)
                .and_then(|p| std::str::from_utf8(p).ok()),
        };
        out.push_str(plain.unwrap_or_default());
        if let Some(&b) = input.get(end) {
            let escape = [
                b'%',
                HEX_UPPER[(b >> 4) as usize],
                HEX_UPPER[(b & 0xf) as usize],
            ];
            out.push_str(std::str::from_utf8(&escape).unwrap_or_default());
        }
        start = end + 1;
    }
}

/// Whether `input` is already in SigV4 form: unreserved bytes, and `%XY` escapes (uppercase
/// hex) of bytes outside the unreserved set. Such text decodes and re-encodes to itself, so it
/// can be used as it is.
pub(crate) fn is_sigv4_encoded(input: &[u8]) -> bool {
    let upper_hex = |d: Option<&u8>| {
        d.filter(|d| !d.is_ascii_lowercase())
            .and_then(|&d| hex_value(d))
    };
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        if is_unreserved(b) {
            i += 1;
            continue;
        }
        match (b, upper_hex(input.get(i + 1)), upper_hex(input.get(i + 2))) {
            (b'%', Some(hi), Some(lo)) if !is_unreserved(hi << 4 | lo) => i += 3,
            _ => return false,
        }
    }
    true
}

/// A `%` that is not followed by two hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadEscape;

/// Decodes `%XY` escapes. `+` is a literal plus, as SigV4 (unlike HTML forms) requires.
#[inline]
pub(crate) fn percent_decode(input: &str) -> Result<Cow<'_, [u8]>, BadEscape> {
    // Inline up to the first escape: most components have none, and a result returned
    // through memory stalled the caller's 16-byte load of it.
    let bytes = input.as_bytes();
    match find_byte(bytes, b'%') {
        None => Ok(Cow::Borrowed(bytes)),
        Some(first) => decode_from(bytes, first).map(Cow::Owned),
    }
}

/// [`percent_decode`] of `bytes`, whose first escape starts at `first`.
fn decode_from(bytes: &[u8], first: usize) -> Result<Vec<u8>, BadEscape> {
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..first]);
    // Escape by escape, each run between two copied whole: a presigned URL's credential is
    // decoded on every request.
    let mut rest = &bytes[first..];
    loop {
        // `rest` starts with a `%`.
        let Some(&[_, hi, lo]) = rest.first_chunk::<3>() else {
            return Err(BadEscape);
        };
        let (Some(hi), Some(lo)) = (hex_value(hi), hex_value(lo)) else {
            return Err(BadEscape);
        };
        out.push(hi << 4 | lo);
        rest = &rest[3..];
        match find_byte(rest, b'%') {
            Some(next) => {
                out.extend_from_slice(&rest[..next]);
                rest = &rest[next..];
            }
            None => {
                out.extend_from_slice(rest);
                return Ok(out);
            }
        }
    }
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
    // Digits go through a stack buffer and into `out` one chunk at a time: pushing them one
    // `char` at a time costs a capacity check and UTF-8 encoding per digit, which showed in the
    // signing profile (two 32-byte digests per signature).
    out.reserve(bytes.len() * 2);
    for chunk in bytes.chunks(32) {
        let digits = Hex64::new(chunk);
        out.push_str(digits.as_str());
    }
}

/// Both lowercase hex digits of every byte value: one lookup per byte.
static HEX_PAIRS: [[u8; 2]; 256] = {
    let mut t = [[0u8; 2]; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = [HEX_LOWER[b >> 4], HEX_LOWER[b & 0xf]];
        b += 1;
    }
    t
};

/// The lowercase hex of up to 32 bytes (a SHA-256 digest), on the stack.
#[derive(Clone, Copy)]
pub(crate) struct Hex64 {
    digits: [u8; 64],
    len: u8,
}

impl Hex64 {
    /// The hex of `bytes`; only the first 32 bytes are used.
    pub(crate) fn new(bytes: &[u8]) -> Self {
        let mut digits = [0u8; 64];
        let mut len = 0;
        for (pair, &b) in digits.chunks_exact_mut(2).zip(bytes) {
            pair.copy_from_slice(&HEX_PAIRS[usize::from(b)]);
            len += 2;
        }
        Hex64 { digits, len }
    }

    /// The digits, as bytes.
    pub(crate) fn digits(&self) -> &[u8] {
        &self.digits[..usize::from(self.len)]
    }

    /// The digits.
    pub(crate) fn as_str(&self) -> &str {
        // Only hex digits are ever written: always ASCII.
        std::str::from_utf8(&self.digits[..usize::from(self.len)]).unwrap_or_default()
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    hex_into(&mut out, bytes);
    out
}

/// The value of each lowercase hex digit; 0x10 for any other byte.
static LOWER_HEX: [u8; 256] = {
    let mut t = [0x10u8; 256];
    let mut d = 0;
    while d < 16 {
        t[HEX_LOWER[d] as usize] = d as u8;
        d += 1;
    }
    t
};

/// Parses lowercase hex into `out`; `false` if `text` is not exactly `2 * out.len()` lowercase
/// hex digits.
pub(crate) fn parse_lower_hex(text: &str, out: &mut [u8]) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != out.len() * 2 {
        return false;
    }
    // Branch-free, eight digits at a time (verifiers parse a 64-digit signature per request);
    // the flags are gathered and checked once.
    let (words, tail) = bytes.as_chunks::<8>();
    let (quads, out_tail) = out.as_chunks_mut::<4>();
    let mut bad = 0u64;
    for (word, quad) in words.iter().zip(quads) {
        let (value, invalid) = decode_hex_word(u64::from_le_bytes(*word));
        *quad = value;
        bad |= invalid;
    }
    for (dst, pair) in out_tail.iter_mut().zip(tail.chunks_exact(2)) {
        let (hi, lo) = (
            LOWER_HEX[usize::from(pair[0])],
            LOWER_HEX[usize::from(pair[1])],
        );
        bad |= u64::from((hi | lo) & 0x10);
        *dst = hi << 4 | (lo & 0xf);
    }
    bad == 0
}

/// Eight hex digits, the first in the lowest byte, as four bytes; the flag is nonzero when a
/// byte is not a lowercase hex digit (the bytes are then meaningless).
#[inline]
fn decode_hex_word(word: u64) -> ([u8; 4], u64) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const LOW_BYTES: u64 = 0x00ff_00ff_00ff_00ff;
    let non_ascii = word & HIGHS;
    let ascii = word & !HIGHS;
    // Per byte, `b + (0x80 - c)` sets the high bit exactly when `b >= c`: `b` and `0x80 - c`
    // are both below 0x80 here, so no sum carries into the next byte.
    let at_least = |c: u8| ascii + ONES * u64::from(0x80 - c);
    let digit = at_least(b'0') & !at_least(b'9' + 1);
    let letter = at_least(b'a') & !at_least(b'f' + 1);
    let invalid = (((digit | letter) & HIGHS) ^ HIGHS) | non_ascii;
    // '0'..='9' are 0x30..=0x39 and 'a'..='f' are 0x61..=0x66: the low nibble, plus 9 for a letter.
    let nibbles = (ascii & (ONES * 0x0f)) + ((letter & HIGHS) >> 7) * 9;
    // Each 16-bit lane holds a digit pair, the first digit (the high nibble) in its low byte.
    let lanes = ((nibbles & LOW_BYTES) << 4) | ((nibbles >> 8) & LOW_BYTES);
    let value = [
        lanes as u8,
        (lanes >> 16) as u8,
        (lanes >> 32) as u8,
        (lanes >> 48) as u8,
    ];
    (value, invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain parse the word-at-a-time one must agree with.
    fn parse_by_table(text: &[u8], out: &mut [u8]) -> bool {
        let digit = |b: u8| match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            _ => None,
        };
        if text.len() != out.len() * 2 {
            return false;
        }
        for (dst, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
            match (digit(pair[0]), digit(pair[1])) {
                (Some(hi), Some(lo)) => *dst = hi << 4 | lo,
                _ => return false,
            }
        }
        true
    }

    #[test]
    fn hex_parse_agrees_with_a_plain_parse_for_every_byte_everywhere() {
        let valid = b"0123456789abcdef";
        for len in [2usize, 6, 8, 14, 16, 64] {
            let base: Vec<u8> = (0..len).map(|i| valid[(i * 7 + 3) % 16]).collect();
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut text = base.clone();
                    text[at] = b;
                    let (mut fast, mut plain) = (vec![0u8; len / 2], vec![0u8; len / 2]);
                    let ok =
                        std::str::from_utf8(&text).is_ok_and(|t| parse_lower_hex(t, &mut fast));
                    let expected = parse_by_table(&text, &mut plain);
                    assert_eq!(ok, expected, "{text:?}");
                    if ok {
                        assert_eq!(fast, plain, "{text:?}");
                    }
                }
            }
        }
        let mut out = [0u8; 32];
        let all: String = (0..64).map(|i| valid[i % 16] as char).collect();
        assert!(parse_lower_hex(&all, &mut out));
        assert_eq!(hex(&out), all);
    }

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
    fn already_encoded_text_is_recognised() {
        assert!(is_sigv4_encoded(b"AZaz09-._~"));
        assert!(is_sigv4_encoded(b"a%2Fb%20c%E1%88%B4"));
        assert!(is_sigv4_encoded(b""));
        assert!(!is_sigv4_encoded(b"a%2fb"), "lowercase hex is re-encoded");
        assert!(
            !is_sigv4_encoded(b"%41"),
            "an escaped unreserved byte is decoded"
        );
        assert!(!is_sigv4_encoded(b"a+b"));
        assert!(!is_sigv4_encoded(b"a b"));
        assert!(!is_sigv4_encoded(b"%2"));
        assert!(!is_sigv4_encoded(b"%zz"));
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

    /// Decoding a byte at a time: what the run-by-run decoder must agree with.
    fn decode_by_bytes(input: &[u8]) -> Result<Vec<u8>, BadEscape> {
        let mut out = Vec::new();
        let mut i = 0;
        while let Some(&b) = input.get(i) {
            if b == b'%' {
                let digit = |at: usize| input.get(at).and_then(|&d| hex_value(d));
                let (Some(hi), Some(lo)) = (digit(i + 1), digit(i + 2)) else {
                    return Err(BadEscape);
                };
                out.push(hi << 4 | lo);
                i += 3;
            } else {
                out.push(b);
                i += 1;
            }
        }
        Ok(out)
    }

    proptest::proptest! {
        /// Escapes, broken escapes and plain runs of any length, in any order.
        #[test]
        fn percent_decode_agrees_with_a_byte_at_a_time_decoder(
            pieces in proptest::collection::vec(proptest::prop_oneof![
                "%[0-9A-Fa-f]{2}",
                "%[0-9a-gz]{0,2}",
                "[a-z+/ ~]{0,12}",
            ], 0..8),
        ) {
            let input = pieces.concat();
            let decoded = percent_decode(&input).map(|d| d.into_owned());
            proptest::prop_assert_eq!(decoded, decode_by_bytes(input.as_bytes()), "{:?}", input);
        }
    }

    #[test]
    fn hex_round_trip() {
        let mut buf = [0u8; 2];
        assert_eq!(hex(&[0xab, 0x01]), "ab01");
        assert!(parse_lower_hex("ab01", &mut buf));
        assert_eq!(buf, [0xab, 0x01]);
        assert!(!parse_lower_hex("AB01", &mut buf));
        assert!(!parse_lower_hex("ab0", &mut buf));
        assert!(!parse_lower_hex("ag01", &mut buf));
        assert!(!parse_lower_hex("ab 1", &mut buf));
        assert!(parse_lower_hex("ff09", &mut buf));
        assert_eq!(buf, [0xff, 0x09]);
    }
}
