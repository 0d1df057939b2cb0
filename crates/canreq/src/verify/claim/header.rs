//! The `Authorization` header form of a claim.

use std::borrow::Cow;

use super::credential::{Credential, SignedNames, check_signed_headers, parse_credential};
use super::{AuthLocation, Claim, KnownHeaders, check_algorithm};
use crate::algorithm::Algorithm;
use crate::canonical::trim_blanks;
use crate::refusal::{AuthError, ErrorCode};
use crate::request::Request;
use crate::text::{find_byte, starts_with};

pub(super) fn parse_header<'r>(
    value: &'r str,
    request: &Request<'r>,
    known: &KnownHeaders<'r>,
    query_token: Option<Cow<'r, str>>,
) -> Result<Claim<'r>, AuthError> {
    let value = trim_blanks(value);
    let claim =
        |algorithm, credential, names, signed_headers, signature, (amz_date, date_header)| Claim {
            algorithm,
            location: AuthLocation::Header,
            credential,
            signed_headers: Cow::Borrowed(signed_headers),
            signature: Cow::Borrowed(signature),
            amz_date,
            date_header,
            expires: None,
            query_token,
            region_set: known
                .region_set
                .first
                .map(|v| Cow::Borrowed(trim_blanks(v))),
            names,
        };
    // The fast reading returns no error, so the order of the checks below is the general
    // path's: the components' split, the date headers, then the credential and the list.
    if let Some(form) = sdk_form(value) {
        return Ok(claim(
            Algorithm::HmacSha256,
            form.credential,
            form.names,
            form.signed_headers,
            form.signature,
            request_time(request, known)?,
        ));
    }
    let (algorithm, [credential, signed_headers, signature]) = split_components(value)?;
    let time = request_time(request, known)?;
    if known.region_set.repeated {
        return Err(AuthError::new(
            ErrorCode::InvalidArgument,
            "Only one X-Amz-Region-Set header is allowed.",
        ));
    }
    Ok(claim(
        algorithm,
        parse_credential(
            Cow::Borrowed(credential),
            AuthLocation::Header,
            algorithm.uses_region_set(),
        )?,
        check_signed_headers(signed_headers, AuthLocation::Header)?,
        signed_headers,
        signature,
        time,
    ))
}

/// The header that gives the request's time: `X-Amz-Date`, or `Date` without it.
#[inline]
fn request_time<'r>(
    request: &Request<'r>,
    known: &KnownHeaders<'r>,
) -> Result<(Option<Cow<'r, str>>, Option<&'r str>), AuthError> {
    let amz_date = known.amz_date.first.map(|v| Cow::Borrowed(trim_blanks(v)));
    if known.amz_date.repeated {
        return Err(AuthError::new(
            ErrorCode::InvalidArgument,
            "Only one X-Amz-Date header is allowed.",
        ));
    }
    // Without X-Amz-Date, AWS takes the request's time from `Date` (which must then be
    // signed); with it, `Date` plays no part. Looked for only then: almost every request has
    // X-Amz-Date, and the one-pass scan stays as short as it was.
    let date_header = match amz_date {
        Some(_) => None,
        None => {
            let mut dates = request.header_values("date");
            let first = dates.next();
            if dates.next().is_some() {
                return Err(AuthError::new(
                    ErrorCode::InvalidArgument,
                    "Only one Date header is allowed.",
                ));
            }
            first.map(trim_blanks)
        }
    };
    Ok((amz_date, date_header))
}

