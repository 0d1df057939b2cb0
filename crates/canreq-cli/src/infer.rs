//! Region and signing name from an AWS host name.
//!
//! AWS host names follow a few shapes: `SERVICE.REGION.amazonaws.com`, global endpoints
//! (`iam.amazonaws.com`), FIPS and dual-stack variants, S3's virtual-hosted and legacy dash
//! forms, API Gateway and Lambda function URLs, the `.api.aws` domain, China
//! (`amazonaws.com.cn`) and GovCloud. The signing name is the host's service label except for
//! the few services whose endpoint prefix differs from it.

/// What a host name says about the credential scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inferred {
    pub region: String,
    pub service: String,
}

/// Endpoint prefixes whose signing name differs.
const SIGNING_NAMES: &[(&str, &str)] = &[
    ("email", "ses"),
    ("streams.dynamodb", "dynamodb"),
    ("runtime.sagemaker", "sagemaker"),
    ("api.sagemaker", "sagemaker"),
    ("api.ecr", "ecr"),
    ("api.pricing", "pricing"),
    ("data.iot", "iotdata"),
    ("runtime.lex", "lex"),
    ("models.lex", "lex"),
    ("data.mediastore", "mediastore"),
    ("api.mediatailor", "mediatailor"),
    ("aps-workspaces", "aps"),
];

/// Services with one global endpoint and the region they sign for.
const GLOBAL: &[(&str, &str)] = &[
    ("iam", "us-east-1"),
    ("sts", "us-east-1"),
    ("route53", "us-east-1"),
    ("cloudfront", "us-east-1"),
    ("organizations", "us-east-1"),
    ("s3", "us-east-1"),
    ("waf", "us-east-1"),
    ("globalaccelerator", "us-west-2"),
    ("shield", "us-east-1"),
];

/// Infers region and signing name from `host` (port and trailing dot ignored).
pub fn infer(host: &str) -> Option<Inferred> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let host = strip_port(&host);
    let (labels, china) = if let Some(rest) = host.strip_suffix(".amazonaws.com.cn") {
        (rest, true)
    } else if let Some(rest) = host.strip_suffix(".amazonaws.com") {
        (rest, false)
    } else if let Some(rest) = host.strip_suffix(".api.aws") {
        (rest, false)
    } else if let Some(rest) = host.strip_suffix(".on.aws") {
        return lambda_url(rest);
    } else {
        return None;
    };
    let parts: Vec<&str> = labels.split('.').filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        return None;
    }
    if let Some(found) = s3(&parts) {
        return Some(found);
    }
    if let Some(i) = parts.iter().position(|p| *p == "execute-api") {
        return parts
            .get(i + 1)
            .filter(|r| is_region(r))
            .map(|r| make(r, "execute-api"));
    }
    // Drop the dual-stack marker; the region is the last label that looks like one.
    let parts: Vec<&str> = parts.into_iter().filter(|p| *p != "dualstack").collect();
    match parts.iter().rposition(|p| is_region(p)) {
        Some(r) => {
            let service = parts[..r].join(".");
            (!service.is_empty()).then(|| make(parts[r], &signing_name(&service)))
        }
        None if parts.len() == 1 => {
            let service = signing_name(parts[0]);
            if service == "iam" && china {
                return Some(make("cn-north-1", "iam"));
            }
            if parts[0] == "iam" && host.contains("us-gov") {
                return Some(make("us-gov-west-1", "iam"));
            }
            GLOBAL
                .iter()
                .find(|(s, _)| *s == service)
                .map(|(s, r)| make(r, s))
        }
        None => {
            // GovCloud IAM: iam.us-gov.amazonaws.com.
            (parts == ["iam", "us-gov"]).then(|| make("us-gov-west-1", "iam"))
        }
    }
}

fn strip_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        // Not for IPv6 literals, which hold colons of their own (and are never AWS hosts).
        Some((h, port))
            if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && !h.contains(':') =>
        {
            h
        }
        _ => host,
    }
}

fn make(region: &str, service: &str) -> Inferred {
    Inferred {
        region: region.to_owned(),
        service: service.to_owned(),
    }
}

