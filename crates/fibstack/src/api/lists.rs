//! The list answers (`/values/all`, `/values/current`, `/values`), kept for a moment so that
//! many readers of the same list cost one query between changes.
//!
//! An answer is served again only while nothing changed that this process knows of — its own
//! submissions and every value event forget them all at once (before the event reaches any
//! event stream, so a client that re-reads on an event gets the new list) — and for at most
//! [`FRESH_FOR`], which bounds how late a submission made through another api replica shows.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;

/// How long an answer may be served again when nothing this process knows of has changed.
pub const FRESH_FOR: Duration = Duration::from_secs(1);
/// Answers kept at once (one per list and limit); past it, all are dropped.
const MAX_ENTRIES: usize = 64;
/// Answers larger than this are not kept: a list of big values is rare and costly to hold.
const MAX_BODY: usize = 1 << 20;

/// Which list an answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum List {
    All,
    Current,
    Summaries,
}

/// A list answer as it is sent: its JSON, and for `/values/all` how many submissions there are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub body: Bytes,
    pub total: Option<u64>,
}

impl Answer {
    pub fn json(body: Bytes) -> Answer {
        Answer { body, total: None }
    }
}

#[derive(Debug)]
struct Entry {
    generation: u64,
    stored: Instant,
    answer: Answer,
}

#[derive(Debug)]
pub struct ListCache {
    fresh_for: Duration,
    /// Bumped on every change: an answer computed under an older one is stale.
    generation: AtomicU64,
    entries: Mutex<HashMap<(List, u32), Entry>>,
}

impl Default for ListCache {
    fn default() -> Self {
        ListCache::new(FRESH_FOR)
    }
}

impl ListCache {
    pub fn new(fresh_for: Duration) -> Self {
        ListCache {
            fresh_for,
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Read before computing an answer, and given back with it to [`ListCache::put`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// A kept answer that is still current.
    pub fn get(&self, list: List, limit: u32) -> Option<Answer> {
        let generation = self.generation();
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries
            .get(&(list, limit))
            .filter(|entry| {
                entry.generation == generation && entry.stored.elapsed() < self.fresh_for
            })
            .map(|entry| entry.answer.clone())
    }

    /// Keeps an answer computed from data read after `generation` was taken; an answer
    /// computed while something changed is not kept.
    pub fn put(&self, list: List, limit: u32, generation: u64, answer: Answer) {
        if answer.body.len() > MAX_BODY || generation != self.generation() {
            return;
        }
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            (list, limit),
            Entry {
                generation,
                stored: Instant::now(),
                answer,
            },
        );
    }

    /// Something changed: no kept answer is served again. Called on every submission and
    /// event, so it takes no lock: answers of an older generation are never served, and are
    /// replaced by the next `put` of their list (the entry bounds still hold).
    pub fn forget(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty() -> Answer {
        Answer::json(Bytes::from_static(b"[]"))
    }

    #[test]
    fn an_answer_is_served_again_until_something_changes() {
        let cache = ListCache::default();
        let generation = cache.generation();
        cache.put(List::All, 10, generation, empty());
        assert_eq!(cache.get(List::All, 10), Some(empty()));
        assert_eq!(cache.get(List::All, 11), None, "per limit");
        assert_eq!(cache.get(List::Current, 10), None, "per list");
        cache.forget();
        assert_eq!(cache.get(List::All, 10), None);
    }

    #[test]
    fn an_answer_computed_during_a_change_is_not_kept() {
        let cache = ListCache::default();
        let before = cache.generation();
        cache.forget(); // an event arrives while the answer is being computed
        cache.put(List::All, 10, before, empty());
        assert_eq!(cache.get(List::All, 10), None);
    }

    #[test]
    fn answers_expire_and_stay_few_and_small() {
        let cache = ListCache::new(Duration::from_millis(20));
        cache.put(List::All, 1, 0, empty());
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(cache.get(List::All, 1), None, "expired");

        cache.put(
            List::All,
            1,
            0,
            Answer::json(Bytes::from(vec![b'1'; MAX_BODY + 1])),
        );
        assert_eq!(cache.get(List::All, 1), None, "too large to keep");

        for limit in 0..=MAX_ENTRIES as u32 {
            cache.put(List::Summaries, limit, 0, empty());
        }
        let kept = cache
            .entries
            .lock()
            .map(|entries| entries.len())
            .unwrap_or(0);
        assert!(kept <= MAX_ENTRIES, "{kept} entries");
    }
}
