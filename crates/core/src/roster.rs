//! Who is running: every api replica and worker reports itself each [`REPORT_EVERY`] to a roster
//! kept beside the queue (in Redis, or in process), and the api reads it for the system view.
//!
//! A member that stops cleanly leaves the roster; one that is killed falls silent, shows as
//! silent, and is forgotten [`FORGET_AFTER`] its last report. The roster never holds more than
//! [`MAX_MEMBERS`]: the quietest go first.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::backend_error::BackendError;
use crate::clock::Clock;

/// How often each member reports.
pub const REPORT_EVERY: Duration = Duration::from_secs(1);
/// A member silent for longer than this is shown as silent (stopped, stuck or cut off).
pub const SILENT_AFTER: Duration = Duration::from_secs(3);
/// A member silent for this long is dropped from the roster.
pub const FORGET_AFTER: Duration = Duration::from_secs(60);
/// Members kept, at most.
pub const MAX_MEMBERS: usize = 64;

/// What a member says of itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum Report {
    /// An api replica, with the event streams it holds open.
    Api { event_streams: u64 },
    /// A worker, with what it did over its last few seconds.
    Worker(WorkerFigures),
}

/// A worker's recent work.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkerFigures {
    /// Values computed and stored within the window.
    pub computed: u64,
    /// The window's length, in milliseconds.
    pub window_ms: u64,
    /// Submission to stored value, of the values computed within the window.
    pub latency: LatencyHistogram,
    /// The worker cannot read the queue and waits to try again.
    pub waiting_for_queue: bool,
}

impl WorkerFigures {
    /// Values computed per second over the window.
    pub fn per_second(&self) -> f64 {
        if self.window_ms == 0 {
            0.0
        } else {
            self.computed as f64 * 1000.0 / self.window_ms as f64
        }
    }
}

/// A member as the roster knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub name: String,
    pub report: Report,
    /// Since its last report, by the roster's clock.
    pub silent_for: Duration,
}

/// Where members report and the api reads them.
#[async_trait]
pub trait Roster: Send + Sync + std::fmt::Debug {
    /// Records `report` as `name`'s latest, forgetting members silent for [`FORGET_AFTER`].
    async fn report(&self, name: &str, report: &Report) -> Result<(), BackendError>;
    /// Removes `name`: it stopped cleanly.
    async fn leave(&self, name: &str) -> Result<(), BackendError>;
    /// Every member heard from within [`FORGET_AFTER`], most recently heard first, at most
    /// [`MAX_MEMBERS`].
    async fn members(&self) -> Result<Vec<Member>, BackendError>;
}

/// Buckets of a latency histogram: bucket `i` counts latencies up to 2^i ms (1 ms to about
/// 131 s); the last counts longer ones. Fixed bounds, so the histograms of several workers add up
/// into one, and percentiles across workers are exact to a bucket.
const BUCKETS: usize = 19;

/// Latencies counted into power-of-two millisecond buckets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LatencyHistogram([u64; BUCKETS]);

impl LatencyHistogram {
    pub fn observe(&mut self, latency: Duration) {
        let millis = latency.as_millis().max(1);
        // The smallest i with millis <= 2^i.
        let bucket = (u128::BITS - (millis - 1).leading_zeros()) as usize;
        self.0[bucket.min(BUCKETS - 1)] += 1;
    }

    pub fn add(&mut self, other: &LatencyHistogram) {
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            *mine += theirs;
        }
    }

    pub fn count(&self) -> u64 {
        self.0.iter().sum()
    }

    /// The `q`-quantile in milliseconds, interpolated within its bucket; `None` when empty.
    /// Past the last bound it is that bound: "over 131 s".
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = q.clamp(0.0, 1.0) * total as f64;
        let mut below = 0;
        for (bucket, &count) in self.0.iter().enumerate() {
            let upper = (1_u64 << bucket.min(BUCKETS - 2)) as f64;
            if bucket == BUCKETS - 1 {
                return Some(upper);
            }
            if count > 0 && (below + count) as f64 >= rank {
                let lower = if bucket == 0 { 0.0 } else { upper / 2.0 };
                let within = (rank - below as f64) / count as f64;
                return Some(lower + (upper - lower) * within);
            }
            below += count;
        }
        None
    }
}

/// The roster of one process: the all-in-one binary's workers and its api, and tests.
#[derive(Debug)]
pub struct LocalRoster {
    clock: Arc<dyn Clock>,
    members: Mutex<HashMap<String, (std::time::SystemTime, Report)>>,
}

