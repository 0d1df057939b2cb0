//! `canreq` against `aws-sigv4`, side by side in one run: `cargo bench -p canreq --bench sign`.
//!
//! Each group R1..R6 holds a `canreq` and an `aws-sigv4` function for the same request (the
//! issue's performance requirements); R4/R5 add a raw `sha2` baseline and report throughput.
//!
//! Fairness rules followed here:
//! - both sides build their request description from the same borrowed inputs inside the timed
//!   loop (`canreq::Request` / `aws_sigv4::SignableRequest`, which also parses the URI);
//! - both sides produce their complete output (signature plus the headers or query parameters
//!   to set) and hand it to `black_box`; `canreq`'s presign additionally builds the whole target
//!   URL, which `aws-sigv4` leaves to `apply_to_request_*`;
//! - both sides hash the body where it is signed (R2, R4, R5);
//! - before timing, each group checks that both sides compute the same signature, so they
//!   canonicalize the same request;
//! - `canreq` signs with a warm `KeyCache` (built once, outside the loop), as the requirement
//!   states; `aws-sigv4` has no key cache and derives the key on every call. `canreq-cold` (R1)
//!   derives the key on every call too, for information.
//!
//! A counting global allocator reports allocations per signature once, before the groups run.
//! It counts only while a flag is set, so during timing it costs one relaxed load per
//! allocation, for both sides alike.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation,
    SigningParams as AwsParams, SigningSettings as AwsSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use canreq::{Credentials, KeyCache, Payload, Request, Scope, Signer, SigningTime};
use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------------------------------------
// Allocation counting
// ---------------------------------------------------------------------------------------------

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the counters have no
// effect on the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
            BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
            BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
            BYTES.fetch_add(new_size, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations (allocs + reallocs) and bytes requested while `f` runs; its result is dropped
/// outside the count.
fn count_allocs<T>(f: impl FnOnce() -> T) -> (usize, usize) {
    ALLOCS.store(0, Ordering::SeqCst);
    BYTES.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    let out = black_box(f());
    COUNTING.store(false, Ordering::SeqCst);
    drop(out);
    (ALLOCS.load(Ordering::SeqCst), BYTES.load(Ordering::SeqCst))
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const AMZ_DATE: &str = "20150830T123600Z";
const UNIX: u64 = 1_440_938_160; // 20150830T123600Z
const REGION: &str = "us-east-1";

// The S3 documentation's presigned GET example (R6), whose signature is published.
const S3_DOC_AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const S3_DOC_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const S3_DOC_DATE: &str = "20130524T000000Z";
const S3_DOC_UNIX: u64 = 1_369_353_600; // 20130524T000000Z
const S3_DOC_SIGNATURE: &str = "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

const GET_VANILLA_SIGNATURE: &str =
    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

const SSM_BODY: &[u8] = br#"{"Name":"/my/parameter","WithDecryption":true}"#;

/// One request, as both libraries are given it.
struct Case {
    method: &'static str,
    /// Path and query, for canreq.
    target: &'static str,
    /// Absolute URI, for aws-sigv4 (which parses it).
    uri: &'static str,
    headers: Vec<(&'static str, &'static str)>,
}

fn r1_get_vanilla() -> Case {
    Case {
        method: "GET",
        target: "/",
        uri: "https://example.amazonaws.com/",
        headers: vec![("Host", "example.amazonaws.com")],
    }
}

fn r2_ssm() -> Case {
    Case {
        method: "POST",
        target: "/",
        uri: "https://ssm.us-east-1.amazonaws.com/",
        headers: vec![
            ("Host", "ssm.us-east-1.amazonaws.com"),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "AmazonSSM.GetParameter"),
        ],
    }
}

fn r3_iam() -> Case {
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
    }
}

fn s3_put() -> Case {
    Case {
        method: "PUT",
        target: "/my-bucket/data/object.bin",
        uri: "https://s3.us-east-1.amazonaws.com/my-bucket/data/object.bin",
        headers: vec![
            ("Host", "s3.us-east-1.amazonaws.com"),
            ("Content-Type", "application/octet-stream"),
        ],
    }
}

fn r6_presign() -> Case {
    Case {
        method: "GET",
        target: "/test.txt",
        uri: "https://examplebucket.s3.amazonaws.com/test.txt",
        headers: vec![("Host", "examplebucket.s3.amazonaws.com")],
    }
}

/// A request with 20 headers (host + 19 others, all signed by both libraries), for the
/// allocation count.
fn twenty_headers() -> Case {
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
    }
}

