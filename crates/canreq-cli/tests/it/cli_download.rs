//! `-o FILE` is replaced only by a whole, successful answer: against s3s-fs for error answers
//! (`--fail`, `--fail-with-body`, `-o -`) and a canned server for bodies cut short, stalled and
//! binary (issue 21, item 3).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::cli_against_s3s::{BUCKET, KEY_ID, S3, SECRET, Style};
use crate::peer::{After, Canned, TempDir, canreq, on_terminal, run};

/// The names in `dir` other than `keep`: what a download left behind.
fn leftovers(dir: &Path, keep: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != keep)
        .collect()
}

#[test]
fn an_error_answer_never_replaces_the_output_file() {
    let Some(s3) = S3::start("download-errors") else {
        return;
    };
    let downloads = TempDir::new("download-errors-out");
    let target = downloads.path().join("object.bin");
    let old: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&target, &old).unwrap();
    let get = |key: &str, extra: &[&str]| {
        run(s3
            .request(
                "GET",
                &format!("{BUCKET}/{key}"),
                Style::LoopbackUrlWithScope,
            )
            .arg("-o")
            .arg(&target)
            .args(extra))
    };

    let out = get("missing", &[]);
    out.expect_code(1, "404 without --fail");
    assert_eq!(
        std::fs::read(&target).unwrap(),
        old,
        "404 replaced the file"
    );
    assert!(
        out.stderr.contains("<Code>NoSuchKey</Code>"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("404 NoSuchKey"), "{}", out.stderr);
    assert!(out.stderr.contains("left unchanged"), "{}", out.stderr);

    let out = get("missing", &["--fail"]);
    out.expect_code(22, "404 with --fail");
    assert_eq!(
        std::fs::read(&target).unwrap(),
        old,
        "--fail replaced the file"
    );
    assert!(out.stdout.is_empty());
    assert_eq!(out.stderr.trim_end(), "canreq: 404 NoSuchKey");

    let out = get("missing", &["--fail-with-body"]);
    out.expect_code(22, "404 with --fail-with-body");
    let kept = String::from_utf8(std::fs::read(&target).unwrap()).unwrap();
    assert!(kept.contains("<Code>NoSuchKey</Code>"), "{kept}");
    assert_eq!(
        leftovers(downloads.path(), "object.bin"),
        Vec::<String>::new()
    );

    // Without -o, --fail keeps stdout empty; -o - is stdout.
    let mut cmd = s3.request(
        "GET",
        &format!("{BUCKET}/missing"),
        Style::LoopbackUrlWithScope,
    );
    let out = run(cmd.arg("-f"));
    out.expect_code(22, "-f to stdout");
    assert!(out.stdout.is_empty(), "{}", out.stdout_text());
    let source = s3.dir.path().join("new.bin");
    std::fs::write(&source, b"new contents\n").unwrap();
    let put = run(s3
        .request(
            "PUT",
            &format!("{BUCKET}/new.bin"),
            Style::LoopbackUrlWithScope,
        )
        .arg("-d")
        .arg(format!("@{}", source.display())));
    s3.check_ok(&put, "PUT");
    let out = get("new.bin", &[]);
    s3.check_ok(&out, "GET -o FILE");
    assert_eq!(std::fs::read(&target).unwrap(), b"new contents\n");
    let mut cmd = s3.request(
        "GET",
        &format!("{BUCKET}/new.bin"),
        Style::LoopbackUrlWithScope,
    );
    let out = run(cmd.args(["-o", "-", "--fail"]));
    s3.check_ok(&out, "GET -o -");
    assert_eq!(out.stdout, b"new contents\n");
    assert_eq!(
        leftovers(downloads.path(), "object.bin"),
        Vec::<String>::new()
    );
}

/// `canreq request GET` of a canned server's answer into `target`.
fn get_into(server: &Canned, home: &Path, target: &Path) -> Command {
    let mut cmd = canreq(home);
    cmd.args(["request", "GET"])
        .arg(format!("{}/b/k", server.endpoint()))
        .args(["--region", "us-east-1", "--service", "s3"])
        .args(["--access-key", KEY_ID, "--secret-key", SECRET])
        .arg("-o")
        .arg(target);
    cmd
}

#[test]
fn a_cut_or_interrupted_download_leaves_the_old_file() {
    let dir = TempDir::new("download-cut");
    let target = dir.path().join("keep.txt");
    std::fs::write(&target, b"the old contents\n").unwrap();
    let half = vec![b'x'; 500_000];
    let response = Canned::response("200 OK", &[], &half, 1_000_000);

    // The server closes the connection halfway.
    let cut = Canned::start(response.clone(), After::Close);
    let out = run(&mut get_into(&cut, dir.path(), &target));
    out.expect_code(3, "a body cut short");
    assert!(
        out.stderr.contains("reading the response failed"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"the old contents\n");
    assert_eq!(leftovers(dir.path(), "keep.txt"), Vec::<String>::new());

    // The server stops sending; Ctrl-C (SIGINT) ends the wait.
    let stall = Canned::start(response, After::Stall);
    let child = get_into(&stall, dir.path(), &target)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    // Half the body has reached the temporary file once it exists with data in it.
    while leftovers(dir.path(), "keep.txt").is_empty() {
        assert!(Instant::now() < deadline, "no temporary file appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(std::fs::read(&target).unwrap(), b"the old contents\n");
    assert_eq!(leftovers(dir.path(), "keep.txt"), Vec::<String>::new());
}

#[test]
fn binary_output_stays_off_a_terminal_unless_asked() {
    let dir = TempDir::new("download-binary");
    let binary: Vec<u8> = (0..=255u8).collect();
    let server = Canned::answering("200 OK", "application/octet-stream", &binary);
    let get = || {
        let mut cmd = canreq(dir.path());
        cmd.args(["request", "GET"])
            .arg(format!("{}/b/k", server.endpoint()))
            .args(["--region", "us-east-1", "--service", "s3"])
            .args(["--access-key", KEY_ID, "--secret-key", SECRET]);
        cmd
    };
    let Some(refused) = on_terminal(&get(), None) else {
        return;
    };
    refused.expect_code(2, "binary to a terminal");
    let text = refused.stdout_text();
    assert!(
        text.contains("binary output can mess up your terminal"),
        "{text}"
    );
    assert!(!text.contains('\u{1}'), "binary bytes reached the terminal");

    let mut asked = get();
    let asked = on_terminal(asked.args(["-o", "-"]), None).unwrap();
    asked.expect_code(0, "-o - to a terminal");
    assert!(asked.stdout.len() >= binary.len());

    // A pipe is no terminal: the bytes as sent.
    let piped = run(&mut get());
    piped.expect_code(0, "binary to a pipe");
    assert_eq!(piped.stdout, binary);
}
