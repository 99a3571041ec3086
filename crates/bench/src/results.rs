//! What a run of `scripts/bench` keeps for its charts, and the charts drawn from it.
//!
//! - `latency-*.json`: every submit → event sample of one latency command ([`LatencySamples`]);
//! - `throughput.tsv`: `load<TAB>mode<TAB>ratio to the native stack`, a line per run;
//! - `memory.tsv`: `seconds<TAB>api KB<TAB>worker KB`, sampled while the run went on.

use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::plot::{Group, Labels, Scale, Series, bar_chart, line_chart};

/// The samples of one latency command, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencySamples {
    /// How the command loaded the stack: `1 client`, `16 clients`.
    pub label: String,
    pub event_ms: Vec<f64>,
    pub answered_ms: Vec<f64>,
}

pub fn write_latency(path: &Path, samples: &LatencySamples) -> anyhow::Result<()> {
    std::fs::write(path, serde_json::to_string(samples)?)
        .with_context(|| format!("cannot write the samples to {}", path.display()))
}

/// Draws latency.svg, throughput.svg and memory.svg into `out` from the files in `results`.
pub fn plot(results: &Path, out: &Path) -> anyhow::Result<()> {
    let mut latencies = Vec::new();
    for entry in std::fs::read_dir(results)
        .with_context(|| format!("cannot read the results in {}", results.display()))?
    {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with("latency-") && name.ends_with(".json") {
            let text = read(&path)?;
            let samples: LatencySamples = serde_json::from_str(&text).with_context(|| {
                format!("{} is not a latency command's samples", path.display())
            })?;
            latencies.push(samples);
        }
    }
    if latencies.is_empty() {
        bail!(
            "no latency-*.json in {}: run the latency commands with --samples-to",
            results.display()
        );
    }
    let throughput = parse_throughput(&read(&results.join("throughput.tsv"))?)?;
    let memory = parse_memory(&read(&results.join("memory.tsv"))?)?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for (name, svg) in [
        ("latency.svg", latency_chart(latencies)),
        ("throughput.svg", throughput_chart(&throughput)),
        ("memory.svg", memory_chart(&memory)),
    ] {
        let path = out.join(name);
        std::fs::write(&path, svg).with_context(|| format!("cannot write {}", path.display()))?;
        println!("drew {}", path.display());
    }
    Ok(())
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// One line of `throughput.tsv`.
#[derive(Debug, Clone, PartialEq)]
struct Throughput {
    load: String,
    mode: String,
    ratio: f64,
}

fn parse_throughput(text: &str) -> anyhow::Result<Vec<Throughput>> {
    lines(text)
        .map(|(number, fields)| match fields[..] {
            [load, mode, ratio] => Ok(Throughput {
                load: load.to_owned(),
                mode: mode.to_owned(),
                ratio: number_in(ratio, "throughput.tsv", number)?,
            }),
            _ => bail!("throughput.tsv line {number}: expected load, mode and ratio"),
        })
        .collect()
}

/// One sample of `memory.tsv`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Memory {
    seconds: f64,
    api_kb: f64,
    worker_kb: f64,
}

fn parse_memory(text: &str) -> anyhow::Result<Vec<Memory>> {
    lines(text)
        .map(|(number, fields)| match fields[..] {
            [seconds, api, worker] => Ok(Memory {
                seconds: number_in(seconds, "memory.tsv", number)?,
                api_kb: number_in(api, "memory.tsv", number)?,
                worker_kb: number_in(worker, "memory.tsv", number)?,
            }),
            _ => bail!("memory.tsv line {number}: expected seconds, api KB and worker KB"),
        })
        .collect()
}

/// The non-empty lines, numbered from 1, split at tabs.
fn lines(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| (n + 1, line.split('\t').map(str::trim).collect()))
}

fn number_in(field: &str, file: &str, line: usize) -> anyhow::Result<f64> {
    field
        .parse()
        .ok()
        .filter(|value: &f64| value.is_finite())
        .with_context(|| format!("{file} line {line}: {field:?} is not a number"))
}

