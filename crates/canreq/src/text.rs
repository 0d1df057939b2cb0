//! Byte-level text scanning, for what is read on every request: a verifier's claim, and the
//! query that both sides canonicalize.

/// Splits at an ASCII delimiter with [`find_byte`]: `str::split` with a `char` pattern (or a
/// byte-at-a-time loop) costs several times more. Cutting at an ASCII byte keeps UTF-8
/// boundaries, so the pieces are `&str` slices of the input.
#[inline]
pub(crate) fn split_ascii(text: &str, delimiter: u8) -> impl Iterator<Item = &str> {
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

/// The index of the first `needle` in `haystack`, eight bytes at a time in a `u64`. A claim's
/// fields and a query's parameters are tens of bytes: too short for `memchr`'s set-up to pay,
/// too long for a loop over single bytes.
#[inline]
pub(crate) fn find_byte(haystack: &[u8], needle: u8) -> Option<usize> {
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
pub(crate) fn starts_with<const N: usize>(text: &[u8], prefix: &[u8; N]) -> bool {
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

/// `a.eq_ignore_ascii_case(b)`, eight bytes at a time: each word is folded to lowercase at
/// once (a byte `A..=Z` gains 0x20), the last word overlapping the one before.
#[inline]
pub(crate) fn eq_ignore_case(a: &[u8], b: &[u8]) -> bool {
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    fn fold(word: u64) -> u64 {
        let low = word & !HIGHS;
        // Per byte of `low` (below 0x80, so no sum carries): the high bit is set by adding
        // 0x80 - c exactly when the byte is at least c.
        let from_a = low + 0x3f3f_3f3f_3f3f_3f3f; // 0x80 - b'A'
        let past_z = low + 0x2525_2525_2525_2525; // 0x80 - (b'Z' + 1)
        let upper = from_a & !past_z & !word & HIGHS;
        word | (upper >> 2)
    }
    let len = a.len();
    if len != b.len() {
        return false;
    }
    if len < 8 {
        if len < 4 {
            return a.eq_ignore_ascii_case(b);
        }
        // Four to seven bytes: two overlapping four-byte words, as one.
        let word = |s: &[u8]| {
            let half = |at: usize| {
                u64::from(u32::from_le_bytes(
                    s[at..at + 4].try_into().unwrap_or_default(),
                ))
            };
            half(0) | half(len - 4) << 32
        };
        return fold(word(a)) == fold(word(b));
    }
    let word =
        |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or_default());
    let mut diff = fold(word(a, len - 8)) ^ fold(word(b, len - 8));
    let mut at = 0;
    while at + 8 < len {
        diff |= fold(word(a, at)) ^ fold(word(b, at));
        at += 8;
    }
    diff == 0
}

/// `text` before and after the first `delimiter` (ASCII).
#[inline]
pub(crate) fn split_once_ascii(text: &str, delimiter: u8) -> Option<(&str, &str)> {
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
    fn eq_ignore_case_is_eq_ignore_ascii_case() {
        // Every byte value in every position of names of each length class, against a copy
        // with one byte's case (or value) changed.
        for name in [
            &b"hos"[..],
            b"host",
            b"x-amz-d",
            b"x-amz-da",
            b"x-amz-date",
            b"authorization",
        ] {
            for at in 0..name.len() {
                for byte in 0..=255u8 {
                    let mut other = name.to_vec();
                    other[at] = byte;
                    assert_eq!(
                        eq_ignore_case(name, &other),
                        name.eq_ignore_ascii_case(&other),
                        "{other:?}"
                    );
                    let upper = other.to_ascii_uppercase();
                    assert_eq!(
                        eq_ignore_case(&upper, name),
                        upper.eq_ignore_ascii_case(name),
                        "{upper:?}"
                    );
                }
            }
            assert!(!eq_ignore_case(name, &[name, b"x"].concat()));
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

    proptest::proptest! {
        /// Any bytes, the needle among them any number of times, in the words and the tail:
        /// the first is the one found.
        #[test]
        fn find_byte_finds_the_first_of_many(
            haystack in proptest::collection::vec(proptest::prop_oneof![
                1 => proptest::strategy::Just(b'%'),
                3 => proptest::prelude::any::<u8>(),
            ], 0..40),
        ) {
            let expected = haystack.iter().position(|&b| b == b'%');
            proptest::prop_assert_eq!(find_byte(&haystack, b'%'), expected);
        }
    }

    /// Text made of the bytes the scanners look for, their near misses and any other byte.
    fn scanned_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::strategy::Strategy;
        proptest::collection::vec(
            proptest::prop_oneof![
                2 => proptest::sample::select(vec!['&', '=', ',', ';', 'a', 'A', 'z', 'Z', '%', 'é']),
                1 => proptest::prelude::any::<char>(),
            ],
            0..40,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest::proptest! {
        /// Each scanner against the standard library's plain version.
        #[test]
        fn scanners_agree_with_the_standard_library(
            text in scanned_text(),
            other in scanned_text(),
            delimiter in proptest::sample::select(vec![b'&', b'=', b',', b';']),
        ) {
            use proptest::prop_assert_eq;
            let split: Vec<&str> = split_ascii(&text, delimiter).collect();
            let expected: Vec<&str> = text.split(char::from(delimiter)).collect();
            prop_assert_eq!(split, expected);
            prop_assert_eq!(
                split_once_ascii(&text, delimiter),
                text.split_once(char::from(delimiter))
            );
            let (a, b) = (text.as_bytes(), other.as_bytes());
            prop_assert_eq!(eq_ignore_case(a, b), a.eq_ignore_ascii_case(b));
            prop_assert_eq!(eq_ignore_case(a, &a.to_ascii_uppercase()), true);
            let lower = b.to_ascii_lowercase();
            prop_assert_eq!(eq_lowercase(a, &lower), a.eq_ignore_ascii_case(&lower));
            prop_assert_eq!(eq_lowercase(&a.to_ascii_uppercase(), &a.to_ascii_lowercase()), true);
            if let Some(prefix) = b.first_chunk::<4>() {
                prop_assert_eq!(starts_with(a, prefix), a.starts_with(prefix));
                prop_assert_eq!(starts_with(&[b, a].concat(), prefix), true);
            }
        }
    }
}
