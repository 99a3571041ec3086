//! The Redis backend against the checks every queue backend must pass (the embedded store's
//! tests run the same ones), each on a Redis of its own.

use std::time::Duration;

use fibstack_core::IndexPolicy;
use fibstack_core::conformance::{self, QUEUE_LIMIT};
use fibstack_core::roster::{FORGET_AFTER, Report, Roster};
use fibstack_core::store::QueuePolicy;
use fibstack_redis::{JobStream, JobStreamSettings, RedisConfig, RedisRoster, ValueCache, keys};

use crate::support::redis::TestRedis;

/// Runs `body` on a runtime of its own, with a fresh Redis and the settings that reach it.
fn with_redis(body: impl AsyncFnOnce(RedisConfig, &TestRedis)) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let redis = TestRedis::start(dir.path());
    let config = RedisConfig::plain("127.0.0.1", redis.port);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(body(config, &redis));
}

/// Runs `check` on a fresh Redis, through the api's value cache and one worker's job stream.
fn on_redis(check: impl AsyncFnOnce(&ValueCache, &mut JobStream)) {
    with_redis(async move |config, _| {
        let values = ValueCache::new(
            config.shared_connection().expect("a connection"),
            QUEUE_LIMIT,
        );
        let settings = JobStreamSettings {
            consumer: "conformance".to_owned(),
            block: Duration::from_millis(50),
            queue: QueuePolicy {
                queue_limit: QUEUE_LIMIT,
                reclaim_idle: Duration::from_secs(60),
                max_deliveries: 3,
                failure_memory: Duration::from_secs(60),
                cache_budget: 1_000,
            },
        };
        let mut jobs = JobStream::new(config, settings, IndexPolicy::default()).expect("a stream");
        check(&values, &mut jobs).await;
    });
}

#[test]
#[ignore = "needs Redis (scripts/test runs it)"]
fn the_redis_queue_decides_as_every_backend_must() {
    on_redis(async |values, jobs| conformance::queue_decisions(values, jobs).await);
}

#[test]
#[ignore = "needs Redis (scripts/test runs it)"]
fn the_redis_queue_reports_its_figures_as_every_backend_must() {
    on_redis(async |values, jobs| conformance::queue_figures(values, jobs).await);
}

#[test]
#[ignore = "needs Redis (scripts/test runs it)"]
fn the_redis_store_keeps_a_value_once_as_every_backend_must() {
    on_redis(async |values, jobs| conformance::a_value_is_stored_once(values, jobs).await);
}

#[test]
#[ignore = "needs Redis (scripts/test runs it)"]
fn a_redis_job_carries_its_trace_as_every_backend_must() {
    on_redis(async |values, jobs| conformance::a_job_carries_its_trace(values, jobs).await);
}

/// Runs `check` on a roster in a fresh Redis that forgets silent members after `forget_after`.
fn on_redis_roster(forget_after: Duration, check: impl AsyncFnOnce(&RedisRoster, &TestRedis)) {
    with_redis(async move |config, redis| {
        let connection = config.shared_connection().expect("a connection");
        check(
            &RedisRoster::forgetting_after(connection, forget_after),
            redis,
        )
        .await;
    });
}

#[test]
#[ignore = "needs Redis (scripts/test runs it)"]
fn the_redis_roster_lists_members_as_every_roster_must() {
    on_redis_roster(FORGET_AFTER, async |roster, _| {
        conformance::roster_members(roster).await;
    });
}

#[test]
#[ignore = "needs Redis (scripts/test runs it)"]
fn the_redis_roster_forgets_a_member_silent_for_too_long() {
    let forget_after = Duration::from_millis(300);
    on_redis_roster(forget_after, async |roster, redis| {
        let api = Report::Api { event_streams: 0 };
        roster.report("killed", &api).await.expect("reported");
        // The roster's clock is Redis's: nothing to move but time itself.
        tokio::time::sleep(forget_after + Duration::from_millis(100)).await;
        roster.report("alive", &api).await.expect("reported");
        let names: Vec<String> = roster
            .members()
            .await
            .expect("listed")
            .into_iter()
            .map(|member| member.name)
            .collect();
        assert_eq!(names, ["alive"], "the silent member is forgotten");
        let reports: u64 = redis::cmd("HLEN")
            .arg(keys::MEMBER_REPORTS)
            .query(&mut redis.connection())
            .expect("a count");
        assert_eq!(reports, 1, "its report went with it");
    });
}