fn canreq_request<'a>(case: &'a Case) -> Request<'a> {
    let mut req = Request::with_capacity(case.method, case.target, case.headers.len());
    for &(n, v) in &case.headers {
        req.push_header(n, v);
    }
    req
}

fn aws_request<'a>(case: &'a Case, body: SignableBody<'a>) -> SignableRequest<'a> {
    SignableRequest::new(case.method, case.uri, case.headers.iter().copied(), body)
        .expect("aws-sigv4 request")
}

fn aws_identity(akid: &str, secret: &str) -> Identity {
    AwsCredentials::new(akid, secret, None, None, "bench").into()
}

fn aws_params<'a>(
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

fn aws_s3_settings() -> AwsSettings {
    let mut s = AwsSettings::default();
    s.percent_encoding_mode = PercentEncodingMode::Single;
    s.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    s.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    s
}

fn aws_presign_settings() -> AwsSettings {
    let mut s = aws_s3_settings();
    s.signature_location = SignatureLocation::QueryParams;
    s.expires_in = Some(Duration::from_secs(86_400));
    s
}

/// aws-sigv4's full signing call: request description, canonicalization, key derivation,
/// signature and output (headers or query params).
fn aws_sign(
    case: &Case,
    body: SignableBody<'_>,
    params: &AwsParams<'_>,
) -> (aws_sigv4::http_request::SigningInstructions, String) {
    aws_sigv4::http_request::sign(aws_request(case, body), params)
        .expect("aws-sigv4 sign")
        .into_parts()
}

fn creds() -> Credentials {
    Credentials::new(AKID, SECRET).unwrap()
}

fn signer<'c>(creds: &'c Credentials, service: &str, cache: Option<&'c KeyCache>) -> Signer<'c> {
    let s = Signer::new(
        creds,
        Scope::new(REGION, service).unwrap(),
        SigningTime::parse(AMZ_DATE).unwrap(),
    );
    match cache {
        Some(c) => s.with_key_cache(c),
        None => s,
    }
}

fn fast<'c>(c: &'c mut Criterion, name: &str) -> BenchmarkGroup<'c, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(60)
        .warm_up_time(Duration::from_millis(800))
        .measurement_time(Duration::from_secs(3));
    g
}

// ---------------------------------------------------------------------------------------------
// Allocation report (printed once)
// ---------------------------------------------------------------------------------------------

fn allocation_report(_c: &mut Criterion) {
    let creds = creds();
    let cache = KeyCache::default();
    let identity = aws_identity(AKID, SECRET);
    let aws_default = AwsSettings::default();

    println!("\n== allocations per signature (count of alloc+realloc calls, bytes requested) ==");
    println!(
        "{:<26} {:>8} {:>20} {:>20} {:>22}",
        "case", "headers", "canreq sign()", "canreq Request+sign", "aws-sigv4 sign (all)"
    );
    let rows: [(&str, Case, &str, Option<&[u8]>); 3] = [
        ("R1 get-vanilla", r1_get_vanilla(), "service", None),
        ("R2 ssm GetParameter", r2_ssm(), "ssm", Some(SSM_BODY)),
        ("20 headers", twenty_headers(), "service", None),
    ];
    for (label, case, service, body) in rows {
        let s = signer(&creds, service, Some(&cache));
        let payload = body.map_or(Payload::Empty, Payload::Bytes);
        let req = canreq_request(&case);
        s.sign(&req, payload).unwrap(); // warm the key cache
        // Warm aws-sigv4 too (lazy statics, tracing callsite registration).
        let params = aws_params(&identity, service, UNIX, aws_default.clone());
        let aws_body = || body.map_or(SignableBody::empty(), SignableBody::Bytes);
        aws_sign(&case, aws_body(), &params);

        let sign_only = count_allocs(|| s.sign(&req, payload).unwrap());
        let with_request = count_allocs(|| s.sign(&canreq_request(&case), payload).unwrap());
        let aws = count_allocs(|| aws_sign(&case, aws_body(), &params));
        println!(
            "{:<26} {:>8} {:>20} {:>20} {:>22}",
            label,
            case.headers.len(),
            format!("{} ({} B)", sign_only.0, sign_only.1),
            format!("{} ({} B)", with_request.0, with_request.1),
            format!("{} ({} B)", aws.0, aws.1),
        );
    }
    // Presign, for completeness.
    let s3_creds = Credentials::new(S3_DOC_AKID, S3_DOC_SECRET).unwrap();
    let s3_signer = Signer::new(
        &s3_creds,
        Scope::new(REGION, "s3").unwrap(),
        SigningTime::parse(S3_DOC_DATE).unwrap(),
    )
    .with_key_cache(&cache);
    let case = r6_presign();
    let req = canreq_request(&case);
    s3_signer.presign(&req, Payload::Unsigned, 86_400).unwrap();
    let s3_identity = aws_identity(S3_DOC_AKID, S3_DOC_SECRET);
    let params = aws_params(&s3_identity, "s3", S3_DOC_UNIX, aws_presign_settings());
    aws_sign(&case, SignableBody::UnsignedPayload, &params);
    let sign_only = count_allocs(|| s3_signer.presign(&req, Payload::Unsigned, 86_400).unwrap());
    let with_request = count_allocs(|| {
        s3_signer
            .presign(&canreq_request(&case), Payload::Unsigned, 86_400)
            .unwrap()
    });
    let aws = count_allocs(|| aws_sign(&case, SignableBody::UnsignedPayload, &params));
    println!(
        "{:<26} {:>8} {:>20} {:>20} {:>22}",
        "R6 presign (presign())",
        case.headers.len(),
        format!("{} ({} B)", sign_only.0, sign_only.1),
        format!("{} ({} B)", with_request.0, with_request.1),
        format!("{} ({} B)", aws.0, aws.1),
    );
    // The 20-header request, presigned.
    let case = twenty_headers();
    let req = canreq_request(&case);
    s3_signer.presign(&req, Payload::Unsigned, 86_400).unwrap();
    aws_sign(&case, SignableBody::UnsignedPayload, &params);
    let sign_only = count_allocs(|| s3_signer.presign(&req, Payload::Unsigned, 86_400).unwrap());
    let with_request = count_allocs(|| {
        s3_signer
            .presign(&canreq_request(&case), Payload::Unsigned, 86_400)
            .unwrap()
    });
    let aws = count_allocs(|| aws_sign(&case, SignableBody::UnsignedPayload, &params));
    println!(
        "{:<26} {:>8} {:>20} {:>20} {:>22}",
        "20 headers (presign())",
        case.headers.len(),
        format!("{} ({} B)", sign_only.0, sign_only.1),
        format!("{} ({} B)", with_request.0, with_request.1),
        format!("{} ({} B)", aws.0, aws.1),
    );
    println!();
}

