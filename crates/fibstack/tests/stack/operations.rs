//! What operators read in the metrics: the queue's oldest job and the cache's size from the api,
//! what each worker did from the worker itself (or from the one process, which runs both).

use std::time::Duration;

use crate::on_both_backends;
use crate::support::http::{get, post_json_with};
use crate::support::{Backend, StackOptions, TestStack};

const PATIENCE: Duration = Duration::from_secs(20);

/// The value of the series `name` (with its labels, if any) in Prometheus's text format.
fn sample(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in the metrics:\n{metrics}"))
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn a_waiting_job_ages_and_each_worker_reports_what_it_computed() {
    let mut stack = TestStack::start(StackOptions {
        workers: 0,
        router: false,
        ..StackOptions::default()
    });
    let api = |stack: &TestStack| get(&stack.api_url("/metrics")).text;
    assert_eq!(
        sample(&api(&stack), "fibstack_queue_oldest_job_age_seconds"),
        0.0
    );
    stack.submit(30);
    std::thread::sleep(Duration::from_millis(1_200));
    let waiting = api(&stack);
    assert!(
        sample(&waiting, "fibstack_queue_oldest_job_age_seconds") >= 1.0,
        "no worker runs: the job has waited over a second\n{waiting}"
    );
    assert_eq!(sample(&waiting, "fibstack_cache_bytes"), 0.0);
    assert!(sample(&waiting, "fibstack_cache_budget_bytes") > 0.0);

    let worker = stack.start_worker();
    stack.wait_done(30, PATIENCE);
    let done = api(&stack);
    assert_eq!(sample(&done, "fibstack_queue_oldest_job_age_seconds"), 0.0);
    assert_eq!(sample(&done, "fibstack_cache_bytes"), 6.0, "F(30) = 832040");
    let own = stack.worker_metrics(worker);
    assert_eq!(
        sample(&own, "fibstack_worker_jobs_total{outcome=\"computed\"}"),
        1.0
    );
    assert_eq!(sample(&own, "fibstack_value_latency_seconds_count"), 1.0);
    assert!(
        sample(&own, "fibstack_value_latency_seconds_sum") >= 1.0,
        "from submission to value, the wait included\n{own}"
    );
    assert_eq!(sample(&own, "fibstack_worker_waiting_for_queue"), 0.0);
}

#[test]
fn the_one_process_serves_its_workers_metrics_with_the_api_s() {
    let stack = TestStack::start(StackOptions::on(Backend::Embedded));
    stack.submit(30);
    stack.wait_done(30, PATIENCE);
    let metrics = get(&stack.api_url("/metrics")).text;
    assert_eq!(
        sample(&metrics, "fibstack_worker_jobs_total{outcome=\"computed\"}"),
        1.0
    );
    assert_eq!(sample(&metrics, "fibstack_cache_bytes"), 6.0);
    assert!(metrics.contains("fibstack_http_requests_total"));
}

/// A submission's trace, from the `traceparent` the caller sent to the log line of the worker
/// that computed its value, and in the api's log of the request.
fn the_trace_of_a_submission_reaches_the_worker_s_log(backend: Backend) {
    let stack = TestStack::start(StackOptions {
        router: false,
        // The api logs each request (with its trace id) at debug.
        env: vec![("RUST_LOG", "info,tower_http=debug".to_owned())],
        ..StackOptions::on(backend)
    });
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let reply = post_json_with(
        &stack.url("/values"),
        r#"{"index": 25000}"#,
        &[("traceparent", &format!("00-{trace_id}-00f067aa0ba902b7-01"))],
    );
    assert_eq!(reply.status, 200);
    // A small index, computed in a batch with others, carries its own trace too.
    stack.submit(31);
    stack.wait_done(25_000, PATIENCE);
    stack.wait_done(31, PATIENCE);
    let computed: Vec<String> = stack
        .worker_logs()
        .lines()
        .filter(|line| line.contains("computed"))
        .map(str::to_owned)
        .collect();
    let traced: Vec<&String> = computed
        .iter()
        .filter(|line| line.contains(trace_id))
        .collect();
    assert!(
        traced.len() == 1 && traced[0].contains("25000"),
        "one computation, F(25000)'s, names the trace:\n{computed:#?}"
    );
    assert!(
        computed
            .iter()
            .any(|line| line.contains("index=31") && line.contains("trace_id=")),
        "a submission without a traceparent starts a trace of its own:\n{computed:#?}"
    );
    let api_log = stack.api.log_text();
    assert!(
        api_log
            .lines()
            .any(|line| line.contains(trace_id) && line.contains("/values")),
        "the api's log of the request names the trace:\n{api_log}"
    );
}

on_both_backends!(the_trace_of_a_submission_reaches_the_worker_s_log);
