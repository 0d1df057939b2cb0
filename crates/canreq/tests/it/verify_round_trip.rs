//! Signer and verifier agree, and one changed byte breaks the agreement.
//!
//! For random requests (SigV4 and SigV4a with one region or a region set, S3 and other
//! services, header and query form, session tokens), what the signer signs the verifier
//! accepts; with one byte of the method, path, query, a signed header value or a signed body
//! changed, or one bit of the signature flipped, the verifier rejects. Mutations replace an
//! alphanumeric byte by another alphanumeric byte (outside `%XY` escapes), so that they never
//! produce an equivalent canonical form (a dot segment, a space run, a re-cased escape).

use canreq::verify::{PresignedPayload, Verifier};
use canreq::{Algorithm, Credentials, Payload, Request, Scope, Signer, SigningTime};
use proptest::prelude::*;

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

#[derive(Debug, Clone)]
struct Case {
    algorithm: Algorithm,
    /// SigV4a's region set; `None` signs the one region `us-east-1`.
    region_set: Option<Vec<&'static str>>,
    service: &'static str,
    query_form: bool,
    token: bool,
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn component() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![4 => "[a-zA-Z0-9]{1,4}", 1 => "[-._~]", 1 => Just("%20".to_owned()), 1 => Just("%E1%88%B4".to_owned())],
        1..4,
    )
    .prop_map(|v| v.concat())
    // A `.` or `..` segment is removed or removes its parent when the path is normalized, so a
    // byte changed there, or in the parent, would not change the canonical path.
    .prop_filter("no dot segment", |c| !c.bytes().all(|b| b == b'.'))
}

fn case() -> impl Strategy<Value = Case> {
    let algorithm = prop_oneof![
        Just((Algorithm::HmacSha256, None)),
        Just((Algorithm::EcdsaP256Sha256, None)),
        proptest::sample::subsequence(vec!["us-east-1", "us-west-2", "eu-west-1", "*"], 1..3)
            .prop_filter("* alone", |set| set.len() == 1 || !set.contains(&"*"))
            .prop_map(|set| (Algorithm::EcdsaP256Sha256, Some(set))),
    ];
    (
        algorithm,
        prop_oneof![Just("s3"), Just("iam"), Just("ssm"), Just("execute-api")],
        any::<bool>(),
        any::<bool>(),
        proptest::sample::select(vec!["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH"]),
        proptest::collection::vec(component(), 1..4),
        proptest::collection::vec((component(), proptest::option::of(component())), 0..4),
        proptest::collection::vec(
            (
                proptest::sample::select(vec![
                    "Content-Type",
                    "X-Amz-Meta-Tag",
                    "X-Custom",
                    "x-amz-target",
                    "Accept",
                ]),
                "[a-zA-Z0-9]{1,6}( [a-zA-Z0-9/;=.-]{1,8}){0,2}",
            ),
            1..4,
        ),
        proptest::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(
            |(
                (algorithm, region_set),
                service,
                query_form,
                token,
                method,
                segments,
                params,
                headers,
                body,
            )| Case {
                algorithm,
                region_set,
                service,
                query_form,
                token,
                method: method.to_owned(),
                path: format!("/{}", segments.join("/")),
                query: params
                    .iter()
                    .map(|(k, v)| match v {
                        Some(v) => format!("{k}={v}"),
                        None => k.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join("&"),
                headers: headers
                    .into_iter()
                    .map(|(n, v)| (n.to_owned(), v))
                    .collect(),
                body: if method == "GET" || method == "HEAD" {
                    Vec::new()
                } else {
                    body
                },
            },
        )
}

fn credentials(token: bool) -> Credentials {
    let c = Credentials::new(AKID, SECRET).unwrap();
    if token {
        c.with_session_token("FwoGZXIvYXdzEJr//token+/=").unwrap()
    } else {
        c
    }
}

/// The request as the server receives it: method, target, headers, body.
type Wire = (String, String, Vec<(String, String)>, Vec<u8>);

fn signed(case: &Case, now: SigningTime) -> Wire {
    let creds = credentials(case.token);
    let scope = match &case.region_set {
        Some(set) => Scope::for_region_set(set, case.service).unwrap(),
        None => Scope::new("us-east-1", case.service).unwrap(),
    };
    let signer = Signer::new(&creds, scope, now).with_algorithm(case.algorithm);
    let target = if case.query.is_empty() {
        case.path.clone()
    } else {
        format!("{}?{}", case.path, case.query)
    };
    let mut headers = vec![("Host".to_owned(), "svc.example.com".to_owned())];
    headers.extend(case.headers.iter().cloned());
    let mut req = Request::new(&case.method, &target);
    for (n, v) in &headers {
        req.push_header(n, v);
    }
    if case.query_form {
        // As the SDKs presign: UNSIGNED-PAYLOAD for S3, the body's hash for other services.
        let payload = if canreq::is_s3_family(case.service) {
            Payload::Unsigned
        } else {
            Payload::Bytes(&case.body)
        };
        let p = signer.presign(&req, payload, 600).unwrap();
        (
            case.method.clone(),
            p.target().to_owned(),
            headers,
            case.body.clone(),
        )
    } else {
        let s = signer.sign(&req, Payload::Bytes(&case.body)).unwrap();
        s.apply(&mut headers);
        (case.method.clone(), target, headers, case.body.clone())
    }
}

fn verify(wire: &Wire, now: SigningTime) -> Result<(), canreq::verify::AuthError> {
    let store = |akid: &str| (akid == AKID).then(|| credentials(true));
    let plain = |akid: &str| (akid == AKID).then(|| credentials(false));
    let mut req = Request::new(&wire.0, &wire.1);
    for (n, v) in &wire.2 {
        req.push_header(n, v);
    }
    let has_token = wire
        .2
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("x-amz-security-token"))
        || wire.1.contains("X-Amz-Security-Token=");
    if has_token {
        Verifier::new(store)
            .presigned_payload(PresignedPayload::ByService)
            .verify(&req, &wire.3, now)
            .map(|_| ())
    } else {
        Verifier::new(plain).verify(&req, &wire.3, now).map(|_| ())
    }
}

/// Flips bit `pick % 8` of the `pick`-th byte of the signature (hex, in `Signature=` or
/// `X-Amz-Signature=`) of `wire`.
fn flip_signature_bit(wire: &mut Wire, pick: usize) {
    let flip = |text: &mut String| {
        let Some(at) = text.find("Signature=") else {
            return false;
        };
        let start = at + "Signature=".len();
        let end = text[start..]
            .find(|c: char| !c.is_ascii_hexdigit())
            .map_or(text.len(), |i| start + i);
        let mut bytes: Vec<u8> = (start..end)
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect();
        let byte = pick % bytes.len();
        bytes[byte] ^= 1 << (pick % 8);
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        text.replace_range(start..end, &hex);
        true
    };
    if flip(&mut wire.1) {
        return;
    }
    for (name, value) in &mut wire.2 {
        if name.eq_ignore_ascii_case("authorization") && flip(value) {
            return;
        }
    }
    panic!("no signature in {wire:?}");
}

/// Where `text` holds an alphanumeric byte within `range`, outside `%XY` escapes: the bytes a
/// mutation may change without making an equivalent canonical form.
pub(crate) fn alphanumeric_positions(text: &str, range: std::ops::Range<usize>) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut eligible = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            i += 3;
            continue;
        }
        if range.contains(&i) && bytes[i].is_ascii_alphanumeric() {
            eligible.push(i);
        }
        i += 1;
    }
    eligible
}

