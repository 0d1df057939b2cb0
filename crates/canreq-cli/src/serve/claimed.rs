//! What a refused request claims to be: its access key id (for the log), the service and
//! region of its credential, or SigV4a's region set (for the words of the refusal), read loosely,
//! never for a decision.

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
/// A SigV4a credential (`AKID/DATE/SERVICE/aws4_request`) names no region: its region set is
/// `X-Amz-Region-Set`'s.
#[derive(Debug, Clone, Copy, Default)]
pub struct Claimed<'a> {
    pub service: Option<&'a str>,
    pub region: Option<&'a str>,
    pub region_set: Option<&'a str>,
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
        if claimed_credential(authorization, query, 3) == Some("aws4_request") {
            return Claimed {
                service: name(2),
                region: None,
                region_set: region_set(&parts.headers, query),
            };
        }
        Claimed {
            service: name(3),
            region: name(2),
            region_set: None,
        }
    }

    /// The region the request says it was signed for: its credential's, or SigV4a's set.
    pub fn region_or_set(&self) -> Option<&'a str> {
        self.region.or(self.region_set)
    }
}

/// `X-Amz-Region-Set` as sent, header or presign parameter, when it holds only region names,
/// commas and `*` (a parameter's `,` and `*` may be escaped: then it is not shown).
fn region_set<'a>(headers: &'a http::HeaderMap, query: &'a str) -> Option<&'a str> {
    let header = headers
        .get("x-amz-region-set")
        .and_then(|v| v.to_str().ok());
    let set = header.or_else(|| {
        query
            .split('&')
            .find_map(|p| p.strip_prefix("X-Amz-Region-Set="))
    })?;
    let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b',' | b'*');
    (!set.is_empty() && set.bytes().all(plain)).then_some(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claimed(
        uri: &str,
        headers: &[(&str, &str)],
    ) -> (Option<String>, Option<String>, Option<String>) {
        let mut request = http::Request::builder().uri(uri);
        for (n, v) in headers {
            request = request.header(*n, *v);
        }
        let (parts, ()) = request.body(()).unwrap().into_parts();
        let c = Claimed::of(&parts);
        let own = |s: Option<&str>| s.map(str::to_owned);
        (own(c.service), own(c.region), own(c.region_set))
    }

    #[test]
    fn a_sigv4a_credential_names_a_service_and_a_region_set_not_a_region() {
        let auth = "AWS4-ECDSA-P256-SHA256 Credential=AKID/20240101/sts/aws4_request, SignedHeaders=host, Signature=30";
        let got = claimed(
            "/",
            &[
                ("authorization", auth),
                ("x-amz-region-set", "eu-west-1,ap-south-1"),
            ],
        );
        assert_eq!(
            got,
            (
                Some("sts".into()),
                None,
                Some("eu-west-1,ap-south-1".into())
            )
        );
        let got = claimed(
            "/?X-Amz-Credential=AKID%2F20240101%2Fs3%2Faws4_request&X-Amz-Region-Set=*",
            &[],
        );
        assert_eq!(got, (Some("s3".into()), None, Some("*".into())));
        // Escaped, it is not shown.
        let got = claimed(
            "/?X-Amz-Credential=AKID%2F20240101%2Fs3%2Faws4_request&X-Amz-Region-Set=us-east-1%2Cus-west-2",
            &[],
        );
        assert_eq!(got.2, None);
        let sigv4 = "AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/sts/aws4_request, SignedHeaders=host, Signature=ab";
        let got = claimed("/", &[("authorization", sigv4)]);
        assert_eq!(got, (Some("sts".into()), Some("eu-west-1".into()), None));
    }
}
