//! Redis as ElastiCache Serverless gives it: a Redis Cluster (three masters, a replica each),
//! TLS only, an ACL user. The course's calls, events on every api replica, a worker killed
//! mid-job, a failover of the shard that holds fibstack's keys, and refused settings stopping
//! the api and the worker as on a single node.

use std::time::Duration;

use crate::support::http::{EventStream, answers, get};
use crate::support::process::{free_port, wait_for};
use crate::support::slow_job::slow_job_env;
use crate::support::{StackOptions, TestStack, assert_refusal_line};

const PATIENCE: Duration = Duration::from_secs(30);

fn cluster_stack(env: Vec<(&'static str, String)>) -> TestStack {
    TestStack::start(StackOptions {
        redis_cluster: true,
        router: false,
        env,
        ..StackOptions::default()
    })
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn the_course_calls_and_events_on_two_api_replicas_work_on_a_cluster() {
    let stack = cluster_stack(Vec::new());
    let second_port = free_port();
    let _second = stack.spawn_api(second_port, "api-2");
    let second_url = format!("http://127.0.0.1:{second_port}");
    wait_for("the second api to be ready", PATIENCE, || {
        (answers(&format!("{second_url}/readyz")) == Some(200)).then_some(())
    });
    // The roster lives on the cluster too: both replicas and the worker report there.
    wait_for(
        "both replicas and the worker in the roster",
        PATIENCE,
        || {
            let view = get(&format!("{second_url}/system")).json();
            let up = |role: &str| {
                view["members"].as_array().map(|all| {
                    all.iter()
                        .filter(|m| m["role"] == role && m["up"] == true)
                        .count()
                })
            };
            (up("api") == Some(2) && up("worker") == Some(1)).then_some(())
        },
    );
    let first = EventStream::open(&stack.api_url("/values/events"));
    let second = EventStream::open(&format!("{second_url}/values/events"));
    for listener in [&first, &second] {
        listener
            .next_named("ready", PATIENCE)
            .expect("subscribed on the cluster");
    }

    assert_eq!(stack.submit(40).status, 200);
    for listener in [&first, &second] {
        let event = listener.next_named("value", PATIENCE).expect("the event");
        assert!(event.data.contains(r#""index":40"#), "{}", event.data);
    }
    assert_eq!(get(&stack.url("/values/40")).json()["value"], "102334155");
    for index in 1..=30u64 {
        assert_eq!(stack.submit(index).status, 200);
    }
    for index in 1..=30u64 {
        stack.wait_done(index, PATIENCE);
    }
    let current = get(&stack.url("/values/current?limit=40")).json();
    assert!(current.to_string().contains("832040"), "F(30): {current}");
    assert_eq!(stack.submissions_count(), 31);
    assert_eq!(
        stack.redis().queue_length(),
        0,
        "every job was acknowledged"
    );
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn a_worker_killed_mid_job_on_a_cluster_loses_nothing() {
    let mut stack = cluster_stack(slow_job_env());
    stack.kill_the_worker_inside_the_slow_job();
    stack.start_worker();
    stack.wait_slow_job_done();
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn a_failover_of_the_shard_with_the_keys_loses_no_submission_and_no_job() {
    // A job whose value could not be stored while its shard failed over waits for the reclaim
    // idle time to be handed out again: one second here, as in the other fault tests, not the
    // default 15.
    let stack = cluster_stack(vec![("FIB_RECLAIM_IDLE_MS", "1000".to_owned())]);
    let old_master = stack.redis().master_of_fibstack_keys();
    let replica = stack.redis().replica_of(old_master);

    let mut accepted = Vec::new();
    let mut refused = 0;
    for index in 1..=20u64 {
        match stack.submit(index).status {
            200 => accepted.push(index),
            status => panic!("before the failover F({index}) got {status}"),
        }
    }
    stack.redis().fail_over_to(replica);
    // Submissions straight through the failover: each is accepted or answered 503, never lost.
    for index in 21..=120u64 {
        let reply = stack.submit(index);
        match reply.status {
            200 => accepted.push(index),
            503 => refused += 1,
            status => panic!(
                "during the failover F({index}) got {status}: {}",
                reply.text
            ),
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    wait_for("the keys to move to the new master", PATIENCE, || {
        (stack.redis().master_of_fibstack_keys() == replica).then_some(())
    });
    for &index in &accepted {
        stack.wait_done(index, PATIENCE);
    }
    assert!(
        stack.submissions_count() >= accepted.len() as u64,
        "every accepted submission is on record ({refused} were answered 503)"
    );
    assert_eq!(
        stack.redis().queue_length(),
        0,
        "every job was acknowledged"
    );
    assert_eq!(
        get(&stack.api_url("/readyz")).status,
        200,
        "ready again by itself"
    );
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn a_certificate_from_another_authority_or_a_wrong_password_stops_the_api_and_the_worker() {
    let stack = cluster_stack(Vec::new());
    let certs = stack.redis().tls.clone().expect("a TLS cluster");
    let other_ca = certs.other_ca.to_string_lossy().into_owned();
    for role in ["api", "worker"] {
        let log = stack.run_refused(role, &[("REDIS_CA_FILE", Some(&other_ca))]);
        assert_refusal_line(&log, "Redis", &["REDIS_TLS", "REDIS_CA_FILE"], None);
        let log = stack.run_refused(role, &[("REDIS_PASSWORD", Some("not-the-token-5150"))]);
        assert_refusal_line(
            &log,
            "Redis",
            &["REDIS_USERNAME", "REDIS_PASSWORD"],
            Some("not-the-token-5150"),
        );
    }
}
