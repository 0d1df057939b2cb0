//! `canreq proxy` with credentials that expire: a `credential_process` whose keys expire 30
//! seconds ahead, a new key at each call, all of them known to the upstream (`canreq serve`).
//! Requests through the proxy for 45 seconds all pass, the proxy having fetched new keys before
//! the old ones expired (10 seconds ahead, as the SDKs' cache does), and `/metrics` counts each
//! refresh.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::peer::{self, Server, TempDir};
use crate::proxy_faults::{get, metric};

/// Keys the script can hand out; far more than 45 seconds need.
const KEYS: usize = 40;

const SCRIPT: &str = r#"#!/bin/sh
dir=$(dirname "$0")
n=$(cat "$dir/calls" 2>/dev/null || echo 0)
echo $((n + 1)) > "$dir/calls"
expires=$(date -u -d '+30 seconds' +%Y-%m-%dT%H:%M:%SZ)
printf '{"Version": 1, "AccessKeyId": "AKIDROTATING%02d", "SecretAccessKey": "rotating-secret-%02d", "SessionToken": "rotating-token-%02d", "Expiration": "%s"}\n' "$n" "$n" "$n" "$expires"
"#;

#[test]
fn expiring_credentials_are_refreshed_before_they_expire() {
    let dir = TempDir::new("proxy-refresh");
    let keys: String = (0..KEYS)
        .map(|n| {
            format!(
                "[[keys]]\naccess_key_id = \"AKIDROTATING{n:02}\"\n\
                 secret_access_key = \"rotating-secret-{n:02}\"\nsession_token = \"rotating-token-{n:02}\"\n\n"
            )
        })
        .collect();
    let key_file = dir.path().join("keys.toml");
    std::fs::write(&key_file, keys).unwrap();
    let upstream = Server::start_http("canreq serve", &dir.path().join("serve.log"), |port| {
        let mut cmd = peer::canreq(dir.path());
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--credentials")
            .arg(&key_file);
        cmd
    });

    let home = TempDir::new("proxy-refresh-home");
    let script = home.path().join("creds.sh");
    std::fs::write(&script, SCRIPT).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/config"),
        format!("[default]\ncredential_process = {}\n", script.display()),
    )
    .unwrap();
    let admin = peer::free_port();
    let proxy = Server::start("canreq proxy", &home.path().join("proxy.log"), |port| {
        let mut cmd = peer::canreq(home.path());
        cmd.args(["proxy", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--upstream", &upstream.endpoint()])
            .args(["--service", "s3", "--region", "us-east-1"])
            .args(["--admin-listen", &format!("127.0.0.1:{admin}")]);
        cmd
    });

    let started = Instant::now();
    let mut sent = 0;
    while started.elapsed() < Duration::from_secs(45) {
        let (status, body) = get(proxy.port, &format!("/bucket/key{sent}"));
        assert_eq!(
            status,
            200,
            "request {sent}, {:?} in: {body}\n{}",
            started.elapsed(),
            proxy.log()
        );
        sent += 1;
        std::thread::sleep(Duration::from_millis(500));
    }

    let calls: usize = std::fs::read_to_string(home.path().join("calls"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // Fetched at the start, then about every 20 s (30 s of validity, refreshed 10 s ahead):
    // twice more in 45 s, and not at every request.
    assert!(
        (3..=4).contains(&calls),
        "credential_process ran {calls} times for {sent} requests"
    );
    let metrics = get(admin, "/metrics").1;
    let refreshes = metric(
        &metrics,
        r#"canreq_credential_refreshes_total{command="proxy"}"#,
    );
    assert_eq!(refreshes, Some((calls - 1) as f64), "{metrics}");
    // The upstream saw the keys change.
    let log = upstream.log();
    let used: BTreeSet<&str> = log
        .split_whitespace()
        .filter(|w| w.starts_with("AKIDROTATING"))
        .collect();
    assert_eq!(used.len(), calls, "keys the upstream verified: {used:?}");
}
