//! The documents `serve` writes: XML with quick-xml, JSON with serde_json. The error documents
//! are AWS's three dialects (S3's `<Error>`, the Query protocol's `<ErrorResponse>`, the JSON
//! protocols' `__type`/`message`), from a refusal as its dialect says it ([`Spoken`]).
//!
//! Control characters in a value (a canonical request quoting a header that held one) are
//! written as character references in XML and `\uXXXX` in JSON, so that a client's parser
//! reads the document and the difference stays visible.

use std::borrow::Cow;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::ser::{CharEscape, CompactFormatter, Formatter};

use super::dialect::Spoken;

/// An XML document: the declaration on its own line, then one root element and a newline.
pub struct XmlDocument {
    writer: Writer<Vec<u8>>,
}

impl XmlDocument {
    pub fn new() -> Self {
        let mut document = XmlDocument {
            writer: Writer::new(Vec::with_capacity(1024)),
        };
        document.write(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
        document.writer.get_mut().push(b'\n');
        document
    }

    /// Opens element `name`.
    pub fn open(&mut self, name: &str) -> &mut Self {
        self.write(Event::Start(BytesStart::new(name)))
    }

    /// Opens element `name` in XML namespace `namespace`.
    pub fn open_in(&mut self, name: &str, namespace: &str) -> &mut Self {
        self.write(Event::Start(
            BytesStart::new(name).with_attributes([("xmlns", namespace)]),
        ))
    }

    /// Closes element `name`.
    pub fn close(&mut self, name: &str) -> &mut Self {
        self.write(Event::End(BytesEnd::new(name)))
    }

    /// `<name>text</name>`, the text escaped.
    pub fn element(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name);
        self.write(Event::Text(BytesText::from_escaped(escape_text(text))));
        self.close(name)
    }

    /// The document's bytes, with the final newline.
    pub fn finish(mut self) -> Vec<u8> {
        self.writer.get_mut().push(b'\n');
        self.writer.into_inner()
    }

    fn write(&mut self, event: Event<'_>) -> &mut Self {
        // Into a Vec: writing cannot fail.
        let _ = self.writer.write_event(event);
        self
    }
}

