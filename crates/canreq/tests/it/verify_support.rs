//! What the verifier tests share: received requests, owned and easy to tamper with, and
//! signing them the way clients do.

use canreq::{Credentials, Payload, Request, Scope, Signer, SigningTime};

pub const AKID: &str = "AKIDEXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const NOW: &str = "20150830T123600Z";

/// A received request, owned.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn new(method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Self {
        Received {
            method: method.into(),
            target: target.into(),
            headers: headers.iter().map(|&(n, v)| (n.into(), v.into())).collect(),
            body: body.into(),
        }
    }
    pub fn view(&self) -> Request<'_> {
        let mut r = Request::new(&self.method, &self.target);
        for (n, v) in &self.headers {
            r.push_header(n, v);
        }
        r
    }
    pub fn header(&self, name: &str) -> String {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .unwrap()
            .1
            .clone()
    }
    pub fn set_header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.into()));
        self
    }
    pub fn add_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
    pub fn remove_header(mut self, name: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }
    pub fn map_authorization(self, f: impl Fn(&str) -> String) -> Self {
        let auth = f(&self.header("authorization"));
        self.set_header("Authorization", &auth)
    }
    pub fn map_target(mut self, f: impl Fn(&str) -> String) -> Self {
        self.target = f(&self.target);
        self
    }
}

pub fn time(text: &str) -> SigningTime {
    SigningTime::parse(text).unwrap()
}

pub fn creds() -> Credentials {
    Credentials::new(AKID, SECRET).unwrap()
}

/// Signs `req` in header form with `creds` at `at` for region/service.
pub fn sign(req: Received, creds: &Credentials, region: &str, service: &str, at: &str) -> Received {
    let signer = Signer::new(creds, Scope::new(region, service).unwrap(), time(at));
    let payload = if service == "s3" && req.body.is_empty() {
        Payload::Unsigned
    } else {
        Payload::Bytes(&req.body)
    };
    let signed = signer.sign(&req.view(), payload).unwrap();
    let mut out = req.clone();
    signed.apply(&mut out.headers);
    out
}

/// Presigns `req` at `at`, valid `expires` seconds.
pub fn presign(
    req: Received,
    creds: &Credentials,
    service: &str,
    at: &str,
    expires: u32,
) -> Received {
    let signer = Signer::new(creds, Scope::new("us-east-1", service).unwrap(), time(at));
    let p = signer
        .presign(&req.view(), Payload::Unsigned, expires)
        .unwrap();
    let mut out = req.clone();
    out.target = p.target().to_owned();
    out
}

pub fn iam_get() -> Received {
    Received::new(
        "GET",
        "/?Action=ListUsers&Version=2010-05-08",
        &[("Host", "iam.amazonaws.com")],
        b"",
    )
}

pub fn ssm_post() -> Received {
    Received::new(
        "POST",
        "/",
        &[
            ("Host", "ssm.us-east-1.amazonaws.com"),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "AmazonSSM.GetParameter"),
        ],
        br#"{"Name":"/my/parameter"}"#,
    )
}

pub fn s3_put() -> Received {
    Received::new(
        "PUT",
        "/bucket/key.txt",
        &[("Host", "s3.us-east-1.amazonaws.com")],
        b"hello world",
    )
}

pub fn s3_get(path: &str) -> Received {
    Received::new("GET", path, &[("Host", "s3.us-east-1.amazonaws.com")], b"")
}

pub fn replace_param(target: &str, name: &str, value: Option<&str>) -> String {
    let (path, query) = target.split_once('?').unwrap();
    let params: Vec<String> = query
        .split('&')
        .filter_map(|p| match p.split_once('=') {
            Some((k, _)) if k == name => value.map(|v| format!("{k}={v}")),
            _ => Some(p.to_owned()),
        })
        .collect();
    format!("{path}?{}", params.join("&"))
}

pub fn flip_last_nibble(auth: &str) -> String {
    let mut s = auth.to_owned();
    let last = s.pop().unwrap();
    s.push(if last == '0' { '1' } else { '0' });
    s
}
