//! Pretty-printing XML and JSON answers, and reading AWS error documents.
//!
//! Pretty-printing only re-indents: what the server sent inside strings and text nodes
//! (entities, escapes, number text, key order, spaces) reaches the user unchanged.

mod json;
mod xml;

use quick_xml::events::Event;

use crate::out::Paint;

/// The syntax of a response body, from its `Content-Type` (or its first byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Xml,
    Json,
    Other,
}

impl Syntax {
    /// Whether a body of `content_type` may be XML or JSON (then worth holding to indent).
    pub fn may_be_structured(content_type: Option<&str>) -> bool {
        let ct = content_type.unwrap_or("").to_ascii_lowercase();
        ct.is_empty() || ct.contains("json") || ct.contains("xml") || ct.starts_with("text/")
    }

    pub fn of(content_type: Option<&str>, body: &[u8]) -> Syntax {
        let ct = content_type.unwrap_or("").to_ascii_lowercase();
        if ct.contains("json") {
            return Syntax::Json;
        }
        if ct.contains("xml") {
            return Syntax::Xml;
        }
        match body.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'<') if ct.is_empty() || ct.starts_with("text/") => Syntax::Xml,
            Some(b'{') if ct.is_empty() => Syntax::Json,
            _ => Syntax::Other,
        }
    }
}

/// The body indented, or `None` when it cannot be indented without changing a byte of its
/// content (it is then shown as it came).
pub fn pretty(syntax: Syntax, body: &[u8], paint: Paint) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    match syntax {
        Syntax::Json => json::reindent(text, paint),
        Syntax::Xml => xml::reindent(text, paint),
        Syntax::Other => None,
    }
}

/// An AWS error answer's code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub code: String,
    pub message: String,
}

/// Reads the code and message of an error answer: S3's `<Error>`, the Query protocol's
/// `<ErrorResponse><Error>`, JSON's `__type`/`message`, or the `x-amzn-ErrorType` header.
pub fn aws_error(syntax: Syntax, body: &[u8], error_type_header: Option<&str>) -> Option<AwsError> {
    let found = match syntax {
        Syntax::Xml => xml_error(body),
        Syntax::Json => json_error(body),
        Syntax::Other => None,
    };
    match (found, error_type_header) {
        (Some(e), _) => Some(e),
        (None, Some(t)) => Some(AwsError {
            code: short_type(t).to_owned(),
            message: String::new(),
        }),
        (None, None) => None,
    }
}

fn xml_error(body: &[u8]) -> Option<AwsError> {
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut path: Vec<Vec<u8>> = Vec::new();
    let (mut code, mut message) = (None::<String>, None::<String>);
    loop {
        let event = reader.read_event().ok()?;
        let field = match path.as_slice() {
            [.., parent, name] if parent == b"Error" => match name.as_slice() {
                b"Code" => Some(&mut code),
                b"Message" => Some(&mut message),
                _ => None,
            },
            _ => None,
        };
        match event {
            Event::Start(e) => path.push(e.local_name().as_ref().to_vec()),
            Event::End(_) => {
                path.pop();
            }
            Event::Eof => break,
            // quick-xml hands text over in pieces cut at each entity reference: join them.
            piece => {
                if let Some(field) = field {
                    field
                        .get_or_insert_default()
                        .push_str(&character_data(&piece)?);
                }
            }
        }
    }
    Some(AwsError {
        code: code?.trim().to_owned(),
        message: message.unwrap_or_default().trim().to_owned(),
    })
}

/// The characters a text, CDATA or entity-reference event stands for (`&amp;` → `&`); an
/// entity XML does not define is kept as written.
fn character_data(event: &Event<'_>) -> Option<String> {
    Some(match event {
        Event::Text(t) => t.decode().ok()?.into_owned(),
        Event::CData(t) => t.decode().ok()?.into_owned(),
        Event::GeneralRef(r) => match r.resolve_char_ref().ok()? {
            Some(c) => c.to_string(),
            None => {
                let name = r.decode().ok()?;
                quick_xml::escape::resolve_predefined_entity(&name)
                    .map_or_else(|| format!("&{name};"), str::to_owned)
            }
        },
        _ => String::new(),
    })
}

fn json_error(body: &[u8]) -> Option<AwsError> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let field = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| value.get(*n).and_then(|v| v.as_str()))
            .map(str::to_owned)
    };
    let code = field(&["__type", "code", "Code"])?;
    Some(AwsError {
        code: short_type(&code).to_owned(),
        message: field(&["message", "Message", "errorMessage"]).unwrap_or_default(),
    })
}

/// `com.amazon.coral.service#AccessDeniedException:http://…` → `AccessDeniedException`.
fn short_type(t: &str) -> &str {
    let t = t.split(':').next().unwrap_or(t);
    t.rsplit('#').next().unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_of_each_protocol() {
        let s3 = b"<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error>";
        assert_eq!(
            aws_error(Syntax::Xml, s3, None).unwrap(),
            AwsError {
                code: "SignatureDoesNotMatch".into(),
                message: "no".into()
            }
        );
        let query = b"<ErrorResponse xmlns=\"x\"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>m</Message></Error></ErrorResponse>";
        assert_eq!(
            aws_error(Syntax::Xml, query, None).unwrap().code,
            "InvalidClientTokenId"
        );
        let json =
            br#"{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"bad"}"#;
        let e = aws_error(Syntax::Json, json, None).unwrap();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("UnrecognizedClientException", "bad")
        );
        let e = aws_error(
            Syntax::Other,
            b"",
            Some("AccessDeniedException:http://internal"),
        )
        .unwrap();
        assert_eq!(e.code, "AccessDeniedException");
        assert!(aws_error(Syntax::Xml, b"<ListUsersResponse/>", None).is_none());
    }

    #[test]
    fn error_messages_are_decoded_whole() {
        let s3 = b"<Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is malformed; the region &apos;eu-west-1&apos; is wrong; expecting &apos;us-east-1&apos;</Message></Error>";
        let e = aws_error(Syntax::Xml, s3, None).unwrap();
        assert_eq!(
            e.message,
            "The authorization header is malformed; the region 'eu-west-1' is wrong; expecting 'us-east-1'"
        );
        let s3 = b"<Error><Code>AccessDenied</Code><Message>Tom &amp; Jerry &#x263A; <![CDATA[<x>]]> &amp; more</Message></Error>";
        let e = aws_error(Syntax::Xml, s3, None).unwrap();
        assert_eq!(e.message, "Tom & Jerry \u{263A} <x> & more");
    }

    #[test]
    fn pretty_prints() {
        let out = pretty(Syntax::Xml, b"<a><b>1</b></a>", Paint::PLAIN).unwrap();
        assert_eq!(out, "<a>\n  <b>1</b>\n</a>");
        let out = pretty(Syntax::Json, b"{\"a\":1}", Paint::PLAIN).unwrap();
        assert_eq!(out, "{\n  \"a\": 1\n}");
        assert!(pretty(Syntax::Json, b"{bad", Paint::PLAIN).is_none());
        assert!(pretty(Syntax::Json, b"{\"a\":\"\xff\"}", Paint::PLAIN).is_none());
    }
}
