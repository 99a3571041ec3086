//! `fibstack-drill`: a fault drill on a real stack, run by `scripts/drill` (which says what it
//! checks). Under a steady load of distinct indexes for DRILL_SECONDS (default 60), a worker is
//! killed with SIGKILL every 3 s (and started again), Redis is restarted a third of the way in
//! and Postgres two thirds of the way; then what a user would notice is checked.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use fibstack_devstack::drill::{Outage, Submission, metric, unexpected_refusals};
use fibstack_devstack::http::{self, Response};
use fibstack_devstack::ports::first_free_from;
use fibstack_devstack::postgres::Postgres;
use fibstack_devstack::process::signal;
use fibstack_devstack::stack::{Ports, Settings, Stack};
use fibstack_devstack::wait::wait_until;
use fibstack_redis::keys;

/// Refusals are expected until this long after a service is back (reconnection backoff).
const RECOVERY_SECONDS: u64 = 10;
const CLIENTS: u64 = 4;
/// Each client's pace: about 200 submissions a second in all, a steady load whose values all
/// fit the stack's Redis (256 MB). Unpaced, four clients passed 1,200 a second here, and a minute's
/// values (indexes up to 75,000) filled Redis to its limit: a test of memory, not of faults.
const SUBMISSION_INTERVAL: Duration = Duration::from_millis(20);
const KILL_EVERY: Duration = Duration::from_secs(3);
/// F(77), computed after the drill to show the stack recovered by itself.
const F77: &str = "5527939700884757";

type Checked<T> = Result<T, String>;

fn main() -> ExitCode {
    match drill() {
        Ok(()) => {
            println!(
                "drill passed: nothing acknowledged was lost, and the stack recovered by itself"
            );
            ExitCode::SUCCESS
        }
        Err(problem) => {
            eprintln!("drill failed: {problem}");
            ExitCode::FAILURE
        }
    }
}

fn step(what: &str) {
    println!("\n==> {what}");
}

/// Stops the drill's stack however the drill ends, a panic included.
struct StopOnDrop<'a>(&'a Stack);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.down();
    }
}

fn drill() -> Checked<()> {
    let seconds: u64 = match std::env::var("DRILL_SECONDS") {
        Ok(text) => text
            .parse()
            .map_err(|_| format!("DRILL_SECONDS={text} is not a whole number of seconds"))?,
        Err(_) => 60,
    };
    let state = tempfile::Builder::new()
        .prefix("fibstack-drill-")
        .tempdir()
        .map_err(|e| format!("cannot make the drill's folder: {e}"))?
        .keep();
    let router_port = first_free_from(43050).ok_or("no free port for the router")?;
    let settings = Settings {
        state,
        router_port,
        workers: 2,
        client_dev: false,
        client_build: false,
        fibstack_bin: std::env::var_os("FIBSTACK_BIN").map(PathBuf::from),
        rate_limit_rps: "0".to_owned(),
        service_env: vec![
            ("FIB_RECLAIM_IDLE_MS".to_owned(), "1000".to_owned()),
            // Big enough for every value: a value missing at the end was lost, not evicted.
            ("FIB_CACHE_BYTES".to_owned(), "4000000000".to_owned()),
        ],
        quiet: false,
    };
    let stack = Stack::new(settings.clone());
    let stopped = StopOnDrop(&stack);
    let outcome = exercise(&stack, settings, seconds);
    drop(stopped);
    match outcome {
        Ok(()) => stack.clean().map_err(|e| e.to_string()),
        // What failed is in the services' logs: they stay.
        Err(problem) => Err(format!(
            "{problem}\n(the stack's logs and data are kept in {})",
            stack.state().display()
        )),
    }
}

/// Starts the stack, runs the load and the faults, and checks what a user would notice.
fn exercise(stack: &Stack, settings: Settings, seconds: u64) -> Checked<()> {
    let router_port = settings.router_port;
    stack.up().map_err(|e| e.to_string())?;
    // The restarts reuse the binary the first `up` ran, quietly.
    let again = Stack::new(Settings {
        fibstack_bin: Some(PathBuf::from(stack.started_bin())),
        quiet: true,
        ..settings
    });
    let ports = stack.ports().map_err(|e| e.to_string())?;
    let api_pid = stack.service("api").pid().ok_or("the api has no pid")?;
    let router_pid = stack
        .service("nginx")
        .pid()
        .ok_or("the router has no pid")?;

    step(&format!(
        "submitting for {seconds}s: a worker killed every 3 s, Redis and Postgres restarted"
    ));
    let start = Instant::now();
    let length = Duration::from_secs(seconds);
    let load: Vec<_> = (0..CLIENTS)
        .map(|client| thread::spawn(move || submit(client, router_port, start, length)))
        .collect();
    let (kills, outages) = faults(&again, start, length)?;
    let submissions: Vec<Submission> = load
        .into_iter()
        .flat_map(|client| client.join().unwrap_or_default())
        .collect();

    step("checking");
    let still = |name: &str, pid: u32| {
        let service = stack.service(name);
        service.is_running() && service.pid() == Some(pid)
    };
    if !still("api", api_pid) {
        return Err("the api exited during the drill".to_owned());
    }
    if !still("nginx", router_pid) {
        return Err("the router exited during the drill".to_owned());
    }
    check_refusals(&submissions, &outages)?;
    check_nothing_lost(&submissions, &ports)?;
    check_at_least_once(&ports, kills)?;
    check_recovery(router_port)
}