/// `text` escaped for XML: quick-xml's five entities, and character references for the control
/// characters XML 1.0 cannot hold raw (all but tab and line feed).
fn escape_text(text: &str) -> Cow<'_, str> {
    let escaped = quick_xml::escape::escape(text);
    if !escaped.chars().any(needs_reference) {
        return escaped;
    }
    let mut out = String::with_capacity(escaped.len() + 16);
    for c in escaped.chars() {
        if needs_reference(c) {
            out.push_str(&format!("&#x{:x};", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_reference(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// S3's error document (REST): `<Error><Code>…</Code><Message>…</Message>…<RequestId>`.
pub fn error_xml(refusal: &Spoken<'_>, request_id: &str) -> Vec<u8> {
    let mut xml = XmlDocument::new();
    xml.open("Error");
    error_fields(&mut xml, refusal);
    xml.element("RequestId", request_id).close("Error");
    xml.finish()
}

/// The Query protocol's error document (IAM, STS, EC2, …):
/// `<ErrorResponse><Error><Type>…</Error><RequestId>…</ErrorResponse>`.
pub fn query_error_xml(refusal: &Spoken<'_>, request_id: &str) -> Vec<u8> {
    let mut xml = XmlDocument::new();
    let side = if refusal.status < 500 {
        "Sender"
    } else {
        "Receiver"
    };
    xml.open("ErrorResponse")
        .open("Error")
        .element("Type", side);
    error_fields(&mut xml, refusal);
    xml.close("Error")
        .element("RequestId", request_id)
        .close("ErrorResponse");
    xml.finish()
}

fn error_fields(xml: &mut XmlDocument, refusal: &Spoken<'_>) {
    xml.element("Code", refusal.code)
        .element("Message", &refusal.message);
    for (name, value) in refusal.details.iter() {
        xml.element(name, value);
    }
}

/// The JSON protocols' error document: `__type`, `message`, then the details, in that order.
pub fn error_json(refusal: &Spoken<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, ControlEscapes);
    // Into a Vec, with string keys only: serializing cannot fail.
    let _ = JsonError(refusal).serialize(&mut serializer);
    out
}

/// The JSON error document as a value (the CBOR answer is written from it).
pub fn error_value(refusal: &Spoken<'_>) -> serde_json::Value {
    serde_json::to_value(JsonError(refusal)).unwrap_or_default()
}

struct JsonError<'a, 'b>(&'a Spoken<'b>);

impl Serialize for JsonError<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let details = &self.0.details;
        let mut map = serializer.serialize_map(Some(2 + details.len()))?;
        map.serialize_entry("__type", self.0.code)?;
        map.serialize_entry("message", &self.0.message)?;
        for (name, value) in details.iter() {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// serde_json's compact output, with every control character other than line feed, carriage
/// return and tab written `\uXXXX` (serde_json itself writes `\b` and `\f`, and DEL and the C1
/// controls raw): the documents stay as they have always been.
struct ControlEscapes;

impl Formatter for ControlEscapes {
    fn write_char_escape<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        escape: CharEscape,
    ) -> std::io::Result<()> {
        match escape {
            CharEscape::Backspace => writer.write_all(b"\\u0008"),
            CharEscape::FormFeed => writer.write_all(b"\\u000c"),
            other => CompactFormatter.write_char_escape(writer, other),
        }
    }

    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut rest = fragment;
        while let Some((at, c)) = rest.char_indices().find(|(_, c)| c.is_control()) {
            writer.write_all(&rest.as_bytes()[..at])?;
            write!(writer, "\\u{:04x}", u32::from(c))?;
            rest = &rest[at + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::dialect::Spoken;
    use crate::serve::refusal::{Refusal, ServerRefusal};
    use canreq::verify::{AuthError, ErrorCode};

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).expect("UTF-8")
    }

    fn refusal(code: ErrorCode, message: &str) -> Refusal {
        Refusal::Verifier(AuthError::new(code, message))
    }

    #[test]
    fn the_s3_dialect_escapes_the_five_xml_characters() {
        let r = refusal(ErrorCode::InvalidArgument, "a <b> & 'c' \"d\"");
        assert_eq!(
            text(error_xml(&Spoken::from(&r), "req-1")),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidArgument</Code>\
             <Message>a &lt;b&gt; &amp; &apos;c&apos; &quot;d&quot;</Message>\
             <RequestId>req-1</RequestId></Error>\n"
        );
    }

    #[test]
    fn the_query_dialect_wraps_the_error_and_names_the_side_at_fault() {
        let r = refusal(ErrorCode::InvalidAccessKeyId, "unknown key");
        assert_eq!(
            text(query_error_xml(&Spoken::from(&r), "req-1")),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse><Error><Type>Sender</Type>\
             <Code>InvalidAccessKeyId</Code><Message>unknown key</Message></Error>\
             <RequestId>req-1</RequestId></ErrorResponse>\n"
        );
        let r = refusal(ErrorCode::NotImplemented, "SigV4a");
        assert!(text(query_error_xml(&Spoken::from(&r), "r")).contains("<Type>Receiver</Type>"));
    }

    #[test]
    fn the_json_dialect_keeps_its_order_and_aws_escapes() {
        let r = refusal(
            ErrorCode::IncompleteSignature,
            "missing \"Signature\" \\ here",
        );
        assert_eq!(
            text(error_json(&Spoken::from(&r))),
            r#"{"__type":"IncompleteSignature","message":"missing \"Signature\" \\ here"}"#
        );
        // Every control character but line feed, carriage return and tab as \uXXXX, including
        // backspace, form feed, DEL and the C1 controls; other characters as they are.
        let r = refusal(
            ErrorCode::InvalidArgument,
            "\n\r\t|\u{0}\u{8}\u{c}\u{1b}\u{7f}\u{85}\u{9f}|é→/",
        );
        assert_eq!(
            text(error_json(&Spoken::from(&r))),
            r#"{"__type":"InvalidArgument","message":"\n\r\t|\u0000\u0008\u000c\u001b\u007f\u0085\u009f|é→/"}"#
        );
    }

    #[test]
    fn details_follow_the_message_in_every_dialect() {
        let r = Refusal::Verifier(
            AuthError::new(ErrorCode::SignatureDoesNotMatch, "a<b & \"c\"")
                .with_detail("CanonicalRequest", "GET\n/\u{1}\u{7f}\r")
                .with_detail("StringToSign", "AWS4-HMAC-SHA256"),
        );
        let xml = text(error_xml(&Spoken::from(&r), "id"));
        assert!(
            xml.contains(
                "<Message>a&lt;b &amp; &quot;c&quot;</Message>\
                 <CanonicalRequest>GET\n/&#x1;&#x7f;&#xd;</CanonicalRequest>\
                 <StringToSign>AWS4-HMAC-SHA256</StringToSign><RequestId>id</RequestId>"
            ),
            "{xml}"
        );
        assert!(text(query_error_xml(&Spoken::from(&r), "id")).contains(
            "<CanonicalRequest>GET\n/&#x1;&#x7f;&#xd;</CanonicalRequest>\
                 <StringToSign>AWS4-HMAC-SHA256</StringToSign></Error>"
        ));
        let json = text(error_json(&Spoken::from(&r)));
        assert_eq!(
            json,
            r#"{"__type":"SignatureDoesNotMatch","message":"a<b & \"c\"","CanonicalRequest":"GET\n/\u0001\u007f\r","StringToSign":"AWS4-HMAC-SHA256"}"#
        );
        // The CBOR answer's value is the JSON document's.
        let parsed: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        assert_eq!(error_value(&Spoken::from(&r)), parsed);
    }

    #[test]
    fn the_servers_own_refusals_render_like_the_verifiers() {
        let r = Refusal::Server(ServerRefusal::too_large(1024));
        assert_eq!((r.code(), r.status()), ("EntityTooLarge", 400));
        assert!(text(error_xml(&Spoken::from(&r), "id")).contains(
            "<Code>EntityTooLarge</Code><Message>Your proposed upload exceeds the maximum allowed \
             size.</Message><MaxSizeAllowed>1024</MaxSizeAllowed>"
        ));
        let r = Refusal::Server(ServerRefusal::too_slow());
        assert_eq!(
            text(error_json(&Spoken::from(&r))),
            r#"{"__type":"RequestTimeout","message":"Your socket connection to the server was not read from or written to within the timeout period."}"#
        );
    }

    #[test]
    fn a_document_nests_namespaced_elements() {
        let mut xml = XmlDocument::new();
        xml.open_in("Report", "https://canreq.invalid/verify/")
            .element("Empty", "")
            .open("Inner")
            .element("Value", "1 < 2")
            .close("Inner")
            .close("Report");
        assert_eq!(
            text(xml.finish()),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Report xmlns=\"https://canreq.invalid/verify/\">\
             <Empty></Empty><Inner><Value>1 &lt; 2</Value></Inner></Report>\n"
        );
    }
}
