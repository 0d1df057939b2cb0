//! Answers in the shape the client's AWS protocol parses: XML for the Query protocol (IAM, STS,
//! EC2, …), CBOR for Smithy RPC v2 CBOR, JSON for the JSON protocols and everything else,
//! S3-style XML errors for REST.

use bytes::Bytes;
use canreq::chunked::DecodedBody;
use canreq::verify::{AuthLocation, Verified};
use http_body_util::Full;
use serde_json::{Value, json};

use super::claimed::Claimed;
use super::dialect::{self, Dialect};
use super::refusal::Refusal;
use super::render::{self, XmlDocument};

/// How the client will parse the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protocol {
    /// `application/x-amz-json-1.0|1.1`.
    Json(String),
    /// Form-encoded `Action=…` (IAM, STS, EC2, SQS query, …).
    Query,
    /// Smithy RPC v2 CBOR (`smithy-protocol: rpc-v2-cbor`): the answer is CBOR too.
    Cbor,
    /// REST (S3 and the rest).
    Rest,
}

impl Protocol {
    pub fn of(parts: &http::request::Parts) -> Protocol {
        let content_type = parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        // The Smithy RPC v2 spec has every client send this header; botocore parses a CBOR
        // answer, success or error, and nothing else.
        let smithy = parts.headers.get("smithy-protocol").map(|v| v.as_bytes());
        if smithy == Some(b"rpc-v2-cbor".as_slice()) {
            return Protocol::Cbor;
        }
        if content_type.starts_with("application/x-amz-json") {
            return Protocol::Json(content_type.to_owned());
        }
        // Only the JSON RPC protocols name their operation in `X-Amz-Target`; a client that
        // sends it without a content type still parses JSON.
        if parts.headers.contains_key("x-amz-target") {
            return Protocol::Json("application/x-amz-json-1.1".to_owned());
        }
        let query_action = parts
            .uri
            .query()
            .is_some_and(|q| q.split('&').any(|p| p.starts_with("Action=")));
        // Only a POST carries a Query-protocol form: HTTP clients (Python's urllib, curl
        // --data) label any body form-encoded, and an S3 PUT so labelled is still REST.
        let form_post = parts.method == http::Method::POST
            && content_type.starts_with("application/x-www-form-urlencoded");
        if form_post || query_action {
            return Protocol::Query;
        }
        Protocol::Rest
    }

    /// Whether the start of the body is needed to find the `Action`.
    pub fn wants_body_sniff(&self) -> bool {
        *self == Protocol::Query
    }

    /// The Query-protocol action, from the query string or the form body; only a plain name.
    pub fn action(&self, query: Option<&str>, body: &[u8]) -> Option<String> {
        if *self != Protocol::Query {
            return None;
        }
        let body = std::str::from_utf8(body).unwrap_or("");
        query
            .into_iter()
            .chain([body])
            .flat_map(|s| s.split('&'))
            .find_map(|p| p.strip_prefix("Action="))
            .filter(|a| !a.is_empty() && a.bytes().all(|b| b.is_ascii_alphanumeric()))
            .map(str::to_owned)
    }
}

fn response(
    status: u16,
    content_type: &str,
    body: impl Into<Bytes>,
    id: &str,
    method: &str,
) -> hyper::Response<Full<Bytes>> {
    document(status, content_type, body, id, method).map(Full::new)
}

/// An answer with its whole body.
fn document(
    status: u16,
    content_type: &str,
    body: impl Into<Bytes>,
    id: &str,
    method: &str,
) -> hyper::Response<Bytes> {
    let body = if method == "HEAD" {
        Bytes::new()
    } else {
        body.into()
    };
    let mut builder = hyper::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, content_type)
        .header("x-amz-request-id", id)
        .header("x-amzn-RequestId", id);
    if content_type == CBOR {
        builder = builder.header("smithy-protocol", "rpc-v2-cbor");
    }
    builder
        .body(body)
        .unwrap_or_else(|_| hyper::Response::new(Bytes::new()))
}

const CBOR: &str = "application/cbor";

