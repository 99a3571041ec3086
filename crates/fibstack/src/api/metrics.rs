//! Prometheus metrics: requests by route and status, latency, submissions, open streams.

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
}

fn latency_histogram() -> Histogram {
    // 100 µs to about 3 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
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
        }
    }
}

impl Metrics {
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
