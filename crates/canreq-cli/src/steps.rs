//! Printing the steps of a signature, labelled for people or as one JSON object.

use std::fmt::Write as _;

use canreq::{Steps, is_secret_header};

use crate::body::Body;
use crate::signing::Signed;

/// What stands in for a secret the user did not ask to see.
pub const REDACTED: &str = "<redacted: --show-secrets shows it>";

/// The labelled steps: timestamp, date, scope, canonical request, string to sign, signing key,
/// signature.
pub fn labelled(steps: &Steps, show_secrets: bool) -> String {
    let mut out = String::new();
    let time = steps.time();
    let _ = writeln!(out, "Amazon timestamp:  {}", time.amz_date());
    let _ = writeln!(out, "Date:              {}", time.date());
    let _ = writeln!(out, "Credential scope:  {}", steps.credential_scope());
    let _ = writeln!(
        out,
        "\nCanonical request:\n{}\n",
        canonical_text(steps, show_secrets)
    );
    let _ = writeln!(out, "String to sign:\n{}\n", steps.string_to_sign());
    match (steps.signing_key(), steps.ecdsa_key()) {
        (Some(key), _) => {
            let key = if show_secrets {
                key.to_hex()
            } else {
                REDACTED.to_owned()
            };
            let _ = writeln!(out, "Signing key:       {key}");
        }
        (None, Some(key)) => {
            // SigV4a's private key lives as long as the secret: shown only with --show-secrets.
            let private = if show_secrets {
                key.expose_private_key_hex()
            } else {
                REDACTED.to_owned()
            };
            let _ = writeln!(out, "Algorithm:         {}", steps.algorithm());
            let _ = writeln!(out, "Private key:       {private}");
            let _ = writeln!(out, "Public key:        {}", key.public_key().to_hex());
        }
        (None, None) => {}
    }
    let _ = writeln!(out, "Signature:         {}", steps.signature());
    out
}

/// The steps as one JSON object; the signing key (SigV4's) redacted unless `show_secrets`,
/// SigV4a's public key shown.
pub fn steps_json(steps: &Steps, show_secrets: bool) -> serde_json::Value {
    let key = steps.signing_key().map(|key| {
        if show_secrets {
            key.to_hex()
        } else {
            REDACTED.to_owned()
        }
    });
    serde_json::json!({
        "amz_date": steps.time().amz_date(),
        "credential_scope": steps.credential_scope(),
        "canonical_request": canonical_text(steps, show_secrets),
        "string_to_sign": steps.string_to_sign(),
        "algorithm": steps.algorithm().name(),
        "signing_key": key,
        "public_key": steps.ecdsa_key().map(|key| key.public_key().to_hex()),
        "signature": steps.signature(),
    })
}

/// The labelled steps, the `Authorization` header or presigned URL they make, and the signed
/// request.
pub fn signed_text(signed: &Signed, show_secrets: bool) -> String {
    let mut out = labelled(&signed.steps, show_secrets);
    let request = &signed.request;
    match &signed.authorization {
        Some(authorization) => {
            let _ = writeln!(out, "Authorization:     {authorization}");
        }
        None => {
            let url = request.url.with_target(&request.url.target);
            let _ = writeln!(out, "Presigned URL:     {url}");
        }
    }
    let _ = writeln!(
        out,
        "\nSigned request:\n{}",
        render_request(
            &request.method,
            &request.url.target,
            &request.headers,
            &request.body,
            show_secrets
        )
    );
    out
}

/// The canonical request, its session token redacted unless asked.
pub fn canonical_text(steps: &Steps, show_secrets: bool) -> String {
    let creq = steps.canonical_request();
    if show_secrets {
        creq.as_str().to_owned()
    } else {
        creq.redacted().into_owned()
    }
}

/// A request in HTTP/1.1 form; the body is shown when it is short text.
pub fn render_request(
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &Body,
    show_secrets: bool,
) -> String {
    let mut out = format!("{method} {target} HTTP/1.1\n");
    for (name, value) in headers {
        let value = if is_secret_header(name) && !show_secrets {
            REDACTED
        } else {
            value
        };
        let _ = writeln!(out, "{name}: {value}");
    }
    out.push('\n');
    match body {
        Body::Empty => {}
        Body::Bytes(b) if b.len() <= 4096 && std::str::from_utf8(b).is_ok() => {
            out.push_str(&String::from_utf8_lossy(b));
            out.push('\n');
        }
        Body::Bytes(b) => {
            let _ = writeln!(out, "[{} bytes of body]", b.len());
        }
        Body::File {
            len,
            spool: Some(_),
            ..
        } => {
            let _ = writeln!(out, "[{len} bytes from stdin]");
        }
        Body::File { path, len, .. } => {
            let _ = writeln!(out, "[{len} bytes from {}]", path.display());
        }
    }
    out
}

/// Headers as a JSON array of `[name, value]` pairs.
pub fn headers_json(headers: &[(String, String)], show_secrets: bool) -> serde_json::Value {
    headers
        .iter()
        .map(|(n, v)| {
            let v = if is_secret_header(n) && !show_secrets {
                REDACTED
            } else {
                v.as_str()
            };
            serde_json::json!([n, v])
        })
        .collect()
}

/// Quotes a word for a POSIX shell.
pub fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@%,+".contains(&b))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// An equivalent curl command for a signed request.
pub fn curl_command(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &Body,
    show_secrets: bool,
) -> String {
    let mut out = format!("curl -X {} {}", shell_quote(method), shell_quote(url));
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("host") {
            // curl sends the URL's host; a Host header given here would be sent as well.
            out.push_str(&format!(" -H {}", shell_quote(&format!("Host: {value}"))));
            continue;
        }
        let value = if is_secret_header(name) && !show_secrets {
            REDACTED
        } else {
            value
        };
        out.push_str(&format!(" -H {}", shell_quote(&format!("{name}: {value}"))));
    }
    match body {
        Body::Empty => {}
        Body::Bytes(b) => match std::str::from_utf8(b) {
            Ok(text) => out.push_str(&format!(" --data-binary {}", shell_quote(text))),
            Err(_) => out.push_str(" --data-binary @BODY_FILE"),
        },
        Body::File { spool: Some(_), .. } => out.push_str(" --data-binary @-"),
        Body::File { path, .. } => out.push_str(&format!(
            " --data-binary {}",
            shell_quote(&format!("@{}", path.display()))
        )),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("abc"), "abc");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
