//! The hot handlers through the whole router, in process, over the embedded store on a real
//! SQLite file: what a request costs without the network. `cargo bench -p fibstack`.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use criterion::{Criterion, criterion_group, criterion_main};
use fibstack::api::{AppState, router};
use fibstack::config::{self, Storage};
use fibstack::wiring::AllInOneStorage;
use fibstack_core::store::Enqueued;
use fibstack_core::{FibIndex, IndexPolicy};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// 1000 submissions over 40 distinct indexes, all computed.
async fn state(dir: PathBuf) -> AppState {
    let storage = Storage {
        submissions: None,
        values: None,
        data_dir: dir,
    };
    let queue = config::queue(&|_: &str| None).expect("default queue settings");
    let policy = IndexPolicy::default();
    let AllInOneStorage { api, workers } = AllInOneStorage::open(&storage, &queue, policy)
        .await
        .expect("the embedded store opens");
    let (state, _) = AppState::new(api, policy, CancellationToken::new());
    state.schema_ready.store(true, Ordering::Release);
    let mut jobs = workers.jobs("bench".to_owned()).expect("a job source");
    for n in 0..1000u64 {
        let index = FibIndex::try_from(n % 40).expect("a valid index");
        let queued = state.values.enqueue(index, None).await.expect("queued");
        state.submissions.record(index).await.expect("recorded");
        if queued == Enqueued::Added {
            let job = jobs.next().await.expect("a read").expect("the new job");
            let decimal = fibstack_core::fib::fibonacci_decimal(index);
            jobs.complete(&job, index, &decimal).await.expect("stored");
        }
    }
    state
}

async fn call(app: &Router, request: Request<Body>) -> usize {
    let response = app.clone().oneshot(request).await.expect("infallible");
    assert!(response.status().is_success(), "{}", response.status());
    axum::body::to_bytes(response.into_body(), 1 << 24)
        .await
        .expect("a body")
        .len()
}

fn handlers(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let dir = tempfile::tempdir().expect("a temp dir");
    let state = runtime.block_on(state(dir.path().to_owned()));
    let app = router(state.clone());
    let get = |path: &str| Request::get(path).body(Body::empty()).expect("a request");
    for (name, path) in [
        ("GET /values/current (40 values)", "/values/current"),
        ("GET /values/all (1000 rows)", "/values/all"),
    ] {
        c.bench_function(&format!("{name}, kept answer"), |b| {
            b.to_async(&runtime)
                .iter(|| call(&app, black_box(get(path))));
        });
        c.bench_function(&format!("{name}, computed"), |b| {
            b.to_async(&runtime).iter(|| {
                state.lists.forget();
                call(&app, black_box(get(path)))
            });
        });
    }
    c.bench_function("POST /values (already computed)", |b| {
        b.to_async(&runtime).iter(|| {
            let request = Request::post("/values")
                .header("content-type", "application/json")
                .body(Body::from(r#"{"index": 7}"#))
                .expect("a request");
            call(&app, black_box(request))
        });
    });
}

criterion_group!(benches, handlers);
criterion_main!(benches);
