//! Byte-level text scanning for the claim: it is parsed on every request.

/// Splits at an ASCII delimiter with [`find_byte`]: `str::split` with a `char` pattern (or a
/// byte-at-a-time loop) costs several times more. Cutting at an ASCII byte keeps UTF-8
/// boundaries, so the pieces are `&str` slices of the input.
pub(super) fn split_ascii(text: &str, delimiter: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        match find_byte(current.as_bytes(), delimiter) {
            Some(i) => {
                rest = Some(&current[i + 1..]);
                Some(&current[..i])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// The index of the first `needle` in `haystack`, eight bytes at a time in a `u64`. The claim's
/// fields are tens of bytes: too short for `memchr`'s set-up to pay, too long for a loop over
/// single bytes.
#[inline]
pub(super) fn find_byte(haystack: &[u8], needle: u8) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let pattern = ONES * u64::from(needle);
    let (words, tail) = haystack.as_chunks::<8>();
    for (i, word) in words.iter().enumerate() {
        // A byte equal to `needle` is a zero byte of `x`; the lowest flagged byte is exact
        // (a borrow can only flag bytes above a true zero).
        let x = u64::from_le_bytes(*word) ^ pattern;
        let zeros = x.wrapping_sub(ONES) & !x & HIGHS;
        if zeros != 0 {
            return Some(i * 8 + (zeros.trailing_zeros() / 8) as usize);
        }
    }
    let offset = haystack.len() - tail.len();
    tail.iter().position(|&b| b == needle).map(|p| offset + p)
}

/// Whether `text` starts with `prefix`, by one fixed-size compare (no call to `memcmp`).
#[inline]
pub(super) fn starts_with<const N: usize>(text: &[u8], prefix: &[u8; N]) -> bool {
    text.first_chunk::<N>() == Some(prefix)
}

/// Whether `name` equals `lower`, an ASCII-lowercase constant, ignoring ASCII case. Only one
/// side needs folding, and without a branch per byte: a letter of `lower` matches either case,
/// any other byte only itself.
#[inline]
pub(crate) fn eq_lowercase(name: &[u8], lower: &[u8]) -> bool {
    if name.len() != lower.len() {
        return false;
    }
    let mut diff = 0u8;
    for (&a, &b) in name.iter().zip(lower) {
        let fold = if b.is_ascii_lowercase() { 0x20 } else { 0 };
        diff |= (a | fold) ^ b;
    }
    diff == 0
}

/// `text` before and after the first `delimiter` (ASCII).
pub(super) fn split_once_ascii(text: &str, delimiter: u8) -> Option<(&str, &str)> {
    let i = find_byte(text.as_bytes(), delimiter)?;
    Some((&text[..i], &text[i + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eq_lowercase_is_eq_ignore_ascii_case_against_lowercase() {
        let lowers: [&[u8]; 8] = [
            b"host",
            b"x-amz-date",
            b"a1-_~",
            b"",
            b"\x80z",
            b"x-amz-",
            b"authorization",
            b"x-amz-content-sha256",
        ];
        for lower in lowers {
            // Every byte value in every position, against the standard comparison.
            for at in 0..lower.len() {
                for b in 0..=255u8 {
                    let mut name = lower.to_vec();
                    name[at] = b;
                    assert_eq!(
                        eq_lowercase(&name, lower),
                        name.eq_ignore_ascii_case(lower),
                        "{name:?} vs {lower:?}"
                    );
                }
            }
            assert!(!eq_lowercase(&[lower, b"x"].concat(), lower));
        }
    }

    #[test]
    fn find_byte_agrees_with_a_plain_search() {
        // Every position in and around the eight-byte words, needles next to near-misses
        // (bytes that differ by one bit or borrow), and non-ASCII bytes.
        let noise = [0u8, 0x2b, 0x2d, 0x3c, 0xac, 0xff, b'a', 0x80];
        for len in 0..40 {
            for at in 0..=len {
                let mut haystack: Vec<u8> = (0..len).map(|i| noise[i % noise.len()]).collect();
                if at < len {
                    haystack[at] = b',';
                }
                let expected = haystack.iter().position(|&b| b == b',');
                assert_eq!(find_byte(&haystack, b','), expected, "{haystack:?}");
            }
        }
        for needle in [0u8, 0x7f, 0x80, 0xff] {
            let haystack: Vec<u8> = (0..=255u8).rev().collect();
            let expected = haystack.iter().position(|&b| b == needle);
            assert_eq!(find_byte(&haystack, needle), expected);
        }
    }
}