// ---------------------------------------------------------------------------------------------
// R1..R3: small Authorization-header signatures
// ---------------------------------------------------------------------------------------------

fn r1(c: &mut Criterion) {
    let case = r1_get_vanilla();
    let creds = creds();
    let cache = KeyCache::default();
    let warm = signer(&creds, "service", Some(&cache));
    let cold = signer(&creds, "service", None);
    let identity = aws_identity(AKID, SECRET);
    let params = aws_params(&identity, "service", UNIX, AwsSettings::default());

    let ours = warm.sign(&canreq_request(&case), Payload::Empty).unwrap();
    let (_, theirs) = aws_sign(&case, SignableBody::empty(), &params);
    assert_eq!(ours.signature(), GET_VANILLA_SIGNATURE);
    assert_eq!(theirs, GET_VANILLA_SIGNATURE);

    let mut g = fast(c, "R1_get-vanilla");
    g.bench_function("canreq", |b| {
        b.iter(|| {
            warm.sign(&canreq_request(black_box(&case)), Payload::Empty)
                .unwrap()
        })
    });
    g.bench_function("canreq-cold", |b| {
        b.iter(|| {
            cold.sign(&canreq_request(black_box(&case)), Payload::Empty)
                .unwrap()
        })
    });
    g.bench_function("aws-sigv4", |b| {
        b.iter(|| aws_sign(black_box(&case), SignableBody::empty(), &params))
    });
    g.finish();
}

fn r2(c: &mut Criterion) {
    let case = r2_ssm();
    let creds = creds();
    let cache = KeyCache::default();
    let warm = signer(&creds, "ssm", Some(&cache));
    let identity = aws_identity(AKID, SECRET);
    let params = aws_params(&identity, "ssm", UNIX, AwsSettings::default());

    let ours = warm
        .sign(&canreq_request(&case), Payload::Bytes(SSM_BODY))
        .unwrap();
    let (_, theirs) = aws_sign(&case, SignableBody::Bytes(SSM_BODY), &params);
    assert_eq!(ours.signature(), theirs);
    assert_eq!(
        ours.steps().canonical_request().signed_headers(),
        "content-type;host;x-amz-date;x-amz-target"
    );

    let mut g = fast(c, "R2_ssm-GetParameter");
    g.bench_function("canreq", |b| {
        b.iter(|| {
            warm.sign(
                &canreq_request(black_box(&case)),
                Payload::Bytes(black_box(SSM_BODY)),
            )
            .unwrap()
        })
    });
    g.bench_function("aws-sigv4", |b| {
        b.iter(|| {
            aws_sign(
                black_box(&case),
                SignableBody::Bytes(black_box(SSM_BODY)),
                &params,
            )
        })
    });
    g.finish();
}

