//! The worker's own metrics: what became of each job, how long computing took, and how long a
//! value took from its submission to being stored. Served on the worker's `/metrics`, or beside
//! the api's in the all-in-one process. Cheap to clone: every clone counts into the same series.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::Outcome;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone)]
pub struct WorkerMetrics {
    jobs: Family<OutcomeLabels, Counter>,
    compute_seconds: Histogram,
    value_latency_seconds: Histogram,
    waiting_for_queue: Gauge,
}

impl Default for WorkerMetrics {
    fn default() -> Self {
        WorkerMetrics {
            jobs: Family::default(),
            // 10 µs to about 80 s: F(20) to F(10^8).
            compute_seconds: Histogram::new(exponential_buckets(0.000_01, 4.0, 12)),
            // 1 ms to about 130 s.
            value_latency_seconds: Histogram::new(exponential_buckets(0.001, 2.0, 18)),
            waiting_for_queue: Gauge::default(),
        }
    }
}

impl WorkerMetrics {
    /// Registers every series under `registry`'s prefix (`fibstack_worker_…`, `fibstack_value_…`).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "worker_jobs",
            "Deliveries of jobs by what became of them: computed, already_stored, failed, \
             not_stored, crashed",
            self.jobs.clone(),
        );
        registry.register(
            "worker_compute_seconds",
            "Time to compute one value",
            self.compute_seconds.clone(),
        );
        registry.register(
            "value_latency_seconds",
            "Time from a job's submission to its value being stored",
            self.value_latency_seconds.clone(),
        );
        registry.register(
            "worker_waiting_for_queue",
            "1 while this process cannot read jobs from the queue and waits to try again",
            self.waiting_for_queue.clone(),
        );
    }

    /// A registry of the worker's series alone, for its own `/metrics`.
    pub fn registry(&self) -> Registry {
        let mut registry = Registry::with_prefix("fibstack");
        self.register(&mut registry);
        registry
    }

    pub fn record(&self, outcome: &Outcome) {
        let label = match outcome {
            Outcome::Computed {
                elapsed,
                since_queued,
                ..
            } => {
                self.compute_seconds.observe(elapsed.as_secs_f64());
                if let Some(latency) = since_queued {
                    self.value_latency_seconds.observe(latency.as_secs_f64());
                }
                "computed"
            }
            Outcome::AlreadyStored { .. } => "already_stored",
            Outcome::Failed { .. } => "failed",
            Outcome::NotStored { .. } => "not_stored",
            Outcome::Crashed { .. } => "crashed",
        };
        self.jobs
            .get_or_create(&OutcomeLabels { outcome: label })
            .inc();
    }

    pub fn set_waiting_for_queue(&self, waiting: bool) {
        self.waiting_for_queue.set(i64::from(waiting));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use fibstack_core::FibIndex;

    use super::*;

    fn encoded(metrics: &WorkerMetrics) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &metrics.registry())
            .expect("encodes into a string");
        text
    }

    #[test]
    fn outcomes_are_counted_by_kind_and_latency_observed_where_known() {
        let metrics = WorkerMetrics::default();
        let index = FibIndex::try_from(7_u64).expect("an index");
        let computed = |since_queued| Outcome::Computed {
            index,
            digits: 2,
            elapsed: Duration::from_micros(20),
            since_queued,
        };
        metrics.record(&computed(Some(Duration::from_millis(300))));
        metrics.record(&computed(None));
        metrics.record(&Outcome::AlreadyStored { index });
        metrics.set_waiting_for_queue(true);
        let text = encoded(&metrics);
        for line in [
            "fibstack_worker_jobs_total{outcome=\"computed\"} 2",
            "fibstack_worker_jobs_total{outcome=\"already_stored\"} 1",
            "fibstack_worker_compute_seconds_count 2",
            "fibstack_value_latency_seconds_count 1",
            "fibstack_value_latency_seconds_sum 0.3",
            "fibstack_worker_waiting_for_queue 1",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
        }
    }
}
