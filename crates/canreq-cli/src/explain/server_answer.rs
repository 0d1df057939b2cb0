//! Reading a server's answer to a bad signature: S3's XML (`CanonicalRequest`, `StringToSign`,
//! `SignatureProvided` and their `…Bytes` forms), `canreq serve`'s XML or JSON, and the
//! message API Gateway and several Query services write ("The Canonical String for this request
//! should have been '…' The String-to-Sign should have been '…'").

use quick_xml::Reader;
use quick_xml::events::Event;

/// What a server said it computed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ServerAnswer {
    pub code: Option<String>,
    pub canonical_request: Option<String>,
    pub string_to_sign: Option<String>,
    pub signature_provided: Option<String>,
}

impl ServerAnswer {
    /// Reads `text` as XML, then JSON, then a plain message.
    pub fn read(text: &str) -> ServerAnswer {
        let trimmed = text.trim_start();
        let mut answer = if trimmed.starts_with('<') {
            from_xml(text)
        } else if trimmed.starts_with('{') {
            from_json(text)
        } else {
            ServerAnswer::default()
        };
        if answer.canonical_request.is_none() {
            let (creq, sts) = from_message(text);
            answer.canonical_request = creq;
            answer.string_to_sign = answer.string_to_sign.or(sts);
        }
        answer
    }

    /// Whether it holds anything to compare.
    pub fn has_steps(&self) -> bool {
        self.canonical_request.is_some() || self.string_to_sign.is_some()
    }
}

fn from_xml(text: &str) -> ServerAnswer {
    let mut answer = ServerAnswer::default();
    let mut reader = Reader::from_str(text);
    let mut current = String::new();
    let mut value = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                current = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                value.clear();
            }
            Ok(Event::Text(t)) => {
                if let Ok(decoded) = t.decode() {
                    value.push_str(
                        &quick_xml::escape::unescape(&decoded).unwrap_or(decoded.clone()),
                    );
                }
            }
            Ok(Event::GeneralRef(r)) => {
                // An entity between text pieces (`&amp;`, `&#x1;`): resolved as XML defines.
                let name = String::from_utf8_lossy(&r).into_owned();
                let entity = format!("&{name};");
                value.push_str(
                    &quick_xml::escape::unescape(&entity).unwrap_or(entity.clone().into()),
                );
            }
            Ok(Event::End(_)) => {
                let text = std::mem::take(&mut value);
                match current.as_str() {
                    "Code" => answer.code = Some(text),
                    "CanonicalRequest" => answer.canonical_request = Some(text),
                    "StringToSign" => answer.string_to_sign = Some(text),
                    "SignatureProvided" => answer.signature_provided = Some(text),
                    "CanonicalRequestBytes" if answer.canonical_request.is_none() => {
                        answer.canonical_request = from_hex_bytes(&text);
                    }
                    "StringToSignBytes" if answer.string_to_sign.is_none() => {
                        answer.string_to_sign = from_hex_bytes(&text);
                    }
                    _ => {}
                }
                current.clear();
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    answer
}

fn from_json(text: &str) -> ServerAnswer {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(text) else {
        return ServerAnswer::default();
    };
    let field = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| map.get(*n).and_then(|v| v.as_str()).map(str::to_owned))
    };
    let mut answer = ServerAnswer {
        code: field(&["__type", "code", "Code"]),
        canonical_request: field(&["CanonicalRequest", "canonical_request"]),
        string_to_sign: field(&["StringToSign", "string_to_sign"]),
        signature_provided: field(&["SignatureProvided"]),
    };
    if answer.canonical_request.is_none()
        && let Some(message) = field(&["message", "Message"])
    {
        let (creq, sts) = from_message(&message);
        answer.canonical_request = creq;
        answer.string_to_sign = sts;
    }
    answer
}

/// "The Canonical String for this request should have been\n'…'\n\nThe String-to-Sign should
/// have been\n'…'": the quoted texts.
fn from_message(text: &str) -> (Option<String>, Option<String>) {
    let quoted_after = |marker: &str| {
        let start = text.find(marker)? + marker.len();
        let rest = &text[start..];
        let open = rest.find('\'')? + 1;
        let close = rest[open..]
            .find("'\n")
            .or_else(|| rest[open..].rfind('\''))?;
        Some(rest[open..open + close].to_owned())
    };
    (
        quoted_after("Canonical String for this request should have been"),
        quoted_after("String-to-Sign should have been"),
    )
}

/// `47 45 54 0a …`: the bytes as text.
fn from_hex_bytes(text: &str) -> Option<String> {
    let bytes: Option<Vec<u8>> = text
        .split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_xml_with_entities_and_byte_forms() {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code>\
            <Message>The request signature we calculated does not match</Message>\
            <StringToSignBytes>41 57 53</StringToSignBytes>\
            <CanonicalRequest>GET\n/a&amp;b\n\nhost:h\n\nhost\nUNSIGNED-PAYLOAD</CanonicalRequest>\
            <SignatureProvided>abc</SignatureProvided></Error>";
        let answer = ServerAnswer::read(xml);
        assert_eq!(answer.code.as_deref(), Some("SignatureDoesNotMatch"));
        assert_eq!(
            answer.canonical_request.as_deref(),
            Some("GET\n/a&b\n\nhost:h\n\nhost\nUNSIGNED-PAYLOAD")
        );
        assert_eq!(answer.string_to_sign.as_deref(), Some("AWS"));
        assert_eq!(answer.signature_provided.as_deref(), Some("abc"));
    }

    #[test]
    fn json_and_the_api_gateway_message() {
        let json = r#"{"__type":"InvalidSignatureException","message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'GET\n/\n\nhost:h\n\nhost\nabc'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/execute-api/aws4_request\ndef'\n"}"#;
        let answer = ServerAnswer::read(json);
        assert_eq!(answer.code.as_deref(), Some("InvalidSignatureException"));
        assert_eq!(
            answer.canonical_request.as_deref(),
            Some("GET\n/\n\nhost:h\n\nhost\nabc")
        );
        assert!(
            answer
                .string_to_sign
                .unwrap()
                .ends_with("execute-api/aws4_request\ndef")
        );
    }
}