/// Replaces the alphanumeric byte at the `pick`-th eligible position of `text` (outside `%XY`
/// escapes, within `range`) by another alphanumeric byte. `None` if there is none.
fn mutate(text: &str, range: std::ops::Range<usize>, pick: usize) -> Option<String> {
    let eligible = alphanumeric_positions(text, range);
    let &at = eligible.get(pick % eligible.len().max(1))?;
    let mut out = text.as_bytes().to_vec();
    out[at] = if out[at] == b'q' { b'r' } else { b'q' };
    String::from_utf8(out).ok()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, .. ProptestConfig::default() })]

    #[test]
    fn signed_requests_verify_and_any_changed_byte_is_rejected(case in case(), which in 0usize..6, pick in any::<usize>()) {
        let now = SigningTime::parse("20240229T120000Z").unwrap();
        let wire = signed(&case, now);
        prop_assert!(verify(&wire, now).is_ok(), "valid request rejected: {:?} {:?}", case, verify(&wire, now));

        let mut tampered = wire.clone();
        let path_len = wire.1.find('?').unwrap_or(wire.1.len());
        let user_query_end = wire.1.find("X-Amz-Algorithm").map_or(wire.1.len(), |i| i.saturating_sub(1));
        let other_method = if wire.0 == "PUT" { "POST" } else { "PUT" };
        let changed = match which {
            0 => false,
            1 => mutate(&wire.1, 1..path_len, pick).map(|t| tampered.1 = t).is_some(),
            2 => mutate(&wire.1, path_len + 1..user_query_end, pick).map(|t| tampered.1 = t).is_some(),
            3 => {
                // A signed header of the caller's (not Host: the verifier must see the host it
                // is reached at, which the test does not model).
                let idx = 1 + pick % case.headers.len();
                let (name, value) = tampered.2[idx].clone();
                mutate(&value, 0..value.len(), pick / 7).map(|v| tampered.2[idx] = (name, v)).is_some()
            }
            4 => {
                flip_signature_bit(&mut tampered, pick);
                true
            }
            _ => {
                // The body is covered unless the payload is UNSIGNED-PAYLOAD (presigned S3).
                let unsigned = case.query_form && canreq::is_s3_family(case.service);
                if unsigned || case.body.is_empty() { false } else {
                    let at = pick % case.body.len();
                    tampered.3[at] ^= 1 << (pick % 8);
                    true
                }
            }
        };
        if !changed {
            // Nothing of that kind to change (no query, empty or unsigned body): change the method.
            tampered.0 = other_method.into();
        }
        prop_assert!(verify(&tampered, now).is_err(), "tampered request accepted ({which}): {:?}", tampered);
    }
}
