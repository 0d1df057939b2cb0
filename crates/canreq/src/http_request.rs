//! Signing an [`http::Request`] in place (feature `http`, on by default).

use http::header::{HeaderName, HeaderValue};
use http::uri::{PathAndQuery, Uri};

use crate::error::{Error, Result, shown_bytes};
use crate::request::Request;
use crate::settings::Payload;
use crate::sign::{Signer, Steps};

/// Signs `request` in the `Authorization` header form and sets the signature headers on it,
/// replacing stale ones. When there is no `Host` header, the URI's authority is signed as
/// `host` (with its port unless it is the scheme's default), as HTTP clients will send it.
///
/// ```
/// use canreq::{Credentials, Payload, Scope, Signer, SigningTime, sign_http_request};
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let signer = Signer::new(&creds, Scope::new("us-east-1", "service")?, SigningTime::parse("20150830T123600Z")?);
/// let mut req = http::Request::get("https://example.amazonaws.com/").body(()).unwrap();
/// let steps = sign_http_request(&mut req, &signer, Payload::Empty)?;
/// assert_eq!(steps.signature(), "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
/// assert!(req.headers()["authorization"].to_str().unwrap().ends_with(steps.signature()));
/// # Ok::<(), canreq::Error>(())
/// ```
pub fn sign_http_request<B>(
    request: &mut http::Request<B>,
    signer: &Signer<'_>,
    payload: Payload<'_>,
) -> Result<Steps> {
    let host = host_from_uri(request);
    let signed = {
        let view = view(request, host.as_deref())?;
        signer.sign(&view, payload)?
    };
    let headers = request.headers_mut();
    for stale in ["authorization", "x-amz-date", "x-amz-security-token"] {
        headers.remove(stale);
    }
    for (name, value) in signed.headers() {
        let value = HeaderValue::from_str(value).map_err(|_| Error::InvalidHeaderValue {
            name: name.to_ascii_lowercase(),
            value: "<redacted>".into(),
            byte: 0,
        })?;
        headers.insert(HeaderName::from_static(static_lower(name)), value);
    }
    Ok(signed.steps().clone())
}

/// Presigns `request`: replaces its URI's query with the caller's parameters followed by the
/// presign parameters, valid for `expires_seconds`.
///
/// ```
/// use canreq::{Credentials, Payload, Scope, Signer, SigningTime, presign_http_request};
///
/// let creds = Credentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")?;
/// let signer = Signer::new(&creds, Scope::new("us-east-1", "s3")?, SigningTime::parse("20130524T000000Z")?);
/// let mut req = http::Request::get("https://examplebucket.s3.amazonaws.com/test.txt").body(()).unwrap();
/// presign_http_request(&mut req, &signer, Payload::Unsigned, 86400)?;
/// // The presigned GET example of the Amazon S3 documentation.
/// assert!(req.uri().query().unwrap().ends_with(
///     "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"));
/// # Ok::<(), canreq::Error>(())
/// ```
pub fn presign_http_request<B>(
    request: &mut http::Request<B>,
    signer: &Signer<'_>,
    payload: Payload<'_>,
    expires_seconds: u32,
) -> Result<Steps> {
    let host = host_from_uri(request);
    let presigned = {
        let view = view(request, host.as_deref())?;
        signer.presign(&view, payload, expires_seconds)?
    };
    let pq: PathAndQuery = presigned.target().parse().map_err(|_| Error::InvalidPath {
        value: shown_bytes(request.uri().path().as_bytes()),
        reason: "the presigned target is not a valid URI",
    })?;
    let mut parts = request.uri().clone().into_parts();
    parts.path_and_query = Some(pq);
    *request.uri_mut() = Uri::from_parts(parts).map_err(|_| Error::InvalidPath {
        value: shown_bytes(request.uri().path().as_bytes()),
        reason: "the presigned target is not a valid URI",
    })?;
    Ok(presigned.steps().clone())
}

/// The `host` value HTTP clients derive from the URI when no `Host` header is set.
fn host_from_uri<B>(request: &http::Request<B>) -> Option<String> {
    if request.headers().contains_key(http::header::HOST) {
        return None;
    }
    let uri = request.uri();
    let host = uri.host()?;
    let default_port = match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    };
    Some(match uri.port_u16() {
        Some(port) if Some(port) != default_port => format!("{host}:{port}"),
        _ => host.to_owned(),
    })
}

fn view<'a, B>(request: &'a http::Request<B>, host: Option<&'a str>) -> Result<Request<'a>> {
    let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
    let mut view = Request::with_capacity(
        request.method().as_str(),
        target,
        request.headers().len() + 1,
    );
    for (name, value) in request.headers() {
        let value = std::str::from_utf8(value.as_bytes()).map_err(|_| Error::NonUtf8 {
            field: "header value",
            value: if crate::canonical::is_secret_header(name.as_str()) {
                "<redacted>".into()
            } else {
                shown_bytes(value.as_bytes())
            },
        })?;
        view.push_header(name.as_str(), value);
    }
    if let Some(host) = host {
        view.push_header("host", host);
    }
    Ok(view)
}

fn static_lower(name: &'static str) -> &'static str {
    match name {
        "X-Amz-Security-Token" => "x-amz-security-token",
        "X-Amz-Date" => "x-amz-date",
        "Authorization" => "authorization",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Credentials, Scope, SigningTime};

    #[test]
    fn a_session_token_that_is_not_utf8_is_not_quoted() {
        let creds = Credentials::new("AKIDEXAMPLE", "secret").unwrap();
        let time = SigningTime::parse("20150830T123600Z").unwrap();
        let signer = Signer::new(&creds, Scope::new("us-east-1", "s3").unwrap(), time);
        let mut req = http::Request::get("https://example.amazonaws.com/")
            .header(
                "x-amz-security-token",
                HeaderValue::from_bytes(b"TOKEN\xff").unwrap(),
            )
            .body(())
            .unwrap();
        let err = sign_http_request(&mut req, &signer, Payload::Empty)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("TOKEN"), "{err}");
        assert!(err.contains("<redacted>"), "{err}");
    }
}
