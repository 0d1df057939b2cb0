//! The Prometheus metrics of a command, all under `canreq_` and labelled with the command's
//! name: requests by status, errors by AWS error code, the latency of whole exchanges, bytes
//! in and out, and credential refreshes.

use std::borrow::Cow;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabel {
    code: String,
}

/// The counters, and the registry that writes them out.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<StatusLabel, Counter>,
    errors: Family<CodeLabel, Counter>,
    latency: Histogram,
    received: Counter,
    sent: Counter,
    pub credential_refreshes: Counter,
}

impl Metrics {
    pub fn new(command: &'static str) -> Self {
        let mut registry = Registry::with_prefix_and_labels(
            "canreq",
            [(Cow::Borrowed("command"), Cow::Borrowed(command))].into_iter(),
        );
        let requests = Family::<StatusLabel, Counter>::default();
        let errors = Family::<CodeLabel, Counter>::default();
        // 0.5 ms to about 16 s: a small request on loopback to a slow upload.
        let latency = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        let received = Counter::default();
        let sent = Counter::default();
        let credential_refreshes = Counter::default();
        registry.register("requests", "Requests answered, by status", requests.clone());
        registry.register(
            "errors",
            "Errors, by AWS error code (requests and failed connections)",
            errors.clone(),
        );
        registry.register_with_unit(
            "request_duration",
            "Time from a request's arrival to the end of its answer",
            Unit::Seconds,
            latency.clone(),
        );
        registry.register_with_unit(
            "received",
            "Request body bytes read",
            Unit::Bytes,
            received.clone(),
        );
        registry.register_with_unit("sent", "Answer body bytes sent", Unit::Bytes, sent.clone());
        registry.register(
            "credential_refreshes",
            "Times the signing credentials were loaded anew",
            credential_refreshes.clone(),
        );
        Metrics {
            registry,
            requests,
            errors,
            latency,
            received,
            sent,
            credential_refreshes,
        }
    }

    /// Counts one exchange.
    pub fn exchange(
        &self,
        status: u16,
        code: Option<&str>,
        bytes_in: u64,
        bytes_out: u64,
        duration: Duration,
    ) {
        self.requests.get_or_create(&StatusLabel { status }).inc();
        match code {
            Some(code) => self.error(code),
            None if status >= 400 => self.error("Unknown"),
            None => {}
        }
        self.latency.observe(duration.as_secs_f64());
        self.received.inc_by(bytes_in);
        self.sent.inc_by(bytes_out);
    }

    /// Counts one error with AWS error code `code`.
    pub fn error(&self, code: &str) {
        self.errors
            .get_or_create(&CodeLabel {
                code: code.to_owned(),
            })
            .inc();
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry);
        text
    }
}

/// The `Content-Type` of [`Metrics::encode`]'s text.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exchange_moves_every_counter_it_concerns() {
        let metrics = Metrics::new("proxy");
        metrics.exchange(200, None, 10, 20, Duration::from_millis(3));
        metrics.exchange(502, Some("BadGateway"), 0, 150, Duration::from_millis(1));
        metrics.exchange(404, None, 0, 0, Duration::from_millis(1));
        metrics.credential_refreshes.inc();
        let text = metrics.encode();
        for line in [
            r#"canreq_requests_total{command="proxy",status="200"} 1"#,
            r#"canreq_requests_total{command="proxy",status="502"} 1"#,
            r#"canreq_errors_total{command="proxy",code="BadGateway"} 1"#,
            r#"canreq_errors_total{command="proxy",code="Unknown"} 1"#,
            r#"canreq_received_bytes_total{command="proxy"} 10"#,
            r#"canreq_sent_bytes_total{command="proxy"} 170"#,
            r#"canreq_request_duration_seconds_count{command="proxy"} 3"#,
            r#"canreq_credential_refreshes_total{command="proxy"} 1"#,
        ] {
            assert!(text.lines().any(|l| l == line), "no {line} in\n{text}");
        }
    }
}
