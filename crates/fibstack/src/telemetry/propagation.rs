//! Where a request or a job stands in a trace (W3C `traceparent`), and how its span joins it.
//!
//! When spans are exported, a span's own place comes from the exporter's layer: the request's
//! span continues the caller's trace, and a job's span is the child of the request that queued
//! it. When they are not, nothing here costs more than reading a header that was sent: the
//! caller's trace is passed on as it came, or a new one is started for the job.

use axum::http::{HeaderMap, Request};
use fibstack_core::store::Job;
use fibstack_core::trace::TraceParent;
use opentelemetry::Context;
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use tracing::Span;
use tracing::field::{Empty, display};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The span of one request, joined to the caller's trace when it sent one. Its `trace_id` is
/// written by the handlers that hand the trace on ([`submission_trace`]).
pub fn request_span<B>(request: &Request<B>) -> Span {
    let headers = request.headers();
    let id = headers
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let span = tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id, trace_id = Empty);
    if let Some(caller) = callers_trace(headers) {
        join(&span, caller);
    }
    span
}

/// The trace a submission's job carries: the request's own span where spans are exported, the
/// caller's `traceparent` as it came otherwise, or a new trace. Written into the request's span.
pub fn submission_trace(headers: &HeaderMap) -> Option<TraceParent> {
    let span = Span::current();
    let trace = place_of(&span)
        .or_else(|| callers_trace(headers))
        .or_else(|| TraceParent::root(rand::random(), rand::random()));
    if let Some(trace) = trace {
        span.record("trace_id", display(trace.trace_id()));
    }
    trace
}

/// The span of one job: its log lines name the trace of the request that queued it, and the
/// exported span is that request's child.
pub fn job_span(job: &Job) -> Span {
    let span = tracing::info_span!("job", index = Empty, job_id = %job.id, deliveries = job.deliveries, trace_id = Empty);
    if let Ok(index) = &job.index {
        span.record("index", display(index));
    }
    if let Some(trace) = job.trace {
        span.record("trace_id", display(trace.trace_id()));
        join(&span, trace);
    }
    span
}

/// A malformed header is ignored: the recommendation says to start a new trace then.
fn callers_trace(headers: &HeaderMap) -> Option<TraceParent> {
    let header = headers.get("traceparent")?.to_str().ok()?;
    TraceParent::parse(header)
}

/// Makes `parent` the parent of a span not yet entered. Without the exporter's layer (or with
/// the span filtered out) there is nothing to join, and nothing is done.
fn join(span: &Span, parent: TraceParent) {
    let remote = SpanContext::new(
        TraceId::from_bytes(parent.trace_id().0.to_be_bytes()),
        SpanId::from_bytes(parent.parent_id().to_be_bytes()),
        TraceFlags::new(parent.flags()),
        true,
        TraceState::default(),
    );
    let _ = span.set_parent(Context::new().with_remote_span_context(remote));
}

/// The span's own place in its trace, where the exporter's layer gives it one.
fn place_of(span: &Span) -> Option<TraceParent> {
    let context = span.context();
    let own = context.span();
    let own = own.span_context();
    if !own.is_valid() {
        return None;
    }
    TraceParent::new(
        u128::from_be_bytes(own.trace_id().to_bytes()),
        u64::from_be_bytes(own.span_id().to_bytes()),
        own.trace_flags().to_u8(),
    )
}
