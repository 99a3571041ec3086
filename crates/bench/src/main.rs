//! `fibstack-bench latency`: how long from `POST /values` until the value's event arrives on
//! `/values/events`, measured by a client that is both submitter and listener, over many runs.
//!
//! Each run first evicts the index's cached value (keeping the cache's own bookkeeping right),
//! so every submission really goes through the queue, a worker, the store and the event relay.
//!
//! `fibstack-bench concurrent`: the same with many clients at once, each with its own event
//! stream (as browsers have), submitting distinct indexes so each one is computed.
//!
//! An event's time is when its bytes arrived, as a page would show the value; the time until the
//! POST was answered is reported beside it. The clients are tasks on one thread, so the
//! measuring costs the machine it shares with the stack as little as it can.
//!
//! `fibstack-bench page`: the page in headless Chromium, as a first-time visitor, however many
//! submissions the stack holds: how soon its first value lines are drawn, and its elements.
//!
//! `fibstack-bench plot`: the charts of a run of `scripts/bench`, drawn from the numbers it kept
//! (`--samples-to` of the latency commands, and its throughput and memory files).

mod events;
mod page;
mod plot;
mod results;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use events::Events;
use fibstack_core::FibIndex;
use fibstack_redis::keys;

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
        /// Also write every sample to this JSON file, for `plot`.
        #[arg(long)]
        samples_to: Option<PathBuf>,
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
        /// Also write every sample to this JSON file, for `plot`.
        #[arg(long)]
        samples_to: Option<PathBuf>,
    },
    /// The page's first value lines and its size, loaded in headless Chromium.
    Page {
        /// The page through the router, e.g. http://127.0.0.1:3050/
        #[arg(long)]
        url: String,
        /// Page loads, each in a fresh browser.
        #[arg(long, default_value_t = 5)]
        loads: usize,
    },
    /// Draws a run's charts as SVG: latency.svg, throughput.svg and memory.svg.
    Plot {
        /// What the run kept: latency-*.json, throughput.tsv, memory.tsv.
        #[arg(long)]
        results: PathBuf,
        /// Where the charts go.
        #[arg(long)]
        out: PathBuf,
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
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match Cli::parse().command {
            Command::Latency {
                api,
                redis,
                index,
                runs,
                warmup,
                samples_to,
            } => {
                let samples = latency(&api, &redis, index, runs, warmup).await?;
                report("1 client", &format!("index {index}"), &samples, samples_to)
            }
            Command::Concurrent {
                api,
                clients,
                runs,
                first_index,
                samples_to,
            } => {
                let samples = concurrent(&api, clients, runs, first_index).await?;
                let label = format!("{clients} clients");
                report(&label, &label, &samples, samples_to)
            }
            Command::Page { url, loads } => page_figures(&url, loads).await,
            Command::Plot { results, out } => results::plot(&results, &out),
        }
    })
}

/// What one submission took: until its event arrived, and until its POST was answered.
#[derive(Debug, Clone, Copy)]
struct Sample {
    event: Duration,
    answered: Duration,
}

async fn concurrent(
    api: &str,
    clients: usize,
    runs: usize,
    first_index: u64,
) -> anyhow::Result<Vec<Sample>> {
    eprintln!("measuring submit → event with {clients} clients, {runs} submissions each");
    let http = reqwest::Client::new();
    let mut streams = Vec::with_capacity(clients);
    for _ in 0..clients {
        streams.push(Events::open(&http, &format!("{api}/values/events")).await?);
    }
    let tasks: Vec<_> = streams
        .into_iter()
        .enumerate()
        .map(|(client, mut events)| {
            let http = http.clone();
            let api = api.to_owned();
            tokio::spawn(async move {
                let mut samples = Vec::with_capacity(runs);
                for run in 0..runs {
                    let index = first_index + (run * clients + client) as u64;
                    samples.push(submit_and_wait(&http, &api, &mut events, index).await?);
                }
                anyhow::Ok(samples)
            })
        })
        .collect();
    let mut samples = Vec::with_capacity(clients * runs);
    for task in tasks {
        samples.extend(task.await.context("a client task panicked")??);
    }
    Ok(samples)
}

