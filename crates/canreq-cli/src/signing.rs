//! The signing step `sign`, `presign`, `request` and `demo` share: a [`Resolved`] request in,
//! the request as sent and every step of its signature out.

use canreq::{Payload, Signer, Steps};

use crate::body::Body;
use crate::error::CliError;
use crate::resolve::{Prepared, Resolved};

/// Where the signature goes: the `Authorization` header, or the query string (a presigned URL
/// valid for `expires` seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    Header,
    Query { expires: u32 },
}

/// A signed request and how it was signed.
pub struct Signed {
    pub request: Prepared,
    pub steps: Steps,
    /// The `Authorization` header's value; `None` in the query string.
    pub authorization: Option<String>,
}

/// Signs `resolved`, the signature placed as asked. `payload` is the caller's choice when the body is not hashed
/// whole (aws-chunked uploads sign a `STREAMING-*` marker); `None` hashes the body, or signs
/// `UNSIGNED-PAYLOAD` when asked and for S3 presigned URLs.
pub fn sign(
    resolved: Resolved,
    placement: Placement,
    payload: Option<Payload<'_>>,
) -> Result<Signed, CliError> {
    let Resolved {
        mut request,
        scope,
        settings,
        credentials,
        time,
        unsigned_payload,
        algorithm,
    } = resolved;
    let s3 = canreq::is_s3_family(scope.service());
    let hash;
    let payload = if let Some(payload) = payload {
        payload
    } else if unsigned_payload || (s3 && matches!(placement, Placement::Query { .. })) {
        Payload::Unsigned
    } else {
        match &request.body {
            Body::Bytes(b) => Payload::Bytes(b),
            Body::Empty => Payload::Empty,
            Body::File { .. } => {
                hash = request.body.sha256_hex()?;
                Payload::Precomputed(&hash)
            }
        }
    };
    let signer = Signer::new(&credentials, scope, time)
        .with_settings(settings)
        .with_algorithm(algorithm);
    let mut unsigned =
        canreq::Request::with_capacity(&request.method, &request.url.target, request.headers.len());
    for (n, v) in &request.headers {
        unsigned.push_header(n, v);
    }
    match placement {
        Placement::Header => {
            let signed = signer.sign(&unsigned, payload)?;
            let steps = signed.steps().clone();
            let authorization = signed.authorization().to_owned();
            signed.apply(&mut request.headers);
            Ok(Signed {
                request,
                steps,
                authorization: Some(authorization),
            })
        }
        Placement::Query { expires } => {
            let presigned = signer.presign(&unsigned, payload, expires)?;
            let steps = presigned.steps().clone();
            request.url.target = presigned.target().to_owned();
            Ok(Signed {
                request,
                steps,
                authorization: None,
            })
        }
    }
}
