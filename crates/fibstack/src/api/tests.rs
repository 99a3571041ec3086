//! The router in process, without a socket and without backing services: everything that must be
//! answered before any I/O, the 503s when the services cannot be reached, and the handlers over
//! the in-memory store.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use fibstack_core::IndexPolicy;
use fibstack_core::clock::SystemClock;
use fibstack_core::memory::MemoryStore;
use fibstack_core::roster::LocalRoster;
use fibstack_core::store::{JobSource, QueueThenRecord, SubmissionLog, ValueStore};
use fibstack_postgres::{PgConfig, Submissions};
use fibstack_redis::{RedisConfig, ValueCache};
use serde_json::json;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use super::state::Shared;
use super::{AppState, router};

/// A state whose Postgres and Redis point at a port nobody listens on.
fn state_without_services(schema_ready: bool) -> AppState {
    let postgres = PgConfig {
        host: "127.0.0.1".to_owned(),
        port: 1,
        user: "nobody".to_owned(),
        password: None,
        database: "nothing".to_owned(),
        ssl_mode: Default::default(),
        ssl_root_cert: None,
    };
    let redis = RedisConfig::plain("127.0.0.1", 1);
    let connection = redis.shared_connection().expect("a lazy connection");
    let events = super::EventHub::new();
    let submissions: Arc<dyn SubmissionLog> = Arc::new(Submissions::new(
        postgres.lazy_pool().expect("no root certificate to read"),
    ));
    let values: Arc<dyn ValueStore> = Arc::new(ValueCache::new(connection, 10));
    AppState::from(Shared {
        intake: Arc::new(QueueThenRecord {
            values: values.clone(),
            submissions: submissions.clone(),
        }),
        submissions,
        values,
        policy: IndexPolicy::new(1000),
        lists: events.lists(),
        events,
        roster: Arc::new(LocalRoster::new(Arc::new(SystemClock))),
        name: "api-test".to_owned(),
        stream_slots: Arc::new(Semaphore::new(1)),
        metrics: Default::default(),
        schema_ready: AtomicBool::new(schema_ready),
        events_subscribed: Arc::default(),
        shutdown: CancellationToken::new(),
        refusal: Default::default(),
    })
}

async fn call(state: AppState, request: Request<Body>) -> (StatusCode, serde_json::Value) {
    let response = router(state).oneshot(request).await.expect("infallible");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("a body");
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, json)
}

fn post(body: &str, content_type: Option<&str>) -> Request<Body> {
    let mut request = Request::post("/values");
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    request
        .body(Body::from(body.to_owned()))
        .expect("a request")
}

