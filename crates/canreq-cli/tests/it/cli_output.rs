//! What `canreq request` prints of an answer: pretty-printing that only re-indents (against
//! s3s-fs's listings and a canned JSON answer), colour only where asked, the one-line error
//! summary with the whole decoded message, and `--format json` for scripts (issue 21, items 1,
//! 2 and 11).

use crate::cli_against_s3s::{BUCKET, KEY_ID, S3, SECRET, Style};
use crate::peer::{self, Canned, canreq, on_terminal, run};

use base64::Engine as _;
use serde_json::Value;

/// An escape sequence starting a colour.
const ESC: &str = "\u{1b}[";

/// `canreq request GET` of a canned server's answer, signed for S3.
fn get_canned(server: &Canned, home: &std::path::Path) -> std::process::Command {
    let mut cmd = canreq(home);
    cmd.args(["request", "GET"])
        .arg(format!("{}/b/k", server.endpoint()))
        .args(["--region", "us-east-1", "--service", "s3"])
        .args(["--access-key", KEY_ID, "--secret-key", SECRET]);
    cmd
}

/// Lines with their indentation taken off, joined: what re-indenting must give back.
fn unindented(text: &str) -> String {
    text.lines().map(str::trim_start).collect()
}

#[test]
fn an_s3_listing_is_indented_with_keys_as_sent() {
    let Some(s3) = S3::start("pretty-listing") else {
        return;
    };
    for key in ["tom%20%26%20jerry.txt", "%20lead.txt"] {
        let out = run(s3
            .request(
                "PUT",
                &format!("{BUCKET}/{key}"),
                Style::LoopbackUrlWithScope,
            )
            .args(["-d", "x"]));
        s3.check_ok(&out, "PUT");
    }
    let list = format!("{BUCKET}?list-type=2");
    let raw = run(s3
        .request("GET", &list, Style::LoopbackUrlWithScope)
        .arg("--raw"));
    s3.check_ok(&raw, "GET --raw");
    let pretty = run(s3
        .request("GET", &list, Style::LoopbackUrlWithScope)
        .arg("--pretty"));
    s3.check_ok(&pretty, "GET --pretty");
    let text = pretty.stdout_text();
    assert!(
        text.contains("\n    <Key>tom &amp; jerry.txt</Key>\n"),
        "{text}"
    );
    assert!(text.contains("\n    <Key> lead.txt</Key>\n"), "{text}");
    assert!(!text.contains(ESC), "colour in a pipe: {text:?}");
    // Only whitespace between elements changed: s3s-fs sends none.
    assert_eq!(unindented(&text), raw.stdout_text());

    // On a terminal: pretty and coloured by default, plain with NO_COLOR or --color never.
    let mut cmd = s3.request("GET", &list, Style::LoopbackUrlWithScope);
    let Some(tty) = on_terminal(&cmd, None) else {
        return;
    };
    tty.expect_code(0, "GET on a terminal");
    let tty_text = tty.stdout_text();
    assert!(
        tty_text.contains(ESC),
        "no colour on a terminal: {tty_text:?}"
    );
    assert!(tty_text.contains(" lead.txt"), "{tty_text}");
    let no_color = on_terminal(cmd.env("NO_COLOR", "1"), None).unwrap();
    assert_eq!(no_color.stdout_text(), text, "NO_COLOR on a terminal");
    let mut cmd = s3.request("GET", &list, Style::LoopbackUrlWithScope);
    let never = on_terminal(cmd.args(["--color", "never"]), None).unwrap();
    assert_eq!(never.stdout_text(), text, "--color never on a terminal");
    let always = run(s3
        .request("GET", &list, Style::LoopbackUrlWithScope)
        .args(["--pretty", "--color", "always"]));
    assert!(always.stdout_text().contains(ESC), "--color always");
}

