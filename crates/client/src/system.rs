//! The system view: each service with its state, the queue and the cache, the work per second
//! and its latency over the last minute, and every api replica and worker by name. Asks
//! `/api/system` every second while the page is open.

use std::time::Duration;

use fibstack_core::http::{MemberRole, MemberView, SystemView};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, SystemTrouble};
use crate::trend::{CHART_VIEWBOX, Reading, Trend, bytes_text, duration_text, percent_of, tenths};

// The view is drawn anew from each answer by plain functions, not kept by fine-grained signals:
// a second between answers leaves nothing to gain from them, and their generic code weighed
// about 10 KB gzip on the bundle.

/// Between questions.
const EVERY: Duration = Duration::from_secs(1);

/// The last answer, or why there is none, and the minute's trend.
#[derive(Debug, Clone, Copy)]
struct Live {
    view: RwSignal<Option<SystemView>>,
    trouble: RwSignal<Option<SystemTrouble>>,
    trend: RwSignal<Trend>,
    asking: StoredValue<bool>,
}

impl Live {
    fn new() -> Live {
        Live {
            view: RwSignal::new(None),
            trouble: RwSignal::new(None),
            trend: RwSignal::new(Trend::default()),
            asking: StoredValue::new(false),
        }
    }

    /// Asks once, unless the last question is still out (a slow answer is not piled on).
    fn ask(self) {
        if self.asking.get_value() {
            return;
        }
        self.asking.set_value(true);
        spawn_local(async move {
            match api::system().await {
                Ok(view) => {
                    self.trend.update(|trend| {
                        trend.push(Reading {
                            per_second: view.computed_per_second,
                            p50_ms: view.latency_ms.as_ref().map(|l| l.p50),
                            p95_ms: view.latency_ms.as_ref().map(|l| l.p95),
                        })
                    });
                    self.trouble.set(None);
                    self.view.set(Some(view));
                }
                Err(trouble) => self.trouble.set(Some(trouble)),
            }
            // The page may have been left meanwhile: then there is nothing to mark.
            let _ = self.asking.try_set_value(false);
        });
    }
}

#[component]
pub fn SystemPage() -> impl IntoView {
    let live = Live::new();
    live.ask();
    match set_interval_with_handle(move || live.ask(), EVERY) {
        Ok(handle) => on_cleanup(move || handle.clear()),
        Err(_) => live.trouble.set(Some(SystemTrouble::Unreachable)),
    }
    view! {
        <section class="system">
            <h2>"The system, live"</h2>
            <p class="system-status" role="status">{move || status_line(live)}</p>
            {move || {
                let trouble = live.trouble.get();
                live.view.with(|view| view.as_ref().map(|view| parts(view, trouble)))
            }}
            <h3>"Latency"</h3>
            {move || live.trend.with(chart)}
        </section>
    }
}

fn status_line(live: Live) -> String {
    match (
        live.trouble.get(),
        live.view
            .with(|v| v.as_ref().map(|v| v.answered_by.clone())),
    ) {
        (Some(SystemTrouble::Unreachable), _) => {
            "Nothing answers: the router is down, or the network. Still asking every second."
                .to_owned()
        }
        (Some(SystemTrouble::Answered(status)), _) => format!(
            "The router answers {status}: no api replica behind it answers. Still asking every second."
        ),
        (Some(SystemTrouble::Unreadable), _) => {
            "The answer could not be read; try reloading the page.".to_owned()
        }
        (None, Some(name)) => format!("Updated every second; answered by {name}."),
        (None, None) => "Asking…".to_owned(),
    }
}

/// Everything drawn from the last answer; `trouble` says what the last question met since.
fn parts(view: &SystemView, trouble: Option<SystemTrouble>) -> impl IntoView + use<> {
    view! {
        {services(view, trouble)}
        <h3>"Queue and cache"</h3>
        {queue_and_cache(view)}
        <h3>"Work"</h3>
        <p class="work">{work(view)}</p>
        <h3>"API replicas and workers"</h3>
        {members(view)}
    }
}

/// A service's state, as the row's class and `data-state` say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Up,
    Down,
    /// Cannot be known now (the roster cannot be read, or nothing answered).
    Unknown,
    /// Not part of this deployment (no router in front of `fibstack all`).
    Absent,
}

impl State {
    fn from_up(up: bool) -> State {
        if up { State::Up } else { State::Down }
    }

    fn as_str(self) -> &'static str {
        match self {
            State::Up => "up",
            State::Down => "down",
            State::Unknown => "unknown",
            State::Absent => "none",
        }
    }
}

fn service_row(
    service: &'static str,
    name: &str,
    state: State,
    detail: String,
) -> impl IntoView + use<> {
    let state = state.as_str();
    view! {
        <tr data-service=service data-state=state>
            <th scope="row">{name.to_owned()}</th>
            <td class=state>{state}</td>
            <td>{detail}</td>
        </tr>
    }
}

