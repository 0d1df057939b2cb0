//! JSON re-indented token by token: every string and number is copied as the server wrote it
//! (key order, `1.10`, 30-digit integers, escapes), only the whitespace between tokens changes.

use crate::out::Paint;

/// `text` indented by two spaces, or `None` when it is not one JSON document.
pub fn reindent(text: &str, paint: Paint) -> Option<String> {
    // Checked whole first, so the scan below can trust the structure; nothing is converted.
    serde_json::from_str::<serde::de::IgnoredAny>(text).ok()?;
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'"' => {
                let end = string_end(b, i)?;
                let token = &text[i..end];
                if next_token(b, end).map(|(_, c)| c) == Some(b':') {
                    paint.key(&mut out, token);
                } else {
                    paint.string(&mut out, token);
                }
                i = end;
            }
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                out.push(char::from(open));
                match next_token(b, i + 1) {
                    // `{}` and `[]` stay on one line.
                    Some((at, c)) if c == close => {
                        out.push(char::from(close));
                        i = at + 1;
                    }
                    _ => {
                        depth += 1;
                        newline(&mut out, depth);
                        i += 1;
                    }
                }
            }
            close @ (b'}' | b']') => {
                depth = depth.checked_sub(1)?;
                newline(&mut out, depth);
                out.push(char::from(close));
                i += 1;
            }
            b',' => {
                out.push(',');
                newline(&mut out, depth);
                i += 1;
            }
            b':' => {
                out.push_str(": ");
                i += 1;
            }
            _ => {
                // A number or a literal: up to the next whitespace or structural byte.
                let len = b[i..]
                    .iter()
                    .position(|c| b" \t\n\r,:]}".contains(c))
                    .unwrap_or(b.len() - i);
                out.push_str(&text[i..i + len]);
                i += len;
            }
        }
    }
    Some(out)
}

/// The index just past the string opening at `start`.
fn string_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        match b.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// The next byte that is not whitespace, and where it is.
fn next_token(b: &[u8], from: usize) -> Option<(usize, u8)> {
    (from..b.len())
        .map(|i| (i, b[i]))
        .find(|(_, c)| !c.is_ascii_whitespace())
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    out.extend(std::iter::repeat_n("  ", depth));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_numbers_escapes_and_inner_whitespace() {
        let text = r#"{"z":123456789012345678901234567890,"a":1.10,"s":"  tab\tand \"q\" \u00e9 ","e":{},"l":[],"n":[true,null,-0.5e+3]}"#;
        let out = reindent(text, Paint::PLAIN).unwrap();
        assert_eq!(
            out,
            "{\n  \"z\": 123456789012345678901234567890,\n  \"a\": 1.10,\n  \
             \"s\": \"  tab\\tand \\\"q\\\" \\u00e9 \",\n  \"e\": {},\n  \"l\": [],\n  \
             \"n\": [\n    true,\n    null,\n    -0.5e+3\n  ]\n}"
        );
    }

    #[test]
    fn refuses_what_is_not_json() {
        for bad in ["{bad", "{\"a\":1}}", "[1,]", "", "{\"a\":1} x"] {
            assert!(reindent(bad, Paint::PLAIN).is_none(), "{bad}");
        }
    }

    #[test]
    fn colours_keys_and_strings_apart() {
        let out = reindent(r#"{"k":"v","n":1}"#, Paint::COLOURED).unwrap();
        let key = format!("{}\"k\"{}", Paint::KEY.render(), Paint::KEY.render_reset());
        let value = format!(
            "{}\"v\"{}",
            Paint::STRING.render(),
            Paint::STRING.render_reset()
        );
        assert!(out.contains(&key) && out.contains(&value), "{out:?}");
        assert!(out.contains(": 1\n"), "{out:?}");
    }
}
