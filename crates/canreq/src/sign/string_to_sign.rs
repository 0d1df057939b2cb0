//! The string to sign: algorithm, time, credential scope and the canonical request's hash.

use std::ops::Range;

use crate::algorithm::Algorithm;
use crate::credentials::Scope;
use crate::encode;
use crate::time::SigningTime;

/// The string to sign, `ALGORITHM\n<amz date>\n<scope>\n<hex SHA-256 of the canonical
/// request>`, and where its scope line lies in it (what [`Steps::credential_scope`] shows,
/// without a second copy).
pub(crate) fn string_to_sign_in_scope(
    algorithm: Algorithm,
    amz_date: &str,
    scope: &Scope,
    canonical_digest: &[u8; 32],
) -> (String, Range<usize>) {
    // The scope's date is the day of `X-Amz-Date` (`YYYYMMDD` of `YYYYMMDDTHHMMSSZ`).
    let date = amz_date.get(..8).unwrap_or_default();
    let mut out = String::with_capacity(string_to_sign_len(
        algorithm,
        scope.credential_scope_len(date, algorithm),
    ));
    let range = write_string_to_sign(
        &mut out,
        algorithm,
        amz_date,
        |out| scope.write_credential_scope(out, date, algorithm),
        canonical_digest,
    );
    (out, range)
}

/// The length of a string to sign whose scope line is `scope_len` bytes: the algorithm, the
/// 16-byte `X-Amz-Date`, the scope and the 64-digit hash, each line ended but the last.
pub(crate) fn string_to_sign_len(algorithm: Algorithm, scope_len: usize) -> usize {
    algorithm.name().len() + 1 + 16 + 1 + scope_len + 1 + 64
}

/// Appends the string to sign to `out`, its scope line written by `write_scope`, and returns
/// where the scope lies.
pub(crate) fn write_string_to_sign(
    out: &mut String,
    algorithm: Algorithm,
    amz_date: &str,
    write_scope: impl FnOnce(&mut String),
    canonical_digest: &[u8; 32],
) -> Range<usize> {
    out.push_str(algorithm.name());
    out.push('\n');
    out.push_str(amz_date);
    out.push('\n');
    let start = out.len();
    write_scope(out);
    let end = out.len();
    out.push('\n');
    encode::hex_into(out, canonical_digest);
    start..end
}

/// The string to sign for a canonical request given as text, for example one built by hand:
/// SigV4's for a one-region scope, SigV4a's for a region set.
///
/// ```
/// use canreq::{Scope, SigningKey, SigningTime, string_to_sign_for};
///
/// let creq = "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\
///             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// let time = SigningTime::parse("20150830T123600Z")?;
/// let scope = Scope::new("us-east-1", "service")?;
/// let sts = string_to_sign_for(creq, time, &scope);
/// let key = SigningKey::derive("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", time.date(), "us-east-1", "service");
/// let signature: String = key.sign(sts.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
/// assert_eq!(signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
/// # Ok::<(), canreq::Error>(())
/// ```
pub fn string_to_sign_for(canonical_request: &str, time: SigningTime, scope: &Scope) -> String {
    let digest = crate::crypto::sha256(canonical_request.as_bytes());
    let algorithm = match scope.region_set() {
        Some(_) => Algorithm::EcdsaP256Sha256,
        None => Algorithm::HmacSha256,
    };
    string_to_sign_in_scope(algorithm, time.amz_date(), scope, &digest).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_string_to_sign_is_as_long_as_its_length_says() {
        let scope = Scope::new("us-east-1", "iam").unwrap();
        let (text, range) =
            string_to_sign_in_scope(Algorithm::HmacSha256, "20150830T123600Z", &scope, &[7; 32]);
        assert_eq!(&text[range.clone()], "20150830/us-east-1/iam/aws4_request");
        assert_eq!(
            text.len(),
            string_to_sign_len(Algorithm::HmacSha256, range.len())
        );
        assert_eq!(text.capacity(), text.len(), "allocated once, exactly");
    }
}
