//! `request --checksum ALG` without `--chunked`: the body's checksum in an
//! `x-amz-checksum-ALG` header, as the AWS CLI sends it on a plain PUT. S3 checks it against
//! the data it stores and keeps it with the object.

use std::io::Read;

use canreq::chunked::ChecksumAlgorithm;

use crate::body::{self, Body};
use crate::error::CliError;
use crate::resolve::Prepared;

/// Adds the header for `algorithm`, reading a file body once.
pub fn add_header(request: &mut Prepared, algorithm: ChecksumAlgorithm) -> Result<(), CliError> {
    let mut sum = algorithm.start();
    match &request.body {
        Body::Empty => {}
        Body::Bytes(b) => sum.update(b),
        Body::File { path, .. } => {
            let mut file = body::open(path)?;
            let mut buf = vec![0u8; body::PIECE];
            loop {
                let n = file
                    .read(&mut buf)
                    .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
                if n == 0 {
                    break;
                }
                sum.update(&buf[..n]);
            }
        }
    }
    let name = algorithm.header_name();
    request
        .headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    request.headers.push((name.to_owned(), sum.finish_base64()));
    Ok(())
}