/// Submits `index` and waits for its `done` event.
async fn submit_and_wait(
    http: &reqwest::Client,
    api: &str,
    events: &mut Events,
    index: u64,
) -> anyhow::Result<Sample> {
    let started = Instant::now();
    let reply = http
        .post(format!("{api}/values"))
        .header("Content-Type", "application/json")
        .body(format!("{{\"index\": {index}}}"))
        .send()
        .await?;
    let answered = started.elapsed();
    let status = reply.status();
    if !status.is_success() {
        bail!(
            "POST answered {status}: {}",
            reply.text().await.unwrap_or_default()
        );
    }
    let arrived = events.done(index).await?;
    Ok(Sample {
        event: arrived.saturating_duration_since(started),
        answered,
    })
}

/// Two lines: the distribution of the events' times, and of the answers'; every sample also
/// goes to `samples_to`, under `label`, when it is given.
fn report(
    label: &str,
    what: &str,
    samples: &[Sample],
    samples_to: Option<PathBuf>,
) -> anyhow::Result<()> {
    let mut events: Vec<Duration> = samples.iter().map(|sample| sample.event).collect();
    let mut answers: Vec<Duration> = samples.iter().map(|sample| sample.answered).collect();
    println!(
        "submit → event, {what}, {} runs: {}",
        samples.len(),
        distribution(&mut events)
    );
    println!(
        "submit → POST answered, {what}: {}",
        distribution(&mut answers)
    );
    if let Some(path) = samples_to {
        let kept = results::LatencySamples {
            label: label.to_owned(),
            event_ms: events.iter().copied().map(ms).collect(),
            answered_ms: answers.iter().copied().map(ms).collect(),
        };
        results::write_latency(&path, &kept)?;
    }
    Ok(())
}

fn distribution(samples: &mut [Duration]) -> String {
    samples.sort();
    let at = |q: f64| ms(samples[((samples.len() - 1) as f64 * q).round() as usize]);
    format!(
        "min {:.2} ms, p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        at(0.0),
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0)
    )
}

async fn latency(
    api: &str,
    redis_url: &str,
    index: u64,
    runs: usize,
    warmup: usize,
) -> anyhow::Result<Vec<Sample>> {
    let mut redis = redis::Client::open(redis_url)?
        .get_multiplexed_async_connection()
        .await
        .context("cannot reach Redis")?;
    let evict = redis::Script::new(EVICT);
    let value_of = FibIndex::try_from(index).context("the index is past any fibstack's limit")?;
    let http = reqwest::Client::new();
    let mut events = Events::open(&http, &format!("{api}/values/events")).await?;
    let mut samples = Vec::with_capacity(runs);
    eprintln!("measuring submit → event for index {index}: {warmup} warm-up runs, then {runs}");
    for run in 0..warmup + runs {
        let _: i64 = evict
            .key(keys::value(value_of))
            .key(keys::STORED_ORDER)
            .key(keys::CACHE_BYTES)
            .arg(index)
            .invoke_async(&mut redis)
            .await?;
        events.clear(); // nothing stale
        let sample = submit_and_wait(&http, api, &mut events, index).await?;
        if run >= warmup {
            samples.push(sample);
        }
    }
    Ok(samples)
}

async fn page_figures(url: &str, loads: usize) -> anyhow::Result<()> {
    if loads == 0 {
        bail!("--loads must be at least 1: the figure is the median of the loads");
    }
    let submissions = reqwest::get(format!(
        "{}/api/values/all?limit=1",
        url.trim_end_matches('/')
    ))
    .await?
    .headers()
    .get("x-total-count")
    .and_then(|total| total.to_str().ok()?.parse::<u64>().ok())
    .context("the api did not say how many submissions it holds")?;
    eprintln!("loading the page {loads} times in headless Chromium, each a first visit");
    let mut measured = page::measure(url, loads).await?;
    measured.sort_by(|a, b| a.first_values_ms.total_cmp(&b.first_values_ms));
    let median = measured[measured.len() / 2];
    println!(
        "the page with {submissions} submissions, {loads} first visits: first value lines after {:.0} ms (median; {:.0} to {:.0}), {} elements",
        median.first_values_ms,
        measured[0].first_values_ms,
        measured[measured.len() - 1].first_values_ms,
        median.elements
    );
    Ok(())
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
