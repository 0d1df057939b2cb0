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
        self.target.split_once('?').map_or(self.target, |(p, _)| p)
    }

    /// The raw query: the target after the first `?`, or empty.
    pub fn query(&self) -> &'a str {
        self.target.split_once('?').map_or("", |(_, q)| q)
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
