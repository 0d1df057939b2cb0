//! Pretty-printing XML and JSON answers, and reading AWS error documents.

use quick_xml::events::Event;

/// The syntax of a response body, from its `Content-Type` (or its first byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Xml,
    Json,
    Other,
}

impl Syntax {
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

/// The body indented, or `None` when it does not parse (it is then shown as it came).
pub fn pretty(syntax: Syntax, body: &[u8]) -> Option<String> {
    match syntax {
        Syntax::Json => {
            let value: serde_json::Value = serde_json::from_slice(body).ok()?;
            serde_json::to_string_pretty(&value).ok()
        }
        Syntax::Xml => pretty_xml(body),
        Syntax::Other => None,
    }
}

fn pretty_xml(body: &[u8]) -> Option<String> {
    let mut reader = quick_xml::Reader::from_reader(body);
    reader.config_mut().trim_text(true);
    let mut writer = quick_xml::Writer::new_with_indent(Vec::new(), b' ', 2);
    loop {
        match reader.read_event().ok()? {
            Event::Eof => break,
            event => writer.write_event(event).ok()?,
        }
    }
    String::from_utf8(writer.into_inner()).ok()
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
    reader.config_mut().trim_text(true);
    let mut path: Vec<Vec<u8>> = Vec::new();
    let (mut code, mut message) = (None, None);
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => path.push(e.local_name().as_ref().to_vec()),
            Event::End(_) => {
                path.pop();
            }
            Event::Text(t) => {
                let in_error = path.len() >= 2 && path[path.len() - 2] == b"Error";
                if in_error {
                    let text = t.decode().ok()?.into_owned();
                    match path.last().map(Vec::as_slice) {
                        Some(b"Code") => code = Some(text),
                        Some(b"Message") => message = Some(text),
                        _ => {}
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Some(AwsError {
        code: code?,
        message: message.unwrap_or_default(),
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
    fn pretty_prints() {
        let out = pretty(Syntax::Xml, b"<a><b>1</b></a>").unwrap();
        assert_eq!(out, "<a>\n  <b>1</b>\n</a>");
        assert!(
            pretty(Syntax::Json, b"{\"a\":1}")
                .unwrap()
                .contains("\"a\": 1")
        );
        assert!(pretty(Syntax::Json, b"{bad").is_none());
    }
}
