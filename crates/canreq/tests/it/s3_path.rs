//! S3 paths as S3 canonicalizes them, for the oracles that sign a path as they are given it.

/// An S3 request path as S3 itself canonicalizes it: the object key (the path with its `%XY`
/// escapes decoded) encoded once, every byte but `A-Za-z0-9-._~` and `/` as `%XY`. S3's own
/// answer to curl issue 13754 shows it: a path sent as `/b/asset_id=x` is signed by S3 as
/// `/b/asset_id%3Dx`. The SDKs send keys already in this form; the oracles (botocore,
/// aws-sigv4) sign an S3 path as they are given it, so they are given it in this form.
pub fn s3_key_path(path: &str) -> String {
    let key = percent_decode(path);
    let mut out = String::with_capacity(key.len() * 3);
    for b in key {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `%XY` escapes decoded; anything else kept as it is.
pub fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}
