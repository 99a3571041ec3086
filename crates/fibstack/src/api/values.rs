//! The handlers of the values contract: the course's three calls and the new ones.

use std::collections::VecDeque;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header::{ACCEPT, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use fibstack_core::FibIndex;
use fibstack_core::http::{
    NOTHING_YET, SubmittedNumber, ValueDetail, ValueStatus, ValueSummary, Working,
};
use fibstack_core::store::{CachedState, Enqueued, Lookup};
use futures_util::stream::{self, StreamExt};

use super::error::ApiError;
use super::extract::{Limit, RequestTrace, SubmittedIndex};
use super::lists::{Answer, List};
use super::metrics::OutcomeLabels;
use super::state::AppState;

/// Indexes whose value is missing are queued again when read, at most this many per request,
/// so one read of a long list after a Redis wipe does not queue thousands of jobs at once.
const HEAL_PER_REQUEST: usize = 100;

/// Submit an index; its value is computed in the background.
#[utoipa::path(post, path = "/values", tag = "values",
    params(("traceparent" = Option<String>, Header, description = "W3C Trace Context: the job, and the worker's log and span of its computation, join this trace (a malformed one is ignored). Without one, a job joins a trace only where spans are exported: the request's own")),
    request_body(content = serde_json::Value, description = "`{\"index\": 7}` or `{\"index\": \"7\"}`", content_type = "application/json"),
    responses(
        (status = 200, description = "Accepted", body = Working,
            headers(("traceresponse" = String, description = "W3C Trace Context: the trace the job joined (`00-<trace id>-<span id>-<flags>`), when it joined one; the worker's log of the computation names its trace id"))),
        (status = 400, description = "Malformed JSON", body = fibstack_core::http::ErrorBody),
        (status = 413, description = "Body too large", body = fibstack_core::http::ErrorBody),
        (status = 415, description = "Not JSON", body = fibstack_core::http::ErrorBody),
        (status = 422, description = "Not an integer in 0..=FIB_MAX_INDEX", body = fibstack_core::http::ErrorBody),
        (status = 503, description = "A backing service is down or the queue is full", body = fibstack_core::http::ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(index = %index.0))]
pub async fn submit(
    State(state): State<AppState>,
    trace: RequestTrace,
    index: SubmittedIndex,
) -> Result<(RequestTrace, Json<Working>), ApiError> {
    let SubmittedIndex(index) = index;
    let outcome = state.intake.submit(index, trace.0).await?;
    if outcome == Enqueued::QueueFull {
        return Err(ApiError::QueueFull);
    }
    // This process's lists change now; other replicas' within FRESH_FOR (see `lists`).
    state.lists.forget();
    let outcome = match outcome {
        Enqueued::Added => "queued",
        Enqueued::AlreadyQueued => "already_queued",
        Enqueued::AlreadyDone => "already_done",
        Enqueued::Failed | Enqueued::QueueFull => "failed_before",
    };
    state
        .metrics
        .submissions
        .get_or_create(&OutcomeLabels { outcome })
        .inc();
    Ok((trace, Json(Working { working: true })))
}

/// How many submissions there are in all, beside `/values/all`'s latest ones.
pub const TOTAL_COUNT: &str = "x-total-count";

/// The latest submissions, oldest first (the course's `SELECT number FROM values`).
#[utoipa::path(get, path = "/values/all", tag = "values",
    params(("limit" = Option<u32>, Query, minimum = 1, maximum = 10000, description = "How many of the latest submissions (default 1000)")),
    responses(
        (status = 200, body = [SubmittedNumber],
         headers(("X-Total-Count" = u64, description = "How many submissions there are in all; the body holds the latest `limit` of them"))),
        (status = 400, description = "A limit out of range", body = fibstack_core::http::ErrorBody),
        (status = 503, body = fibstack_core::http::ErrorBody)))]
pub async fn all(
    State(state): State<AppState>,
    Limit(limit): Limit<1000, 10_000>,
) -> Result<Response, ApiError> {
    if let Some(answer) = state.lists.get(List::All, limit) {
        return Ok(answered(answer));
    }
    let generation = state.lists.generation();
    let (latest, total) =
        tokio::try_join!(state.submissions.latest(limit), state.submissions.count())?;
    let rows: Vec<SubmittedNumber> = latest
        .into_iter()
        .map(|index| SubmittedNumber {
            number: index.get(),
        })
        .collect();
    Ok(kept(
        &state,
        List::All,
        limit,
        generation,
        &rows,
        Some(total),
    ))
}