/// The value as the AWS SDKs, the CLI, curl and canreq write it, read in one pass:
/// `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`, the components in that order,
/// each after `,` or `, `, and a well-formed credential and header list. `None` for any other
/// value, which [`split_components`] then reads. `value` is trimmed of blanks.
///
/// This only saves work, and never decides: what it returns is what the general split and the
/// same credential and list checks give (the test `sdk_form_is_read_as_split_components`
/// holds it to that). The general split searches every component for its end and trims it;
/// here the keys are compared in place and each component ends at the first `,`, which the
/// general split agrees with whenever the checks below pass: a credential must end in
/// `/aws4_request` and a header list holds no blank, so neither can have hidden a trailing
/// blank, and a signature holding a `,` is left to the general split.
fn sdk_form(value: &str) -> Option<SdkForm<'_>> {
    const SIGNED_HEADERS: &[u8; 14] = b"SignedHeaders=";
    const SIGNATURE: &[u8; 10] = b"Signature=";
    let bytes = value.as_bytes();
    if !starts_with(bytes, SDK_HEAD) {
        return None;
    }
    // After a `,`, the next component: one optional space, then `key`.
    let next = |comma: usize, key: &[u8]| {
        let at = comma + 1 + usize::from(bytes.get(comma + 1) == Some(&b' '));
        bytes.get(at..)?.starts_with(key).then_some(at + key.len())
    };
    let credential_end = SDK_HEAD.len() + find_byte(&bytes[SDK_HEAD.len()..], b',')?;
    let list_start = next(credential_end, SIGNED_HEADERS)?;
    let list_end = list_start + find_byte(&bytes[list_start..], b',')?;
    let signature_start = next(list_end, SIGNATURE)?;
    let signature = &value[signature_start..];
    if find_byte(signature.as_bytes(), b',').is_some() {
        return None;
    }
    let credential_text = &value[SDK_HEAD.len()..credential_end];
    let signed_headers = &value[list_start..list_end];
    Some(SdkForm {
        credential: parse_credential(Cow::Borrowed(credential_text), AuthLocation::Header, false)
            .ok()?,
        names: check_signed_headers(signed_headers, AuthLocation::Header).ok()?,
        signed_headers,
        signature,
    })
}

/// How [`sdk_form`] values start: the algorithm, a space, the credential's key.
const SDK_HEAD: &[u8; 28] = b"AWS4-HMAC-SHA256 Credential=";

/// What [`sdk_form`] read.
struct SdkForm<'r> {
    credential: Credential<Cow<'r, str>>,
    names: SignedNames,
    signed_headers: &'r str,
    signature: &'r str,
}

