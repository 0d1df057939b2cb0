//! `request -L`: a redirect to the same service is followed, signed again for where it leads
//! (its host, and the region the host or `x-amz-bucket-region` names), as an SDK does for S3's
//! redirects. The method and body stay: AWS redirects a request to where it should have gone.

use canreq::Scope;
use canreq::chunked::StreamingUpload;
use hyper::body::Incoming;

use crate::client::{self, ClientOptions};
use crate::error::CliError;
use crate::infer;
use crate::outgoing::{Outgoing, Shown};
use crate::resolve::{Prepared, Resolved};
use crate::target::Url;

/// curl's limit is 50; an AWS redirect that needs more than a few is a loop.
const MOST_REDIRECTS: usize = 10;

/// Sends `first`; with `location` (`-L`), follows its redirects. `unsigned` is what each hop is signed
/// from (`None`: nothing is signed).
pub async fn send(
    first: Outgoing,
    mut unsigned: Option<Resolved>,
    plan: Option<StreamingUpload>,
    options: &ClientOptions,
    location: bool,
    shown: Shown,
) -> Result<hyper::Response<Incoming>, CliError> {
    let mut current = first;
    let mut hops = 0;
    loop {
        let encoder = current.encoder.take();
        let response = client::send(&current.request, encoder, options).await?;
        let status = response.status().as_u16();
        if !location || !matches!(status, 301 | 302 | 307 | 308) {
            return Ok(response);
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        // Without a Location there is nowhere to go: the answer is printed as it came.
        let Some(location) = header("location") else {
            return Ok(response);
        };
        hops += 1;
        if hops > MOST_REDIRECTS {
            return Err(CliError::network(format!(
                "more than {MOST_REDIRECTS} redirects; the last led to {location}"
            )));
        }
        let url = next_url(&current.request.url, &location)?;
        if shown.verbose {
            eprintln!("* {status}: following to {}", url.with_target(&url.target));
        }
        current = match &mut unsigned {
            Some(resolved) => {
                let bucket_region = header("x-amz-bucket-region");
                *resolved = redirected(resolved.clone(), url, bucket_region.as_deref())?;
                Outgoing::signed(resolved.clone(), plan)?
            }
            None => {
                let mut request = current.request.clone();
                retarget(&mut request, url);
                Outgoing::unsigned(request)
            }
        };
        current.show(shown)?;
    }
}

/// Where `location` leads from `from`: an absolute URL, or a path on the same host.
fn next_url(from: &Url, location: &str) -> Result<Url, CliError> {
    let lower = location.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Url::parse(location);
    }
    if location.starts_with('/') && !location.starts_with("//") {
        let mut url = from.clone();
        url.target = canreq::wire_target(location).into_owned();
        return Ok(url);
    }
    Err(CliError::network(format!(
        "the redirect's Location {location:?} is neither a URL nor a path; not followed"
    )))
}

/// `resolved` for its new place: the host's service must be the same; the region is the one
/// the answer names, else the new host's, else the old one.
fn redirected(
    mut resolved: Resolved,
    url: Url,
    bucket_region: Option<&str>,
) -> Result<Resolved, CliError> {
    let service = resolved.scope.service().to_owned();
    let inferred = infer::infer(&url.host);
    if let Some(other) = inferred.as_ref().filter(|i| i.service != service) {
        return Err(CliError::refused(format!(
            "the redirect leads to {} (service {}), not to {service}: not followed",
            url.host, other.service
        )));
    }
    let region = bucket_region
        .map(str::to_owned)
        .or(inferred.map(|i| i.region))
        .unwrap_or_else(|| resolved.scope.region().to_owned());
    resolved.scope = Scope::new(region, service)?;
    retarget(&mut resolved.request, url);
    Ok(resolved)
}

/// The request sent to `url`, its `Host` header with it.
fn retarget(request: &mut Prepared, url: Url) {
    request
        .headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("host"));
    request
        .headers
        .insert(0, ("Host".to_owned(), url.host_header()));
    request.url = url;
}