#[tokio::test]
async fn refusals_are_answered_before_any_service_is_touched() {
    let cases = [
        (post(r#"{"index": "abc"}"#, Some("application/json")), 422),
        (post(r#"{"index": 1001}"#, Some("application/json")), 422),
        (post(r#"{"index": "#, Some("application/json")), 400),
        (post(r#"{"index": 7}"#, Some("text/plain")), 415),
        (post(r#"{"index": 7}"#, None), 415),
        (post(&"x".repeat(20_000), Some("application/json")), 413),
    ];
    for (request, status) in cases {
        let (got, body) = call(state_without_services(true), request).await;
        assert_eq!(got.as_u16(), status, "{body}");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{body}"
        );
    }
}

#[tokio::test]
async fn an_unreachable_postgres_is_a_503_that_names_it_and_nothing_else() {
    let request = Request::get("/values/all")
        .body(Body::empty())
        .expect("a request");
    let (status, body) = call(state_without_services(true), request).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let error = body["error"].as_str().expect("an error sentence");
    assert!(error.starts_with("Postgres is unavailable"), "{error}");
    assert!(!error.contains("refused"), "no driver text leaks: {error}");
}

#[tokio::test]
async fn an_unreachable_redis_is_a_503_and_a_submission_is_refused() {
    let (status, body) = call(
        state_without_services(true),
        post(r#"{"index": 7}"#, Some("application/json")),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("Redis is unavailable")),
        "{body}"
    );
}

#[tokio::test]
async fn data_routes_wait_for_the_schema_but_health_does_not() {
    let state = state_without_services(false);
    let request = Request::get("/values")
        .body(Body::empty())
        .expect("a request");
    let (status, body) = call(state.clone(), request).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("starting")),
        "{body}"
    );

    let request = Request::get("/healthz")
        .body(Body::empty())
        .expect("a request");
    assert_eq!(call(state.clone(), request).await.0, StatusCode::OK);
    let request = Request::get("/readyz")
        .body(Body::empty())
        .expect("a request");
    let (status, body) = call(state, request).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["migrated"], false);
}

#[tokio::test]
async fn event_streams_are_bounded() {
    let state = state_without_services(true);
    let first = router(state.clone())
        .oneshot(
            Request::get("/values/events")
                .body(Body::empty())
                .expect("a request"),
        )
        .await
        .expect("infallible");
    assert_eq!(first.status(), StatusCode::OK);
    // The only slot is taken while the first stream is open.
    let request = Request::get("/values/events")
        .body(Body::empty())
        .expect("a request");
    let (status, body) = call(state, request).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("event streams"))
    );
    drop(first);
}

/// Bodies a client might send, well-formed or not: near-misses of `{"index": 7}` and noise.
fn submission_bodies() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    prop_oneof![
        r#"\{ ?"index" ?: ?[-+0-9a-zA-Z."e\[\]{} ]{0,16}\}"#,
        r#"\{"[a-z]{0,8}": ?[0-9"]{0,8}(, ?"index": ?[0-9]{1,4})?\}"#,
        any::<String>(),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// Whatever the body, the answer is a JSON error sentence with a client status, or the
    /// 503 of the (absent) queue for a valid submission: never a server error, never a panic.
    #[test]
    fn any_submission_body_gets_a_json_answer_and_no_server_error(body in submission_bodies()) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let (status, answer) = runtime.block_on(async {
            call(state_without_services(true), post(&body, Some("application/json"))).await
        });
        // What the api adds to the index rule: a JSON object, its "index" member, nothing else.
        // The rule itself is checked against an oracle of its own in core's `index` tests.
        let valid = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|json| {
                let object = json.as_object()?;
                IndexPolicy::new(1000).parse_json(object.get("index")).ok()
            })
            .is_some();
        let expected: &[u16] = if valid { &[503] } else { &[400, 422] };
        proptest::prop_assert!(
            expected.contains(&status.as_u16()),
            "{status} for {body:?}: {answer}"
        );
        proptest::prop_assert!(
            answer["error"].as_str().is_some_and(|error| !error.is_empty()),
            "{answer}"
        );
    }
}

/// A ready state over the in-memory store, and the store, to play the worker's part.
fn state_in_memory(queue_limit: u64) -> (AppState, MemoryStore) {
    let store = MemoryStore::new(queue_limit);
    let submissions: Arc<dyn SubmissionLog> = Arc::new(store.clone());
    let values: Arc<dyn ValueStore> = Arc::new(store.clone());
    let storage = super::ApiStorage {
        intake: Arc::new(QueueThenRecord {
            values: values.clone(),
            submissions: submissions.clone(),
        }),
        submissions,
        values,
        events: super::EventHub::new(),
        feed: None,
        roster: Arc::new(LocalRoster::new(Arc::new(SystemClock))),
    };
    let (state, _) = AppState::new(storage, IndexPolicy::new(1000), CancellationToken::new());
    state
        .schema_ready
        .store(true, std::sync::atomic::Ordering::Release);
    (state, store)
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).expect("a request")
}

#[tokio::test]
async fn a_submission_is_listed_at_once_and_its_value_served_once_computed() {
    let (state, store) = state_in_memory(10);
    let (status, answer) = call(
        state.clone(),
        post(r#"{"index": 7}"#, Some("application/json")),
    )
    .await;
    assert_eq!((status, answer), (StatusCode::OK, json!({"working": true})));
    let (_, all) = call(state.clone(), get("/values/all")).await;
    assert_eq!(all, json!([{"number": 7}]));
    let (_, pending) = call(state.clone(), get("/values/7")).await;
    assert_eq!(
        pending,
        json!({"index": 7, "status": "pending", "value": null, "digits": null})
    );

    let mut jobs = store.jobs("w");
    let job = jobs.next().await.expect("a read").expect("the job");
    let index = job.index.clone().expect("a valid index");
    jobs.complete(&job, index, "13").await.expect("stored");
    let (status, value) = call(state, get("/values/7")).await;
    assert_eq!((status, &value["value"]), (StatusCode::OK, &json!("13")));
}

#[tokio::test]
async fn a_full_queue_refuses_with_503_and_records_nothing() {
    let (state, _store) = state_in_memory(1);
    let submit = |n: u64| post(&format!(r#"{{"index": {n}}}"#), Some("application/json"));
    assert_eq!(call(state.clone(), submit(1)).await.0, StatusCode::OK);
    let (status, answer) = call(state.clone(), submit(2)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|error| error.contains("queue")),
        "{answer}"
    );
    let (_, all) = call(state, get("/values/all")).await;
    assert_eq!(
        all,
        json!([{"number": 1}]),
        "the refused submission left no record"
    );
}
