//! A submission's trace, from the POST to the worker: the answer's `traceresponse` names it,
//! the worker's log of the computation names its trace id, and with a collector named in
//! `OTEL_EXPORTER_OTLP_ENDPOINT` the api's and the worker's spans arrive there as one trace.

use std::time::Duration;

use fibstack_core::trace::TraceParent;

use crate::on_both_backends;
use crate::support::collector::{CollectedSpan, Collector};
use crate::support::http::{Reply, post_json_with};
use crate::support::process::wait_for;
use crate::support::{Backend, StackOptions, TestStack};

const PATIENCE: Duration = Duration::from_secs(20);
/// The caller's place in its trace, as the recommendation's example has it.
const CALLER: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

fn submit(stack: &TestStack, index: u64, headers: &[(&str, &str)]) -> Reply {
    let reply = post_json_with(
        &stack.url("/values"),
        &format!("{{\"index\": {index}}}"),
        headers,
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply
}

/// The trace the answer says the job joined.
fn trace_response(reply: &Reply) -> TraceParent {
    let header = reply
        .headers
        .get("traceresponse")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_else(|| panic!("no traceresponse in {:?}", reply.headers));
    TraceParent::parse(header).unwrap_or_else(|| panic!("not a trace: {header:?}"))
}

/// Waits until a worker has logged the computation of `index`; returns that line.
fn wait_for_computation(stack: &TestStack, index: u64) -> String {
    let fields = format!("index={index} ");
    wait_for(&format!("a worker's log of F({index})"), PATIENCE, || {
        stack
            .worker_logs()
            .lines()
            .find(|line| line.contains("computed") && line.contains(&fields))
            .map(str::to_owned)
    })
}

/// Waits until a worker has logged the computation of `index` in the trace `trace_id`.
fn wait_for_computation_in_trace(stack: &TestStack, index: u64, trace_id: &str) {
    let line = wait_for_computation(stack, index);
    assert!(
        line.contains(&format!("trace_id={trace_id}")),
        "F({index}) computed outside trace {trace_id}: {line}"
    );
}

on_both_backends!(a_submission_s_trace_reaches_the_worker_s_log);

fn a_submission_s_trace_reaches_the_worker_s_log(backend: Backend) {
    let stack = TestStack::start(StackOptions::on(backend));
    stack.wait_ready();

    let joined = submit(&stack, 31, &[("traceparent", CALLER)]);
    let joined = trace_response(&joined);
    assert_eq!(
        joined.trace_id().to_string(),
        CALLER_TRACE,
        "the caller's trace"
    );
    wait_for_computation_in_trace(&stack, 31, CALLER_TRACE);

    // No trace sent, or one that does not read, and no spans exported: the job joins no trace,
    // and the answer names none.
    for (index, headers) in [
        (32, vec![]),
        (33, vec![("traceparent", "00-not-a-trace-01")]),
    ] {
        let reply = submit(&stack, index, &headers);
        assert!(
            !reply.headers.contains_key("traceresponse"),
            "no trace to name: {:?}",
            reply.headers
        );
        let line = wait_for_computation(&stack, index);
        assert!(!line.contains("trace_id="), "a trace nobody sent: {line}");
    }
}

on_both_backends!(with_a_collector_named_the_api_s_and_the_worker_s_spans_make_one_trace);

fn with_a_collector_named_the_api_s_and_the_worker_s_spans_make_one_trace(backend: Backend) {
    let collector = Collector::start();
    let stack = TestStack::start(StackOptions {
        env: vec![
            ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint()),
            // Batches leave every 100 ms instead of every 5 s.
            ("OTEL_BSP_SCHEDULE_DELAY", "100".to_owned()),
        ],
        ..StackOptions::on(backend)
    });
    stack.wait_ready();
    let reply = submit(&stack, 34, &[("traceparent", CALLER)]);
    let answered = trace_response(&reply);
    stack.wait_done(34, PATIENCE);

    let in_trace = |name: &str, spans: &[CollectedSpan]| {
        spans
            .iter()
            .find(|span| span.name == name && span.trace_id == CALLER_TRACE)
            .cloned()
    };
    let (request, job) = wait_for(
        "the request's and the job's spans at the collector",
        PATIENCE,
        || {
            let spans = collector.spans();
            Some((in_trace("request", &spans)?, in_trace("job", &spans)?))
        },
    );
    assert_eq!(
        request.parent_span_id, CALLER_SPAN,
        "the caller's span is the request's parent"
    );
    assert_eq!(
        job.parent_span_id, request.span_id,
        "the job's span is the request's child"
    );
    assert_eq!(
        format!("{:016x}", answered.parent_id()),
        request.span_id,
        "traceresponse names the request's span"
    );

    // A caller that sends no trace: the request's span starts one, and the job joins it.
    let started = trace_response(&submit(&stack, 35, &[]));
    let started_trace = started.trace_id().to_string();
    let job = wait_for(
        "the job's span in the trace the api started",
        PATIENCE,
        || {
            collector
                .spans()
                .into_iter()
                .find(|span| span.name == "job" && span.trace_id == started_trace)
        },
    );
    assert_eq!(
        job.parent_span_id,
        format!("{:016x}", started.parent_id()),
        "the job's span is the child of the request's"
    );

    let (api, worker) = match backend {
        Backend::Services => ("fibstack-api", "fibstack-worker"),
        Backend::Embedded => ("fibstack-all", "fibstack-all"),
    };
    assert_eq!(
        (request.service.as_str(), job.service.as_str()),
        (api, worker)
    );
}