/// `xx-name-N`, `xx-gov-name-N`, `cn-name-N`, …: two letters, words, a number.
fn is_region(label: &str) -> bool {
    let words: Vec<&str> = label.split('-').collect();
    words.len() >= 3
        && words[0].len() == 2
        && words[0].bytes().all(|b| b.is_ascii_lowercase())
        && words[1..words.len() - 1]
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
        && words[words.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !words[words.len() - 1].is_empty()
}

fn signing_name(prefix: &str) -> String {
    let prefix = prefix.strip_suffix("-fips").unwrap_or(prefix);
    SIGNING_NAMES
        .iter()
        .find(|(p, _)| *p == prefix)
        .map_or(prefix, |(_, name)| name)
        .to_owned()
}

/// S3 in all its shapes: `s3.REGION`, `s3-REGION` (legacy), `BUCKET.s3[.REGION]`,
/// `s3.dualstack.REGION`, `s3-fips.REGION`, access points and `s3-control`.
fn s3(parts: &[&str]) -> Option<Inferred> {
    let at = parts.iter().rposition(|p| {
        *p == "s3"
            || *p == "s3-fips"
            || p.starts_with("s3-") && is_region(&p[3..])
            || *p == "s3-accesspoint"
    })?;
    let label = parts[at];
    if let Some(region) = label.strip_prefix("s3-").filter(|r| is_region(r)) {
        return Some(make(region, "s3"));
    }
    let region = parts[at + 1..]
        .iter()
        .find(|p| is_region(p))
        .copied()
        .unwrap_or("us-east-1");
    Some(make(region, "s3"))
}

/// The bucket of a virtual-hosted S3 host name (`BUCKET.s3.REGION.amazonaws.com`, dots in the
/// bucket's name allowed); `None` for path-style hosts, access points and other services.
pub fn s3_bucket(host: &str) -> Option<String> {
    let host = strip_port(host.trim_end_matches('.')).to_ascii_lowercase();
    let labels = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))?;
    let parts: Vec<&str> = labels.split('.').collect();
    let at = parts.iter().position(|p| {
        *p == "s3" || *p == "s3-fips" || p.starts_with("s3-") && is_region(&p[3..])
    })?;
    (at > 0).then(|| parts[..at].join("."))
}

/// `ID.lambda-url.REGION.on.aws`.
fn lambda_url(rest: &str) -> Option<Inferred> {
    let parts: Vec<&str> = rest.split('.').collect();
    let i = parts.iter().position(|p| *p == "lambda-url")?;
    parts
        .get(i + 1)
        .filter(|r| is_region(r))
        .map(|r| make(r, "lambda"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(host: &str, region: &str, service: &str) {
        assert_eq!(infer(host), Some(make(region, service)), "{host}");
    }

    #[test]
    fn shapes() {
        check("iam.amazonaws.com", "us-east-1", "iam");
        check("sts.amazonaws.com", "us-east-1", "sts");
        check("sts.eu-west-1.amazonaws.com", "eu-west-1", "sts");
        check("ssm.us-west-2.amazonaws.com", "us-west-2", "ssm");
        check("ssm-fips.us-east-1.amazonaws.com", "us-east-1", "ssm");
        check(
            "ec2.dualstack.eu-central-1.amazonaws.com",
            "eu-central-1",
            "ec2",
        );
        check("dynamodb.us-east-1.api.aws", "us-east-1", "dynamodb");
        check("email.eu-west-1.amazonaws.com", "eu-west-1", "ses");
        check(
            "runtime.sagemaker.us-east-2.amazonaws.com",
            "us-east-2",
            "sagemaker",
        );
        check("s3.amazonaws.com", "us-east-1", "s3");
        check("s3.eu-west-1.amazonaws.com:443", "eu-west-1", "s3");
        check("s3-eu-west-1.amazonaws.com", "eu-west-1", "s3");
        check("bucket.s3.eu-west-1.amazonaws.com", "eu-west-1", "s3");
        check("my.dotted.bucket.s3.amazonaws.com", "us-east-1", "s3");
        check(
            "bucket.s3.dualstack.ap-southeast-2.amazonaws.com",
            "ap-southeast-2",
            "s3",
        );
        check("s3-fips.us-gov-west-1.amazonaws.com", "us-gov-west-1", "s3");
        check(
            "abc123.execute-api.us-east-1.amazonaws.com",
            "us-east-1",
            "execute-api",
        );
        check("xyz.lambda-url.eu-north-1.on.aws", "eu-north-1", "lambda");
        check("ec2.cn-north-1.amazonaws.com.cn", "cn-north-1", "ec2");
        check("iam.cn-north-1.amazonaws.com.cn", "cn-north-1", "iam");
        check("ec2.us-gov-west-1.amazonaws.com", "us-gov-west-1", "ec2");
        check("iam.us-gov.amazonaws.com", "us-gov-west-1", "iam");
        check("SSM.US-WEST-2.AMAZONAWS.COM.", "us-west-2", "ssm");
    }

    #[test]
    fn buckets_of_virtual_hosted_names() {
        let bucket = |h: &str| s3_bucket(h);
        assert_eq!(
            bucket("mybucket.s3.us-east-1.amazonaws.com").as_deref(),
            Some("mybucket")
        );
        assert_eq!(
            bucket("my.dotted.bucket.s3.amazonaws.com").as_deref(),
            Some("my.dotted.bucket")
        );
        assert_eq!(
            bucket("b.s3-eu-west-1.amazonaws.com:443").as_deref(),
            Some("b")
        );
        assert_eq!(
            bucket("b.s3.dualstack.eu-west-1.amazonaws.com").as_deref(),
            Some("b")
        );
        for path_style in [
            "s3.us-east-1.amazonaws.com",
            "s3.amazonaws.com",
            "ap-123.s3-accesspoint.us-east-1.amazonaws.com",
            "iam.amazonaws.com",
            "127.0.0.1:9000",
        ] {
            assert_eq!(bucket(path_style), None, "{path_style}");
        }
    }

    #[test]
    fn unknown_hosts() {
        for host in [
            "localhost",
            "127.0.0.1:9000",
            "example.com",
            "amazonaws.com",
            "foo.amazonaws.com",
            "minio.local",
        ] {
            assert_eq!(infer(host), None, "{host}");
        }
    }
}
