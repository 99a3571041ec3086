//! What operators read in the metrics: the queue's oldest job and the cache's size from the api,
//! what each worker did from the worker itself (or from the one process, which runs both).

use std::time::Duration;

use crate::support::http::get;
use crate::support::{Backend, StackOptions, TestStack, sample};

const PATIENCE: Duration = Duration::from_secs(20);

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
        sample::<f64>(&api(&stack), "fibstack_queue_oldest_job_age_seconds"),
        0.0
    );
    stack.submit(30);
    std::thread::sleep(Duration::from_millis(1_200));
    let waiting = api(&stack);
    assert!(
        sample::<f64>(&waiting, "fibstack_queue_oldest_job_age_seconds") >= 1.0,
        "no worker runs: the job has waited over a second\n{waiting}"
    );
    assert_eq!(sample::<f64>(&waiting, "fibstack_cache_bytes"), 0.0);
    assert!(sample::<f64>(&waiting, "fibstack_cache_budget_bytes") > 0.0);

    let worker = stack.start_worker();
    stack.wait_done(30, PATIENCE);
    let done = api(&stack);
    assert_eq!(
        sample::<f64>(&done, "fibstack_queue_oldest_job_age_seconds"),
        0.0
    );
    assert_eq!(
        sample::<f64>(&done, "fibstack_cache_bytes"),
        6.0,
        "F(30) = 832040"
    );
    let own = stack.worker_metrics(worker);
    assert_eq!(
        sample::<f64>(&own, "fibstack_worker_jobs_total{outcome=\"computed\"}"),
        1.0
    );
    assert_eq!(
        sample::<f64>(&own, "fibstack_value_latency_seconds_count"),
        1.0
    );
    assert!(
        sample::<f64>(&own, "fibstack_value_latency_seconds_sum") >= 1.0,
        "from submission to value, the wait included\n{own}"
    );
    assert_eq!(
        sample::<f64>(&own, "fibstack_worker_waiting_for_queue"),
        0.0
    );
}

#[test]
fn the_one_process_serves_its_workers_metrics_with_the_api_s() {
    let stack = TestStack::start(StackOptions::on(Backend::Embedded));
    stack.submit(30);
    stack.wait_done(30, PATIENCE);
    let metrics = get(&stack.api_url("/metrics")).text;
    assert_eq!(
        sample::<f64>(&metrics, "fibstack_worker_jobs_total{outcome=\"computed\"}"),
        1.0
    );
    assert_eq!(sample::<f64>(&metrics, "fibstack_cache_bytes"), 6.0);
    assert!(metrics.contains("fibstack_http_requests_total"));
}
