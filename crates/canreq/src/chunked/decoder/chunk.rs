//! A chunk of an aws-chunked body: its size line, its data, its signature.

use sha2::{Digest, Sha256};

use super::super::SIGNATURE_EXTENSION;
use super::super::chain::ChunkSignature;
use super::{Chunk, ChunkedDecoder, State, Trailer, invalid};
use crate::error::shown;
use crate::refusal::{AuthError, ErrorCode};

impl ChunkedDecoder {
    pub(super) fn on_size_line(&mut self, line: &[u8]) -> Result<(), AuthError> {
        let index = self.progress.chunks;
        let mode = self.plan.mode;
        let limits = &self.plan.limits;
        let (size_text, extension) = match line.iter().position(|&b| b == b';') {
            Some(p) => (&line[..p], Some(&line[p..])),
            None => (line, None),
        };
        let size = parse_hex_size(size_text).ok_or_else(|| {
            invalid(format!(
                "chunk {index} has a malformed size '{}'.",
                shown(&String::from_utf8_lossy(size_text))
            ))
        })?;
        let claimed = if let Some(algorithm) = mode.chunk_algorithm() {
            let claimed = extension
                .and_then(|e| e.strip_prefix(SIGNATURE_EXTENSION.as_bytes()))
                .and_then(|wire| ChunkSignature::from_wire(algorithm, wire));
            let Some(claimed) = claimed else {
                return Err(AuthError::new(
                    ErrorCode::SignatureDoesNotMatch,
                    format!(
                        "chunk {index} has no well-formed chunk-signature ({}).",
                        ChunkSignature::wire_form(algorithm)
                    ),
                ));
            };
            // Read for its form only when signatures are not checked.
            self.check_signatures.then_some(claimed)
        } else if extension.is_some() {
            return Err(invalid(format!(
                "chunk {index} has an extension, but {} chunks carry none.",
                mode.marker()
            )));
        } else {
            None
        };
        // Only a signed chunk is held (until its signature is checked); an unsigned one is
        // released as it arrives, whatever its size.
        if mode.signs_chunks() && size > limits.max_chunk_size as u64 {
            return Err(AuthError::new(
                ErrorCode::InvalidChunkSizeError,
                format!(
                    "chunk {index} is {size} bytes; this endpoint accepts chunks of at most {} bytes.",
                    limits.max_chunk_size
                ),
            ));
        }
        if size > 0 && self.progress.short_chunk_seen {
            return Err(AuthError::new(
                ErrorCode::InvalidChunkSizeError,
                format!(
                    "Only the last chunk is allowed to have a size less than {} bytes.",
                    limits.min_chunk_size
                ),
            ));
        }
        if size > self.plan.declared_length - self.progress.decoded {
            return Err(AuthError::new(
                ErrorCode::IncompleteBody,
                format!(
                    "chunk {index} goes past x-amz-decoded-content-length ({} bytes).",
                    self.plan.declared_length
                ),
            ));
        }
        if size > 0 {
            self.state = State::Data(Chunk {
                size,
                remaining: size,
                claimed,
                hasher: Sha256::new(),
            });
            return Ok(());
        }
        // The final chunk.
        if self.progress.decoded != self.plan.declared_length {
            return Err(AuthError::new(
                ErrorCode::IncompleteBody,
                format!(
                    "The aws-chunked body has {} data bytes; x-amz-decoded-content-length says {}.",
                    self.progress.decoded, self.plan.declared_length
                ),
            ));
        }
        if let Some(claimed) = &claimed {
            self.check_chunk_signature(Sha256::new(), claimed)?;
        }
        self.state = if mode.has_trailer() {
            State::Trailer(Trailer::default())
        } else {
            State::DataEnd {
                seen: 0,
                last: true,
                size: 0,
            }
        };
        Ok(())
    }

    pub(super) fn on_data(
        &mut self,
        piece: &[u8],
        release: &mut impl FnMut(&[u8]),
    ) -> Result<(), AuthError> {
        if let Some(sum) = &mut self.checksum {
            sum.update(piece);
        }
        let State::Data(chunk) = &mut self.state else {
            return Ok(());
        };
        let Some(claimed) = chunk.claimed else {
            // Unsigned: released as it arrives; only the trailer's checksum vouches for it.
            self.progress.decoded += piece.len() as u64;
            release(piece);
            if chunk.remaining == 0 {
                let size = chunk.size;
                self.end_chunk(size, false);
            }
            return Ok(());
        };
        chunk.hasher.update(piece);
        if chunk.remaining > 0 {
            self.buffer.extend_from_slice(piece);
            return Ok(());
        }
        let (size, hasher) = (chunk.size, std::mem::take(&mut chunk.hasher));
        self.check_chunk_signature(hasher, &claimed)?;
        self.progress.decoded += size;
        if self.buffer.is_empty() {
            // The whole chunk came in one piece: released from the input, never copied.
            release(piece);
        } else {
            self.buffer.extend_from_slice(piece);
            release(&self.buffer);
            self.buffer.clear();
        }
        self.end_chunk(size, true);
        Ok(())
    }

    fn end_chunk(&mut self, size: u64, signed: bool) {
        self.progress.chunks += 1;
        if signed && size < self.plan.limits.min_chunk_size as u64 {
            self.progress.short_chunk_seen = true;
        }
        self.state = State::DataEnd {
            seen: 0,
            last: false,
            size,
        };
    }

    /// Checks the signature `claimed` for the chunk whose data `hasher` holds.
    fn check_chunk_signature(
        &mut self,
        hasher: Sha256,
        claimed: &ChunkSignature,
    ) -> Result<(), AuthError> {
        let digest: [u8; 32] = hasher.finalize().into();
        // A decoder of signed chunks always has its chain (`with_chain` sees to it).
        if self
            .chain
            .as_mut()
            .is_some_and(|c| c.check_chunk_hash(&digest, claimed))
        {
            return Ok(());
        }
        Err(AuthError::new(
            ErrorCode::SignatureDoesNotMatch,
            format!(
                "The chunk signature we calculated for chunk {} does not match the one provided \
                 (changed, reordered, dropped or replayed data).",
                self.progress.chunks
            ),
        )
        .with_detail("ChunkIndex", self.progress.chunks.to_string()))
    }
}

/// 1 to 16 hex digits without leading zeros (a `u64` cannot overflow), in either case: HTTP's
/// chunk-size is case-insensitive, the AWS SDK for Rust writes sizes in upper case (`A`,
/// `86A0`) and the other encoders in lower case. No signature covers the size (a chunk's covers
/// its data), so its case changes nothing that is verified.
fn parse_hex_size(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 16 || (text.len() > 1 && text[0] == b'0') {
        return None;
    }
    text.iter().try_fold(0u64, |acc, &b| {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return None,
        };
        Some(acc << 4 | u64::from(digit))
    })
}