fn r3(c: &mut Criterion) {
    let case = r3_iam();
    let creds = creds();
    let cache = KeyCache::default();
    let warm = signer(&creds, "iam", Some(&cache));
    let identity = aws_identity(AKID, SECRET);
    let params = aws_params(&identity, "iam", UNIX, AwsSettings::default());

    let ours = warm.sign(&canreq_request(&case), Payload::Empty).unwrap();
    let (_, theirs) = aws_sign(&case, SignableBody::empty(), &params);
    assert_eq!(ours.signature(), theirs);

    let mut g = fast(c, "R3_iam-ListUsers");
    g.bench_function("canreq", |b| {
        b.iter(|| {
            warm.sign(&canreq_request(black_box(&case)), Payload::Empty)
                .unwrap()
        })
    });
    g.bench_function("aws-sigv4", |b| {
        b.iter(|| aws_sign(black_box(&case), SignableBody::empty(), &params))
    });
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// R4, R5: S3 PUT with a signed payload (throughput)
// ---------------------------------------------------------------------------------------------

fn s3_put_group(c: &mut Criterion, name: &str, size: usize, big: bool) {
    let case = s3_put();
    let body: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
    let creds = creds();
    let cache = KeyCache::default();
    let warm = signer(&creds, "s3", Some(&cache));
    let identity = aws_identity(AKID, SECRET);
    let params = aws_params(&identity, "s3", UNIX, aws_s3_settings());

    let ours = warm
        .sign(&canreq_request(&case), Payload::Bytes(&body))
        .unwrap();
    let (_, theirs) = aws_sign(&case, SignableBody::Bytes(&body), &params);
    assert_eq!(ours.signature(), theirs);
    assert!(
        ours.headers()
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("x-amz-content-sha256"))
    );

    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(size as u64));
    if big {
        g.sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4));
    } else {
        g.sample_size(30)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
    }
    g.bench_function("sha2", |b| b.iter(|| Sha256::digest(black_box(&body[..]))));
    g.bench_function("canreq", |b| {
        b.iter(|| {
            warm.sign(
                &canreq_request(black_box(&case)),
                Payload::Bytes(black_box(&body)),
            )
            .unwrap()
        })
    });
    g.bench_function("aws-sigv4", |b| {
        b.iter(|| {
            aws_sign(
                black_box(&case),
                SignableBody::Bytes(black_box(&body)),
                &params,
            )
        })
    });
    g.finish();
}

fn r4(c: &mut Criterion) {
    s3_put_group(c, "R4_s3-put-1MiB", 1 << 20, false);
}

fn r5(c: &mut Criterion) {
    s3_put_group(c, "R5_s3-put-64MiB", 64 << 20, true);
}

// ---------------------------------------------------------------------------------------------
// R6: presigned S3 GET
// ---------------------------------------------------------------------------------------------

fn r6(c: &mut Criterion) {
    let case = r6_presign();
    let creds = Credentials::new(S3_DOC_AKID, S3_DOC_SECRET).unwrap();
    let cache = KeyCache::default();
    let warm = Signer::new(
        &creds,
        Scope::new(REGION, "s3").unwrap(),
        SigningTime::parse(S3_DOC_DATE).unwrap(),
    )
    .with_key_cache(&cache);
    let identity = aws_identity(S3_DOC_AKID, S3_DOC_SECRET);
    let params = aws_params(&identity, "s3", S3_DOC_UNIX, aws_presign_settings());

    let ours = warm
        .presign(&canreq_request(&case), Payload::Unsigned, 86_400)
        .unwrap();
    let (_, theirs) = aws_sign(&case, SignableBody::UnsignedPayload, &params);
    assert_eq!(ours.signature(), S3_DOC_SIGNATURE);
    assert_eq!(theirs, S3_DOC_SIGNATURE);

    let mut g = fast(c, "R6_s3-presign-GET");
    g.bench_function("canreq", |b| {
        b.iter(|| {
            warm.presign(&canreq_request(black_box(&case)), Payload::Unsigned, 86_400)
                .unwrap()
        })
    });
    g.bench_function("aws-sigv4", |b| {
        b.iter(|| aws_sign(black_box(&case), SignableBody::UnsignedPayload, &params))
    });
    g.finish();
}

criterion_group!(benches, allocation_report, r1, r2, r3, r4, r5, r6);
criterion_main!(benches);