/// One client: sequential submissions of its own distinct indexes, one per interval (or as fast
/// as the answers come when they are slower), until the load ends.
fn submit(client: u64, router_port: u16, start: Instant, length: Duration) -> Vec<Submission> {
    let mut answered = Vec::new();
    for n in 0_u32.. {
        let due = start + SUBMISSION_INTERVAL * n;
        thread::sleep(due.saturating_duration_since(Instant::now()));
        if start.elapsed() >= length {
            break;
        }
        let n = u64::from(n);
        let index = 1000 + n * CLIENTS + client;
        let body = format!("{{\"index\": {index}}}");
        let status = http::request(
            router_port,
            "POST",
            "/api/values",
            Some(&body),
            "application/json",
            Duration::from_secs(15),
        )
        .map_or(0, |response| response.status);
        answered.push(Submission {
            second: start.elapsed().as_secs(),
            status,
            index,
        });
    }
    answered
}

/// Kills a worker every 3 s and starts it again; restarts Redis a third of the way in and
/// Postgres two thirds. Returns the kills and the outages.
fn faults(stack: &Stack, start: Instant, length: Duration) -> Checked<(u64, Vec<Outage>)> {
    let mut kills = 0;
    let (mut redis, mut postgres) = (None, None);
    while start.elapsed() < length {
        thread::sleep(KILL_EVERY);
        let victim = if kills % 2 == 1 { "worker-2" } else { "worker" };
        if let Some(pid) = stack.service(victim).pid()
            && signal(pid, "KILL")
        {
            kills += 1;
        }
        thread::sleep(Duration::from_millis(200));
        stack.up().map_err(|e| e.to_string())?;
        let left = length.saturating_sub(start.elapsed());
        if redis.is_none() && left < length * 2 / 3 {
            // SIGTERM: Redis writes its append-only file and exits, as on a host's shutdown.
            let outage = restart(stack, "redis", "TERM", start)?;
            println!(
                "Redis down and up again (seconds {} {})",
                outage.down, outage.up
            );
            redis = Some(outage);
        } else if postgres.is_none() && left < length / 3 {
            // SIGINT: Postgres's fast shutdown, which ends the api's open sessions.
            let outage = restart(stack, "postgres", "INT", start)?;
            println!(
                "Postgres down and up again (seconds {} {})",
                outage.down, outage.up
            );
            postgres = Some(outage);
        }
    }
    match (redis, postgres) {
        (Some(redis), Some(postgres)) => Ok((kills, vec![redis, postgres])),
        _ => Err(format!(
            "DRILL_SECONDS={} is too short for both restarts",
            length.as_secs()
        )),
    }
}

/// Stops a service as an operator or a crash would, waits until it is gone, leaves it down for
/// a moment, then starts it again with `up`.
fn restart(stack: &Stack, name: &str, how: &str, start: Instant) -> Checked<Outage> {
    let service = stack.service(name);
    let pid = service.pid().ok_or_else(|| format!("{name} has no pid"))?;
    let down = start.elapsed().as_secs();
    signal(pid, how);
    wait_until(&format!("{name} to stop"), Duration::from_secs(30), || {
        (!service.is_running()).then_some(())
    })
    .map_err(|e| e.to_string())?;
    thread::sleep(Duration::from_secs(2));
    stack.up().map_err(|e| e.to_string())?;
    Ok(Outage {
        down,
        up: start.elapsed().as_secs(),
    })
}

fn check_refusals(submissions: &[Submission], outages: &[Outage]) -> Checked<()> {
    let refused = submissions.iter().filter(|s| s.status != 200).count();
    println!(
        "submissions: {}, refused: {refused} (503 while a service was down)",
        submissions.len()
    );
    let unexpected = unexpected_refusals(submissions, outages, RECOVERY_SECONDS);
    match unexpected.first() {
        None => Ok(()),
        Some(first) => Err(format!(
            "{} refusals outside an outage, or not 503; the first: status {} at second {} for index {}",
            unexpected.len(),
            first.status,
            first.second,
            first.index
        )),
    }
}

