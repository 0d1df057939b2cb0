//! Which `--region` to use, when an answer says the request was signed for the wrong one: S3's
//! `x-amz-bucket-region` header, a `<Region>` in the error (`AuthorizationHeaderMalformed`,
//! `PermanentRedirect`), and "Credential should be scoped to a valid region". A SigV4a request
//! names its regions with `--region-set`, so its advice names that flag.

use quick_xml::events::Event;

use crate::infer;

/// One line of advice for a refused request, if its answer names a region; `sigv4a`: the
/// request was signed with SigV4a (for a region set).
pub fn region(headers: &http::HeaderMap, body: &[u8], sigv4a: bool) -> Option<String> {
    let flag = if sigv4a { "--region-set" } else { "--region" };
    let suggest =
        |region: &str, why: &str| Some(format!("hint: {why}: sign for it with {flag} {region}"));
    if let Some(region) = headers
        .get("x-amz-bucket-region")
        .and_then(|v| v.to_str().ok())
    {
        return suggest(
            region,
            &format!("the bucket is in {region} (-L follows a redirect)"),
        );
    }
    if let Some(region) = element(body, "Region") {
        return suggest(&region, &format!("the server expects region {region}"));
    }
    if let Some(endpoint) = element(body, "Endpoint")
        && let Some(found) = infer::infer(&endpoint)
    {
        return suggest(
            &found.region,
            &format!("the bucket answers at {endpoint}, in {}", found.region),
        );
    }
    let text = String::from_utf8_lossy(body);
    if text.contains("Credential should be scoped to a valid region") {
        return Some(format!(
            "hint: the endpoint refuses the region it was signed for: give its own region \
                 with {flag} (a global endpoint such as iam.amazonaws.com signs for us-east-1)"
        ));
    }
    None
}

/// The text of the first element named `name` in an XML error.
fn element(body: &[u8], name: &str) -> Option<String> {
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut buf = Vec::new();
    let mut inside = false;
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) => inside = e.local_name().as_ref() == name.as_bytes(),
            Event::Text(t) if inside => {
                let text = t.decode().ok()?.trim().to_owned();
                return (!text.is_empty()).then_some(text);
            }
            Event::End(_) => inside = false,
            Event::Eof => return None,
            _ => {}
        }
        buf.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::region;

    #[test]
    fn regions_named_by_the_answer() {
        let none = http::HeaderMap::new();
        let malformed = b"<Error><Code>AuthorizationHeaderMalformed</Code><Message>wrong</Message>\
            <Region>eu-west-1</Region></Error>";
        assert!(
            region(&none, malformed, false)
                .unwrap()
                .contains("--region eu-west-1")
        );
        let moved = b"<Error><Code>PermanentRedirect</Code>\
            <Endpoint>b.s3.ap-south-1.amazonaws.com</Endpoint></Error>";
        assert!(
            region(&none, moved, false)
                .unwrap()
                .contains("--region ap-south-1")
        );
        let mut headers = http::HeaderMap::new();
        headers.insert("x-amz-bucket-region", "us-west-2".parse().unwrap());
        assert!(
            region(&headers, b"", false)
                .unwrap()
                .contains("--region us-west-2")
        );
        assert!(
            region(&none, malformed, true)
                .unwrap()
                .contains("--region-set eu-west-1")
        );
        assert!(region(&none, b"<Error><Code>NoSuchKey</Code></Error>", false).is_none());
    }
}
