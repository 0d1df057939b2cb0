//! Fuzzes the verifier with arbitrary received requests. It must answer `Ok` or a typed `Err`,
//! never panic, and its two ways in must agree: `Verifier::verify` with the whole body, and
//! `Verifier::begin` with the body fed in pieces (or, for an aws-chunked body, decoded chunk by
//! chunk, where no byte may be released before the body is known to verify).
//!
//! Input: one control byte, then a raw HTTP/1.1 request (head and body). The verifier knows
//! the AWS test suite's key, so requests mutated from `fuzz/seed-verify.sh`'s corpus (the
//! suite's signed requests) reach the signature check and beyond. The clock is the suite's.
#![no_main]

use canreq::verify::{Begun, PresignedPayload, Verifier};
use canreq::{Credentials, RawRequest, SigningTime};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fuzz_target!(|data: &[u8]| {
    let Some((&control, raw)) = data.split_first() else { return };
    let Ok(raw) = RawRequest::parse(raw) else { return };
    let request = raw.request();
    let body = raw.body();
    let now = SigningTime::parse("20150830T123600Z").expect("a valid time");

    let store = |akid: &str| match akid {
        "AKIDEXAMPLE" => Credentials::new(akid, SECRET).ok(),
        "ASIAEXAMPLE" => Credentials::new(akid, SECRET)
            .and_then(|c| c.with_session_token("token"))
            .ok(),
        _ => None,
    };
    let presigned = match control & 3 {
        1 => PresignedPayload::BodyHash,
        2 => PresignedPayload::Unsigned,
        _ => PresignedPayload::ByService,
    };
    let verifier = Verifier::new(store)
        .presigned_payload(presigned)
        .allow_unsigned_payload(control & 4 == 0);
    let piece = usize::from(control >> 3) + 1;

    let whole = verifier.verify(&request, body, now);
    let streamed = match verifier.begin(&request, now) {
        Err(e) => Err(e),
        Ok(Begun::Chunked(mut pending)) => {
            let mut released = 0usize;
            let mut result = Ok(());
            for part in body.chunks(piece) {
                result = pending.decode(part, |data| released += data.len());
                if result.is_err() {
                    break;
                }
            }
            match result.and_then(|()| pending.finish()) {
                Ok((verified, decoded)) => {
                    assert_eq!(decoded.decoded_length(), released as u64);
                    Ok(verified)
                }
                Err(e) => Err(e),
            }
        }
        Ok(Begun::Whole(mut pending)) => {
            for part in body.chunks(piece) {
                pending.update(part);
            }
            pending.finish()
        }
        Ok(Begun::Done(verified)) => Ok(verified),
    };
    match (&whole, &streamed) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.canonical_request(), b.canonical_request());
            assert_eq!(a.signed_headers(), b.signed_headers());
        }
        (Err(a), Err(b)) => assert_eq!(a.code(), b.code(), "{a} / {b}"),
        // verify() refuses an aws-chunked body (it must be decoded), which begin() accepts.
        (Err(a), Ok(b)) if matches!(b.payload(), canreq::verify::PayloadMode::Streaming(_)) => {
            assert_eq!(a.code(), canreq::verify::ErrorCode::InvalidRequest);
        }
        (a, b) => panic!("verify and begin disagree: {a:?} / {b:?}"),
    }
});
