//! The JSON shapes of the HTTP contract (the OpenAPI document the api serves), shared by the api
//! and the web client.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The text the course client shows for an index whose value is not ready.
pub const NOTHING_YET: &str = "Nothing yet!";

/// `POST /values` answer, byte-compatible with the course api.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Working {
    pub working: bool,
}

/// One row of `GET /values/all`, byte-compatible with the course api's `SELECT number`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubmittedNumber {
    pub number: u64,
}

/// `GET /values/current`: index (as a string key) → decimal value or [`NOTHING_YET`].
pub type CurrentValues = BTreeMap<String, String>;

/// Where an index stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ValueStatus {
    /// Submitted; a worker has it or will take it.
    Pending,
    /// Computed and stored.
    Done,
    /// Given up on after repeated failures.
    Failed,
}

/// `GET /values/{index}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValueDetail {
    pub index: u64,
    pub status: ValueStatus,
    /// Decimal digits of the value, once done.
    pub digits: Option<u64>,
    /// The whole value in decimal, once done.
    pub value: Option<String>,
}

/// One row of `GET /values`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValueSummary {
    pub index: u64,
    pub status: ValueStatus,
    pub digits: Option<u64>,
    /// The value, or its first and last digits when it is long.
    pub preview: Option<String>,
    /// When the value was stored, RFC 3339 in UTC (`2026-11-28T03:38:22.605Z`).
    pub computed_at: Option<String>,
}

/// The data of one event on `GET /values/events`: an index changed status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValueEvent {
    pub index: u64,
    pub status: ValueStatus,
    pub digits: Option<u64>,
}

/// `GET /limits`: what this server accepts, so a client can check input by the same rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Limits {
    /// `FIB_MAX_INDEX`: the largest index accepted.
    pub max_index: u64,
}

/// Every error answer: one sentence a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: String,
}

/// `GET /system`: each part of the system and how it is doing, for the page's system view.
/// Every part is read with a short deadline: a part that does not answer in time shows as down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SystemView {
    /// The api replica that answered (its name in `members`).
    pub answered_by: String,
    /// The request came through the router; false when the api serves the page itself
    /// (`fibstack all`).
    pub through_router: bool,
    /// Where submissions are recorded: `postgres` or `embedded`.
    pub submissions: ServiceState,
    /// The queue, the values and their events: `redis` or `embedded`.
    pub values: ServiceState,
    /// The database schema is current.
    pub migrated: bool,
    /// This replica receives value events.
    pub events: bool,
    /// The queue and the cache; `null` while they cannot be read.
    pub queue: Option<QueueView>,
    /// The api replicas and workers that reported within the last minute (at most 64), api
    /// replicas first, then workers, each by name; `null` while the roster cannot be read.
    pub members: Option<Vec<MemberView>>,
    /// Values computed per second by the workers that are up, over their last few seconds.
    pub computed_per_second: f64,
    /// Submission to stored value over the workers' last few seconds; `null` with none computed.
    pub latency_ms: Option<LatencyView>,
}

/// A backing service: what it is and whether it answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceState {
    pub kind: String,
    pub up: bool,
}

/// The queue's length and age, and the cache's size against its bound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueView {
    /// Jobs waiting or running.
    pub jobs: u64,
    /// How long the oldest of them has been queued; `null` with an empty queue.
    pub oldest_job_age_ms: Option<u64>,
    /// Bytes of decimal values cached.
    pub cache_bytes: u64,
    /// `FIB_CACHE_BYTES`: past it the oldest values are evicted.
    pub cache_budget_bytes: u64,
}

/// What a member of the system is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MemberRole {
    Api,
    Worker,
}

/// One api replica or worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberView {
    pub name: String,
    pub role: MemberRole,
    /// It reported within the last 3 s; a member silent for longer was stopped, is stuck, or is
    /// cut off.
    pub up: bool,
    /// Since its last report.
    pub silent_ms: u64,
    /// Workers: values computed per second over their last few seconds.
    pub computed_per_second: Option<f64>,
    /// Workers: submission to stored value over their last few seconds.
    pub latency_ms: Option<LatencyView>,
    /// Workers: it cannot read the queue and waits to try again.
    pub waiting_for_queue: bool,
    /// Api replicas: the event streams it holds open.
    pub event_streams: Option<u64>,
}

/// Recent latency percentiles, in milliseconds, exact to a power-of-two bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LatencyView {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    /// Values the percentiles are drawn from.
    pub samples: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn course_shapes_are_byte_compatible() {
        let working = serde_json::to_string(&Working { working: true }).ok();
        assert_eq!(working.as_deref(), Some(r#"{"working":true}"#));
        let rows = serde_json::to_string(&[SubmittedNumber { number: 7 }]).ok();
        assert_eq!(rows.as_deref(), Some(r#"[{"number":7}]"#));
    }

    #[test]
    fn status_is_lowercase_on_the_wire() {
        let event = ValueEvent {
            index: 7,
            status: ValueStatus::Done,
            digits: Some(2),
        };
        let text = serde_json::to_string(&event).ok();
        assert_eq!(
            text.as_deref(),
            Some(r#"{"index":7,"status":"done","digits":2}"#)
        );
    }
}
