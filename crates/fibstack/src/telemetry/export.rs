//! Spans over OTLP/HTTP with protobuf, the encoding every collector accepts, sent in batches
//! from a thread of their own so that no request waits on the collector.

use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;

/// Where spans go, from `OTEL_EXPORTER_OTLP_ENDPOINT` and its companions (`config`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanExport {
    /// The collector's traces URL: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as given, or
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` with `/v1/traces` after it.
    pub traces_url: String,
    /// `OTEL_SERVICE_NAME`, or `fibstack-<role>`.
    pub service_name: String,
}

pub(super) fn tracer_provider(export: &SpanExport) -> anyhow::Result<SdkTracerProvider> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(export.traces_url.clone())
        .build()
        .map_err(|error| {
            anyhow::anyhow!("cannot export spans to {}: {error}", export.traces_url)
        })?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name(export.service_name.clone())
                .build(),
        )
        .build())
}
