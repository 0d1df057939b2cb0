//! Chunk hashes on several threads.
//!
//! A chunk's signature needs the previous signature, but its SHA-256 does not: hashing, which
//! is nearly all of the work, can run in parallel, and only the cheap HMAC chain stays in
//! order. This is the one place in the crate that starts threads; they are scoped and joined
//! before it returns.

/// SHA-256 of each `chunk_size` piece of `body` (the last may be shorter), on up to `threads`
/// threads. Feed the hashes, in order, to
/// [`ChunkedEncoder::frame_hashed`](super::ChunkedEncoder::frame_hashed).
///
/// ```
/// use canreq::chunked::hash_chunks_parallel;
///
/// let body = vec![b'a'; 3 * 8192 + 1];
/// let hashes = hash_chunks_parallel(&body, 8192, 2);
/// assert_eq!(hashes.len(), 4);
/// assert_eq!(hashes[0], hashes[1]);
/// ```
pub fn hash_chunks_parallel(body: &[u8], chunk_size: usize, threads: usize) -> Vec<[u8; 32]> {
    let chunk_size = chunk_size.max(1);
    let chunks: Vec<&[u8]> = body.chunks(chunk_size).collect();
    let mut hashes = vec![[0u8; 32]; chunks.len()];
    let threads = threads.clamp(1, chunks.len().max(1));
    // Contiguous runs of chunks, one run per thread.
    let per_thread = chunks.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        for (inputs, outputs) in chunks.chunks(per_thread).zip(hashes.chunks_mut(per_thread)) {
            scope.spawn(move || {
                for (chunk, out) in inputs.iter().zip(outputs.iter_mut()) {
                    *out = crate::crypto::sha256(chunk);
                }
            });
        }
    });
    hashes
}
