//! What the `sign` and `verify` benches share: the requests R1..R6 as both libraries are given
//! them, the `aws-sigv4` calls, and a counting allocator.
//!
//! Each bench target compiles this module on its own and uses part of it.
#![allow(dead_code, unused_imports)]

mod paired;
pub use paired::paired_ratio;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation,
    SigningInstructions, SigningParams as AwsParams, SigningSettings as AwsSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use canreq::{Credentials, KeyCache, Request, Scope, Signer, SigningTime};
use criterion::Criterion;

// ---------------------------------------------------------------------------------------------
// Allocation counting
// ---------------------------------------------------------------------------------------------

/// Forwards to the system allocator and counts calls while [`count_allocs`] runs. Outside a
/// count it costs one relaxed load per allocation, for both libraries alike.
pub struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);

fn record(size: usize) {
    if COUNTING.load(Ordering::Relaxed) {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(size, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counters have no
// effect on the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Allocation calls (alloc, alloc_zeroed, realloc) and bytes requested while `f` runs; its
/// result is dropped outside the count.
pub fn count_allocs<T>(f: impl FnOnce() -> T) -> (usize, usize) {
    ALLOCS.store(0, Ordering::SeqCst);
    BYTES.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    let out = black_box(f());
    COUNTING.store(false, Ordering::SeqCst);
    drop(out);
    (ALLOCS.load(Ordering::SeqCst), BYTES.load(Ordering::SeqCst))
}

/// `count (bytes B)`, for the report tables.
pub fn shown((count, bytes): (usize, usize)) -> String {
    format!("{count} ({bytes} B)")
}

// ---------------------------------------------------------------------------------------------
// The requests
// ---------------------------------------------------------------------------------------------

pub const AKID: &str = "AKIDEXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const AMZ_DATE: &str = "20150830T123600Z";
pub const UNIX: u64 = 1_440_938_160; // 20150830T123600Z
pub const REGION: &str = "us-east-1";

/// The S3 documentation's presigned GET example (R6), whose signature is published.
pub const S3_DOC_AKID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const S3_DOC_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const S3_DOC_DATE: &str = "20130524T000000Z";
pub const S3_DOC_UNIX: u64 = 1_369_353_600; // 20130524T000000Z
pub const S3_DOC_SIGNATURE: &str =
    "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

/// The AWS test suite's `get-vanilla` signature (R1).
pub const GET_VANILLA_SIGNATURE: &str =
    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

/// R2's JSON 1.1 body (46 bytes).
pub const SSM_BODY: &[u8] = br#"{"Name":"/my/parameter","WithDecryption":true}"#;

/// One request, as both libraries are given it.
pub struct Case {
    pub method: &'static str,
    /// Path and query, for canreq.
    pub target: &'static str,
    /// Absolute URI, for aws-sigv4 (which parses it).
    pub uri: &'static str,
    pub headers: Vec<(&'static str, &'static str)>,
    /// The signing name of the service.
    pub service: &'static str,
}

/// R1: the suite's `get-vanilla`.
pub fn r1_get_vanilla() -> Case {
    Case {
        method: "GET",
        target: "/",
        uri: "https://example.amazonaws.com/",
        headers: vec![("Host", "example.amazonaws.com")],
        service: "service",
    }
}

/// R2: SSM GetParameter, JSON 1.1, signed headers `content-type;host;x-amz-date;x-amz-target`.
pub fn r2_ssm() -> Case {
    Case {
        method: "POST",
        target: "/",
        uri: "https://ssm.us-east-1.amazonaws.com/",
        headers: vec![
            ("Host", "ssm.us-east-1.amazonaws.com"),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "AmazonSSM.GetParameter"),
        ],
        service: "ssm",
    }
}

/// R3: IAM `?Action=ListUsers&Version=2010-05-08`.
pub fn r3_iam() -> Case {
    Case {
        method: "GET",
        target: "/?Action=ListUsers&Version=2010-05-08",
        uri: "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
        headers: vec![
            ("Host", "iam.amazonaws.com"),
            (
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            ),
        ],
        service: "iam",
    }
}

/// R4, R5: an S3 PUT whose payload hash is signed.
pub fn s3_put() -> Case {
    Case {
        method: "PUT",
        target: "/my-bucket/data/object.bin",
        uri: "https://s3.us-east-1.amazonaws.com/my-bucket/data/object.bin",
        headers: vec![
            ("Host", "s3.us-east-1.amazonaws.com"),
            ("Content-Type", "application/octet-stream"),
        ],
        service: "s3",
    }
}

/// An S3 PUT with 12 headers as an SDK sends it (`host` and 11 others: content type, length
/// and MD5, cache control, disposition, ACL, storage class, encryption, a checksum, two
/// metadata headers), to be signed with `UNSIGNED-PAYLOAD` as over HTTPS.
pub fn s3_put_12_headers() -> Case {
    Case {
        method: "PUT",
        target: "/reports/2026/q4.pdf",
        uri: "https://my-bucket.s3.us-east-1.amazonaws.com/reports/2026/q4.pdf",
        headers: vec![
            ("Host", "my-bucket.s3.us-east-1.amazonaws.com"),
            ("Content-Type", "application/pdf"),
            ("Content-Length", "1048576"),
            ("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="),
            ("Cache-Control", "max-age=3600"),
            ("Content-Disposition", "attachment; filename=\"q4.pdf\""),
            ("X-Amz-Acl", "private"),
            ("X-Amz-Storage-Class", "STANDARD_IA"),
            ("X-Amz-Server-Side-Encryption", "AES256"),
            ("X-Amz-Checksum-Crc32", "i9aeUg=="),
            ("X-Amz-Meta-Project", "canreq"),
            ("X-Amz-Meta-Owner", "benchmarks"),
        ],
        service: "s3",
    }
}

/// R6: the S3 documentation's presigned GET.
pub fn r6_presign() -> Case {
    Case {
        method: "GET",
        target: "/test.txt",
        uri: "https://examplebucket.s3.amazonaws.com/test.txt",
        headers: vec![("Host", "examplebucket.s3.amazonaws.com")],
        service: "s3",
    }
}

/// A request with 20 headers (`host` and 19 others, all signed by both libraries), for the
/// allocation count.
pub fn twenty_headers() -> Case {
    Case {
        method: "GET",
        target: "/",
        uri: "https://example.amazonaws.com/",
        headers: vec![
            ("Host", "example.amazonaws.com"),
            ("Accept", "application/json"),
            ("Accept-Encoding", "gzip, deflate"),
            ("Accept-Language", "en-US"),
            ("Cache-Control", "no-cache"),
            ("Content-Type", "application/json"),
            ("If-None-Match", "\"abc\""),
            ("Origin", "https://example.com"),
            ("Pragma", "no-cache"),
            ("Referer", "https://example.com/page"),
            ("X-Amz-Meta-One", "1"),
            ("X-Amz-Meta-Two", "  two   spaces  "),
            ("X-Amz-Meta-Three", "3"),
            ("X-Amz-Meta-Four", "4"),
            ("X-Amz-Meta-Five", "5"),
            ("X-Custom-A", "a"),
            ("X-Custom-B", "b"),
            ("X-Custom-C", "c"),
            ("X-Custom-D", "d"),
            ("X-Custom-E", "e"),
        ],
        service: "service",
    }
}

// ---------------------------------------------------------------------------------------------
// canreq
// ---------------------------------------------------------------------------------------------

/// The request description canreq signs, built from the borrowed case (inside the timed loop,
/// as `aws-sigv4`'s `SignableRequest` is).
pub fn canreq_request<'a>(case: &'a Case) -> Request<'a> {
    let mut req = Request::with_capacity(case.method, case.target, case.headers.len());
    for &(n, v) in &case.headers {
        req.push_header(n, v);
    }
    req
}

