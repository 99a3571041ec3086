//! Redis as ElastiCache runs it with in-transit encryption and RBAC: TLS only (no plain port),
//! the default user off, one ACL user with a password. The course's calls, live events and a
//! worker killed mid-job work over it; settings it refuses stop the api and the worker at once
//! with one line that names the variables to look at.

use std::time::Duration;

use serde_json::Value;

use crate::support::http::{EventStream, get};
use crate::support::process::wait_for;
use crate::support::redis::{TLS_PASSWORD, TLS_USER};
use crate::support::slow_job::slow_job_env;
use crate::support::{StackOptions, TestStack, assert_refusal_line};

const PATIENCE: Duration = Duration::from_secs(30);

fn tls_stack(env: Vec<(&'static str, String)>) -> TestStack {
    TestStack::start(StackOptions {
        redis_tls: true,
        router: false,
        env,
        ..StackOptions::default()
    })
}

/// The user of each connection Redis holds, from `CLIENT LIST` (the test's own included).
fn connected_users(stack: &TestStack) -> Vec<String> {
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query(&mut stack.redis().connection())
        .expect("CLIENT LIST answers");
    list.lines()
        .filter_map(|line| {
            line.split(' ')
                .find_map(|field| field.strip_prefix("user="))
                .map(str::to_owned)
        })
        .collect()
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn the_course_calls_and_live_events_work_over_tls_as_an_acl_user() {
    let stack = tls_stack(Vec::new());
    let listener = EventStream::open(&stack.url("/values/events"));
    listener
        .next_named("ready", PATIENCE)
        .expect("the stream says it is subscribed over TLS");

    assert_eq!(stack.submit(40).status, 200);
    let event = listener
        .next_named("value", PATIENCE)
        .expect("the event for the submission");
    let data: Value = serde_json::from_str(&event.data).expect("JSON event data");
    assert_eq!(
        data,
        serde_json::json!({"index": 40, "status": "done", "digits": 9})
    );
    assert_eq!(get(&stack.url("/values/40")).json()["value"], "102334155");
    let current = get(&stack.url("/values/current")).json();
    assert!(current.to_string().contains("102334155"), "{current}");
    assert_eq!(get(&stack.url("/readyz")).status, 200);

    // The api's commands and subscription, the worker's commands and blocking read, and this
    // test's connection: every one logged in as the ACL user (the default user is off).
    let users = connected_users(&stack);
    assert!(users.len() >= 5, "too few connections: {users:?}");
    assert!(users.iter().all(|user| user == TLS_USER), "{users:?}");
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn a_worker_killed_mid_job_over_tls_loses_nothing() {
    let mut stack = tls_stack(slow_job_env());
    stack.kill_the_worker_inside_the_slow_job();
    for index in 1..=10u64 {
        assert_eq!(stack.submit(index).status, 200);
    }

    stack.start_worker();
    for index in 1..=10u64 {
        stack.wait_done(index, PATIENCE);
    }
    stack.wait_slow_job_done();
    assert_eq!(
        stack.redis().queue_length(),
        0,
        "every job was acknowledged"
    );
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn a_certificate_from_another_authority_stops_the_api_and_the_worker() {
    let stack = tls_stack(Vec::new());
    let certs = stack.redis().tls.clone().expect("a TLS Redis");
    let other_ca = certs.other_ca.to_string_lossy().into_owned();
    for role in ["api", "worker"] {
        let log = stack.run_refused(role, &[("REDIS_CA_FILE", Some(&other_ca))]);
        assert_refusal_line(&log, "Redis", &["REDIS_TLS", "REDIS_CA_FILE"], None);
    }
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn a_wrong_password_stops_the_api_and_the_worker_without_showing_it() {
    let stack = tls_stack(Vec::new());
    for role in ["api", "worker"] {
        let log = stack.run_refused(role, &[("REDIS_PASSWORD", Some("not-the-token-5150"))]);
        assert_refusal_line(
            &log,
            "Redis",
            &["REDIS_USERNAME", "REDIS_PASSWORD"],
            Some("not-the-token-5150"),
        );
        assert!(
            !log.contains(TLS_PASSWORD),
            "the log shows a password:\n{log}"
        );
    }
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn no_login_where_one_is_required_says_to_set_the_password() {
    let stack = tls_stack(Vec::new());
    let log = stack.run_refused("api", &[("REDIS_USERNAME", None), ("REDIS_PASSWORD", None)]);
    assert_refusal_line(&log, "Redis", &["requires a login", "REDIS_PASSWORD"], None);
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn a_ca_file_that_cannot_be_read_stops_the_api_at_start() {
    let stack = tls_stack(Vec::new());
    let missing = stack.dir.path().join("no-such-ca.pem");
    let log = stack.run_refused(
        "api",
        &[("REDIS_CA_FILE", Some(&missing.to_string_lossy()))],
    );
    assert_refusal_line(&log, "Redis", &["REDIS_CA_FILE", "no-such-ca.pem"], None);
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn plain_tcp_to_a_tls_only_server_is_not_ready_and_its_log_says_to_set_redis_tls() {
    let stack = tls_stack(Vec::new());
    let port = crate::support::process::free_port();
    let mut command = stack.fibstack("api");
    command
        .env("PORT", port.to_string())
        .env_remove("REDIS_TLS")
        .env_remove("REDIS_CA_FILE");
    let log = stack.dir.path().join("plain-api.log");
    let api = crate::support::process::spawn("plain-api", command, &log);
    let readyz = format!("http://127.0.0.1:{port}/readyz");
    let not_ready = wait_for("the plain api to answer /readyz", PATIENCE, || {
        crate::support::http::answers(&readyz)
    });
    assert_eq!(not_ready, 503, "ready though it cannot reach Redis");
    wait_for("the log to name REDIS_TLS", PATIENCE, || {
        api.log_text().contains("set REDIS_TLS=true").then_some(())
    });
    let reply = stack.submit(7);
    assert_eq!(
        reply.status, 200,
        "the first api still serves: {}",
        reply.text
    );
}