/// Serialises an answer, keeps it for the next readers, and answers it.
fn kept(
    state: &AppState,
    list: List,
    limit: u32,
    generation: u64,
    rows: &impl serde::Serialize,
    total: Option<u64>,
) -> Response {
    match serde_json::to_vec(rows) {
        Ok(bytes) => kept_answer(
            state,
            list,
            limit,
            generation,
            Answer {
                body: Bytes::from(bytes),
                total,
            },
        ),
        // Numbers and strings always serialise; should that change, axum answers 500.
        Err(_) => Json(rows).into_response(),
    }
}

/// Keeps an answer already serialised, and answers it.
fn kept_answer(
    state: &AppState,
    list: List,
    limit: u32,
    generation: u64,
    answer: Answer,
) -> Response {
    state.lists.put(list, limit, generation, answer.clone());
    answered(answer)
}

fn answered(answer: Answer) -> Response {
    let mut response = ([(CONTENT_TYPE, "application/json")], answer.body).into_response();
    if let Some(total) = answer.total {
        response
            .headers_mut()
            .insert(TOTAL_COUNT, HeaderValue::from(total));
    }
    response
}

/// Values fetched per Redis round trip while streaming `/values/current`: the api holds at most
/// this many values at a time (13 MB of F(10^6)-sized ones), whatever the limit asks for — a
/// thousand values of F(10^6) would be 200 MB. The course's 40 small values take one round trip.
const CURRENT_CHUNK: usize = 64;

/// Index → decimal value for the most recently submitted indexes; `"Nothing yet!"` until computed.
#[utoipa::path(get, path = "/values/current", tag = "values",
    params(("limit" = Option<u32>, Query, minimum = 1, maximum = 10000, description = "How many recent distinct indexes (default 1000)")),
    responses((status = 200, body = std::collections::BTreeMap<String, String>), (status = 400, description = "A limit out of range", body = fibstack_core::http::ErrorBody), (status = 503, body = fibstack_core::http::ErrorBody)))]
pub async fn current(
    State(state): State<AppState>,
    Limit(limit): Limit<1000, 10_000>,
) -> Result<Response, ApiError> {
    if let Some(answer) = state.lists.get(List::Current, limit) {
        return Ok(answered(answer));
    }
    let generation = state.lists.generation();
    let indexes = state.submissions.recent_indexes(limit).await?;
    if indexes.len() <= CURRENT_CHUNK {
        // One chunk (the course's 40 values): answered whole, and kept.
        let entries = current_entries(&state, &indexes).await?;
        let body = Bytes::from(format!("{{{entries}}}"));
        return Ok(kept_answer(
            &state,
            List::Current,
            limit,
            generation,
            Answer::json(body),
        ));
    }
    let mut chunks: VecDeque<Vec<FibIndex>> =
        indexes.chunks(CURRENT_CHUNK).map(<[_]>::to_vec).collect();
    // The first chunk is read before answering, so an unreachable Redis is still a clean 503.
    let first = match chunks.pop_front() {
        Some(chunk) => current_entries(&state, &chunk).await?,
        None => String::new(),
    };
    let rest = stream::unfold((state, chunks), |(state, mut chunks)| async move {
        let chunk = chunks.pop_front()?;
        let entries = current_entries(&state, &chunk).await;
        if let Err(error) = &entries {
            tracing::warn!(%error, "/values/current cut short");
        }
        Some((
            entries.map(|text| Bytes::from(format!(",{text}"))),
            (state, chunks),
        ))
    });
    let body = stream::once(async move { Ok(Bytes::from(format!("{{{first}"))) })
        .chain(rest)
        .chain(stream::once(async { Ok(Bytes::from_static(b"}")) }));
    Ok((
        [(CONTENT_TYPE, "application/json")],
        Body::from_stream(body),
    )
        .into_response())
}

/// `"7":"13","8":"21"` for one chunk; queues again the values missing from the cache.
async fn current_entries(state: &AppState, indexes: &[FibIndex]) -> Result<String, ApiError> {
    let values = state.values.values(indexes).await?;
    let missing: Vec<FibIndex> = indexes
        .iter()
        .zip(&values)
        .filter(|(_, value)| value.is_none())
        .map(|(index, _)| *index)
        .collect();
    heal(state, &missing).await?;
    let entries: Vec<String> = indexes
        .iter()
        .zip(values)
        .map(|(index, value)| {
            // Keys are digits and values digits or NOTHING_YET: nothing to escape.
            format!(
                "\"{index}\":\"{}\"",
                value.as_deref().unwrap_or(NOTHING_YET)
            )
        })
        .collect();
    Ok(entries.join(","))
}