/// Splits the value at `,` into its three components, in any order, each trimmed of blanks
/// (empty components skipped), after reading the algorithm before the first space.
fn split_components(value: &str) -> Result<(Algorithm, [&str; 3]), AuthError> {
    let bytes = value.as_bytes();
    let space = find_byte(bytes, b' ').unwrap_or(bytes.len());
    let algorithm = check_algorithm(&value[..space], AuthLocation::Header)?;
    let bad = |msg: String| AuthError::new(ErrorCode::AuthorizationHeaderMalformed, msg);
    const KEYS: [&str; 3] = ["Credential", "SignedHeaders", "Signature"];
    let mut found: [Option<&str>; 3] = [None; 3];
    let mut at = space + 1;
    while at < bytes.len() {
        let end = find_byte(&bytes[at..], b',').map_or(bytes.len(), |i| at + i);
        let part = trim_blanks(&value[at..end]);
        at = end + 1;
        // `key=` at the start is the same test as "the text before the first `=` is `key`"
        // (no key holds a `=`), without searching for the `=`; the first byte tells which key
        // to compare, each by one fixed-size compare.
        let p = part.as_bytes();
        let known_key = match p.first() {
            None => continue,
            Some(b'C') if starts_with(p, b"Credential=") => Some(0),
            Some(b'S') if starts_with(p, b"SignedHeaders=") => Some(1),
            Some(b'S') if starts_with(p, b"Signature=") => Some(2),
            Some(_) => None,
        };
        let Some(index) = known_key else {
            // The client's text, bounded and escaped: it may be any length and hold controls.
            return Err(bad(match part.split_once('=') {
                None => format!(
                    "The Authorization header component '{}' is not of the form key=value.",
                    crate::error::shown(part)
                ),
                Some((other, _)) => format!(
                    "The Authorization header has an unknown component '{}'.",
                    crate::error::shown(other)
                ),
            }));
        };
        if found[index]
            .replace(&part[KEYS[index].len() + 1..])
            .is_some()
        {
            return Err(bad(format!(
                "The Authorization header repeats '{}'.",
                KEYS[index]
            )));
        }
    }
    let [Some(credential), Some(signed_headers), Some(signature)] = found else {
        let missing: Vec<&str> = KEYS
            .iter()
            .zip(found)
            .filter(|(_, value)| value.is_none())
            .map(|(key, _)| *key)
            .collect();
        return Err(AuthError::new(
            ErrorCode::IncompleteSignature,
            format!(
                "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'; missing {}.",
                missing.join(", ")
            ),
        ));
    };
    Ok((algorithm, [credential, signed_headers, signature]))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// What the general path reads from `value`: the components, when the split, the credential
    /// and the header list are all accepted.
    fn general(value: &str) -> Option<[&str; 3]> {
        let (_, parts) = split_components(value).ok()?;
        parse_credential(parts[0], AuthLocation::Header, false).ok()?;
        check_signed_headers(parts[1], AuthLocation::Header).ok()?;
        Some(parts)
    }

    /// `sdk_form`, when it reads `value`, reads what the general path reads (both given the
    /// value trimmed, as `parse_header` gives it).
    fn agrees(value: &str) -> bool {
        let value = trim_blanks(value);
        match sdk_form(value) {
            None => true,
            Some(form) => {
                let credential = &form.credential;
                let parts = [credential.text(), form.signed_headers, form.signature];
                general(value) == Some(parts)
                    // Nothing may follow the scope.
                    && credential.text()
                        == format!(
                            "{}/{}",
                            credential.access_key_id(),
                            credential.shape().scope(credential.text())
                        )
                    && credential.access_key_id() == parts[0].split('/').next().unwrap_or("")
                    && form.names.has_host()
                        == parts[1].split(';').any(|n| n.eq_ignore_ascii_case("host"))
            }
        }
    }

    const WRITTEN: [&str; 4] = [
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request,SignedHeaders=host,Signature=0123",
        "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=Host;X-Amz-Date, Signature=",
        "AWS4-HMAC-SHA256 Credential=AK ID/20150830/eu-west-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=zz",
    ];

    #[test]
    fn the_sdk_form_starts_with_the_algorithm() {
        // `SDK_HEAD` spells the algorithm out: it must be the one signed with.
        let head = format!("{} Credential=", crate::sign::ALGORITHM);
        assert_eq!(head.as_bytes(), SDK_HEAD);
    }

    #[test]
    fn the_forms_signers_write_are_read_by_sdk_form() {
        for value in WRITTEN {
            assert!(sdk_form(value).is_some(), "{value}");
            assert!(agrees(value), "{value}");
        }
    }

    #[test]
    fn sdk_form_is_read_as_split_components_after_any_one_edit() {
        // Every byte replaced by each byte that means something to either reading, removed, or
        // doubled: whenever `sdk_form` still reads the value, it reads it as the general path.
        let bytes = b" \t,=/;:SCsc0aA\x7f\x80";
        for value in WRITTEN {
            for at in 0..value.len() {
                let (before, after) = (&value[..at], &value[at + 1..]);
                let mut edits: Vec<String> = bytes
                    .iter()
                    .map(|&b| format!("{before}{}{after}", char::from(b)))
                    .collect();
                edits.push(format!("{before}{after}"));
                edits.push(format!("{before}{}{}", &value[at..=at], &value[at..]));
                for edited in edits {
                    assert!(agrees(&edited), "{edited:?}");
                }
            }
        }
    }

    proptest! {
        /// Components from a small alphabet of the syntax's bytes, joined in any order by any
        /// separators; weighted towards the SDK form, so that `sdk_form` reads many of them.
        #[test]
        fn sdk_form_is_read_as_split_components(
            key in prop_oneof![2 => Just(String::new()), 1 => "[A ,/]{0,3}"],
            scope in prop_oneof![2 => "[a-z]{1,6}", 1 => "[a-z, =/\t]{1,6}"],
            list in prop_oneof![2 => "(host|x-a)(;(host|X-A)){0,2}", 1 => "[a-zA-Z;, \t]{0,8}"],
            signature in "[0-9a-f, \t=]{0,8}",
            separators in proptest::collection::vec(
                prop_oneof![2 => Just(String::from(" ")), 1 => Just(String::new()), 1 => "[ ,\t]{0,3}"],
                3,
            ),
            order in prop_oneof![3 => Just(0usize), 1 => 0usize..6],
        ) {
            let components = [
                format!("Credential=A{key}/20150830/{scope}/s/aws4_request"),
                format!("SignedHeaders={list}"),
                format!("Signature={signature}"),
            ];
            let orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
            let mut value = String::from("AWS4-HMAC-SHA256 ");
            for (i, &c) in orders[order].iter().enumerate() {
                value.push_str(&components[c]);
                if i < 2 {
                    value.push(',');
                    value.push_str(&separators[i]);
                }
            }
            prop_assert!(agrees(&value), "{:?}", value);
        }
    }
}