/// The share of submissions whose event had arrived by each time: one line per load, fewest
/// clients first, each through at most 201 points (every half percentile).
fn latency_chart(mut latencies: Vec<LatencySamples>) -> String {
    latencies.sort_by_key(|samples| clients(&samples.label));
    let series: Vec<Series> = latencies
        .into_iter()
        .map(|samples| {
            let mut times = samples.event_ms;
            times.sort_by(f64::total_cmp);
            let points = (0..=200)
                .filter_map(|step| {
                    let share = f64::from(step) / 200.0;
                    let at = ((times.len().checked_sub(1)?) as f64 * share).round() as usize;
                    Some((times[at], share * 100.0))
                })
                .collect();
            Series {
                name: samples.label,
                points,
            }
        })
        .collect();
    line_chart(
        Labels {
            title: "Submit → value event: share arrived within a time",
            x: "milliseconds (log scale)",
            y: "% of submissions",
        },
        Scale::Log,
        &series,
    )
}

/// `16 clients` → 16, for the order of the lines.
fn clients(label: &str) -> u64 {
    label
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX)
}

fn throughput_chart(throughput: &[Throughput]) -> String {
    let mut groups: Vec<Group> = Vec::new();
    for run in throughput {
        let bar = (run.mode.clone(), run.ratio);
        match groups.iter_mut().find(|group| group.name == run.load) {
            Some(group) => group.bars.push(bar),
            None => groups.push(Group {
                name: run.load.clone(),
                bars: vec![bar],
            }),
        }
    }
    bar_chart(
        Labels {
            title: "Throughput by mode, as a ratio to the native stack",
            x: "load",
            y: "× the native stack's req/s",
        },
        &groups,
        Some(1.0),
    )
}

fn memory_chart(memory: &[Memory]) -> String {
    let series = |name: &str, kb: fn(&Memory) -> f64| Series {
        name: name.to_owned(),
        points: memory.iter().map(|m| (m.seconds, kb(m) / 1024.0)).collect(),
    };
    line_chart(
        Labels {
            title: "Resident memory through the run",
            x: "seconds",
            y: "MiB",
        },
        Scale::Linear,
        &[
            series("api", |m| m.api_kb),
            series("worker", |m| m.worker_kb),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_s_files_read_line_by_line_and_a_bad_line_is_named() {
        let throughput = parse_throughput("GET current\tstack\t1\n\nGET current\tembedded\t1.58\n")
            .expect("read");
        assert_eq!(throughput.len(), 2);
        assert_eq!(throughput[1].ratio, 1.58);
        let error = parse_throughput("GET\tstack\tfast\n").expect_err("not a number");
        assert!(error.to_string().contains("line 1"), "{error}");
        let memory = parse_memory("5\t9844\t7056\n10\t15536\t10000\n").expect("read");
        assert_eq!(memory[1].api_kb, 15536.0);
        assert!(parse_memory("5\t9844\n").is_err(), "a missing column");
    }

    #[test]
    fn latency_lines_are_drawn_fewest_clients_first_through_the_sorted_samples() {
        let samples = |label: &str, event_ms: Vec<f64>| LatencySamples {
            label: label.to_owned(),
            event_ms,
            answered_ms: Vec::new(),
        };
        let svg = latency_chart(vec![
            samples("64 clients", vec![30.0, 10.0, 20.0]),
            samples("1 client", vec![1.0, 2.0]),
        ]);
        let first = svg.find(">1 client<").expect("legend");
        let last = svg.find(">64 clients<").expect("legend");
        assert!(first < last, "fewest clients first");
        assert_eq!(svg.matches("<polyline").count(), 2);
    }

    #[test]
    fn bars_are_grouped_by_load_in_the_order_the_run_measured_them() {
        let svg = throughput_chart(&[
            Throughput {
                load: "POST".to_owned(),
                mode: "stack".to_owned(),
                ratio: 1.0,
            },
            Throughput {
                load: "GET".to_owned(),
                mode: "stack".to_owned(),
                ratio: 1.0,
            },
            Throughput {
                load: "POST".to_owned(),
                mode: "embedded".to_owned(),
                ratio: 1.6,
            },
        ]);
        let post = svg.find(">POST<").expect("group");
        let get = svg.find(">GET<").expect("group");
        assert!(post < get);
        assert!(svg.contains("embedded: 1.6"));
    }
}
