//! Fuzzes the signer with arbitrary requests: it must return `Ok` or a typed `Err`, never
//! panic. The input is split on NUL bytes into method, target, header lines, region, service,
//! access key, secret, token and a control byte.
#![no_main]

use canreq::{Credentials, Payload, Request, Scope, Signer, SigningSettings, SigningTime, UriEncoding};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut fields = text.split('\0');
    let mut next = || fields.next().unwrap_or("");
    let (method, target, header_block) = (next(), next(), next());
    let (region, service, access_key, secret, token) = (next(), next(), next(), next(), next());
    let control = next().bytes().next().unwrap_or(0);

    let Ok(mut creds) = Credentials::new(access_key, secret) else { return };
    if !token.is_empty() {
        if let Ok(with_token) = creds.clone().with_session_token(token) {
            creds = with_token;
        }
    }
    let Ok(scope) = Scope::new(region, service) else { return };
    let mut settings = SigningSettings::for_service(scope.service());
    if control & 1 != 0 {
        settings.uri_encoding = UriEncoding::Single;
    }
    settings.normalize_path = control & 2 != 0;
    settings.content_sha256_header = control & 4 != 0;
    let time = SigningTime::from_unix_seconds(i64::from(control) * 86_400 * 365).unwrap_or_else(|_| SigningTime::now());
    let signer = Signer::new(&creds, scope, time).with_settings(settings);

    let mut req = Request::new(method, target);
    for line in header_block.split('\n') {
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        req.push_header(name, value);
    }
    let payload = if control & 8 != 0 { Payload::Bytes(data) } else { Payload::Unsigned };
    if let Ok(signed) = signer.sign(&req, payload) {
        let _ = signed.steps().canonical_request().redacted();
    }
    let _ = signer.presign(&req, payload, u32::from(control) * 2_400);
});
