//! The trailer of an aws-chunked body: its lines, its signature, its checksum.

use super::super::TRAILER_SIGNATURE;
use super::super::chain::ChunkSignature;
use super::{ChunkedDecoder, State, Trailer};
use crate::canonical::{HeaderRef, canonical_trailers, trim_blanks};
use crate::error::shown;
use crate::refusal::{AuthError, ErrorCode};

impl ChunkedDecoder {
    pub(super) fn on_trailer_line(&mut self, line: &[u8]) -> Result<(), AuthError> {
        let State::Trailer(trailer) = &mut self.state else {
            return Ok(());
        };
        let mut trailer = std::mem::take(trailer);
        let result = match line {
            b"" => self.end_trailer(&trailer),
            text => self.trailer_field(&mut trailer, text),
        };
        match result {
            Ok(true) => self.state = State::Done(trailer.fields),
            Ok(false) => self.state = State::Trailer(trailer),
            Err(_) => {}
        }
        result.map(|_| ())
    }

    /// Reads one `name:value` line of the trailer into `trailer`; `Ok(false)`: more follow.
    fn trailer_field(&self, trailer: &mut Trailer, text: &[u8]) -> Result<bool, AuthError> {
        let text = std::str::from_utf8(text)
            .map_err(|_| malformed_trailer("a trailer line is not UTF-8."))?;
        let (name, value) = text.split_once(':').ok_or_else(|| {
            malformed_trailer(format!("trailer line '{}' has no ':'.", shown(text)))
        })?;
        let value = trim_blanks(value);
        // Names as every SDK writes them, lowercase: one encoding per trailer, so that no
        // changed byte goes unnoticed even where the trailer is not signed.
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(malformed_trailer(format!(
                "trailer name '{}' must be lowercase.",
                shown(name)
            )));
        }
        if trailer.signature.is_some() {
            return Err(malformed_trailer(
                "x-amz-trailer-signature must be the last trailer line.",
            ));
        }
        if name == TRAILER_SIGNATURE {
            let Some(algorithm) = self.plan.mode.chunk_algorithm() else {
                return Err(malformed_trailer(format!(
                    "{} trailers carry no signature.",
                    self.plan.mode.marker()
                )));
            };
            let signature =
                ChunkSignature::from_wire(algorithm, value.as_bytes()).ok_or_else(|| {
                    AuthError::new(
                        ErrorCode::SignatureDoesNotMatch,
                        format!(
                            "x-amz-trailer-signature '{}' is not {}.",
                            shown(value),
                            ChunkSignature::wire_form(algorithm)
                        ),
                    )
                })?;
            trailer.signature = Some(signature);
            return Ok(false);
        }
        let lower = name.to_owned();
        if !self.plan.declared_trailers.contains(&lower) {
            return Err(malformed_trailer(format!(
                "trailer '{}' is not declared in x-amz-trailer.",
                shown(name)
            )));
        }
        if trailer.fields.iter().any(|(n, _)| *n == lower) {
            return Err(malformed_trailer(format!(
                "trailer '{}' appears twice.",
                shown(name)
            )));
        }
        trailer.fields.push((lower, value.to_owned()));
        Ok(false)
    }

    /// The blank line that ends the trailer: every declared field sent, the signature and the
    /// checksum checked. `Ok(true)`: the body is done.
    fn end_trailer(&mut self, trailer: &Trailer) -> Result<bool, AuthError> {
        if let Some(missing) = self
            .plan
            .declared_trailers
            .iter()
            .find(|d| !trailer.fields.iter().any(|(n, _)| n == *d))
        {
            return Err(malformed_trailer(format!(
                "trailer '{missing}', declared in x-amz-trailer, was not sent."
            )));
        }
        if self.plan.mode.signs_chunks() {
            let claimed = trailer.signature.ok_or_else(|| {
                malformed_trailer("the signed trailer has no x-amz-trailer-signature.")
            })?;
            if !self.check_signatures {
                return self.check_checksum(trailer).map(|()| true);
            }
            let headers: Vec<HeaderRef<'_>> = trailer
                .fields
                .iter()
                .map(|(name, value)| HeaderRef { name, value })
                .collect();
            let canonical = canonical_trailers(&headers)
                .map_err(|e| malformed_trailer(format!("a trailer is invalid: {e}")))?;
            let matches = self
                .chain
                .as_mut()
                .is_some_and(|c| c.check_trailer(&canonical, &claimed));
            if !matches {
                return Err(AuthError::new(
                    ErrorCode::SignatureDoesNotMatch,
                    "The trailer signature we calculated does not match the one provided.",
                )
                .with_detail("CanonicalTrailers", canonical));
            }
        }
        self.check_checksum(trailer)?;
        Ok(true)
    }

    /// The trailer's checksum against the one computed over the data, if one was declared.
    fn check_checksum(&self, trailer: &Trailer) -> Result<(), AuthError> {
        if let Some(sum) = self.checksum.clone() {
            let alg = sum.algorithm();
            let computed = sum.finish_base64();
            let sent = trailer
                .fields
                .iter()
                .find(|(n, _)| n == alg.header_name())
                .map(|(_, v)| v.as_str())
                .unwrap_or_default();
            if sent != computed {
                return Err(AuthError::new(
                    ErrorCode::BadDigest,
                    format!(
                        "The {} you specified did not match the calculated checksum.",
                        alg.name().to_ascii_uppercase()
                    ),
                )
                .with_detail("ClientChecksum", shown(sent))
                .with_detail("CalculatedChecksum", computed));
            }
        }
        Ok(())
    }
}

fn malformed_trailer(message: impl Into<String>) -> AuthError {
    AuthError::new(ErrorCode::MalformedTrailerError, message)
}
