//! `fibstack all`: what only the one-process app does — its data file across restarts, the
//! client it serves itself, its one line about storage — and the same command on Postgres and
//! Redis when they are configured.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use serde_json::json;

use crate::support::http::{Reply, get, post_json, try_post_json};
use crate::support::process::{free_port, spawn, wait_for};
use crate::support::{Backend, StackOptions, TestStack};

const PATIENCE: Duration = Duration::from_secs(20);

fn header<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
    reply
        .headers
        .get(name)
        .and_then(|value| value.to_str().ok())
}

fn embedded(workers: usize) -> TestStack {
    TestStack::start(StackOptions {
        workers,
        ..StackOptions::on(Backend::Embedded)
    })
}

#[test]
fn submissions_values_and_waiting_jobs_survive_a_restart() {
    let mut stack = embedded(1);
    stack.submit(10);
    stack.wait_done(10, PATIENCE);

    // No workers: 12 waits in the queue while the app stops.
    stack.restart_api(&[("FIB_WORKERS", "0")]);
    stack.submit(12);
    assert_eq!(get(&stack.url("/values/12")).json()["status"], "pending");
    assert_eq!(stack.wait_done(10, PATIENCE)["value"], "55", "kept on disk");

    stack.restart_api(&[("FIB_WORKERS", "1")]);
    assert_eq!(stack.wait_done(12, PATIENCE)["value"], "144");
    assert_eq!(
        get(&stack.url("/values/all")).json(),
        json!([{"number": 10}, {"number": 12}])
    );
    assert_eq!(stack.submissions_count(), 2);
}

#[test]
fn every_answered_submission_survives_the_app_killed_under_load() {
    // Concurrent submissions share commits: the kill must not take an answered one with it.
    const CLIENTS: u64 = 8;
    let mut stack = embedded(1);
    let url = stack.url("/values");
    let stop = Arc::new(AtomicBool::new(false));
    let so_far = Arc::new(AtomicU64::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (url, stop, so_far) = (url.clone(), stop.clone(), so_far.clone());
            std::thread::spawn(move || {
                let mut answered = Vec::new();
                for index in (client..).step_by(CLIENTS as usize) {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    match try_post_json(&url, &format!("{{\"index\": {index}}}")) {
                        Some(200) => {
                            answered.push(index);
                            so_far.fetch_add(1, Ordering::Relaxed);
                        }
                        Some(status) => panic!("{index} was answered {status}"),
                        None => break,
                    }
                }
                answered
            })
        })
        .collect();
    wait_for("submissions under way", PATIENCE, || {
        (so_far.load(Ordering::Relaxed) >= 300).then_some(())
    });
    stack.api.kill_hard();
    stop.store(true, Ordering::Relaxed);
    let answered: Vec<u64> = clients
        .into_iter()
        .flat_map(|client| client.join().expect("a client thread"))
        .collect();

    stack.restart_api(&[]);
    let kept: HashSet<u64> = get(&stack.url("/values/all?limit=10000"))
        .json()
        .as_array()
        .expect("a list")
        .iter()
        .map(|row| row["number"].as_u64().expect("a number"))
        .collect();
    let lost: Vec<u64> = answered
        .iter()
        .copied()
        .filter(|index| !kept.contains(index))
        .collect();
    assert!(answered.len() >= 300, "only {} answered", answered.len());
    assert!(lost.is_empty(), "answered but lost: {lost:?}");
}

#[test]
fn a_job_running_when_the_process_is_killed_completes_after_a_restart() {
    let mut stack = TestStack::start(StackOptions {
        env: vec![("FIB_MAX_INDEX", "100000000".to_owned())],
        ..StackOptions::on(Backend::Embedded)
    });
    // F(10^8) takes seconds: the kill lands while it is being computed.
    assert_eq!(stack.submit(100_000_000).status, 200);
    wait_for("a worker to take the job", PATIENCE, || {
        (stack.jobs_in_hand() == 1).then_some(())
    });
    stack.api.kill_hard();
    assert!(
        !stack.api.log_text().contains(" computed "),
        "killed too late"
    );

    stack.restart_api(&[]);
    let detail = stack.wait_done(100_000_000, Duration::from_secs(120));
    assert_eq!(detail["digits"], 20_898_764);
    assert_eq!(stack.queue_length(), 0);
    assert_eq!(
        stack.metric("fibstack_job_redeliveries"),
        1,
        "the job in hand was handed out again, and counted"
    );
}

