//! Prometheus metrics: requests by route and status, latency, submissions, open streams.

use std::sync::atomic::AtomicU64;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::state::AppState;
use crate::worker::WorkerMetrics;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: LatencyFamily,
    pub submissions: Family<OutcomeLabels, Counter>,
    pub open_streams: Gauge,
    pub queued_jobs: Gauge,
    pub redeliveries: Gauge,
    pub stored_again: Gauge,
    pub oldest_job_age: Gauge<f64, AtomicU64>,
    pub cache_bytes: Gauge,
    /// `FIB_CACHE_BYTES`, which `cache_bytes` is read against.
    pub cache_budget: u64,
}

fn latency_histogram() -> Histogram {
    // 100 µs to about 3 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new(0, None)
    }
}

impl Metrics {
    /// The api's series, the cache's budget, and the in-process workers' series if any.
    pub fn new(cache_budget: u64, workers: Option<&WorkerMetrics>) -> Self {
        let mut registry = Registry::with_prefix("fibstack");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        let submissions = Family::<OutcomeLabels, Counter>::default();
        let open_streams = Gauge::default();
        let queued_jobs = Gauge::default();
        let redeliveries = Gauge::default();
        let stored_again = Gauge::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request (event streams: time to open)",
            latency.clone(),
        );
        registry.register(
            "submissions",
            "Accepted submissions by what happened to their job",
            submissions.clone(),
        );
        registry.register(
            "event_streams_open",
            "Open event streams",
            open_streams.clone(),
        );
        registry.register(
            "queue_jobs",
            "Jobs waiting or running in the queue (read when scraped)",
            queued_jobs.clone(),
        );
        registry.register(
            "job_redeliveries",
            "Jobs handed out again after their worker stopped, ever (read when scraped)",
            redeliveries.clone(),
        );
        let oldest_job_age = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "queue_oldest_job_age_seconds",
            "How long the oldest job waiting or running has been queued; 0 with an empty queue \
             (read when scraped)",
            oldest_job_age.clone(),
        );
        let cache_bytes = Gauge::default();
        registry.register(
            "cache_bytes",
            "Bytes of decimal values in the cache (read when scraped)",
            cache_bytes.clone(),
        );
        let budget = Gauge::<i64>::default();
        budget.set(i64::try_from(cache_budget).unwrap_or(i64::MAX));
        registry.register(
            "cache_budget_bytes",
            "Bytes of values the cache keeps before it evicts the oldest (FIB_CACHE_BYTES)",
            budget,
        );
        if let Some(workers) = workers {
            workers.register(&mut registry);
        }
        registry.register(
            "values_stored_again",
            "Computed values that were stored already, ever: the work redeliveries cost; never \
             more than job_redeliveries (read when scraped)",
            stored_again.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            submissions,
            open_streams,
            queued_jobs,
            redeliveries,
            stored_again,
            oldest_job_age,
            cache_bytes,
            cache_budget,
        }
    }

    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// Counts and times every request under its route template (`/values/{index}`), so the number
/// of series stays bounded whatever paths clients send.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let metrics = &state.metrics;
    metrics
        .latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Every sample name the api and the workers export: `# TYPE` names, with the suffixes
    /// their kind adds. (A labelled family is only written once it has a series.)
    fn exported() -> BTreeSet<String> {
        let workers = WorkerMetrics::default();
        workers.record(&crate::worker::Outcome::AlreadyStored {
            index: fibstack_core::FibIndex::try_from(1_u64).expect("an index"),
        });
        let metrics = Metrics::new(1, Some(&workers));
        let route = RouteLabels {
            route: "/values".to_owned(),
        };
        metrics.latency.get_or_create(&route).observe(0.1);
        let request = RequestLabels {
            method: "GET".to_owned(),
            route: route.route,
            status: 200,
        };
        metrics.requests.get_or_create(&request).inc();
        let outcome = OutcomeLabels { outcome: "queued" };
        metrics.submissions.get_or_create(&outcome).inc();
        let text = metrics.encode();
        let mut names = BTreeSet::new();
        for line in text.lines() {
            let Some(declared) = line.strip_prefix("# TYPE ") else {
                continue;
            };
            let (name, kind) = declared.split_once(' ').expect("# TYPE name kind");
            let suffixes: &[&str] = match kind {
                "counter" => &["_total"],
                "histogram" => &["_bucket", "_sum", "_count"],
                _ => &[""],
            };
            names.extend(suffixes.iter().map(|suffix| format!("{name}{suffix}")));
        }
        names
    }

    /// The `fibstack_…` names a file mentions (recorded series are named `fibstack:…`).
    fn mentioned(file: &str) -> BTreeSet<String> {
        let path = format!(
            "{}/../../deploy/monitoring/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        text.match_indices("fibstack_")
            .filter(|(at, _)| {
                // A name starts here, not inside another (`instance:fibstack_computed:rate1m`).
                !text[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
            })
            .map(|(at, _)| {
                let rest = &text[at..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                rest[..end].to_owned()
            })
            .collect()
    }

    #[test]
    fn the_alerts_and_the_dashboard_read_only_series_that_exist() {
        let exported = exported();
        assert!(
            exported.contains("fibstack_worker_jobs_total"),
            "{exported:?}"
        );
        for file in [
            "rules.yml",
            "rules.test.yml",
            "grafana/dashboards/fibstack.json",
        ] {
            let mentioned = mentioned(file);
            assert!(!mentioned.is_empty(), "{file} names no series");
            let unknown: Vec<_> = mentioned.difference(&exported).collect();
            assert!(
                unknown.is_empty(),
                "{file} reads series nothing exports: {unknown:?}\nexported: {exported:?}"
            );
        }
    }
}
