//! XML re-indented without being rewritten: quick-xml finds where each tag and text run starts
//! and ends, and the output is those bytes as they came (entities, quotes, whitespace inside
//! text) with only the whitespace between elements replaced by line breaks and indentation.

use quick_xml::events::Event;

use crate::out::Paint;

/// A piece of the document and the bytes it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    Start,
    End,
    Empty,
    /// Text, entity references and CDATA next to each other: one run of character data.
    Content,
    /// Declaration, processing instruction, comment, doctype.
    Other,
}

/// `text` indented by two spaces, or `None` when it does not parse or cannot be indented
/// without changing it (text beside child elements, where added whitespace would be content).
pub fn reindent(text: &str, paint: Paint) -> Option<String> {
    let pieces = pieces(text)?;
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&(kind, span)) = pieces.get(i) {
        let raw = &text[span.0..span.1];
        let kind_at = |k: usize| pieces.get(k).map(|p| p.0);
        match kind {
            Piece::Content if raw.bytes().all(|b| b" \t\r\n".contains(&b)) => {}
            // Text beside elements, or outside the root.
            Piece::Content => return None,
            Piece::Start => {
                line(&mut out, depth);
                paint.key(&mut out, raw);
                // An element holding only text (or nothing) stays on one line, its text whole.
                match (kind_at(i + 1), kind_at(i + 2)) {
                    (Some(Piece::End), _) => {
                        paint.key(&mut out, slice(text, &pieces[i + 1]));
                        i += 1;
                    }
                    (Some(Piece::Content), Some(Piece::End)) => {
                        paint.string(&mut out, slice(text, &pieces[i + 1]));
                        paint.key(&mut out, slice(text, &pieces[i + 2]));
                        i += 2;
                    }
                    _ => depth += 1,
                }
            }
            Piece::End => {
                depth = depth.checked_sub(1)?;
                line(&mut out, depth);
                paint.key(&mut out, raw);
            }
            Piece::Empty => {
                line(&mut out, depth);
                paint.key(&mut out, raw);
            }
            Piece::Other => {
                line(&mut out, depth);
                out.push_str(raw);
            }
        }
        i += 1;
    }
    (depth == 0 && pieces.iter().any(|p| p.0 != Piece::Other)).then_some(out)
}

fn slice<'t>(text: &'t str, piece: &(Piece, (usize, usize))) -> &'t str {
    &text[piece.1.0..piece.1.1]
}

/// A line break and indentation before everything but the first piece.
fn line(out: &mut String, depth: usize) {
    if !out.is_empty() {
        out.push('\n');
    }
    out.extend(std::iter::repeat_n("  ", depth));
}

/// The document cut into pieces, each with its byte range; `None` when it is not well-formed.
fn pieces(text: &str) -> Option<Vec<(Piece, (usize, usize))>> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut pieces: Vec<(Piece, (usize, usize))> = Vec::new();
    loop {
        let start = usize::try_from(reader.buffer_position()).ok()?;
        let kind = match reader.read_event().ok()? {
            Event::Eof => break,
            Event::Start(_) => Piece::Start,
            Event::End(_) => Piece::End,
            Event::Empty(_) => Piece::Empty,
            Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) => Piece::Content,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => Piece::Other,
        };
        let end = usize::try_from(reader.buffer_position()).ok()?;
        match pieces.last_mut() {
            Some((Piece::Content, span)) if kind == Piece::Content && span.1 == start => {
                span.1 = end
            }
            _ => pieces.push((kind, (start, end))),
        }
    }
    // The pieces must tile the document exactly, or a byte would be lost.
    let mut at = 0;
    for (_, (start, end)) in &pieces {
        if *start != at || !text.is_char_boundary(*end) {
            return None;
        }
        at = *end;
    }
    (at == text.len()).then_some(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_entities_and_whitespace_inside_text() {
        let text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"x\"><Contents><Key>tom &amp; jerry.txt</Key></Contents><Contents><Key> lead.txt</Key><Size>3</Size><Empty/><E></E><S>  </S></Contents></ListBucketResult>";
        let out = reindent(text, Paint::PLAIN).unwrap();
        assert_eq!(
            out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"x\">\n  \
             <Contents>\n    <Key>tom &amp; jerry.txt</Key>\n  </Contents>\n  <Contents>\n    \
             <Key> lead.txt</Key>\n    <Size>3</Size>\n    <Empty/>\n    <E></E>\n    \
             <S>  </S>\n  </Contents>\n</ListBucketResult>"
        );
    }

    #[test]
    fn keeps_cdata_quotes_and_character_references() {
        let text = "<a><b x='1'  y=\"2\">&#65;&apos;<![CDATA[<raw>]]></b><!-- c --></a>";
        let out = reindent(text, Paint::PLAIN).unwrap();
        assert_eq!(
            out,
            "<a>\n  <b x='1'  y=\"2\">&#65;&apos;<![CDATA[<raw>]]></b>\n  <!-- c -->\n</a>"
        );
    }

    #[test]
    fn gives_up_on_mixed_content_and_bad_documents() {
        for bad in [
            "<p>a <b>x</b> c</p>",
            "<a><b></a>",
            "<a>",
            "text",
            "",
            "<a/>trailing",
        ] {
            assert!(reindent(bad, Paint::PLAIN).is_none(), "{bad}");
        }
    }
}