#[test]
fn the_page_and_its_files_are_served_with_the_client_caching_rules() {
    let stack = embedded(1);
    let page = get(&stack.router_url("/"));
    assert_eq!(page.status, 200);
    assert!(page.content_type.starts_with("text/html"));
    assert_eq!(header(&page, "cache-control"), Some("no-cache"));
    assert!(header(&page, "content-security-policy").is_some());

    // A client route gets the same page; the browser routes it.
    assert_eq!(get(&stack.router_url("/otherpage")).text, page.text);

    let script = page
        .text
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page loads a script");
    let boot = get(&stack.router_url(script));
    assert_eq!(boot.status, 200);
    assert_eq!(
        header(&boot, "cache-control"),
        Some("public, max-age=31536000, immutable"),
        "content-hashed files are cached for good"
    );
    let wasm = boot
        .text
        .split('\'')
        .find(|part| part.ends_with(".wasm"))
        .expect("the boot script names the wasm");
    let module = get(&stack.router_url(wasm));
    assert_eq!(module.status, 200);
    assert_eq!(module.content_type, "application/wasm");
    assert!(
        module.text.len() > 10_000,
        "a real module: {} bytes",
        module.text.len()
    );

    // The api is under /api, as through the router.
    assert_eq!(
        get(&stack.router_url("/api/healthz")).json(),
        json!({"status": "ok"})
    );
}

#[test]
fn the_log_says_where_the_data_is_and_a_second_process_on_it_is_refused() {
    let stack = embedded(1);
    let log = stack.api.log_text();
    let data_file = stack.dir.path().join("data/fibstack.sqlite3");
    assert!(
        log.contains(&format!(
            "storage: submissions: SQLite file {}; queue, values and events: in process",
            data_file.display()
        )),
        "{log}"
    );

    let mut second = spawn(
        "second",
        {
            let mut command = stack.fibstack("all");
            command.env("PORT", free_port().to_string());
            command
        },
        &stack.dir.path().join("second.log"),
    );
    let status = second
        .wait_exit(Duration::from_secs(10))
        .expect("the second process stops by itself");
    assert!(!status.success());
    assert!(
        second
            .log_text()
            .contains("in use by another fibstack process"),
        "{}",
        second.log_text()
    );
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn all_uses_postgres_and_redis_when_they_are_configured() {
    // The stack's own api and its Postgres and Redis; no worker processes.
    let stack = TestStack::start(StackOptions {
        workers: 0,
        router: false,
        ..StackOptions::default()
    });
    let port = free_port();
    let mut command = stack.fibstack("all");
    command.env("PORT", port.to_string());
    let all = spawn("all", command, &stack.dir.path().join("all.log"));
    let base = format!("http://127.0.0.1:{port}/api");
    wait_for("the all-in-one process", PATIENCE, || {
        (crate::support::http::answers(&format!("{base}/readyz")) == Some(200)).then_some(())
    });
    assert!(
        all.log_text()
            .contains("storage: submissions: Postgres at 127.0.0.1:"),
        "{}",
        all.log_text()
    );
    assert!(
        all.log_text()
            .contains("queue, values and events: Redis at 127.0.0.1:")
    );

    // Submitted through the one process, computed by its worker, seen by the other api.
    assert_eq!(
        post_json(&format!("{base}/values"), r#"{"index": 20}"#).status,
        200
    );
    assert_eq!(stack.wait_done(20, PATIENCE)["value"], "6765");
    assert_eq!(stack.submissions_count(), 1);
    assert!(
        !stack.dir.path().join("data").exists(),
        "no embedded file when both services are configured"
    );
}