pub fn creds() -> Credentials {
    Credentials::new(AKID, SECRET).expect("credentials")
}

/// A signer at the suite's time, in `us-east-1`, taking keys from `cache` when given.
pub fn signer<'c>(
    creds: &'c Credentials,
    service: &str,
    cache: Option<&'c KeyCache>,
) -> Signer<'c> {
    let s = Signer::new(
        creds,
        Scope::new(REGION, service).expect("scope"),
        SigningTime::parse(AMZ_DATE).expect("time"),
    );
    match cache {
        Some(c) => s.with_key_cache(c),
        None => s,
    }
}

/// The S3 documentation example's signer (R6).
pub fn s3_doc_signer<'c>(creds: &'c Credentials, cache: &'c KeyCache) -> Signer<'c> {
    Signer::new(
        creds,
        Scope::new(REGION, "s3").expect("scope"),
        SigningTime::parse(S3_DOC_DATE).expect("time"),
    )
    .with_key_cache(cache)
}

// ---------------------------------------------------------------------------------------------
// aws-sigv4
// ---------------------------------------------------------------------------------------------

pub fn aws_request<'a>(case: &'a Case, body: SignableBody<'a>) -> SignableRequest<'a> {
    SignableRequest::new(case.method, case.uri, case.headers.iter().copied(), body)
        .expect("aws-sigv4 request")
}

