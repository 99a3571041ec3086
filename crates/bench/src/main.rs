//! `fibstack-bench latency`: how long from `POST /values` until the value's event arrives on
//! `/values/events`, measured by a client that is both submitter and listener, over many runs.
//!
//! Each run first evicts the index's cached value (keeping the cache's own bookkeeping right),
//! so every submission really goes through the queue, a worker, the store and the event relay.
//!
//! `fibstack-bench concurrent`: the same with many clients at once, each with its own event
//! stream (as browsers have), submitting distinct indexes so each one is computed.

use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(about = "Measurement tools for a running fibstack")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Submit → event latency for one index, repeated.
    Latency {
        /// Base URL of the api as a browser sees it, e.g. http://127.0.0.1:3050/api
        #[arg(long)]
        api: String,
        /// The Redis the stack uses, e.g. redis://127.0.0.1:16379/
        #[arg(long)]
        redis: String,
        #[arg(long, default_value_t = 40)]
        index: u64,
        #[arg(long, default_value_t = 200)]
        runs: usize,
        #[arg(long, default_value_t = 20)]
        warmup: usize,
    },
    /// Submit → event latency with many clients submitting at once.
    Concurrent {
        /// Base URL of the api as a browser sees it, e.g. http://127.0.0.1:3050/api
        #[arg(long)]
        api: String,
        #[arg(long, default_value_t = 16)]
        clients: usize,
        /// Submissions per client.
        #[arg(long, default_value_t = 50)]
        runs: usize,
        /// The first index submitted; each submission takes the next one (small indexes, so
        /// the figure is the system's, not the arithmetic's). Use a fresh range per run.
        #[arg(long, default_value_t = 100)]
        first_index: u64,
    },
}

/// Removes a cached value the way the cache's own eviction does.
const EVICT: &str = r"
local size = redis.call('HSTRLEN', KEYS[1], 'value')
if redis.call('DEL', KEYS[1]) == 1 then
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('DECRBY', KEYS[3], size)
end
return 1";

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Latency {
            api,
            redis,
            index,
            runs,
            warmup,
        } => latency(&api, &redis, index, runs, warmup),
        Command::Concurrent {
            api,
            clients,
            runs,
            first_index,
        } => concurrent(&api, clients, runs, first_index),
    }
}

fn concurrent(api: &str, clients: usize, runs: usize, first_index: u64) -> anyhow::Result<()> {
    eprintln!("measuring submit → event with {clients} clients, {runs} submissions each");
    let workers: Vec<_> = (0..clients)
        .map(|client| {
            let api = api.to_owned();
            std::thread::spawn(move || -> anyhow::Result<Vec<Duration>> {
                let events = listen(&format!("{api}/values/events"))?;
                let http = reqwest::blocking::Client::new();
                let mut samples = Vec::with_capacity(runs);
                for run in 0..runs {
                    let index = first_index + (run * clients + client) as u64;
                    samples.push(submit_and_wait(&http, &api, &events, index)?);
                }
                Ok(samples)
            })
        })
        .collect();
    let mut samples = Vec::with_capacity(clients * runs);
    for worker in workers {
        let client_samples = worker
            .join()
            .map_err(|_| anyhow::anyhow!("a client thread panicked"))??;
        samples.extend(client_samples);
    }
    report(&format!("submit → event, {clients} clients"), &mut samples);
    Ok(())
}

/// Submits `index` and waits for its `done` event on `events`.
fn submit_and_wait(
    http: &reqwest::blocking::Client,
    api: &str,
    events: &mpsc::Receiver<String>,
    index: u64,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let reply = http
        .post(format!("{api}/values"))
        .header("Content-Type", "application/json")
        .body(format!("{{\"index\": {index}}}"))
        .send()?;
    if !reply.status().is_success() {
        bail!(
            "POST answered {}: {}",
            reply.status(),
            reply.text().unwrap_or_default()
        );
    }
    loop {
        let data = events
            .recv_timeout(Duration::from_secs(10))
            .with_context(|| format!("no event for index {index} within 10 s"))?;
        let event: serde_json::Value = serde_json::from_str(&data)?;
        if event["index"] == index && event["status"] == "done" {
            return Ok(started.elapsed());
        }
    }
}

/// One line: the distribution of `samples`.
fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{what}, {} runs: min {:.2} ms, p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        samples.len(),
        ms(at(0.0)),
        ms(at(0.5)),
        ms(at(0.9)),
        ms(at(0.99)),
        ms(at(1.0))
    );
}

fn latency(
    api: &str,
    redis_url: &str,
    index: u64,
    runs: usize,
    warmup: usize,
) -> anyhow::Result<()> {
    let mut redis = redis::Client::open(redis_url)?
        .get_connection()
        .context("cannot reach Redis")?;
    let evict = redis::Script::new(EVICT);
    let events = listen(&format!("{api}/values/events"))?;
    let http = reqwest::blocking::Client::new();
    let mut samples = Vec::with_capacity(runs);
    eprintln!("measuring submit → event for index {index}: {warmup} warm-up runs, then {runs}");
    for run in 0..warmup + runs {
        let _: i64 = evict
            .key(format!("{{fib}}:value:{index}"))
            .key("{fib}:stored")
            .key("{fib}:cache_bytes")
            .arg(index)
            .invoke(&mut redis)?;
        while events.try_recv().is_ok() {} // nothing stale
        let elapsed = submit_and_wait(&http, api, &events, index)?;
        if run >= warmup {
            samples.push(elapsed);
        }
    }
    report(&format!("submit → event, index {index}"), &mut samples);
    Ok(())
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Follows an event stream on a thread; yields the data of each `value` event.
fn listen(url: &str) -> anyhow::Result<mpsc::Receiver<String>> {
    let response = reqwest::blocking::Client::builder()
        .build()?
        .get(url)
        .send()
        .context("cannot open the event stream")?;
    let (sender, receiver) = mpsc::channel();
    let (ready_sender, ready) = mpsc::channel();
    std::thread::spawn(move || {
        let mut event = String::new();
        for line in BufReader::new(response).lines() {
            let Ok(line) = line else { break };
            if let Some(name) = line.strip_prefix("event:") {
                event = name.trim().to_owned();
                if event == "ready" {
                    let _ = ready_sender.send(());
                }
            } else if let Some(data) = line.strip_prefix("data:")
                && event == "value"
                && sender.send(data.trim().to_owned()).is_err()
            {
                break;
            }
        }
    });
    ready
        .recv_timeout(Duration::from_secs(10))
        .context("the event stream never said ready")?;
    Ok(receiver)
}
