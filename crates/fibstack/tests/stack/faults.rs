//! Faults a real deployment meets: workers killed mid-job, Redis wiped by a restart, Postgres
//! stopped, a job that keeps failing.

use std::collections::HashMap;
use std::time::Duration;

use fibstack_redis::keys;

use crate::support::http::{EventStream, get};
use crate::support::process::wait_for;
use crate::support::slow_job::{SLOW_INDEX, slow_job_env};
use crate::support::{StackOptions, TestStack};

const PATIENCE: Duration = Duration::from_secs(30);

fn fast_reclaim(extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut env = vec![("FIB_RECLAIM_IDLE_MS", "1000".to_owned())];
    env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    env
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn a_worker_killed_mid_job_loses_nothing() {
    let mut stack = TestStack::start(StackOptions {
        router: false,
        env: slow_job_env(),
        ..StackOptions::default()
    });
    stack.kill_the_worker_inside_the_slow_job();

    // Submitted while no worker runs.
    for index in 1..=20u64 {
        assert_eq!(stack.submit(index).status, 200);
    }
    assert_eq!(
        stack.redis().queue_length(),
        21,
        "the killed job is still in the queue"
    );

    stack.start_worker();
    for index in 1..=20u64 {
        stack.wait_done(index, PATIENCE);
    }
    stack.wait_slow_job_done();
    assert_eq!(
        stack.redis().queue_length(),
        0,
        "every job was acknowledged"
    );
    assert_eq!(
        stack.metric("fibstack_job_redeliveries"),
        1,
        "the killed worker's job was handed out once more, and counted"
    );
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn two_workers_share_200_jobs_and_compute_each_once() {
    let stack = TestStack::start(StackOptions {
        workers: 2,
        router: false,
        env: vec![("LOG_FORMAT", "json".to_owned())],
        ..StackOptions::default()
    });
    let listener = EventStream::open(&stack.api_url("/values/events"));
    listener.next_named("ready", PATIENCE).expect("subscribed");
    for index in 0..200u64 {
        assert_eq!(stack.submit(index).status, 200);
    }
    let mut done: HashMap<u64, u32> = HashMap::new();
    while done.len() < 200 {
        let event = listener
            .next_named("value", PATIENCE)
            .unwrap_or_else(|| panic!("only {} of 200 values arrived", done.len()));
        let data: serde_json::Value = serde_json::from_str(&event.data).expect("JSON");
        *done
            .entry(data["index"].as_u64().expect("an index"))
            .or_default() += 1;
    }
    // Each value announced once, and each computed once across both workers' logs.
    assert!(done.values().all(|&n| n == 1), "announced twice: {done:?}");
    assert!(
        listener
            .next_named("value", Duration::from_millis(500))
            .is_none()
    );
    let mut computed: HashMap<u64, u32> = HashMap::new();
    for line in stack.worker_logs().lines() {
        let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if entry["message"] == "computed" {
            let index = entry["index"]
                .as_str()
                .and_then(|i| i.parse().ok())
                .expect("index");
            *computed.entry(index).or_default() += 1;
        }
    }
    assert_eq!(computed.len(), 200, "every job computed");
    assert!(
        computed.values().all(|&n| n == 1),
        "computed twice: {computed:?}"
    );
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn a_worker_holds_no_job_behind_a_long_computation() {
    let mut stack = TestStack::start(StackOptions {
        workers: 0,
        router: false,
        env: slow_job_env(),
        ..StackOptions::default()
    });
    // Queued together: two small jobs, the slow one, two more small ones.
    for index in [1, 2, SLOW_INDEX, 3, 4] {
        assert_eq!(stack.submit(index).status, 200);
    }
    stack.start_worker();
    // The first worker takes the jobs waiting together, up to the slow one, which it keeps
    // computing; the two behind it stay in the queue, unclaimed, for any other worker.
    wait_for(
        "the first worker to be inside the slow job",
        PATIENCE,
        || {
            let small_ones_done = [1, 2].iter().all(|&index| {
                get(&stack.url(&format!("/values/{index}"))).json()["status"] == "done"
            });
            (small_ones_done && stack.redis().pending_jobs() == 1).then_some(())
        },
    );
    assert_eq!(
        stack.redis().queue_length(),
        3,
        "the slow job and the two after it"
    );
    stack.start_worker();
    for index in [3, 4] {
        stack.wait_done(index, PATIENCE);
    }
    assert_eq!(
        get(&stack.url(&format!("/values/{SLOW_INDEX}"))).json()["status"],
        "pending",
        "the second worker took them while the first still computed"
    );
    stack.wait_slow_job_done();
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn a_job_that_keeps_failing_is_marked_failed_not_retried_for_ever() {
    let mut stack = TestStack::start(StackOptions {
        workers: 0,
        router: false,
        env: fast_reclaim(&[("FIB_MAX_DELIVERIES", "2")]),
        ..StackOptions::default()
    });
    assert_eq!(stack.submit(12).status, 200);
    // Two workers take the job and die without a word: simulate them with raw commands.
    let mut redis = stack.redis().connection();
    let _: redis::Value = redis::cmd("XREADGROUP")
        .arg(&[
            "GROUP",
            keys::GROUP,
            "ghost-1",
            "COUNT",
            "1",
            "STREAMS",
            keys::JOBS,
            ">",
        ])
        .query(&mut redis)
        .expect("ghost-1 takes the job");
    let _: redis::Value = redis::cmd("XAUTOCLAIM")
        .arg(&[keys::JOBS, keys::GROUP, "ghost-2", "0", "0-0", "COUNT", "1"])
        .query(&mut redis)
        .expect("ghost-2 takes it over");
    // And an entry nobody can read.
    let _: String = redis::cmd("XADD")
        .arg(&[keys::JOBS, "*", "index", "banana"])
        .query(&mut redis)
        .expect("XADD");

    let listener = EventStream::open(&stack.api_url("/values/events"));
    listener.next_named("ready", PATIENCE).expect("subscribed");
    stack.start_worker();

    let event = listener
        .next_named("value", PATIENCE)
        .expect("the failure is announced");
    assert!(
        event.data.contains(r#""status":"failed""#),
        "{}",
        event.data
    );
    let detail = get(&stack.api_url("/values/12")).json();
    assert_eq!(detail["status"], "failed");
    wait_for("the queue to empty", PATIENCE, || {
        (stack.redis().queue_length() == 0).then_some(())
    });

    // Submitting it again while the failure is remembered does not queue it again.
    assert_eq!(stack.submit(12).status, 200);
    assert_eq!(stack.redis().queue_length(), 0);
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn redis_restarts_give_503s_meanwhile_and_the_stack_recovers_by_itself() {
    let mut stack = TestStack::start(StackOptions {
        router: false,
        env: fast_reclaim(&[]),
        ..StackOptions::default()
    });
    stack.submit(20);
    stack.wait_done(20, PATIENCE);

    stack.redis_mut().stop();
    let refused = stack.submit(21);
    assert_eq!(refused.status, 503);
    assert!(refused.error().contains("Redis"), "{}", refused.error());
    let current = get(&stack.api_url("/values/current"));
    assert_eq!(current.status, 503);
    assert_eq!(get(&stack.api_url("/readyz")).status, 503);
    assert_eq!(
        get(&stack.api_url("/healthz")).status,
        200,
        "alive, just not ready"
    );
    assert_eq!(
        stack.submissions_count(),
        1,
        "the refused submission left no record"
    );

    // Redis comes back empty (no persistence): the worker rejoins, the api heals.
    stack.redis_mut().start_again();
    wait_for("submissions to be accepted again", PATIENCE, || {
        (stack.submit(21).status == 200).then_some(())
    });
    stack.wait_done(21, PATIENCE);
    // F(20) was lost with Redis' memory; reading it queues it again and it is recomputed.
    let value = wait_for("F(20) to be recomputed", PATIENCE, || {
        let current = get(&stack.api_url("/values/current")).json();
        (current["20"] == "6765").then_some(current)
    });
    assert_eq!(value["21"], "10946");
    assert!(
        stack.api.is_running() && stack.workers[0].is_running(),
        "nothing crashed"
    );
}

/// Sets Redis's memory limit: 1 byte leaves no room for any write, 0 lifts the limit.
fn set_redis_maxmemory(stack: &TestStack, bytes: u64) {
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg(bytes)
        .arg("maxmemory-policy")
        .arg("noeviction")
        .query::<()>(&mut stack.redis().connection())
        .expect("CONFIG SET maxmemory answers");
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn a_full_redis_gives_503s_that_name_maxmemory_and_the_stack_goes_on_once_it_has_room() {
    let mut stack = TestStack::start(StackOptions {
        router: false,
        ..StackOptions::default()
    });
    stack.submit(20);
    stack.wait_done(20, PATIENCE);

    set_redis_maxmemory(&stack, 1);
    let refused = stack.submit(21);
    assert_eq!(refused.status, 503, "{}", refused.text);
    assert!(refused.error().contains("Redis"), "{}", refused.error());
    assert_eq!(
        stack.submissions_count(),
        1,
        "the refused submission left no record"
    );
    let said = wait_for("the api's log line about the full Redis", PATIENCE, || {
        let log = stack.api.log_text();
        log.contains("maxmemory").then_some(log)
    });
    assert!(
        said.contains("FIB_CACHE_BYTES"),
        "the log names what to change: {said}"
    );
    // Reads need no room.
    let current = get(&stack.api_url("/values/current"));
    assert_eq!(current.status, 200, "{}", current.text);
    assert_eq!(current.json()["20"], "6765");

    set_redis_maxmemory(&stack, 0);
    assert_eq!(stack.submit(21).status, 200);
    assert_eq!(stack.wait_done(21, PATIENCE)["value"], "10946");
    assert!(
        stack.api.is_running() && stack.workers[0].is_running(),
        "nothing crashed"
    );
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn postgres_stopped_gives_503s_meanwhile_and_the_api_recovers_by_itself() {
    let mut stack = TestStack::start(StackOptions {
        router: false,
        ..StackOptions::default()
    });
    stack.submit(5);
    stack.wait_done(5, PATIENCE);

    stack.postgres_mut().stop();
    for path in ["/values/all", "/values/current", "/values", "/values/5"] {
        let reply = get(&stack.api_url(path));
        assert_eq!(reply.status, 503, "{path}: {}", reply.text);
        assert!(
            reply.error().contains("Postgres"),
            "{path}: {}",
            reply.error()
        );
    }
    assert_eq!(stack.submit(6).status, 503);
    assert_eq!(get(&stack.api_url("/readyz")).status, 503);

    stack.postgres_mut().start_again();
    wait_for("the api to read Postgres again", PATIENCE, || {
        (get(&stack.api_url("/values/all")).status == 200).then_some(())
    });
    assert_eq!(stack.submit(6).status, 200);
    stack.wait_done(6, PATIENCE);
    assert!(stack.api.is_running(), "the api never crashed");
}
