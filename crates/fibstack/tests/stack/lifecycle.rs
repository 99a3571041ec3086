//! Starting and stopping: concurrent migrations, graceful shutdown.

use std::time::Duration;

use crate::support::http::{EventStream, answers, get};
use crate::support::process::{free_port, wait_for};
use crate::support::{StackOptions, TestStack};

const PATIENCE: Duration = Duration::from_secs(30);

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn two_apis_starting_together_on_a_fresh_database_both_become_ready() {
    let stack = TestStack::start(StackOptions {
        workers: 0,
        router: false,
        ..StackOptions::default()
    });
    // A second, empty database so both new replicas race to create the schema.
    let status = stack
        .postgres()
        .psql()
        .args(["-c", "CREATE DATABASE race"])
        .output()
        .expect("psql runs");
    assert!(status.status.success());
    let ports = [free_port(), free_port()];
    let mut replicas: Vec<_> = ports
        .iter()
        .enumerate()
        .map(|(n, port)| {
            let mut command = stack.fibstack("api");
            command
                .env("PORT", port.to_string())
                .env("PGDATABASE", "race");
            crate::support::process::spawn(
                &format!("race-{n}"),
                command,
                &stack.dir.path().join(format!("race-{n}.log")),
            )
        })
        .collect();
    for port in ports {
        wait_for("both replicas to be ready", PATIENCE, || {
            (answers(&format!("http://127.0.0.1:{port}/readyz")) == Some(200)).then_some(())
        });
    }
    for replica in &mut replicas {
        assert!(
            replica.is_running(),
            "{} died: {}",
            replica.name(),
            replica.log_text()
        );
    }
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn sigterm_stops_the_api_and_the_worker_cleanly_even_with_a_stream_open() {
    let mut stack = TestStack::start(StackOptions {
        router: false,
        ..StackOptions::default()
    });
    let listener = EventStream::open(&stack.api_url("/values/events"));
    listener.next_named("ready", PATIENCE).expect("subscribed");

    stack.api.signal("TERM");
    let status = stack
        .api
        .wait_exit(Duration::from_secs(10))
        .expect("the api exits");
    assert!(status.success(), "the api exits with 0: {status:?}");
    assert!(
        listener.ends_within(Duration::from_secs(5)),
        "the stream is closed"
    );

    stack.workers[0].signal("TERM");
    let status = stack.workers[0]
        .wait_exit(Duration::from_secs(10))
        .expect("the worker exits");
    assert!(status.success(), "the worker exits with 0: {status:?}");
    assert!(stack.workers[0].log_text().contains("worker stopped"));
}

#[test]
fn a_missing_variable_stops_the_process_with_one_line_naming_it() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_fibstack"))
        .arg("api")
        .env_remove("PGHOST")
        .env("REDIS_HOST", "127.0.0.1")
        .output()
        .expect("fibstack runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("PGHOST"), "{stderr}");

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_fibstack"))
        .arg("worker")
        .env("REDIS_HOST", "127.0.0.1")
        .env("FIB_MAX_INDEX", "many")
        .output()
        .expect("fibstack runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("FIB_MAX_INDEX") && stderr.contains("many"),
        "{stderr}"
    );
}

#[test]
fn fib_prints_exact_values() {
    let run = |n: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_fibstack"))
            .args(["fib", n])
            .output()
            .expect("fibstack runs")
    };
    assert_eq!(String::from_utf8_lossy(&run("7").stdout), "13\n");
    assert_eq!(String::from_utf8_lossy(&run("0").stdout), "0\n");
    let big = run("100000");
    assert_eq!(big.stdout.len(), 20_899 + 1, "F(100000) has 20 899 digits");
    let refused = run("-3");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("negative"));
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn healthcheck_answers_for_the_api_and_for_the_workers_redis() {
    let mut stack = TestStack::start(StackOptions {
        workers: 0,
        router: false,
        ..StackOptions::default()
    });
    let check = |stack: &TestStack, args: &[&str]| {
        stack
            .fibstack("healthcheck")
            .args(args)
            .output()
            .expect("fibstack runs")
            .status
            .success()
    };
    let port = stack.api_port.to_string();
    assert!(check(&stack, &["--port", &port]), "the api is healthy");
    assert!(
        check(&stack, &["--port", &port, "--path", "/readyz"]),
        "and ready"
    );
    assert!(check(&stack, &["--redis"]), "Redis answers");
    stack.redis_mut().stop();
    assert!(!check(&stack, &["--redis"]), "Redis is gone");
    stack.api.stop();
    assert!(!check(&stack, &["--port", &port]), "the api is gone");
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn a_database_from_before_the_kept_count_counts_the_submissions_it_had() {
    let stack = TestStack::start(StackOptions {
        workers: 0,
        router: false,
        ..StackOptions::default()
    });
    for index in [7, 9, 7] {
        assert_eq!(stack.submit(index).status, 200);
    }
    // The database as the previous release left it: no kept count, and rows written since.
    let downgraded = stack
        .postgres()
        .psql()
        .args([
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            "DROP TABLE submission_count; DROP FUNCTION count_submissions() CASCADE;
             DELETE FROM _sqlx_migrations WHERE version = 3;
             INSERT INTO submissions (number) VALUES (5), (6);",
        ])
        .output()
        .expect("psql runs");
    assert!(
        downgraded.status.success(),
        "{}",
        String::from_utf8_lossy(&downgraded.stderr)
    );
    let migrated = stack.fibstack("migrate").output().expect("fibstack runs");
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    let total = |limit: u32| {
        get(&stack.url(&format!("/values/all?limit={limit}"))).headers["x-total-count"].clone()
    };
    assert_eq!(total(1), "5", "every row counted once, by the migration");
    assert_eq!(stack.submit(8).status, 200);
    assert_eq!(total(2), "6", "and the next one by the trigger");
}
