//! A 1 GiB upload and download through `canreq proxy` to s3s-fs, with the proxy's peak memory:
//! the upload is signed chunk by chunk on its way, the download streamed, nothing held whole.

use std::io::Write;
use std::process::Command;
use std::time::Instant;

use crate::cli_against_s3s::{BUCKET, S3};
use crate::peer::{incompressible_mib, run, vm_hwm_kib};
use crate::proxy_s3::{Proxy, curl};

const GIB: u64 = 1 << 30;
/// The proxy's peak resident memory must stay under this, whatever the body's size.
const MAX_PEAK_KIB: u64 = 64 * 1024;

/// `sha256sum`'s hash of what `shell` writes on stdout.
fn sha256_of(shell: &str) -> String {
    let out = run(Command::new("sh").args(["-c", &format!("{shell} | sha256sum")]));
    out.expect_code(0, shell);
    out.stdout_text()
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn one_gib_up_and_down_through_the_proxy_in_bounded_memory() {
    let Some(s3) = S3::start("proxy-gib") else {
        return;
    };
    let proxy = Proxy::for_s3(&s3, &[]);
    let dir = s3.dir.path();
    let source = dir.join("gib.bin");
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&source).unwrap());
        for i in 0..(GIB >> 20) {
            file.write_all(&incompressible_mib(i + 1)).unwrap();
        }
    }
    let expected = sha256_of(&format!("cat {}", source.display()));
    let url = proxy.url(&format!("/{BUCKET}/gib.bin"));

    let started = Instant::now();
    let put = curl(&["-T", source.to_str().unwrap()], &url, dir);
    let up = started.elapsed();
    assert_eq!(put.status, 200, "{}\n{}", put.head, proxy.log());
    let stored = s3.root().join(BUCKET).join("gib.bin");
    std::fs::remove_file(&source).unwrap();
    assert_eq!(std::fs::metadata(&stored).unwrap().len(), GIB);
    assert_eq!(sha256_of(&format!("cat '{}'", stored.display())), expected);
    let after_upload = vm_hwm_kib(proxy.server.pid()).unwrap();

    let started = Instant::now();
    let downloaded = sha256_of(&format!("curl -sS --noproxy '*' '{url}'"));
    let down = started.elapsed();
    assert_eq!(downloaded, expected, "the download differs");
    let peak = vm_hwm_kib(proxy.server.pid()).unwrap();
    eprintln!(
        "1 GiB through canreq proxy: up {:.1} s, down {:.1} s; proxy peak RSS {} KiB after the \
         upload, {} KiB after the download",
        up.as_secs_f64(),
        down.as_secs_f64(),
        after_upload,
        peak
    );
    assert!(
        peak < MAX_PEAK_KIB,
        "the proxy's peak memory was {peak} KiB (limit {MAX_PEAK_KIB} KiB)"
    );
}
