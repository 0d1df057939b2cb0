//! The canonical headers: lowercase names, sorted, values trimmed and folded, repeats joined.

use std::cmp::Ordering;
use std::ops::Range;

use super::{HeaderRef, StackList, is_tchar};
use crate::error::{Error, Result, shown, shown_bytes};

/// Up to this many headers are sorted in an array on the stack, so that signing allocates
/// nothing per header; longer lists are sorted on the heap.
const STACK_HEADERS: usize = 32;

/// Calls `f` with `headers` sorted by lowercase name, repeated names in the order sent.
fn with_sorted<R>(headers: &[HeaderRef<'_>], f: impl FnOnce(&[&HeaderRef<'_>]) -> R) -> R {
    let mut order: StackList<&HeaderRef<'_>, STACK_HEADERS> = StackList::new();
    for header in headers {
        order.push(header);
    }
    let order = order.as_mut_slice();
    // Stable: repeated headers keep the order in which they were sent. (The standard stable
    // sort needs no heap for a slice of references this short.)
    order.sort_by(|a, b| cmp_ignore_ascii_case(a.name, b.name));
    f(order)
}

/// The signed header list (`a;b;c`) of `headers`, as the canonical request will hold it.
pub(crate) fn signed_header_names(headers: &[HeaderRef<'_>]) -> String {
    let mut out = String::with_capacity(headers.iter().map(|h| h.name.len() + 1).sum());
    with_sorted(headers, |order| push_signed_names(&mut out, order));
    out
}

fn push_signed_names(out: &mut String, order: &[&HeaderRef<'_>]) {
    let mut previous: Option<&str> = None;
    for h in order {
        if previous.is_some_and(|p| p.eq_ignore_ascii_case(h.name)) {
            continue;
        }
        if previous.is_some() {
            out.push(';');
        }
        push_lowercase(out, h.name);
        previous = Some(h.name);
    }
}

/// Writes the canonical header lines followed by the blank line, then the signed header list;
/// returns the range of the list in `out`.
pub(super) fn canonical_headers(
    out: &mut String,
    headers: &[HeaderRef<'_>],
) -> Result<Range<usize>> {
    for h in headers {
        // A fold rather than `all`: no branch per byte.
        if h.name.is_empty() || !h.name.bytes().fold(true, |ok, b| ok & is_tchar(b)) {
            return Err(Error::InvalidHeaderName {
                name: shown(h.name),
            });
        }
    }
    with_sorted(headers, |order| write_headers(out, order))
}

/// The canonical form of aws-chunked trailing headers, which `x-amz-trailer-signature` signs:
/// the same lines as canonical headers (`name:value\n`, lowercase, trimmed, sorted), without
/// the blank line and the signed header list.
pub(crate) fn canonical_trailers(headers: &[HeaderRef<'_>]) -> Result<String> {
    let mut out = String::new();
    let list = canonical_headers(&mut out, headers)?;
    // Drop the signed header list and the blank line before it.
    out.truncate(list.start - 1);
    Ok(out)
}

fn write_headers(out: &mut String, order: &[&HeaderRef<'_>]) -> Result<Range<usize>> {
    // Where each distinct lowercase name was written, so that the signed header list copies
    // it rather than lowercasing it again.
    let mut names: StackList<(usize, usize), STACK_HEADERS> = StackList::new();
    let mut i = 0;
    while let Some(header) = order.get(i) {
        let start = out.len();
        push_lowercase(out, header.name);
        names.push((start, out.len()));
        out.push(':');
        canonical_value(out, header)?;
        i += 1;
        while let Some(repeat) = order
            .get(i)
            .filter(|r| r.name.eq_ignore_ascii_case(header.name))
        {
            out.push(',');
            canonical_value(out, repeat)?;
            i += 1;
        }
        out.push('\n');
    }
    out.push('\n');
    let start = out.len();
    for (k, &(a, b)) in names.as_slice().iter().enumerate() {
        if k > 0 {
            out.push(';');
        }
        out.extend_from_within(a..b);
    }
    Ok(start..out.len())
}

fn cmp_ignore_ascii_case(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

fn push_lowercase(out: &mut String, name: &str) {
    // Header names are tchar-only ASCII (checked above), so ASCII lowercasing is exact.
    let start = out.len();
    out.push_str(name);
    out[start..].make_ascii_lowercase();
}

/// Trims the value, unfolds obsolete line folding and collapses each run of spaces and tabs to
/// one space. Any other control character is an error.
fn canonical_value(out: &mut String, header: &HeaderRef<'_>) -> Result<()> {
    let bytes = header.value.as_bytes();
    // Most values (hosts, dates, hashes, content types) are already canonical: no control
    // character (tab included), no space at either end, no two spaces in a row. Those are
    // copied whole; both checks are branch-free folds, which the compiler vectorizes.
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return Ok(());
    };
    let controls = bytes
        .iter()
        .fold(false, |any, &b| any | (b < b' ') | (b == 0x7f));
    let spaces = bytes[..bytes.len() - 1]
        .iter()
        .zip(&bytes[1..])
        .fold(false, |any, (&a, &b)| any | ((a == b' ') & (b == b' ')));
    if !controls && !spaces && first != b' ' && last != b' ' {
        out.push_str(header.value);
        return Ok(());
    }
    let mut pending_space = false;
    let mut written_any = false;
    let mut run_start = None;
    let mut i = 0;
    while i < bytes.len() {
        let (at, b) = (i, bytes[i]);
        let is_space = match b {
            b' ' | b'\t' => true,
            b'\r'
                if bytes.get(i + 1) == Some(&b'\n')
                    && matches!(bytes.get(i + 2), Some(b' ' | b'\t')) =>
            {
                i += 1;
                true
            }
            b'\n' if matches!(bytes.get(i + 1), Some(b' ' | b'\t')) => true,
            0..=0x1f | 0x7f => return Err(bad_value(header, b)),
            _ => false,
        };
        if is_space {
            if let Some(start) = run_start.take() {
                out.push_str(&header.value[start..at]);
                written_any = true;
            }
            pending_space = written_any;
        } else if run_start.is_none() {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            run_start = Some(i);
        }
        i += 1;
    }
    if let Some(start) = run_start {
        out.push_str(&header.value[start..]);
    }
    Ok(())
}

fn bad_value(header: &HeaderRef<'_>, byte: u8) -> Error {
    let name = header.name.to_ascii_lowercase();
    let value = if is_secret_header(&name) {
        "<redacted>".to_owned()
    } else {
        shown_bytes(header.value.as_bytes())
    };
    Error::InvalidHeaderValue { name, value, byte }
}

/// The headers whose values are secrets: never logged, printed or shown in `Debug` unless the
/// user asks. Lowercase; compare with [`is_secret_header`], which ignores case.
///
/// ```
/// assert!(canreq::SECRET_HEADERS.contains(&"cookie"));
/// assert!(canreq::is_secret_header("X-Amz-Security-Token"));
/// assert!(!canreq::is_secret_header("x-amz-date"));
/// ```
pub const SECRET_HEADERS: [&str; 5] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-amz-security-token",
];

/// Whether a header's value is a secret (see [`SECRET_HEADERS`]), whatever the name's case.
pub fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.iter().any(|s| s.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(v: &str) -> Result<String> {
        let mut out = String::new();
        canonical_value(
            &mut out,
            &HeaderRef {
                name: "x",
                value: v,
            },
        )
        .map(|()| out)
    }

    #[test]
    fn header_values() {
        assert_eq!(value("  a   b \t c  ").unwrap(), "a b c");
        assert_eq!(
            value("value1\n  value2\r\n\tvalue3").unwrap(),
            "value1 value2 value3"
        );
        assert_eq!(value("").unwrap(), "");
        assert_eq!(value("   ").unwrap(), "");
        assert!(value("a\nb").is_err());
        assert!(value("a\rb").is_err());
        assert!(value("a\0b").is_err());
        assert!(value("a\n").is_err());
    }

    #[test]
    fn lists_past_the_stack_arrays_sort_the_same() {
        // Around STACK_HEADERS: headers sent in reverse order with mixed case, one name
        // repeated, so the sort, the join of repeats and the signed list all run on the heap
        // past the arrays.
        for count in [
            1,
            STACK_HEADERS - 1,
            STACK_HEADERS,
            STACK_HEADERS + 1,
            3 * STACK_HEADERS,
        ] {
            let names: Vec<String> = (0..count).rev().map(|i| format!("X-H{i:03}")).collect();
            let mut headers: Vec<HeaderRef<'_>> = names
                .iter()
                .map(|n| HeaderRef {
                    name: n,
                    value: " v ",
                })
                .collect();
            headers.push(HeaderRef {
                name: "x-h000",
                value: "again",
            });
            let mut out = String::new();
            let list = canonical_headers(&mut out, &headers).unwrap();

            let mut lines: Vec<String> = (0..count).map(|i| format!("x-h{i:03}:v")).collect();
            lines[0].push_str(",again");
            let signed: Vec<String> = (0..count).map(|i| format!("x-h{i:03}")).collect();
            let expected = format!("{}\n\n{}", lines.join("\n"), signed.join(";"));
            assert_eq!(out, expected, "{count} headers");
            assert_eq!(&out[list.clone()], signed.join(";"));
            assert_eq!(signed_header_names(&headers), signed.join(";"));
        }
    }
}
