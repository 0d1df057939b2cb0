//! What a verified key may do: its allow-lists (services, regions, methods, path prefixes;
//! absent, anything) applied to the request it signed. A request outside them is refused
//! `AccessDenied` before anything of it goes upstream.

use std::borrow::Cow;

use canreq::verify::{AuthError, ErrorCode};

use crate::serve::config::Policy;

/// What the policy is applied to: the request's method and path as received, and the
/// service and region of its verified credential.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub service: &'a str,
    pub region: &'a str,
}

/// `Ok` when `policy` allows `asked`; else `AccessDenied` naming what is not allowed.
pub fn check(policy: &Policy, asked: Asked<'_>) -> Result<(), AuthError> {
    let denied = |what: String| {
        Err(AuthError::new(
            ErrorCode::AccessDenied,
            format!("Access Denied: {what} is not allowed for this key."),
        ))
    };
    let listed = |list: &Option<Vec<String>>, value: &str| {
        list.as_ref().is_none_or(|l| l.iter().any(|v| v == value))
    };
    if !listed(&policy.services, asked.service) {
        return denied(format!("service {:?}", asked.service));
    }
    if !listed(&policy.regions, asked.region) {
        return denied(format!("region {:?}", asked.region));
    }
    let method_allowed = policy
        .methods
        .as_ref()
        .is_none_or(|l| l.iter().any(|m| m.eq_ignore_ascii_case(asked.method)));
    if !method_allowed {
        return denied(format!("method {}", asked.method));
    }
    if let Some(prefixes) = &policy.path_prefixes {
        let allowed = plain_path(asked.path)
            .is_some_and(|path| prefixes.iter().any(|p| path.starts_with(p.as_bytes())));
        if !allowed {
            return denied(format!("path {:?}", asked.path));
        }
    }
    Ok(())
}

/// The path as the upstream will read it, percent-decoded, or `None` when it could reach
/// beyond a prefix some other way: a `.` or `..` segment (an upstream that normalizes
/// paths would resolve it), a malformed escape or a backslash.
fn plain_path(path: &str) -> Option<Cow<'_, [u8]>> {
    let decoded = decode(path)?;
    let escapes = decoded
        .split(|&b| b == b'/')
        .any(|segment| segment == b"." || segment == b"..")
        || decoded.contains(&b'\\');
    (!escapes).then_some(decoded)
}

/// Percent-decodes `text`; `None` for a `%` not followed by two hex digits.
fn decode(text: &str) -> Option<Cow<'_, [u8]>> {
    if !text.contains('%') {
        return Some(Cow::Borrowed(text.as_bytes()));
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(method: &'static str, path: &'static str) -> Asked<'static> {
        Asked {
            method,
            path,
            service: "s3",
            region: "us-east-1",
        }
    }

    #[test]
    fn an_absent_list_allows_anything() {
        let policy = Policy::default();
        assert!(check(&policy, asked("DELETE", "/any/thing")).is_ok());
    }

    #[test]
    fn each_list_refuses_what_it_does_not_name() {
        let only = |f: fn(&mut Policy)| {
            let mut p = Policy::default();
            f(&mut p);
            p
        };
        let services = only(|p| p.services = Some(vec!["execute-api".into()]));
        let regions = only(|p| p.regions = Some(vec!["eu-west-1".into()]));
        let methods = only(|p| p.methods = Some(vec!["GET".into(), "head".into()]));
        let paths = only(|p| p.path_prefixes = Some(vec!["/tenant-1/".into()]));
        for (policy, what) in [
            (&services, "service \"s3\""),
            (&regions, "region \"us-east-1\""),
            (&methods, "method PUT"),
            (&paths, "path \"/tenant-2/k\""),
        ] {
            let e = check(policy, asked("PUT", "/tenant-2/k")).unwrap_err();
            assert_eq!(e.code(), ErrorCode::AccessDenied);
            assert!(e.message().contains(what), "{}", e.message());
        }
        assert!(check(&methods, asked("HEAD", "/")).is_ok());
        assert!(check(&paths, asked("GET", "/tenant-1/a/b")).is_ok());
        assert!(check(&paths, asked("GET", "/tenant-1%2Fa")).is_ok());
    }

    #[test]
    fn a_path_cannot_leave_its_prefix() {
        let policy = Policy {
            path_prefixes: Some(vec!["/tenant-1/".into()]),
            ..Policy::default()
        };
        for path in [
            "/tenant-1/../tenant-2/k",
            "/tenant-1/%2e%2e/tenant-2/k",
            "/tenant-1/%2E%2E%2Ftenant-2",
            "/tenant-1/./x",
            "/tenant-1/a\\..\\b",
            "/tenant-1/%zz",
            "/tenant-10/k",
            "/%74enant-2/k",
        ] {
            assert!(check(&policy, asked("GET", path)).is_err(), "{path}");
        }
        assert!(check(&policy, asked("GET", "/%74enant-1/k")).is_ok());
    }
}