#[test]
fn json_keeps_key_order_number_text_and_escapes() {
    let home = peer::TempDir::new("pretty-json");
    let body =
        br#"{"z":123456789012345678901234567890,"a":1.10,"s":"  two  spaces \u00e9 \"q\"","e":{}}"#;
    let server = Canned::answering("200 OK", "application/json", body);
    let out = run(get_canned(&server, home.path()).arg("--pretty"));
    out.expect_code(0, "GET --pretty");
    assert_eq!(
        out.stdout_text(),
        "{\n  \"z\": 123456789012345678901234567890,\n  \"a\": 1.10,\n  \
         \"s\": \"  two  spaces \\u00e9 \\\"q\\\"\",\n  \"e\": {}\n}\n"
    );
    let raw = run(get_canned(&server, home.path()).arg("--raw"));
    assert_eq!(raw.stdout, body);

    // Not JSON after all: shown as received.
    let broken = br#"{"a":1,}"#;
    let server = Canned::answering("200 OK", "application/json", broken);
    let out = run(get_canned(&server, home.path()).arg("--pretty"));
    out.expect_code(0, "GET --pretty of broken JSON");
    assert_eq!(out.stdout, broken);
}

#[test]
fn the_error_summary_shows_the_whole_decoded_message() {
    let home = peer::TempDir::new("error-summary");
    // S3's documents as AWS writes them, entities and all.
    let cases: [(&str, &[u8], &str); 2] = [
        (
            "400 Bad Request",
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is malformed; the region &apos;us-east-1&apos; is wrong; expecting &apos;eu-west-1&apos;</Message><Region>eu-west-1</Region><RequestId>R</RequestId></Error>",
            "canreq: 400 AuthorizationHeaderMalformed: The authorization header is malformed; \
             the region 'us-east-1' is wrong; expecting 'eu-west-1'\n\
             hint: the server expects region eu-west-1: sign for it with --region eu-west-1\n",
        ),
        (
            "403 Forbidden",
            b"<Error><Code>AccessDenied</Code><Message>Tom &amp; Jerry &#x2192; &lt;no&gt; &amp; more</Message></Error>",
            "canreq: 403 AccessDenied: Tom & Jerry \u{2192} <no> & more\n",
        ),
    ];
    for (status, body, summary) in cases {
        let server = Canned::answering(status, "application/xml", body);
        let out = run(&mut get_canned(&server, home.path()));
        out.expect_code(1, status);
        assert_eq!(out.stderr, summary);
        assert_eq!(out.stdout, body, "the error body as sent");
    }
}

#[test]
fn format_json_gives_status_headers_and_body_for_scripts() {
    let Some(s3) = S3::start("format-json") else {
        return;
    };
    let binary: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let file = s3.dir.path().join("bin");
    std::fs::write(&file, &binary).unwrap();
    for (key, data) in [
        ("text.txt", "tom & jerry\n".to_owned()),
        ("bin", format!("@{}", file.display())),
    ] {
        let out = run(s3
            .request(
                "PUT",
                &format!("{BUCKET}/{key}"),
                Style::LoopbackUrlWithScope,
            )
            .args(["-d", &data]));
        s3.check_ok(&out, "PUT");
    }
    let json = |path: &str, code: i32| -> Value {
        let out = run(s3
            .request(
                "GET",
                &format!("{BUCKET}/{path}"),
                Style::LoopbackUrlWithScope,
            )
            .args(["--format", "json"]));
        out.expect_code(code, path);
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout_text()))
    };
    let text = json("text.txt", 0);
    assert_eq!(text["status"], 200);
    assert_eq!(text["body"], "tom & jerry\n");
    assert_eq!(text["body_encoding"], "text");
    assert_eq!(text["request"]["method"], "GET");
    assert_eq!(text["steps"]["signature"].as_str().unwrap().len(), 64);
    assert!(
        text["steps"]["signing_key"]
            .as_str()
            .unwrap()
            .contains("redacted"),
        "{text}"
    );
    let headers = text["headers"].as_array().unwrap();
    assert!(
        headers
            .iter()
            .any(|h| h[0] == "content-length" && h[1] == "12"),
        "{text}"
    );
    let authorization = &text["request"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0] == "Authorization")
        .unwrap()[1];
    assert!(
        !authorization.as_str().unwrap().contains("Signature="),
        "{text}"
    );

    let bin = json("bin", 0);
    assert_eq!(bin["body_encoding"], "base64");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(bin["body"].as_str().unwrap())
        .unwrap();
    assert_eq!(decoded, binary);

    let missing = json("missing", 1);
    assert_eq!(missing["status"], 404);
    assert!(
        missing["body"]
            .as_str()
            .unwrap()
            .contains("<Code>NoSuchKey</Code>"),
        "{missing}"
    );
}
