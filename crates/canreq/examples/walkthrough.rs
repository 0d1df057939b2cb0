//! Prints every step of two SigV4 signatures with the AWS documentation's example credentials:
//! IAM `ListUsers` (Query protocol, GET) and SSM `GetParameter` (JSON 1.1, POST). Nothing is
//! sent anywhere.
//!
//! ```text
//! cargo run --release -p canreq --example walkthrough
//! ```

use canreq::{Credentials, Payload, Request, Scope, SignedRequest, Signer, SigningTime};

fn main() -> Result<(), canreq::Error> {
    let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
    let time = SigningTime::parse("20150830T123600Z")?;

    let iam = Signer::new(&creds, Scope::new("us-east-1", "iam")?, time);
    let list_users = Request::new("GET", "/?Action=ListUsers&Version=2010-05-08")
        .header("Host", "iam.amazonaws.com")
        .header(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        );
    show(
        "IAM ListUsers",
        &list_users,
        &iam.sign(&list_users, Payload::Empty)?,
    );

    let body = br#"{"Name":"/my/parameter","WithDecryption":true}"#;
    let ssm = Signer::new(&creds, Scope::new("us-west-2", "ssm")?, time);
    let get_parameter = Request::new("POST", "/")
        .header("Host", "ssm.us-west-2.amazonaws.com")
        .header("Content-Type", "application/x-amz-json-1.1")
        .header("X-Amz-Target", "AmazonSSM.GetParameter");
    show(
        "SSM GetParameter",
        &get_parameter,
        &ssm.sign(&get_parameter, Payload::Bytes(body))?,
    );
    Ok(())
}

fn show(title: &str, request: &Request<'_>, signed: &SignedRequest) {
    let steps = signed.steps();
    println!("=== {title}");
    println!("Amazon timestamp:  {}", steps.time().amz_date());
    println!("Date:              {}", steps.time().date());
    println!("Credential scope:  {}", steps.credential_scope());
    println!(
        "--- canonical request\n{}",
        steps.canonical_request().redacted()
    );
    println!("--- string to sign\n{}", steps.string_to_sign());
    if let Some(key) = steps.signing_key() {
        println!("--- signing key (hex)\n{}", key.to_hex());
    }
    println!("--- signature\n{}", steps.signature());
    println!("--- signed request");
    println!("{} {} HTTP/1.1", request.method(), request.target());
    let mut headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|&(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    signed.apply(&mut headers);
    for (name, value) in headers {
        println!("{name}: {value}");
    }
    println!();
}
