//! Every key and channel the system uses. The scripts touch several keys at once, so every name
//! carries the hash tag `{fib}`: in a Redis Cluster they all live in one slot, on one shard, and
//! no script or pipeline crosses slots. (The data is a bounded cache and a queue: one shard holds
//! it; the cluster gives failover, not room.) Public so that tools and tests that look inside Redis
//! name the same keys.

use fibstack_core::FibIndex;

/// The job stream.
pub const JOBS: &str = "{fib}:jobs";
/// The consumer group all workers join.
pub const GROUP: &str = "workers";
/// Sorted set of cached indexes by the time they were stored: the eviction order.
pub const STORED_ORDER: &str = "{fib}:stored";
/// Total bytes of cached decimal values.
pub const CACHE_BYTES: &str = "{fib}:cache_bytes";
/// Pub/Sub channel of [`fibstack_core::http::ValueEvent`]s.
pub const EVENTS: &str = "{fib}:events";
/// Counter of jobs handed out again after their worker went quiet.
pub const REDELIVERIES: &str = "{fib}:redeliveries";
/// Counter of computed values that were stored already: the work redeliveries cost.
pub const STORED_AGAIN: &str = "{fib}:stored_again";
/// Sorted set of the api replicas and workers by when each last reported (Redis's time, ms).
pub const MEMBERS: &str = "{fib}:members";
/// Hash of each member's latest report.
pub const MEMBER_REPORTS: &str = "{fib}:member_reports";
/// Prefix of value hashes (`{fib}:value:7`), used by the eviction loop inside the store script.
pub const VALUE_PREFIX: &str = "{fib}:value:";

/// The failure hash and queued marker of a stream entry without a readable index.
pub const FAILED_UNREADABLE: &str = "{fib}:failed:unreadable";
pub const QUEUED_UNREADABLE: &str = "{fib}:queued:unreadable";

/// Hash `{value, digits, preview, at}` of a computed value.
pub fn value(index: FibIndex) -> String {
    format!("{VALUE_PREFIX}{index}")
}

/// The stream entry id of the job queued for an index, while it is queued.
pub fn queued(index: FibIndex) -> String {
    format!("{{fib}}:queued:{index}")
}

/// Hash `{reason, at}` of an index given up on; expires so it can be tried again later.
pub fn failed(index: FibIndex) -> String {
    format!("{{fib}}:failed:{index}")
}