fn services(view: &SystemView, trouble: Option<SystemTrouble>) -> impl IntoView + use<> {
    // A failed question says who did not answer; the last answer says the rest.
    let (router, api_reached) = match trouble {
        Some(SystemTrouble::Unreachable) => (State::Down, false),
        Some(SystemTrouble::Answered(_)) => (State::Up, false),
        _ if view.through_router => (State::Up, true),
        _ => (State::Absent, true),
    };
    let router_detail = if router == State::Absent {
        "None here: this process serves the page and the api itself."
    } else {
        "nginx: the page and /api come through it."
    };
    let counted = |role: MemberRole| -> (State, String) {
        let Some(members) = &view.members else {
            return (
                State::Unknown,
                "Unknown while the roster cannot be read.".to_owned(),
            );
        };
        let of_role = members.iter().filter(|m| m.role == role);
        let up = of_role.clone().filter(|m| m.up).count();
        let silent = of_role.count() - up;
        let detail = match silent {
            0 => format!("{up} reporting."),
            _ => format!("{up} reporting, {silent} silent."),
        };
        (State::from_up(up > 0), detail)
    };
    let (mut api, api_detail) = counted(MemberRole::Api);
    let (mut workers, workers_detail) = counted(MemberRole::Worker);
    let mut submissions = State::from_up(view.submissions.up);
    let mut values = State::from_up(view.values.up);
    if !api_reached {
        api = State::Down;
        (workers, submissions, values) = (State::Unknown, State::Unknown, State::Unknown);
    }
    let submissions_detail = if view.migrated {
        "Every submission, for good."
    } else {
        "Every submission, for good; its schema is not current yet."
    };
    let values_detail = if view.events {
        "The job queue, the values and their live events."
    } else {
        "The job queue, the values and their live events (not reaching this api replica now)."
    };
    view! {
        <table class="services">
            <tbody>
                {service_row("router", "Router", router, router_detail.to_owned())}
                {service_row("api", "API", api, api_detail)}
                {service_row("workers", "Workers", workers, workers_detail)}
                {service_row(
                    "submissions",
                    store_name(&view.submissions.kind, "SQLite file"),
                    submissions,
                    submissions_detail.to_owned(),
                )}
                {service_row(
                    "values",
                    store_name(&view.values.kind, "In-process queue"),
                    values,
                    values_detail.to_owned(),
                )}
            </tbody>
        </table>
    }
}

/// What the page calls a store of `kind`; `embedded` names the embedded store's part.
fn store_name<'a>(kind: &'a str, embedded: &'static str) -> &'a str {
    match kind {
        "postgres" => "Postgres",
        "redis" => "Redis",
        "embedded" => embedded,
        other => other,
    }
}

fn queue_and_cache(view: &SystemView) -> impl IntoView + use<> {
    let Some(queue) = &view.queue else {
        return view! { <p class="queue">"Unknown while the queue cannot be read."</p> }.into_any();
    };
    let oldest = match queue.oldest_job_age_ms {
        Some(ms) => format!("; the oldest has waited {}", duration_text(ms as f64)),
        None => String::new(),
    };
    let cache = format!(
        " Cache: {} of {} ({} %); past it the oldest values are evicted.",
        bytes_text(queue.cache_bytes),
        bytes_text(queue.cache_budget_bytes),
        percent_of(queue.cache_bytes, queue.cache_budget_bytes),
    );
    view! {
        <p class="queue" data-jobs=queue.jobs>
            {format!("{} jobs waiting or running{oldest}.", queue.jobs)}
        </p>
        <p class="cache">
            <meter min="0" max=queue.cache_budget_bytes value=queue.cache_bytes></meter>
            {cache}
        </p>
    }
    .into_any()
}

fn work(view: &SystemView) -> String {
    let latency = match &view.latency_ms {
        Some(l) => format!(
            "; submission to value: p50 {}, p95 {}, p99 {} (of {})",
            duration_text(l.p50),
            duration_text(l.p95),
            duration_text(l.p99),
            l.samples
        ),
        None => "; nothing computed in the last few seconds".to_owned(),
    };
    format!(
        "{} values computed a second{latency}.",
        tenths(view.computed_per_second)
    )
}

fn chart(trend: &Trend) -> impl IntoView + use<> {
    let lines = |percentile: fn(&Reading) -> Option<f64>, class: &'static str| {
        trend
            .lines(percentile)
            .into_iter()
            .map(|points| view! { <polyline class=class points=points /> })
            .collect_view()
    };
    view! {
        <figure class="latency">
            <svg
                viewBox=CHART_VIEWBOX
                preserveAspectRatio="none"
                role="img"
                aria-label="Submission to value latency, last minute"
            >
                {lines(|r| r.p95_ms, "p95")}
                {lines(|r| r.p50_ms, "p50")}
            </svg>
            <figcaption>
                {format!(
                    "Submission to value over the last minute, p95 (red) and p50 (blue); the top is {}.",
                    duration_text(trend.scale_ms())
                )}
            </figcaption>
        </figure>
    }
}

fn members(view: &SystemView) -> impl IntoView + use<> {
    let rows = view.members.iter().flatten().map(member_row).collect_view();
    view! {
        <table class="members">
            <thead>
                <tr><th>"Name"</th><th>"Role"</th><th>"State"</th><th>"Work"</th></tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

fn member_row(member: &MemberView) -> impl IntoView + use<> {
    let role = match member.role {
        MemberRole::Api => "api",
        MemberRole::Worker => "worker",
    };
    let state = match (member.up, member.waiting_for_queue) {
        (true, true) => "up, waiting for the queue".to_owned(),
        (true, false) => "up".to_owned(),
        (false, _) => format!("silent for {}", duration_text(member.silent_ms as f64)),
    };
    let work = match (member.role, member.computed_per_second, &member.latency_ms) {
        (MemberRole::Worker, Some(rate), Some(latency)) => format!(
            "{} a second, p95 {}",
            tenths(rate),
            duration_text(latency.p95)
        ),
        (MemberRole::Worker, Some(rate), None) => format!("{} a second", tenths(rate)),
        _ => format!("event streams open: {}", member.event_streams.unwrap_or(0)),
    };
    view! {
        <tr data-member=member.name.clone() data-role=role data-up=member.up.to_string()>
            <td>{member.name.clone()}</td>
            <td>{role}</td>
            <td>{state}</td>
            <td>{work}</td>
        </tr>
    }
}
