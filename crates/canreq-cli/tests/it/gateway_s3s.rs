//! Issue 25: `canreq gateway --sign-upstream` as a key broker in front of s3s-fs with
//! authentication on: a tenant's boto3 (its own key, which s3s-fs does not know) uploads a
//! plain object, a multipart one and an aws-chunked one with a CRC32 trailer, and reads them
//! back; the objects are intact on s3s-fs's disk, none holding aws-chunked framing.

use crate::cli_against_s3s::{BUCKET, KEY_ID, S3, SECRET as S3_SECRET};
use crate::clients;
use crate::peer;

use std::path::Path;
use std::process::Command;

use clients::{AKID, KEY, SECRET, Serve, aws_env, python, sha256_hex};
use serde_json::Value;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/it/clients/gateway_tenant.py"
);

#[test]
fn boto3_tenant_uploads_reach_s3s_signed_with_the_gateways_key() {
    let Some(python) = python() else { return };
    let Some(s3) = S3::start("gateway-s3s") else {
        return;
    };
    let keys = format!(
        "[[keys]]\naccess_key_id = \"{AKID}\"\nsecret_access_key = \"{SECRET}\"\n\
         principal = \"tenant-1\"\nservices = [\"s3\"]\n"
    );
    let gateway = Serve::gateway_tls(
        "s3s",
        &s3.server.endpoint(),
        &keys,
        &[
            "--sign-upstream",
            "--upstream-access-key",
            KEY_ID,
            "--upstream-secret-key",
            S3_SECRET,
        ],
    );
    let mut cmd = Command::new(&python);
    aws_env(&mut cmd, gateway.dir.path(), KEY);
    cmd.arg(SCRIPT).arg(gateway.endpoint()).arg(gateway.cert());
    let out = peer::run(&mut cmd);
    out.expect_code(0, &format!("gateway_tenant.py\n{}", gateway.log()));
    let written: Value = serde_json::from_slice(&out.stdout).unwrap();
    let root = s3.root().join(BUCKET);
    for (key, sha256) in written.as_object().unwrap() {
        let stored = std::fs::read(root.join(key))
            .unwrap_or_else(|e| panic!("{key} is not in s3s-fs ({e}): {}", gateway.log()));
        assert_eq!(
            &Value::from(sha256_hex(&stored)),
            sha256,
            "{key} changed on the way"
        );
    }
    assert_no_aws_chunked_framing(&root);
}

/// No stored object holds aws-chunked framing (a chunk line) passed through undecoded.
fn assert_no_aws_chunked_framing(root: &Path) {
    for entry in std::fs::read_dir(root).unwrap().flatten() {
        let data = std::fs::read(entry.path()).unwrap();
        let framing = data
            .windows(b";chunk-signature=".len())
            .any(|w| w == b";chunk-signature=");
        assert!(!framing, "{} holds chunk framing", entry.path().display());
    }
}
