//! What a worker tells the roster: the values it computed over its last few seconds and how long
//! each took from submission to stored. The loop counts each outcome into the current slice;
//! each report closes the slice and sums the last few.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fibstack_core::roster::{LatencyHistogram, Report, WorkerFigures};

use super::Outcome;

/// Slices summed into a report: with one report a second, the last five seconds.
const SLICES: usize = 5;

/// The current slice, shared by the worker loop and its reporter. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Tally(Arc<Mutex<Slice>>);

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Slice {
    computed: u64,
    latency: LatencyHistogram,
}

impl Tally {
    fn lock(&self) -> std::sync::MutexGuard<'_, Slice> {
        // Every change is a few additions: a panic elsewhere leaves the figures whole.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn record(&self, outcome: &Outcome) {
        if let Outcome::Computed { since_queued, .. } = outcome {
            let mut slice = self.lock();
            slice.computed += 1;
            if let Some(latency) = since_queued {
                slice.latency.observe(*latency);
            }
        }
    }

    /// The slice so far, and a new one begun.
    fn close(&self) -> Slice {
        std::mem::take(&mut *self.lock())
    }

    /// A report of the last few slices each time it is called, closing the current one.
    pub fn reporter(self, waiting_for_queue: WaitingFlag) -> impl FnMut() -> Report + Send {
        let tally = self;
        let mut recent = Recent::default();
        let mut opened = Instant::now();
        move || {
            let now = Instant::now();
            recent.push(now - opened, tally.close());
            opened = now;
            Report::Worker(recent.figures(waiting_for_queue.get()))
        }
    }
}

/// Whether the worker waits for the queue to come back; set by the loop, read by the reporter.
#[derive(Debug, Clone, Default)]
pub struct WaitingFlag(Arc<std::sync::atomic::AtomicBool>);

impl WaitingFlag {
    pub fn set(&self, waiting: bool) {
        self.0.store(waiting, std::sync::atomic::Ordering::Relaxed);
    }

    fn get(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The last [`SLICES`] slices and how long each lasted.
#[derive(Debug, Default)]
struct Recent(VecDeque<(Duration, Slice)>);

impl Recent {
    fn push(&mut self, length: Duration, slice: Slice) {
        if self.0.len() == SLICES {
            self.0.pop_front();
        }
        self.0.push_back((length, slice));
    }

    fn figures(&self, waiting_for_queue: bool) -> WorkerFigures {
        let mut figures = WorkerFigures {
            waiting_for_queue,
            ..WorkerFigures::default()
        };
        for (length, slice) in &self.0 {
            figures.computed += slice.computed;
            figures.window_ms += u64::try_from(length.as_millis()).unwrap_or(u64::MAX);
            figures.latency.add(&slice.latency);
        }
        figures
    }
}

#[cfg(test)]
mod tests {
    use fibstack_core::FibIndex;

    use super::*;

    fn computed(latency_ms: u64) -> Outcome {
        Outcome::Computed {
            index: FibIndex::try_from(7_u64).expect("an index"),
            digits: 2,
            elapsed: Duration::from_micros(5),
            since_queued: Some(Duration::from_millis(latency_ms)),
        }
    }

    #[test]
    fn a_slice_counts_computed_values_and_their_latencies_only() {
        let tally = Tally::default();
        tally.record(&computed(40));
        tally.record(&computed(900));
        tally.record(&Outcome::AlreadyStored {
            index: FibIndex::try_from(7_u64).expect("an index"),
        });
        let slice = tally.close();
        assert_eq!(slice.computed, 2);
        assert_eq!(slice.latency.count(), 2);
        assert_eq!(
            tally.close(),
            Slice::default(),
            "closing begins a new slice"
        );
    }

    #[test]
    fn a_report_sums_the_last_five_slices() {
        let mut recent = Recent::default();
        for n in 1..=7 {
            let mut latency = LatencyHistogram::default();
            latency.observe(Duration::from_millis(n));
            recent.push(
                Duration::from_millis(1000),
                Slice {
                    computed: n,
                    latency,
                },
            );
        }
        let figures = recent.figures(true);
        assert_eq!(
            figures.computed,
            3 + 4 + 5 + 6 + 7,
            "slices 1 and 2 dropped"
        );
        assert_eq!(figures.window_ms, 5000);
        assert_eq!(figures.latency.count(), 5);
        assert_eq!(figures.per_second(), 5.0);
        assert!(figures.waiting_for_queue);
    }
}
