//! One logging setup for every role: `RUST_LOG` filters (default `info`), `LOG_FORMAT=json`
//! writes one JSON object per line for log collectors; errors print with their causes on one line.
//!
//! With `OTEL_EXPORTER_OTLP_ENDPOINT` set, the spans the filter lets through are also exported
//! over OTLP ([`export`]); a submission's trace reaches the worker with its job
//! ([`propagation`]).

mod export;
pub mod propagation;

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use opentelemetry::trace::TracerProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub use export::SpanExport;

/// Whether this process's subscriber exports spans. Without it, joining a span to a trace would
/// build an OpenTelemetry context per request and per job for nobody.
static EXPORTING: AtomicBool = AtomicBool::new(false);

fn exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

/// How long a stopping process waits for its last spans to be sent.
const FLUSH_ON_EXIT: Duration = Duration::from_secs(2);

/// Keeps the span exporter running; dropping it sends the spans still waiting (for at most
/// two seconds, so an absent collector cannot hold up a stop).
#[derive(Debug)]
#[must_use = "spans stop being exported when this is dropped"]
pub struct Telemetry {
    spans: Option<SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(spans) = self.spans.take()
            && let Err(error) = spans.shutdown_with_timeout(FLUSH_ON_EXIT)
        {
            eprintln!("fibstack: the last spans were not exported: {error}");
        }
    }
}

/// Installs the process's subscriber: logs to stderr, and spans to `export` when it is given.
pub fn init(json: bool, export: Option<&SpanExport>) -> anyhow::Result<Telemetry> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let spans = export.map(export::tracer_provider).transpose()?;
    let span_layer = spans.as_ref().map(|provider| {
        tracing_opentelemetry::layer().with_tracer(provider.tracer(env!("CARGO_PKG_NAME")))
    });
    let logs = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let subscriber = tracing_subscriber::registry().with(filter).with(span_layer);
    // A second init (tests start several roles in one process) keeps the first subscriber.
    let installed = if json {
        subscriber.with(logs.json().flatten_event(true)).try_init()
    } else {
        subscriber.with(logs).try_init()
    };
    if installed.is_ok() && spans.is_some() {
        EXPORTING.store(true, Ordering::Relaxed);
    }
    if let Some(export) = export {
        tracing::info!(endpoint = %export.traces_url, service = %export.service_name, "exporting spans over OTLP");
    }
    Ok(Telemetry { spans })
}

/// An error and its causes on one line, as logs and startup failures print it.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
