//! The answers a reverse proxy gives in its own name, shaped as AWS's error documents (S3's
//! `<Error>`) so that a client's SDK parses the code and message: `BadGateway` (502) when the
//! upstream cannot be reached or breaks the exchange, `GatewayTimeout` (504) when it is too
//! slow, each naming the cause.

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use http_body_util::Full;

use super::{Failure, UpstreamError};

/// An AWS-shaped error answer: `status`, and an `<Error>` document with `code`, `message`
/// and the request id (also in `x-amz-request-id`).
pub fn error(
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: &str,
) -> hyper::Response<Full<Bytes>> {
    let mut body = String::with_capacity(160 + message.len());
    body.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>");
    body.push_str(&quick_xml::escape::escape(code));
    body.push_str("</Code><Message>");
    body.push_str(&quick_xml::escape::escape(message));
    body.push_str("</Message><RequestId>");
    body.push_str(&quick_xml::escape::escape(request_id));
    body.push_str("</RequestId></Error>\n");
    let mut response = hyper::Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amz-request-id", id);
    }
    response
}

/// 502 `BadGateway`: the upstream could not be reached, or broke the exchange.
pub fn bad_gateway(cause: &str, request_id: &str) -> hyper::Response<Full<Bytes>> {
    error(StatusCode::BAD_GATEWAY, "BadGateway", cause, request_id)
}

/// 504 `GatewayTimeout`: the upstream did not connect or answer in time.
pub fn gateway_timeout(cause: &str, request_id: &str) -> hyper::Response<Full<Bytes>> {
    error(
        StatusCode::GATEWAY_TIMEOUT,
        "GatewayTimeout",
        cause,
        request_id,
    )
}

/// The answer to a failed upstream exchange: 504 for a timeout, 502 for an upstream that
/// failed, and the body's own status and code when the request's body failed (though its
/// client has usually gone).
pub fn for_failure(e: &UpstreamError, request_id: &str) -> hyper::Response<Full<Bytes>> {
    match e.failure {
        Failure::TimedOut => gateway_timeout(&e.message, request_id),
        Failure::Unreachable | Failure::Broken => bad_gateway(&e.message, request_id),
        Failure::RequestBody { status, code } => error(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            code,
            &e.message,
            request_id,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn text(response: hyper::Response<Full<Bytes>>) -> String {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn a_timeout_is_504_and_the_rest_502_each_naming_its_cause() {
        let timed_out = UpstreamError {
            failure: Failure::TimedOut,
            message: "http://127.0.0.1:9 did not answer within 2 s".into(),
        };
        let answer = for_failure(&timed_out, "canreq-1");
        assert_eq!(answer.status(), 504);
        assert_eq!(answer.headers()["content-type"], "application/xml");
        assert_eq!(answer.headers()["x-amz-request-id"], "canreq-1");
        assert_eq!(
            text(answer).await,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>GatewayTimeout</Code>\
             <Message>http://127.0.0.1:9 did not answer within 2 s</Message>\
             <RequestId>canreq-1</RequestId></Error>\n"
        );
        let body_failed = UpstreamError {
            failure: Failure::RequestBody {
                status: 400,
                code: "IncompleteBody",
            },
            message: "the client went away".into(),
        };
        let answer = for_failure(&body_failed, "canreq-3");
        assert_eq!(answer.status(), 400);
        assert!(text(answer).await.contains("<Code>IncompleteBody</Code>"));
        for failure in [Failure::Unreachable, Failure::Broken] {
            let e = UpstreamError {
                failure,
                message: "cannot connect to <upstream> & co".into(),
            };
            let answer = for_failure(&e, "canreq-2");
            assert_eq!(answer.status(), 502, "{failure:?}");
            let body = text(answer).await;
            assert!(body.contains("<Code>BadGateway</Code>"), "{body}");
            assert!(
                body.contains("<Message>cannot connect to &lt;upstream&gt; &amp; co</Message>"),
                "{body}"
            );
        }
    }
}
