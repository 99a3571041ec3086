//! `GET /system`, the summary behind the page's system view: every part named with its state,
//! the members as they report themselves, a killed worker shown silent and a stopped one gone.

use std::time::Duration;

use serde_json::Value;

use crate::on_both_backends;
use crate::support::http::get;
use crate::support::process::wait_for;
use crate::support::{Backend, StackOptions, TestStack};

/// Members report every second and are called silent after three.
const PATIENCE: Duration = Duration::from_secs(15);

fn system(stack: &TestStack) -> Value {
    let reply = get(&stack.url("/system"));
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()
}

/// Names of the members of `role` whose `up` is `up`.
fn members(view: &Value, role: &str, up: bool) -> Vec<String> {
    view["members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["role"] == role && m["up"] == up)
        .filter_map(|m| m["name"].as_str().map(str::to_owned))
        .collect()
}

/// Waits until the view shows `apis` api replicas and `workers` workers up, and returns it.
fn wait_for_members(stack: &TestStack, apis: usize, workers: usize) -> Value {
    wait_for(
        &format!("{apis} api replicas and {workers} workers reporting"),
        PATIENCE,
        || {
            let view = system(stack);
            (members(&view, "api", true).len() == apis
                && members(&view, "worker", true).len() == workers)
                .then_some(view)
        },
    )
}

on_both_backends!(the_summary_names_each_part_and_the_work_of_the_workers);

fn the_summary_names_each_part_and_the_work_of_the_workers(backend: Backend) {
    let stack = TestStack::start(StackOptions {
        workers: 2,
        ..StackOptions::on(backend)
    });
    stack.wait_ready();
    let view = wait_for_members(&stack, 1, 2);
    let (submissions, values, router) = match backend {
        Backend::Services => ("postgres", "redis", true),
        Backend::Embedded => ("embedded", "embedded", false),
    };
    assert_eq!(view["submissions"]["kind"], submissions);
    assert_eq!(view["values"]["kind"], values);
    assert_eq!(view["submissions"]["up"], true);
    assert_eq!(view["values"]["up"], true);
    assert_eq!(view["through_router"], router, "{view}");
    assert_eq!(
        view["answered_by"].as_str(),
        members(&view, "api", true).first().map(String::as_str),
        "the replica that answered is listed"
    );
    assert_eq!(view["queue"]["jobs"], 0);
    assert!(view["queue"]["cache_budget_bytes"].as_u64() > Some(0));
    assert_eq!(view["latency_ms"], Value::Null, "nothing computed yet");

    stack.submit_many(100..160);
    let view = wait_for("the work to show", PATIENCE, || {
        let view = system(&stack);
        (view["latency_ms"]["samples"].as_u64() == Some(60)).then_some(view)
    });
    assert!(view["computed_per_second"].as_f64() > Some(0.0), "{view}");
    assert!(view["latency_ms"]["p95"].as_f64() >= view["latency_ms"]["p50"].as_f64());
    assert_eq!(
        view["queue"]["cache_bytes"].as_u64().map(|b| b > 0),
        Some(true)
    );
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn a_killed_worker_shows_silent_and_a_stopped_one_leaves() {
    let mut stack = TestStack::start(StackOptions {
        workers: 2,
        router: false,
        ..StackOptions::default()
    });
    let view = wait_for_members(&stack, 1, 2);
    let before = members(&view, "worker", true);

    stack.workers[0].kill_hard();
    let view = wait_for("the killed worker to show silent", PATIENCE, || {
        let view = system(&stack);
        (members(&view, "worker", false).len() == 1).then_some(view)
    });
    let silent = &members(&view, "worker", false)[0];
    assert!(before.contains(silent), "{silent} is one of {before:?}");
    let row = view["members"]
        .as_array()
        .and_then(|all| all.iter().find(|m| m["name"] == silent.as_str()))
        .expect("the silent worker's row");
    assert!(row["silent_ms"].as_u64() > Some(3000), "{row}");

    stack.workers[1].signal("TERM");
    assert!(
        stack.workers[1].wait_exit(PATIENCE).is_some(),
        "the worker stopped"
    );
    let view = system(&stack);
    assert_eq!(
        members(&view, "worker", true),
        Vec::<String>::new(),
        "a worker that stops cleanly leaves at once: {view}"
    );
    assert_eq!(
        &members(&view, "worker", false),
        std::slice::from_ref(silent)
    );
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn with_redis_stopped_the_summary_still_answers_and_says_so() {
    let mut stack = TestStack::start(StackOptions {
        router: false,
        ..StackOptions::default()
    });
    wait_for_members(&stack, 1, 1);
    stack.redis_mut().stop();
    let view = wait_for("Redis to show down", PATIENCE, || {
        let view = system(&stack);
        (view["values"]["up"] == false).then_some(view)
    });
    assert_eq!(
        view["members"],
        Value::Null,
        "the roster lives in Redis: {view}"
    );
    assert_eq!(view["queue"], Value::Null);
    assert_eq!(view["submissions"]["up"], true, "Postgres is still there");

    stack.redis_mut().start_again();
    let view = wait_for_members(&stack, 1, 1);
    assert_eq!(view["values"]["up"], true);
}
