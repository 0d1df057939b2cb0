//! The log on stderr, through `tracing`: `canreq`'s own events at info and above, other
//! crates' (aws-config's, hyper's) at warn and above. As text, an access line reads as
//! `canreq serve`'s do (`TIME REMOTE METHOD PATH STATUS CODE in=N out=N DURATION`) and any
//! other event as `canreq COMMAND: message`; as JSON, one object per event with its fields.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

use super::LogFormat;

/// Installs the process's log subscriber in `format`; a no-op when one is installed already.
pub fn install(format: LogFormat) {
    let filter = Targets::new()
        .with_target("canreq", Level::INFO)
        .with_default(Level::WARN);
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Text => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .event_format(TextLine)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(false)
                    .with_span_list(false)
                    .with_target(false)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
    };
}

/// The text format.
struct TextLine;

impl<S, N> FormatEvent<S, N> for TextLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let line = if event.metadata().target() == "canreq::access" {
            access_line(&fields)
        } else {
            other_line(
                *event.metadata().level(),
                event.metadata().target(),
                &fields,
            )
        };
        writeln!(writer, "{line}")
    }
}

/// An event's fields as text, in the order recorded.
#[derive(Debug, Default)]
struct Fields {
    message: String,
    named: Vec<(&'static str, String)>,
}

impl Fields {
    fn get(&self, name: &str) -> &str {
        self.named
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("-", |(_, v)| v.as_str())
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.named.push((field.name(), format!("{value:?}")));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_owned();
        } else {
            self.named.push((field.name(), value.to_owned()));
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.named.push((field.name(), format!("{value:.1}")));
    }
}

/// `TIME REMOTE METHOD PATH STATUS CODE in=N out=N DURATIONms`, with ` (incomplete)` when the
/// answer was not sent to its end.
fn access_line(fields: &Fields) -> String {
    let mut line = format!(
        "{} {} {} {} {} {} in={} out={} {}ms",
        log_time(),
        fields.get("remote"),
        fields.get("method"),
        fields.get("path"),
        fields.get("status"),
        fields.get("code"),
        fields.get("bytes_in"),
        fields.get("bytes_out"),
        fields.get("duration_ms"),
    );
    if fields.get("complete") == "false" {
        line.push_str(" (incomplete)");
    }
    line
}

/// `canreq COMMAND: [warning: ]message` (another crate's event: `canreq: TARGET: ...`); the
/// fields are left out, as the message names them.
fn other_line(level: Level, target: &str, fields: &Fields) -> String {
    let mut line = match fields.get("command") {
        "-" => format!("canreq: {target}: "),
        command => format!("canreq {command}: "),
    };
    if level == Level::WARN {
        line.push_str("warning: ");
    } else if level == Level::ERROR {
        line.push_str("error: ");
    }
    let _ = write!(line, "{}", fields.message);
    line
}

/// The time at the head of an access line, as `canreq serve` writes it.
fn log_time() -> impl fmt::Display {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ")
}
