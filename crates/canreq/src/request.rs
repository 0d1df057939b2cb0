//! The request to sign or verify, borrowed from the caller.

/// A request as it is (or will be) sent: method, request target and headers in order.
///
/// The target is the path as sent (percent-encoded as on the wire, or raw) followed by an
/// optional `?` and the raw query. Header names may repeat; values are kept as given and
/// canonicalized only when signing.
///
/// ```
/// use canreq::Request;
///
/// let req = Request::new("GET", "/path?b=2&a=1")
///     .header("Host", "example.amazonaws.com")
///     .header("X-Custom", "one")
///     .header("x-custom", "two");
/// assert_eq!(req.path(), "/path");
/// assert_eq!(req.query(), "b=2&a=1");
/// assert_eq!(req.headers().len(), 3);
/// assert_eq!(req.header_values("HOST").collect::<Vec<_>>(), ["example.amazonaws.com"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<'a> {
    method: &'a str,
    target: &'a str,
    headers: Vec<(&'a str, &'a str)>,
}

impl<'a> Request<'a> {
    /// A request with no headers yet.
    pub fn new(method: &'a str, target: &'a str) -> Self {
        Self::with_capacity(method, target, 8)
    }

    /// A request with room for `headers` headers.
    pub fn with_capacity(method: &'a str, target: &'a str, headers: usize) -> Self {
        Request {
            method,
            target,
            headers: Vec::with_capacity(headers),
        }
    }

    /// Adds a header (builder form).
    pub fn header(mut self, name: &'a str, value: &'a str) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Adds a header.
    pub fn push_header(&mut self, name: &'a str, value: &'a str) {
        self.headers.push((name, value));
    }

    /// The method.
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The request target: path and optional query.
    pub fn target(&self) -> &'a str {
        self.target
    }

    /// The path: the target up to the first `?`.
    pub fn path(&self) -> &'a str {
        self.path_and_query().0
    }

    /// The raw query: the target after the first `?`, or empty.
    pub fn query(&self) -> &'a str {
        self.path_and_query().1
    }

    /// [`path`](Self::path) and [`query`](Self::query), split once.
    ///
    /// ```
    /// let req = canreq::Request::new("GET", "/a?b=1?c");
    /// assert_eq!(req.path_and_query(), ("/a", "b=1?c"));
    /// assert_eq!(canreq::Request::new("GET", "/a").path_and_query(), ("/a", ""));
    /// ```
    #[inline]
    pub fn path_and_query(&self) -> (&'a str, &'a str) {
        // A byte search: `split_once` with a `char` pattern costs more to set up than a target
        // takes to scan.
        match self.target.bytes().position(|b| b == b'?') {
            Some(i) => (&self.target[..i], &self.target[i + 1..]),
            None => (self.target, ""),
        }
    }

    /// The headers in order.
    pub fn headers(&self) -> &[(&'a str, &'a str)] {
        &self.headers
    }

    /// The values of every header named `name` (any case), in order.
    pub fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a str> + 's {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, v)| v)
    }
}

/// The request target as it can go on the wire: bytes that may not stand raw in a URI (space,
/// controls, non-ASCII, `"<>\^`{|}`) are percent-encoded; everything else, existing `%XY`
/// escapes included, is kept. Sign the target this returns and send the same bytes, so the
/// server canonicalizes what was signed.
///
/// ```
/// assert_eq!(canreq::wire_target("/my file/ü?q=a b&x=1"), "/my%20file/%C3%BC?q=a%20b&x=1");
/// assert_eq!(canreq::wire_target("/a%2Fb?c=d"), "/a%2Fb?c=d");
/// ```
pub fn wire_target(target: &str) -> std::borrow::Cow<'_, str> {
    let safe = |b: u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/%?".contains(&b);
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    if target.bytes().all(safe) {
        return std::borrow::Cow::Borrowed(target);
    }
    let mut out = String::with_capacity(target.len() + 16);
    crate::encode::wire_path_encode_into(&mut out, path.as_bytes());
    if let Some(query) = query {
        out.push('?');
        // A query may also hold raw `?`; the path encoder keeps everything else the query may.
        for (i, piece) in query.split('?').enumerate() {
            if i > 0 {
                out.push('?');
            }
            crate::encode::wire_path_encode_into(&mut out, piece.as_bytes());
        }
    }
    std::borrow::Cow::Owned(out)
}
