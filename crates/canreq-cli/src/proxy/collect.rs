//! A body read whole before its request is signed: its length (a body of unknown length) and
//! its SHA-256 (a service that signs the body's hash) must be in the head. Held in memory up
//! to `--buffer`, spilled to an anonymous temporary file beyond, so memory stays bounded
//! whatever the size.

use std::collections::VecDeque;
use std::io::SeekFrom;

use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use super::source::{DataSource, Replay};
use crate::upstream::BodyFailed;

/// A body read whole: its data to send again, its length, and its hash when asked for.
pub struct Collected {
    pub replay: Replay,
    pub length: u64,
    /// Lowercase hex SHA-256.
    pub sha256: Option<String>,
}

/// Reads `source` to its end: in memory up to `buffer` bytes, then in a temporary file; at
/// most `max` bytes in all. Hashes it when `hash` is set.
pub async fn collect(
    mut source: impl DataSource,
    buffer: u64,
    max: u64,
    hash: bool,
) -> Result<Collected, BodyFailed> {
    let mut hasher = hash.then(Sha256::new);
    let mut memory: VecDeque<Bytes> = VecDeque::new();
    let mut file: Option<tokio::fs::File> = None;
    let mut length = 0u64;
    let spool_failed = |e: std::io::Error| {
        BodyFailed::new(
            500,
            "InternalError",
            format!("the body could not be spooled to a temporary file: {e}"),
        )
    };
    while let Some(piece) = source.next_data().await? {
        length += piece.len() as u64;
        if length > max {
            return Err(BodyFailed::new(
                400,
                "EntityTooLarge",
                format!("the request body is over {max} bytes (--max-body-bytes)"),
            ));
        }
        if let Some(hasher) = &mut hasher {
            hasher.update(&piece);
        }
        if file.is_none() && length > buffer {
            // Over the buffer: what is held goes to the file first, then everything after.
            let spool = tempfile::tempfile().map_err(spool_failed)?;
            let mut spool = tokio::fs::File::from_std(spool);
            for held in memory.drain(..) {
                spool.write_all(&held).await.map_err(spool_failed)?;
            }
            file = Some(spool);
        }
        match &mut file {
            Some(spool) => spool.write_all(&piece).await.map_err(spool_failed)?,
            None => memory.push_back(piece),
        }
    }
    let replay = match file {
        Some(mut spool) => {
            spool.flush().await.map_err(spool_failed)?;
            spool.seek(SeekFrom::Start(0)).await.map_err(spool_failed)?;
            Replay::File {
                file: spool,
                left: length,
            }
        }
        None => Replay::Memory(memory),
    };
    Ok(Collected {
        replay,
        length,
        sha256: hasher.map(|h| hex(&h.finalize())),
    })
}

fn hex(digest: &[u8]) -> String {
    use std::fmt::Write;
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `count` pieces of `size` bytes, each byte its piece's index.
    struct Pieces {
        next: u8,
        count: u8,
        size: usize,
    }

    impl DataSource for Pieces {
        async fn next_data(&mut self) -> Result<Option<Bytes>, BodyFailed> {
            if self.next == self.count {
                return Ok(None);
            }
            self.next += 1;
            Ok(Some(Bytes::from(vec![self.next - 1; self.size])))
        }
    }

    async fn read_back(mut replay: Replay) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(piece) = replay.next_data().await.unwrap() {
            out.extend_from_slice(&piece);
        }
        out
    }

    fn expected(count: u8, size: usize) -> Vec<u8> {
        (0..count).flat_map(|i| vec![i; size]).collect()
    }

    #[tokio::test]
    async fn a_body_within_the_buffer_stays_in_memory_and_is_hashed() {
        let source = Pieces {
            next: 0,
            count: 3,
            size: 1000,
        };
        let collected = collect(source, 3000, u64::MAX, true).await.unwrap();
        assert!(matches!(collected.replay, Replay::Memory(_)));
        assert_eq!(collected.length, 3000);
        let data = expected(3, 1000);
        assert_eq!(
            collected.sha256.as_deref(),
            Some(hex(&Sha256::digest(&data)).as_str())
        );
        assert_eq!(read_back(collected.replay).await, data);
    }

    #[tokio::test]
    async fn a_body_over_the_buffer_is_spilled_to_a_file_whole() {
        let source = Pieces {
            next: 0,
            count: 5,
            size: 300_000,
        };
        let collected = collect(source, 400_000, u64::MAX, false).await.unwrap();
        assert!(matches!(collected.replay, Replay::File { .. }));
        assert_eq!((collected.length, collected.sha256), (1_500_000, None));
        assert_eq!(read_back(collected.replay).await, expected(5, 300_000));
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_refused() {
        let source = Pieces {
            next: 0,
            count: 5,
            size: 10,
        };
        let e = collect(source, 100, 45, false).await.err().unwrap();
        assert_eq!((e.status, e.code), (400, "EntityTooLarge"));
    }
}