/// Summaries of the most recently submitted indexes, newest first.
#[utoipa::path(get, path = "/values", tag = "values",
    params(("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "How many (default 100)")),
    responses((status = 200, body = [ValueSummary]), (status = 400, description = "A limit out of range", body = fibstack_core::http::ErrorBody), (status = 503, body = fibstack_core::http::ErrorBody)))]
pub async fn summaries(
    State(state): State<AppState>,
    Limit(limit): Limit<100, 1000>,
) -> Result<Response, ApiError> {
    if let Some(answer) = state.lists.get(List::Summaries, limit) {
        return Ok(answered(answer));
    }
    let generation = state.lists.generation();
    let indexes = state.submissions.recent_indexes(limit).await?;
    let states = state.values.states(&indexes).await?;
    let unknown: Vec<FibIndex> = indexes
        .iter()
        .zip(&states)
        .filter(|(_, cached)| matches!(cached, CachedState::Unknown))
        .map(|(index, _)| *index)
        .collect();
    heal(&state, &unknown).await?;
    let summaries: Vec<ValueSummary> = indexes
        .into_iter()
        .zip(states)
        .map(|(index, cached)| summary(index, cached))
        .collect();
    Ok(kept(
        &state,
        List::Summaries,
        limit,
        generation,
        &summaries,
        None,
    ))
}

fn summary(index: FibIndex, cached: CachedState) -> ValueSummary {
    let (status, stored) = match cached {
        CachedState::Done(stored) => (ValueStatus::Done, Some(stored)),
        CachedState::Failed => (ValueStatus::Failed, None),
        CachedState::Unknown => (ValueStatus::Pending, None),
    };
    ValueSummary {
        index: index.get(),
        status,
        digits: stored.as_ref().map(|stored| stored.digits),
        computed_at: stored
            .as_ref()
            .and_then(|stored| stored.computed_at)
            .map(|at| DateTime::<Utc>::from(at).to_rfc3339_opts(SecondsFormat::Millis, true)),
        preview: stored.map(|stored| stored.preview),
    }
}

/// One index: status and whole value as JSON, or with `Accept: text/plain` the bare decimal.
#[utoipa::path(get, path = "/values/{index}", tag = "values",
    params(("index" = u64, Path, description = "The index n of F(n)")),
    responses(
        (status = 200, description = "JSON detail, or the bare decimal for Accept: text/plain", body = ValueDetail),
        (status = 404, description = "Never submitted", body = fibstack_core::http::ErrorBody),
        (status = 409, description = "Plain text asked for, but not computed yet", body = fibstack_core::http::ErrorBody),
        (status = 422, description = "Not an integer in 0..=FIB_MAX_INDEX", body = fibstack_core::http::ErrorBody),
        (status = 503, body = fibstack_core::http::ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(index = %raw))]
pub async fn one(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let index = state.policy.parse_str(&raw)?;
    if !state.submissions.contains(index).await? {
        return Err(ApiError::NotSubmitted(index));
    }
    let (status, value) = match state.values.lookup(index).await? {
        Lookup::Value(value) => (ValueStatus::Done, Some(value)),
        Lookup::Failed => (ValueStatus::Failed, None),
        Lookup::Missing => {
            heal(&state, &[index]).await?;
            (ValueStatus::Pending, None)
        }
    };
    if wants_plain_text(&headers) {
        return match value {
            Some(value) => Ok(plain_value(index, value)),
            None => Err(ApiError::not_computed(index, status)),
        };
    }
    Ok(Json(ValueDetail {
        index: index.get(),
        status,
        digits: value.as_deref().map(fibstack_core::summary::digit_count),
        value,
    })
    .into_response())
}

fn wants_plain_text(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .and_then(|accept| accept.split(',').next())
        .is_some_and(|first| first.trim().starts_with("text/plain"))
}

fn plain_value(index: FibIndex, mut value: String) -> Response {
    value.push('\n');
    (
        [
            (CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("inline; filename=\"fibonacci-{index}.txt\""),
            ),
        ],
        value,
    )
        .into_response()
}

/// Queues again indexes that were submitted but whose value is not in the cache (evicted, or
/// lost with a Redis restart). Queued ones are left alone by the enqueue script.
async fn heal(state: &AppState, indexes: &[FibIndex]) -> Result<(), ApiError> {
    let indexes = &indexes[..indexes.len().min(HEAL_PER_REQUEST)];
    let outcomes = state.values.enqueue_many(indexes).await?;
    for (index, outcome) in indexes.iter().zip(outcomes) {
        if outcome == Enqueued::Added {
            tracing::info!(%index, "queued again: value missing from the cache");
        }
    }
    Ok(())
}