impl LocalRoster {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        LocalRoster {
            clock,
            members: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (std::time::SystemTime, Report)>> {
        // A panic elsewhere leaves the map whole: every change is one insert or remove.
        self.members
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn listed(&self) -> Vec<Member> {
        let now = self.clock.now();
        let mut members: Vec<Member> = self
            .lock()
            .iter()
            .map(|(name, (at, report))| Member {
                name: name.clone(),
                report: report.clone(),
                silent_for: now.duration_since(*at).unwrap_or_default(),
            })
            .filter(|member| member.silent_for < FORGET_AFTER)
            .collect();
        members.sort_by(|a, b| a.silent_for.cmp(&b.silent_for).then(a.name.cmp(&b.name)));
        members.truncate(MAX_MEMBERS);
        members
    }
}

#[async_trait]
impl Roster for LocalRoster {
    async fn report(&self, name: &str, report: &Report) -> Result<(), BackendError> {
        let now = self.clock.now();
        let mut members = self.lock();
        members.insert(name.to_owned(), (now, report.clone()));
        members.retain(|_, (at, _)| now.duration_since(*at).unwrap_or_default() < FORGET_AFTER);
        while members.len() > MAX_MEMBERS {
            // Never the member reporting now, even when the clock has not moved since others.
            let quietest = members
                .iter()
                .filter(|(other, _)| other.as_str() != name)
                .min_by_key(|(_, (at, _))| *at)
                .map(|(name, _)| name.clone());
            match quietest {
                Some(name) => members.remove(&name),
                None => break,
            };
        }
        Ok(())
    }

    async fn leave(&self, name: &str) -> Result<(), BackendError> {
        self.lock().remove(name);
        Ok(())
    }

    async fn members(&self) -> Result<Vec<Member>, BackendError> {
        Ok(self.listed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::conformance::block_on;

    fn latencies(millis: &[u64]) -> LatencyHistogram {
        let mut histogram = LatencyHistogram::default();
        for &ms in millis {
            histogram.observe(Duration::from_millis(ms));
        }
        histogram
    }

    #[test]
    fn latencies_fall_into_power_of_two_buckets() {
        let histogram = latencies(&[0, 1, 2, 3, 4, 5, 1000, 200_000]);
        // <=1: 0 and 1; <=2: 2; <=4: 3, 4; <=8: 5; <=1024: 1000; over 131 s: 200 s.
        let mut expected = [0; BUCKETS];
        expected[0] = 2;
        expected[1] = 1;
        expected[2] = 2;
        expected[3] = 1;
        expected[10] = 1;
        expected[BUCKETS - 1] = 1;
        assert_eq!(histogram, LatencyHistogram(expected));
    }

    #[test]
    fn quantiles_interpolate_within_their_bucket() {
        // 90 within 64 ms (bucket 33..64), 10 within 1024 ms (513..1024).
        let histogram = latencies(&[[50; 90].as_slice(), &[600; 10]].concat());
        assert_eq!(histogram.quantile_ms(0.0), Some(32.0));
        assert_eq!(
            histogram.quantile_ms(0.45),
            Some(48.0),
            "halfway through the 90"
        );
        assert_eq!(
            histogram.quantile_ms(0.95),
            Some(768.0),
            "halfway through the 10"
        );
        assert_eq!(histogram.quantile_ms(1.0), Some(1024.0));
        assert_eq!(LatencyHistogram::default().quantile_ms(0.5), None);
        assert_eq!(latencies(&[500_000]).quantile_ms(0.5), Some(131_072.0));
    }

    #[test]
    fn histograms_of_several_workers_add_up() {
        let mut all = latencies(&[10, 20]);
        all.add(&latencies(&[30, 3000]));
        assert_eq!(all, latencies(&[10, 20, 30, 3000]));
        assert_eq!(all.count(), 4);
    }

    #[test]
    fn a_rate_is_computations_over_the_window() {
        let figures = WorkerFigures {
            computed: 30,
            window_ms: 5000,
            ..WorkerFigures::default()
        };
        assert_eq!(figures.per_second(), 6.0);
        assert_eq!(WorkerFigures::default().per_second(), 0.0);
    }

    #[test]
    fn reports_round_trip_as_json_tagged_by_role() {
        let worker = Report::Worker(WorkerFigures {
            computed: 3,
            window_ms: 1000,
            latency: latencies(&[5]),
            waiting_for_queue: false,
        });
        let text = serde_json::to_string(&worker).expect("encodes");
        assert!(
            text.starts_with(r#"{"role":"worker","computed":3"#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<Report>(&text).ok(), Some(worker));
        let api = Report::Api { event_streams: 2 };
        let text = serde_json::to_string(&api).expect("encodes");
        assert_eq!(text, r#"{"role":"api","event_streams":2}"#);
    }

    #[test]
    fn the_local_roster_forgets_the_silent_and_keeps_a_bounded_list() {
        block_on(forgets_the_silent());
    }

    async fn forgets_the_silent() {
        let clock = Arc::new(ManualClock::new());
        crate::conformance::roster_members(&LocalRoster::new(clock.clone())).await;

        let roster = LocalRoster::new(clock.clone());
        roster
            .report("old", &Report::Api { event_streams: 0 })
            .await
            .expect("reported");
        clock.advance(FORGET_AFTER - Duration::from_secs(1));
        roster
            .report("new", &Report::Api { event_streams: 0 })
            .await
            .expect("reported");
        let names = |members: Vec<Member>| members.into_iter().map(|m| m.name).collect::<Vec<_>>();
        let members = roster.members().await.expect("listed");
        assert_eq!(members[1].silent_for, FORGET_AFTER - Duration::from_secs(1));
        assert_eq!(names(members), ["new", "old"]);
        clock.advance(Duration::from_secs(1));
        assert_eq!(names(roster.members().await.expect("listed")), ["new"]);
    }
}
