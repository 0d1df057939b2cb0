//! What a refused request claims to be: its access key id (for the log), the service and
//! region of its credential (for the words of the refusal), read loosely, never for a decision.

/// Part `index` of the credential (`AKID/DATE/REGION/SERVICE/aws4_request`) a request claims,
/// read loosely from the `Authorization` header or the presign parameter: for the log and the
/// words of a refusal only, never for a decision (the verifier has refused the request).
pub fn claimed_credential<'a>(
    authorization: Option<&'a str>,
    query: &'a str,
    index: usize,
) -> Option<&'a str> {
    let from_header = authorization.and_then(|a| {
        let credential = a.split("Credential=").nth(1)?;
        let credential = credential.split([',', ' ']).next()?;
        credential.split('/').nth(index)
    });
    from_header.or_else(|| {
        query.split('&').find_map(|p| {
            let v = p.strip_prefix("X-Amz-Credential=")?;
            v.split("%2F").nth(index)
        })
    })
}

/// The service and region a refused request's credential names, when they look like names.
#[derive(Debug, Clone, Copy, Default)]
pub struct Claimed<'a> {
    pub service: Option<&'a str>,
    pub region: Option<&'a str>,
}

impl<'a> Claimed<'a> {
    pub fn of(parts: &'a http::request::Parts) -> Self {
        let authorization = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let query = parts.uri.query().unwrap_or("");
        let name = |index| {
            claimed_credential(authorization, query, index).filter(|s| {
                !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
        };
        Claimed {
            service: name(3),
            region: name(2),
        }
    }
}