/// Every acknowledged submission is in Postgres, and every recorded index has its value: read
/// from Postgres and Redis directly, since reading through the api would queue a missing value
/// again and hide the loss.
fn check_nothing_lost(submissions: &[Submission], ports: &Ports) -> Checked<()> {
    let mut redis = redis::Client::open(format!("redis://127.0.0.1:{}/", ports.redis))
        .and_then(|client| client.get_connection())
        .map_err(|e| format!("cannot reach Redis: {e}"))?;
    let mut jobs_left = || -> u64 {
        redis::cmd("XLEN")
            .arg(keys::JOBS)
            .query(&mut redis)
            .unwrap_or(u64::MAX)
    };
    let _ = wait_until("the queue to empty", Duration::from_secs(120), || {
        (jobs_left() == 0).then_some(())
    });
    let left = jobs_left();
    let acknowledged: BTreeSet<u64> = submissions
        .iter()
        .filter(|s| s.status == 200)
        .map(|s| s.index)
        .collect();
    let recorded: BTreeSet<u64> = psql(ports, "SELECT number FROM indexes")?
        .lines()
        .filter_map(|line| line.trim().parse().ok())
        .collect();
    let stored: BTreeSet<u64> = redis::cmd("ZRANGE")
        .arg(keys::STORED_ORDER)
        .arg(0)
        .arg(-1)
        .query::<Vec<u64>>(&mut redis)
        .map_err(|e| format!("cannot read the stored values: {e}"))?
        .into_iter()
        .collect();
    let unrecorded = acknowledged.difference(&recorded).count();
    let lost = recorded.difference(&stored).count();
    println!(
        "acknowledged: {}; missing from Postgres: {unrecorded} (must be 0)",
        acknowledged.len()
    );
    println!(
        "recorded in Postgres: {}; without a value: {lost} (must be 0); jobs left: {left}",
        recorded.len()
    );
    if unrecorded > 0 {
        return Err("acknowledged submissions are missing from Postgres".to_owned());
    }
    if lost > 0 {
        return Err("submitted indexes have no value: jobs were lost".to_owned());
    }
    Ok(())
}

/// At-least-once, and nothing beyond it: a value is stored again only for a redelivered job.
/// Both counts live in Redis, so the workers killed took none of them with them.
fn check_at_least_once(ports: &Ports, kills: u64) -> Checked<()> {
    let metrics = get(ports.api, "/metrics", "text/plain")?.body;
    let redeliveries = metric(&metrics, "job_redeliveries");
    let stored_again = metric(&metrics, "values_stored_again");
    let (Some(redeliveries), Some(stored_again)) = (redeliveries, stored_again) else {
        return Err("the api's metrics lack job_redeliveries or values_stored_again".to_owned());
    };
    println!(
        "workers killed: {kills}; jobs redelivered: {redeliveries}; values stored again: {stored_again}"
    );
    if stored_again > redeliveries {
        return Err("more values were stored again than jobs were redelivered".to_owned());
    }
    Ok(())
}

/// A submission after the drill is computed, with no help.
fn check_recovery(router_port: u16) -> Checked<()> {
    let answer = http::request(
        router_port,
        "POST",
        "/api/values",
        Some("{\"index\": 77}"),
        "application/json",
        Duration::from_secs(15),
    )
    .map_err(|e| format!("a submission after the drill failed: {e}"))?;
    if answer.body != "{\"working\":true}" {
        return Err(format!(
            "a submission after the drill was refused: {} {}",
            answer.status, answer.body
        ));
    }
    wait_until("F(77) after the drill", Duration::from_secs(10), || {
        get(router_port, "/api/values/77", "text/plain")
            .ok()
            .filter(|value| value.body.trim_end() == F77)
    })
    .map(|_| ())
    .map_err(|_| "a submission after the drill was not computed".to_owned())
}

fn get(port: u16, path: &str, accept: &str) -> Checked<Response> {
    http::request(port, "GET", path, None, accept, Duration::from_secs(15))
        .map_err(|e| format!("GET {path} on port {port} failed: {e}"))
}

fn psql(ports: &Ports, sql: &str) -> Checked<String> {
    let postgres = Postgres::find().map_err(|e| e.to_string())?;
    let output = postgres
        .client("psql")
        .args(["-tA", "-h", "127.0.0.1", "-p", &ports.postgres.to_string()])
        .args(["-U", "postgres", "-c", sql])
        .output()
        .map_err(|e| format!("cannot run psql: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "psql failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