/// The JSON value as CBOR (RFC 8949): definite lengths, integers as integers, other numbers
/// as 64-bit floats.
fn to_cbor(value: &Value, out: &mut Vec<u8>) {
    fn head(out: &mut Vec<u8>, major: u8, n: u64) {
        let major = major << 5;
        match n {
            0..=23 => out.push(major | n as u8),
            24..=0xff => out.extend([major | 24, n as u8]),
            0x100..=0xffff => {
                out.push(major | 25);
                out.extend((n as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                out.push(major | 26);
                out.extend((n as u32).to_be_bytes());
            }
            _ => {
                out.push(major | 27);
                out.extend(n.to_be_bytes());
            }
        }
    }
    fn text(out: &mut Vec<u8>, s: &str) {
        head(out, 3, s.len() as u64);
        out.extend_from_slice(s.as_bytes());
    }
    match value {
        Value::Null => out.push(0xf6),
        Value::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => head(out, 0, u),
            (None, Some(i)) => head(out, 1, !(i as u64)),
            _ => {
                out.push(0xfb);
                out.extend(n.as_f64().unwrap_or(0.0).to_be_bytes());
            }
        },
        Value::String(s) => text(out, s),
        Value::Array(items) => {
            head(out, 4, items.len() as u64);
            items.iter().for_each(|v| to_cbor(v, out));
        }
        Value::Object(map) => {
            head(out, 5, map.len() as u64);
            for (k, v) in map {
                text(out, k);
                to_cbor(v, out);
            }
        }
    }
}

fn cbor(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    to_cbor(value, &mut out);
    out
}

/// `200`: what was verified.
#[allow(clippy::too_many_arguments)]
pub fn verified(
    v: &Verified<()>,
    decoded: Option<&DecodedBody>,
    body_length: u64,
    protocol: &Protocol,
    action: Option<&str>,
    id: &str,
    method: &str,
    target: &http::Uri,
) -> hyper::Response<Full<Bytes>> {
    let location = match v.location() {
        AuthLocation::Header => "header",
        AuthLocation::Query => "query",
    };
    if let Some(action) = action {
        return response(
            200,
            "text/xml",
            query_xml(v, action, location, id),
            id,
            method,
        );
    }
    if *protocol == Protocol::Rest && rest_xml(v.service(), method, target) {
        return response(
            200,
            "application/xml",
            s3_xml(v, location, decoded, body_length, id),
            id,
            method,
        );
    }
    let streaming = decoded.map(|d| {
        json!({
            "mode": d.mode().marker(),
            "decoded_length": d.decoded_length(),
            "chunks": d.chunks(),
            "checksum": d.checksum().map(|(alg, value)| json!({"algorithm": alg.name(), "value": value})),
            "trailers": d.trailers().iter().map(|(n, _)| n).collect::<Vec<_>>(),
        })
    });
    let report = json!({
        "verified": true,
        "access_key_id": v.access_key_id(),
        "service": v.service(),
        // SigV4a names no region (`region_set` holds its regions).
        "region": v.region_set().is_none().then(|| v.region()),
        "algorithm": v.algorithm().name(),
        "region_set": v.region_set(),
        "time": v.time().amz_date(),
        "auth": location,
        "signed_headers": v.signed_headers(),
        "payload": v.payload().as_str(),
        "expires": v.expires(),
        "body_length": body_length,
        "streaming": streaming,
        "canonical_request": v.canonical_request().redacted(),
    });
    let content_type = match protocol {
        Protocol::Json(ct) => ct.as_str(),
        Protocol::Cbor => return response(200, CBOR, cbor(&report), id, method),
        _ => "application/json",
    };
    response(200, content_type, report.to_string(), id, method)
}

/// Whether a verified REST request gets the XML report. S3, Route 53 and CloudFront are REST-XML
/// services: SDKs parse their answers as XML, and botocore takes a 200 from S3 that is not XML
/// for a server error (and retries), and fails on one from the others. Only an S3 GET of an
/// object (no subresource) keeps the JSON report: its body is the object, read as bytes.
fn rest_xml(service: &str, method: &str, target: &http::Uri) -> bool {
    if !is_rest_xml_service(service) {
        return false;
    }
    if !canreq::is_s3_family(service) {
        return true;
    }
    let names_key = target
        .path()
        .trim_start_matches('/')
        .split_once('/')
        .is_some_and(|(_, key)| !key.is_empty());
    let object_query = target.query().unwrap_or("").split('&').all(|p| {
        let name = p.split('=').next().unwrap_or("");
        name.is_empty()
            || matches!(name, "versionId" | "partNumber" | "x-id")
            || name.starts_with("response-")
            || name.starts_with("X-Amz-")
    });
    !(method == "GET" && names_key && object_query)
}

/// The Query protocol's `<ActionResponse><ActionResult>…` with the report as elements, and for
/// STS `GetCallerIdentity` the identity a client expects.
fn query_xml(v: &Verified<()>, action: &str, location: &str, id: &str) -> Vec<u8> {
    let (response, result) = (format!("{action}Response"), format!("{action}Result"));
    let mut xml = XmlDocument::new();
    xml.open_in(&response, NAMESPACE).open(&result);
    if action == "GetCallerIdentity" {
        xml.element(
            "Arn",
            &format!("arn:aws:iam::000000000000:user/{}", v.access_key_id()),
        )
        .element("UserId", v.access_key_id())
        .element("Account", "000000000000");
    }
    xml.element("Verified", "true");
    identity(&mut xml, v, location);
    xml.element("CanonicalRequest", &v.canonical_request().redacted())
        .close(&result)
        .open("ResponseMetadata")
        .element("RequestId", id)
        .close("ResponseMetadata")
        .close(&response);
    xml.finish()
}

/// The namespace of the success documents: canreq's own, not an AWS service's.
const NAMESPACE: &str = "https://canreq.invalid/verify/";

/// Who signed and what the signature covers, as XML elements (both XML answers start so). A
/// SigV4a signature names no region: its report has the algorithm and the region set instead
/// of an empty `Region`.
fn identity(xml: &mut XmlDocument, v: &Verified<()>, location: &str) {
    xml.element("AccessKeyId", v.access_key_id())
        .element("Service", v.service());
    match v.region_set() {
        Some(set) => xml
            .element("Algorithm", v.algorithm().name())
            .element("RegionSet", set),
        None => xml.element("Region", v.region()),
    };
    xml.element("Auth", location)
        .element("SignedHeaders", &v.signed_headers().join(";"))
        .element("Payload", v.payload().as_str());
}

/// The report as an S3-style XML document (the root is not `Error`, so SDKs take it as success).
fn s3_xml(
    v: &Verified<()>,
    location: &str,
    decoded: Option<&DecodedBody>,
    body_length: u64,
    id: &str,
) -> Vec<u8> {
    let mut xml = XmlDocument::new();
    xml.open_in("CanreqVerified", NAMESPACE);
    identity(&mut xml, v, location);
    // A presigned PUT's report keeps its lifetime, as the JSON report does.
    if let Some(expires) = v.expires() {
        xml.element("Expires", &expires.to_string());
    }
    xml.element("BodyLength", &body_length.to_string());
    if let Some(d) = decoded {
        xml.element("DecodedLength", &d.decoded_length().to_string())
            .element("Chunks", &d.chunks().to_string());
        if let Some((alg, value)) = d.checksum() {
            xml.element("ChecksumAlgorithm", alg.name())
                .element("Checksum", value);
        }
    }
    xml.element("CanonicalRequest", &v.canonical_request().redacted())
        .element("RequestId", id)
        .close("CanreqVerified");
    xml.finish()
}

/// The REST services whose SDKs parse XML; every other REST service speaks REST-JSON.
fn is_rest_xml_service(service: &str) -> bool {
    canreq::is_s3_family(service) || matches!(service, "s3control" | "route53" | "cloudfront")
}

/// An AWS error answer, in the words of the request's dialect (see `dialect`) and the document
/// its client parses; returns it with the code it says.
pub fn refused(
    err: &Refusal,
    protocol: &Protocol,
    claimed: Claimed<'_>,
    id: &str,
    method: &str,
) -> (hyper::Response<Full<Bytes>>, &'static str) {
    let (answer, code) = refused_document(err, protocol, claimed, id, method);
    (answer.map(Full::new), code)
}

/// [`refused`] with the body as bytes, for an answer written before hyper has a request.
pub fn refused_document(
    err: &Refusal,
    protocol: &Protocol,
    claimed: Claimed<'_>,
    id: &str,
    method: &str,
) -> (hyper::Response<Bytes>, &'static str) {
    let dialect = Dialect::of(protocol, claimed.service);
    let spoken = dialect::speak(err, dialect, claimed.region_or_set());
    let (content_type, body) = match (protocol, dialect) {
        (Protocol::Json(ct), _) => (ct.as_str(), render::error_json(&spoken)),
        (Protocol::Cbor, _) => (CBOR, cbor(&render::error_value(&spoken))),
        (Protocol::Query, _) | (Protocol::Rest, Dialect::Query) => {
            ("text/xml", render::query_error_xml(&spoken, id))
        }
        (Protocol::Rest, Dialect::S3) => ("application/xml", render::error_xml(&spoken, id)),
        // A REST-JSON service's SDK shows the JSON error's `message`.
        (Protocol::Rest, _) => ("application/json", render::error_json(&spoken)),
    };
    let mut answer = document(spoken.status, content_type, body, id, method);
    if let Ok(v) = http::HeaderValue::from_str(spoken.code) {
        answer.headers_mut().insert("x-amzn-ErrorType", v);
    }
    (answer, spoken.code)
}
