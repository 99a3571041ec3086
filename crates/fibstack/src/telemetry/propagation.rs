//! Where a request or a job stands in a trace (W3C `traceparent`), and how its span joins it.
//!
//! When spans are exported, a span's own place comes from the exporter's layer: the request's
//! span continues the caller's trace (or starts one), and a job's span is the child of the
//! request that queued it. When they are not, the caller's trace is passed on as it came, and
//! nothing here costs more than looking for the header.

use axum::http::{HeaderMap, HeaderName, Method, Request};
use fibstack_core::store::Job;
use fibstack_core::trace::TraceParent;
use opentelemetry::Context;
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The span of one request, joined to the caller's trace when it sent one. Every field is given
/// here: a field recorded later makes the JSON log format parse and write the span's fields again.
pub fn request_span<B>(request: &Request<B>) -> Span {
    let headers = request.headers();
    let id = headers
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    // Only a submission hands its trace on; other requests need the caller's trace only to
    // continue it in exported spans.
    let caller = if request.method() == Method::POST || super::exporting() {
        callers_trace(headers)
    } else {
        None
    };
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %id,
        trace_id = caller.map(|trace| tracing::field::display(trace.trace_id())),
    );
    if let Some(caller) = caller {
        join(&span, caller);
    }
    span
}

/// The trace a submission's job carries: the request's own span where spans are exported, the
/// caller's `traceparent` as it came otherwise. With neither, the job carries none: a trace that
/// no caller knows and no collector receives would cost every submission for nobody.
pub fn submission_trace(headers: &HeaderMap) -> Option<TraceParent> {
    place_of(&Span::current()).or_else(|| callers_trace(headers))
}

/// The span of one job, where it is worth its cost: a large job's (its progress logs in it), or
/// every job's when spans are exported, as the child of the request that queued it. A small
/// job's span in the JSON log would cost about as much as computing its value; the outcome's log
/// line names the trace instead.
pub fn job_span(job: &Job, large: bool) -> Span {
    if !large && !super::exporting() {
        return Span::none();
    }
    let span = tracing::info_span!(
        "job",
        index = job.index.as_ref().ok().map(tracing::field::display),
        job_id = %job.id,
        deliveries = job.deliveries,
    );
    if let Some(trace) = job.trace {
        join(&span, trace);
    }
    span
}

const TRACE_PARENT: HeaderName = HeaderName::from_static("traceparent");

/// A malformed header is ignored, as the recommendation says: as if none had been sent.
fn callers_trace(headers: &HeaderMap) -> Option<TraceParent> {
    let header = headers.get(TRACE_PARENT)?.to_str().ok()?;
    TraceParent::parse(header)
}

/// Makes `parent` the parent of a span not yet entered. Without the exporter's layer (or with
/// the span filtered out) there is nothing to join, and nothing is done.
fn join(span: &Span, parent: TraceParent) {
    if !super::exporting() {
        return;
    }
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
    if !super::exporting() {
        return None;
    }
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
