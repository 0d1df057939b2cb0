//! Endpoints configured the AWS CLI's way, for a request given no `--endpoint-url`:
//! `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`, then the profile's `services` section,
//! then its `endpoint_url` (the SDKs and Tools reference guide, "Service-specific endpoints").
//! `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` or the profile's `ignore_configured_endpoint_urls`
//! turns all four off. The precedence is aws-runtime's own, as the SDKs apply it.

use aws_runtime::env_config::EnvConfigValue;
use aws_types::os_shim_internal::Env;

use crate::creds::AwsChain;
use crate::error::CliError;

/// SDK service ids whose spelling is not the signing name's: the id names the variable
/// (`AWS_ENDPOINT_URL_` + id upper-cased, spaces as `_`) and the `services` key.
const SERVICE_IDS: &[(&str, &str)] = &[
    ("apigateway", "API Gateway"),
    ("autoscaling", "Auto Scaling"),
    ("cognito-idp", "Cognito Identity Provider"),
    ("dynamodb", "DynamoDB"),
    ("elasticache", "ElastiCache"),
    ("elasticloadbalancing", "Elastic Load Balancing v2"),
    ("events", "EventBridge"),
    ("iotdata", "IoT Data Plane"),
    ("logs", "CloudWatch Logs"),
    ("monitoring", "CloudWatch"),
    ("route53", "Route 53"),
    ("secretsmanager", "Secrets Manager"),
    ("states", "SFN"),
];

/// The SDK service id of a signing name; most are the name itself (`s3` is `S3`).
pub fn service_id(signing_name: &str) -> String {
    SERVICE_IDS
        .iter()
        .find(|(name, _)| *name == signing_name)
        .map_or_else(
            || signing_name.replace('-', " "),
            |(_, id)| (*id).to_owned(),
        )
}

/// The configured endpoint for `signing_name` and where it was set, if any.
pub fn configured(
    signing_name: &str,
    chain: &mut AwsChain<'_>,
) -> Result<Option<(String, String)>, CliError> {
    let env = Env::real();
    let profiles = chain.profiles()?;
    let ignore = EnvConfigValue::new()
        .env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .profile("ignore_configured_endpoint_urls")
        .load(&env, profiles)
        .is_some_and(|(value, _)| value.trim().eq_ignore_ascii_case("true"));
    if ignore {
        return Ok(None);
    }
    let id = service_id(signing_name);
    Ok(EnvConfigValue::new()
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .service_id(&id)
        .load(&env, profiles)
        .map(|(value, source)| (value.into_owned(), source.to_string())))
}

#[cfg(test)]
mod tests {
    use super::service_id;

    #[test]
    fn service_ids() {
        assert_eq!(service_id("s3"), "s3");
        assert_eq!(service_id("dynamodb"), "DynamoDB");
        assert_eq!(service_id("execute-api"), "execute api");
    }
}
