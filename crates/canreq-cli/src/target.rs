//! Splitting a URL typed on the command line into what is connected to and what is signed.
//!
//! No URL library: they normalize (`/a/../b` becomes `/b`, `%7E` becomes `~`) and S3 keys must
//! be sent exactly as typed. The only change made is percent-encoding bytes that cannot go on
//! the wire raw ([`canreq::wire_target`]); the signer then sees the same target the server will.

use std::borrow::Cow;

use crate::error::CliError;

/// Where to connect and what to put in the request line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// `http` or `https`.
    pub scheme: Scheme,
    /// Host name or IP literal (IPv6 with its brackets), lowercase.
    pub host: String,
    /// Port to connect to.
    pub port: u16,
    /// Whether the URL named the port explicitly.
    pub explicit_port: bool,
    /// Path and query, wire-safe, starting with `/`.
    pub target: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

impl Url {
    /// Parses `http://host[:port]/path?query` (no scheme means `https`); a `#fragment` is
    /// dropped, as clients never send it.
    pub fn parse(text: &str) -> Result<Url, CliError> {
        let shown = without_user_info(text);
        let bad = |why: &str| CliError::usage(format!("bad URL {shown:?}: {why}"));
        let (scheme, rest) = match text.split_once("://") {
            Some((s, rest)) if s.eq_ignore_ascii_case("https") => (Scheme::Https, rest),
            Some((s, rest)) if s.eq_ignore_ascii_case("http") => (Scheme::Http, rest),
            Some((s, _)) => return Err(bad(&format!("scheme {s:?} is not http or https"))),
            None => (Scheme::Https, text),
        };
        let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(end);
        if authority.contains('@') {
            return Err(bad(
                "user information in the URL is not used for SigV4; give credentials with --access-key/--secret-key",
            ));
        }
        let (host, port) = split_host_port(authority).ok_or_else(|| bad("bad host or port"))?;
        if host.is_empty() {
            return Err(bad("no host"));
        }
        if host
            .bytes()
            .any(|b| !(b.is_ascii_alphanumeric() || b"-._[]:".contains(&b)))
        {
            return Err(bad(&format!(
                "host {host:?} holds characters a host name cannot"
            )));
        }
        if let Some(at) = bad_escape(target) {
            // Three characters, not bytes: what follows the `%` may be any character.
            let escape: String = target[at..].chars().take(3).collect();
            return Err(bad(&format!(
                "{escape:?} is not a percent-escape (write a literal % as %25)"
            )));
        }
        let target = match target {
            "" => "/".to_owned(),
            t if t.starts_with('?') => format!("/{t}"),
            t => t.to_owned(),
        };
        Ok(Url {
            scheme,
            host: host.to_ascii_lowercase(),
            port: port.unwrap_or(scheme.default_port()),
            explicit_port: port.is_some(),
            target: canreq::wire_target(&target).into_owned(),
        })
    }

    /// The `Host` header: the port only when it is not the scheme's default, as clients send it.
    pub fn host_header(&self) -> String {
        if self.port == self.scheme.default_port() {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// `scheme://host[:port]` followed by `target`.
    pub fn with_target(&self, target: &str) -> String {
        format!(
            "{}://{}{}",
            self.scheme.as_str(),
            self.host_header(),
            target
        )
    }

    /// Host without IPv6 brackets, for connecting and for TLS server names.
    pub fn bare_host(&self) -> &str {
        self.host.trim_start_matches('[').trim_end_matches(']')
    }
}

/// The URL as quoted in an error: user information (`user:password@`) is replaced by `…`, as
/// the password may be a secret key. A pasted secret key may hold a `/`, which ends the
/// authority early, so any `@` after a `:` counts.
fn without_user_info(text: &str) -> Cow<'_, str> {
    let start = text.find("://").map_or(0, |i| i + 3);
    let rest = &text[start..];
    match rest.find('@') {
        Some(at) if rest[..at].contains(':') || !rest[..at].contains(['/', '?']) => {
            Cow::Owned(format!("{}…{}", &text[..start], &rest[at..]))
        }
        _ => Cow::Borrowed(text),
    }
}

/// Where a `%` not followed by two hex digits is.
fn bad_escape(target: &str) -> Option<usize> {
    let b = target.as_bytes();
    (0..b.len()).find(|&i| {
        b[i] == b'%'
            && !(i + 2 < b.len() && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit())
    })
}

fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if authority.starts_with('[') {
        let close = authority.find(']')?;
        let (host, rest) = authority.split_at(close + 1);
        match rest.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if rest.is_empty() => (host, None),
            None => return None,
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok().filter(|&p| p != 0)?),
        None => None,
    };
    Some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let u =
            Url::parse("https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("iam.amazonaws.com", 443));
        assert_eq!(u.target, "/?Action=ListUsers&Version=2010-05-08");
        assert_eq!(u.host_header(), "iam.amazonaws.com");

        let u = Url::parse("http://127.0.0.1:9000/bucket/a b/../c#frag").unwrap();
        assert_eq!(u.target, "/bucket/a%20b/../c");
        assert_eq!(u.host_header(), "127.0.0.1:9000");

        let u = Url::parse("HTTP://[::1]:8080?x=1").unwrap();
        assert_eq!(
            (u.bare_host(), u.port, u.target.as_str()),
            ("::1", 8080, "/?x=1")
        );
        assert_eq!(Url::parse("example.com").unwrap().scheme, Scheme::Https);
    }

    #[test]
    fn bad_urls_name_the_problem() {
        for bad in [
            "ftp://x/",
            "https:///path",
            "https://h:99999/",
            "https://h:0/",
            "https://user:pw@h/",
            "https://h st/",
            "https://[::1/",
            "https://h/%zz",
            "https://h/a?b=%4",
        ] {
            let e = Url::parse(bad).unwrap_err().to_string();
            assert!(e.contains("bad URL"), "{bad}: {e}");
        }
    }
}
