//! Protocol presets: `--action` (AWS Query protocol) and `--target` (AWS JSON protocol).

use crate::error::CliError;

/// API versions of common Query-protocol services, by signing name.
const QUERY_VERSIONS: &[(&str, &str)] = &[
    ("iam", "2010-05-08"),
    ("sts", "2011-06-15"),
    ("ec2", "2016-11-15"),
    ("sqs", "2012-11-05"),
    ("sns", "2010-03-31"),
    ("cloudformation", "2010-05-15"),
    ("elasticloadbalancing", "2015-12-01"),
    ("autoscaling", "2011-01-01"),
    ("rds", "2014-10-31"),
    ("elasticache", "2015-02-02"),
    ("monitoring", "2010-08-01"),
    ("ses", "2010-12-01"),
    ("redshift", "2012-12-01"),
    ("elasticbeanstalk", "2010-12-01"),
    ("sdb", "2009-04-15"),
];

/// JSON-protocol services that use `application/x-amz-json-1.0` (the rest use 1.1).
const JSON_1_0: &[&str] = &[
    "dynamodb",
    "states",
    "swf",
    "sqs",
    "timestream",
    "kinesisvideo",
    "codestar-connections",
    "monitoring",
];

/// The API version for `--action`, from `--api-version` or the table.
pub fn query_version(service: &str, explicit: Option<&str>) -> Result<String, CliError> {
    if let Some(v) = explicit {
        return Ok(v.to_owned());
    }
    QUERY_VERSIONS
        .iter()
        .find(|(s, _)| *s == service)
        .map(|(_, v)| (*v).to_owned())
        .ok_or_else(|| {
            CliError::usage(format!(
                "no built-in API version for service {service:?}: give --api-version YYYY-MM-DD"
            ))
        })
}

/// `Action=…&Version=…&K=V…`, form-encoded with SigV4's unreserved set so it is the same
/// bytes in a query string or a body.
pub fn query_params(action: &str, version: &str, params: &[String]) -> Result<String, CliError> {
    let mut out = format!("Action={}&Version={}", encode(action), encode(version));
    for p in params {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| CliError::usage(format!("bad --param {p:?}: expected KEY=VALUE")))?;
        out.push('&');
        out.push_str(&encode(k));
        out.push('=');
        out.push_str(&encode(v));
    }
    Ok(out)
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The content type for `--target` on `service`, `--json-version` winning.
pub fn json_content_type(service: &str, explicit: Option<&str>) -> Result<String, CliError> {
    let version = match explicit {
        Some(v @ ("1.0" | "1.1")) => v,
        Some(other) => {
            return Err(CliError::usage(format!(
                "bad --json-version {other:?}: expected 1.0 or 1.1"
            )));
        }
        None if JSON_1_0.contains(&service) => "1.0",
        None => "1.1",
    };
    Ok(format!("application/x-amz-json-{version}"))
}

/// Checks `Service.Operation`.
pub fn check_target(target: &str) -> Result<(), CliError> {
    match target.split_once('.') {
        Some((a, b)) if !a.is_empty() && !b.is_empty() && !target.contains(char::is_whitespace) => {
            Ok(())
        }
        _ => Err(CliError::usage(format!(
            "bad --target {target:?}: expected Service.Operation, e.g. AmazonSSM.GetParameter"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets() {
        assert_eq!(query_version("iam", None).unwrap(), "2010-05-08");
        assert!(query_version("nosuch", None).is_err());
        assert_eq!(
            query_params(
                "ListUsers",
                "2010-05-08",
                &["MaxItems=2".into(), "PathPrefix=/a b/".into()]
            )
            .unwrap(),
            "Action=ListUsers&Version=2010-05-08&MaxItems=2&PathPrefix=%2Fa%20b%2F"
        );
        assert!(query_params("A", "1", &["novalue".into()]).is_err());
        assert_eq!(
            json_content_type("ssm", None).unwrap(),
            "application/x-amz-json-1.1"
        );
        assert_eq!(
            json_content_type("dynamodb", None).unwrap(),
            "application/x-amz-json-1.0"
        );
        assert!(json_content_type("ssm", Some("2.0")).is_err());
        assert!(check_target("AmazonSSM.GetParameter").is_ok());
        assert!(check_target("GetParameter").is_err());
    }
}
