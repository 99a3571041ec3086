//! `GET /system`: each part of the system and how it is doing, for the page's system view, which
//! asks every second while it is open. Every part is read at once, each with a short deadline:
//! a part that does not answer in time shows as down instead of holding the answer up.

use std::future::Future;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use fibstack_core::BackendError;
use fibstack_core::http::{
    LatencyView, MemberRole, MemberView, QueueView, ServiceState, SystemView,
};
use fibstack_core::roster::{LatencyHistogram, Member, Report, SILENT_AFTER};
use fibstack_core::store::QueueStats;

use super::state::AppState;

/// Each part's deadline: well inside the page's second between questions.
const PART_DEADLINE: Duration = Duration::from_millis(800);

/// The system as this replica sees it now.
#[utoipa::path(get, path = "/system", tag = "operations",
    responses((status = 200, body = SystemView)))]
pub async fn view(State(state): State<AppState>, headers: HeaderMap) -> Json<SystemView> {
    let (submissions, values, stats, members) = tokio::join!(
        within(state.submissions.ping()),
        within(state.values.ping()),
        within(state.values.queue_stats()),
        within(state.roster.members()),
    );
    let (members, computed_per_second, latency_ms) = match members {
        Some(members) => {
            let summary = summarise(&members);
            (Some(summary.members), summary.per_second, summary.latency)
        }
        None => (None, 0.0, None),
    };
    Json(SystemView {
        answered_by: state.name.clone(),
        // The router adds it to everything it passes on.
        through_router: headers.contains_key("x-forwarded-for"),
        submissions: ServiceState {
            kind: state.submissions.kind().to_owned(),
            up: submissions.is_some(),
        },
        values: ServiceState {
            kind: state.values.kind().to_owned(),
            up: values.is_some(),
        },
        migrated: state.is_schema_ready(),
        events: state
            .events_subscribed
            .load(std::sync::atomic::Ordering::Acquire),
        queue: stats.map(|stats| queue_view(&stats, state.metrics.cache_budget)),
        members,
        computed_per_second,
        latency_ms,
    })
}

/// The part's answer, or `None` if it failed or took longer than [`PART_DEADLINE`].
async fn within<T>(part: impl Future<Output = Result<T, BackendError>>) -> Option<T> {
    tokio::time::timeout(PART_DEADLINE, part).await.ok()?.ok()
}

fn queue_view(stats: &QueueStats, cache_budget: u64) -> QueueView {
    QueueView {
        jobs: stats.jobs,
        oldest_job_age_ms: stats
            .oldest_job_age
            .map(|age| u64::try_from(age.as_millis()).unwrap_or(u64::MAX)),
        cache_bytes: stats.cache_bytes,
        cache_budget_bytes: cache_budget,
    }
}

/// The members as the page shows them, and the work of those that are up, in all.
#[derive(Debug, PartialEq)]
struct Summary {
    members: Vec<MemberView>,
    per_second: f64,
    latency: Option<LatencyView>,
}

fn summarise(members: &[Member]) -> Summary {
    let mut per_second = 0.0;
    let mut latency = LatencyHistogram::default();
    let mut members: Vec<MemberView> = members
        .iter()
        .map(|member| {
            let up = member.silent_for <= SILENT_AFTER;
            let silent_ms = u64::try_from(member.silent_for.as_millis()).unwrap_or(u64::MAX);
            match &member.report {
                Report::Api { event_streams } => MemberView {
                    name: member.name.clone(),
                    role: MemberRole::Api,
                    up,
                    silent_ms,
                    computed_per_second: None,
                    latency_ms: None,
                    waiting_for_queue: false,
                    event_streams: Some(*event_streams),
                },
                Report::Worker(figures) => {
                    // A silent worker's last figures are history, not current work.
                    if up {
                        per_second += figures.per_second();
                        latency.add(&figures.latency);
                    }
                    MemberView {
                        name: member.name.clone(),
                        role: MemberRole::Worker,
                        up,
                        silent_ms,
                        computed_per_second: Some(figures.per_second()),
                        latency_ms: latency_view(&figures.latency),
                        waiting_for_queue: figures.waiting_for_queue,
                        event_streams: None,
                    }
                }
            }
        })
        .collect();
    // A steady order to read: the roster's changes with every report.
    members.sort_by(|a, b| (a.role, &a.name).cmp(&(b.role, &b.name)));
    Summary {
        members,
        per_second,
        latency: latency_view(&latency),
    }
}

fn latency_view(latency: &LatencyHistogram) -> Option<LatencyView> {
    Some(LatencyView {
        p50: latency.quantile_ms(0.5)?,
        p95: latency.quantile_ms(0.95)?,
        p99: latency.quantile_ms(0.99)?,
        samples: latency.count(),
    })
}

#[cfg(test)]
mod tests {
    use fibstack_core::roster::WorkerFigures;

    use super::*;

    fn worker(name: &str, silent_ms: u64, computed: u64, latency_ms: u64) -> Member {
        let mut latency = LatencyHistogram::default();
        for _ in 0..computed {
            latency.observe(Duration::from_millis(latency_ms));
        }
        Member {
            name: name.to_owned(),
            report: Report::Worker(WorkerFigures {
                computed,
                window_ms: 2000,
                latency,
                waiting_for_queue: false,
            }),
            silent_for: Duration::from_millis(silent_ms),
        }
    }

    #[test]
    fn only_workers_that_are_up_count_towards_the_totals() {
        let api = Member {
            name: "api-1".to_owned(),
            report: Report::Api { event_streams: 3 },
            silent_for: Duration::from_millis(200),
        };
        let summary = summarise(&[
            worker("fast", 100, 20, 3),
            api,
            worker("slow", 900, 4, 1000),
            worker("killed", 10_000, 50, 1),
        ]);
        assert_eq!(
            summary.per_second,
            10.0 + 2.0,
            "the killed worker's 25/s left out"
        );
        let latency = summary.latency.expect("24 values computed");
        assert_eq!(latency.samples, 24);
        assert!(latency.p50 <= 4.0, "most values took 3 ms: {latency:?}");
        assert!(latency.p99 > 512.0, "four took a second: {latency:?}");

        let states: Vec<(&str, MemberRole, bool)> = summary
            .members
            .iter()
            .map(|m| (m.name.as_str(), m.role, m.up))
            .collect();
        assert_eq!(
            states,
            [
                ("api-1", MemberRole::Api, true),
                ("fast", MemberRole::Worker, true),
                ("killed", MemberRole::Worker, false),
                ("slow", MemberRole::Worker, true),
            ],
            "api replicas first, then workers, by name"
        );
        assert_eq!(summary.members[0].event_streams, Some(3));
        assert_eq!(summary.members[2].silent_ms, 10_000);
        assert_eq!(summary.members[2].computed_per_second, Some(25.0));
    }

    #[test]
    fn with_nothing_computed_there_is_no_latency() {
        let summary = summarise(&[worker("idle", 0, 0, 0)]);
        assert_eq!(summary.per_second, 0.0);
        assert_eq!(summary.latency, None);
        assert_eq!(summary.members[0].latency_ms, None);
    }
}