pub fn aws_identity(akid: &str, secret: &str) -> Identity {
    AwsCredentials::new(akid, secret, None, None, "bench").into()
}

pub fn aws_params<'a>(
    identity: &'a Identity,
    service: &'a str,
    unix: u64,
    settings: AwsSettings,
) -> AwsParams<'a> {
    v4::SigningParams::builder()
        .identity(identity)
        .region(REGION)
        .name(service)
        .time(SystemTime::UNIX_EPOCH + Duration::from_secs(unix))
        .settings(settings)
        .build()
        .expect("aws-sigv4 params")
        .into()
}

/// S3's rules in aws-sigv4: single encoding, no normalization, `x-amz-content-sha256`.
pub fn aws_s3_settings() -> AwsSettings {
    let mut s = AwsSettings::default();
    s.percent_encoding_mode = PercentEncodingMode::Single;
    s.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    s.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    s
}

/// R6's presign in aws-sigv4: S3 rules, query parameters, a day.
pub fn aws_presign_settings() -> AwsSettings {
    let mut s = aws_s3_settings();
    s.signature_location = SignatureLocation::QueryParams;
    s.expires_in = Some(Duration::from_secs(86_400));
    s
}

/// aws-sigv4's full signing call: request description (URI parsing included),
/// canonicalization, key derivation, signature and output (headers or query parameters).
pub fn aws_sign(
    case: &Case,
    body: SignableBody<'_>,
    params: &AwsParams<'_>,
) -> (SigningInstructions, String) {
    aws_sigv4::http_request::sign(aws_request(case, body), params)
        .expect("aws-sigv4 sign")
        .into_parts()
}

// ---------------------------------------------------------------------------------------------
// Criterion
// ---------------------------------------------------------------------------------------------

/// The default run: 60 samples after 0.8 s of warm-up, 3 s of measurement per function.
/// Command-line flags (`--warm-up-time 1 --measurement-time 3`, `--sample-size`) override it.
pub fn config() -> Criterion {
    Criterion::default()
        .sample_size(60)
        .warm_up_time(Duration::from_millis(800))
        .measurement_time(Duration::from_secs(3))
}

/// One line of a paired-ratio table.
pub fn paired_line(label: &str, (median, low, high): (f64, f64, f64)) {
    println!("{label:<40} median {median:>6.3}x   (rounds: {low:.3}x .. {high:.3}x)");
}
