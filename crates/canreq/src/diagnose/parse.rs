//! Reading a canonical request and a string to sign given as text (from a server's answer or
//! an SDK's debug log) into their parts, leniently: a malformed one is still compared line by
//! line, and its malformation is itself a finding.

/// A canonical request's parts, as written.
///
/// ```
/// use canreq::diagnose::CanonicalParts;
///
/// let creq = CanonicalParts::parse("GET\n/a\nx=1\nhost:example.com\n\nhost\nUNSIGNED-PAYLOAD");
/// assert_eq!((creq.method, creq.path, creq.query), ("GET", "/a", "x=1"));
/// assert_eq!(creq.headers, [("host", "example.com")]);
/// assert_eq!(creq.signed_headers, "host");
/// assert_eq!(creq.payload_hash, "UNSIGNED-PAYLOAD");
/// assert!(creq.blank_line_found);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CanonicalParts<'t> {
    /// The first line.
    pub method: &'t str,
    /// The canonical URI.
    pub path: &'t str,
    /// The canonical query string.
    pub query: &'t str,
    /// The canonical header lines, split at their first `:`.
    pub headers: Vec<(&'t str, &'t str)>,
    /// The signed header list.
    pub signed_headers: &'t str,
    /// The last line.
    pub payload_hash: &'t str,
    /// Whether exactly one blank line ended the headers (a missing or doubled one is a mistake).
    pub blank_line_found: bool,
}

impl<'t> CanonicalParts<'t> {
    /// Splits `text` into its parts. Lines are separated by `\n` (a `\r` before it is kept, so
    /// that a CRLF mistake shows as a difference).
    pub fn parse(text: &'t str) -> Self {
        let lines: Vec<&str> = text.split('\n').collect();
        let line = |i: usize| lines.get(i).copied().unwrap_or_default();
        // The last two lines are the signed list and the payload hash; between the query and
        // them, the header lines and (once) the blank line.
        let n = lines.len();
        let middle = lines.get(3..n.saturating_sub(2)).unwrap_or_default();
        let blanks = middle.iter().filter(|l| l.is_empty()).count();
        CanonicalParts {
            method: line(0),
            path: line(1),
            query: line(2),
            headers: middle
                .iter()
                .filter(|l| !l.is_empty())
                .map(|l| l.split_once(':').unwrap_or((l, "")))
                .collect(),
            signed_headers: if n >= 5 { line(n - 2) } else { "" },
            payload_hash: if n >= 5 { line(n - 1) } else { "" },
            blank_line_found: blanks == 1 && middle.last().is_some_and(|l| l.is_empty()),
        }
    }
}

/// A string to sign's parts, as written.
///
/// ```
/// use canreq::diagnose::StringToSignParts;
///
/// let sts = StringToSignParts::parse("AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\nabc");
/// assert_eq!((sts.date, sts.region, sts.service), ("20150830", "us-east-1", "iam"));
/// assert_eq!(sts.canonical_request_hash, "abc");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StringToSignParts<'t> {
    /// `AWS4-HMAC-SHA256` (or another algorithm's name).
    pub algorithm: &'t str,
    /// The request time, `YYYYMMDDTHHMMSSZ`.
    pub time: &'t str,
    /// The whole scope line.
    pub scope: &'t str,
    /// The scope's date.
    pub date: &'t str,
    /// The scope's region (empty in a SigV4a scope).
    pub region: &'t str,
    /// The scope's service.
    pub service: &'t str,
    /// The hex SHA-256 of the canonical request.
    pub canonical_request_hash: &'t str,
}

impl<'t> StringToSignParts<'t> {
    /// Splits `text` into its four lines and the scope into its parts.
    pub fn parse(text: &'t str) -> Self {
        let mut lines = text.split('\n');
        let algorithm = lines.next().unwrap_or_default();
        let time = lines.next().unwrap_or_default();
        let scope = lines.next().unwrap_or_default();
        let canonical_request_hash = lines.next().unwrap_or_default();
        let pieces: Vec<&str> = scope.split('/').collect();
        let (date, region, service) = match pieces.as_slice() {
            [date, region, service, _] => (*date, *region, *service),
            [date, service, _] => (*date, "", *service),
            _ => ("", "", ""),
        };
        StringToSignParts {
            algorithm,
            time,
            scope,
            date,
            region,
            service,
            canonical_request_hash,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_doubled_blank_line_is_noticed() {
        let good = CanonicalParts::parse("GET\n/\n\nhost:h\nx-amz-date:d\n\nhost;x-amz-date\nHASH");
        assert!(good.blank_line_found);
        assert_eq!(good.headers.len(), 2);
        assert_eq!(
            (good.signed_headers, good.payload_hash),
            ("host;x-amz-date", "HASH")
        );
        let missing =
            CanonicalParts::parse("GET\n/\n\nhost:h\nx-amz-date:d\nhost;x-amz-date\nHASH");
        assert!(!missing.blank_line_found);
        assert_eq!(
            (missing.signed_headers, missing.payload_hash),
            ("host;x-amz-date", "HASH")
        );
        let doubled = CanonicalParts::parse("GET\n/\n\nhost:h\n\n\nhost\nHASH");
        assert!(!doubled.blank_line_found);
        assert_eq!(
            (doubled.signed_headers, doubled.payload_hash),
            ("host", "HASH")
        );
    }
}
