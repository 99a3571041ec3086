//! The HTTP contract, end to end through the router, on both backends.

use std::time::Duration;

use serde_json::json;

use crate::support::http::{get, get_with};
use crate::support::{Backend, StackOptions, TestStack};

const PATIENCE: Duration = Duration::from_secs(20);

fn the_course_clients_three_calls_work(backend: Backend) {
    let stack = TestStack::start(StackOptions::on(backend));

    let submitted = stack.submit(7);
    assert_eq!(submitted.status, 200);
    assert_eq!(
        submitted.text, r#"{"working":true}"#,
        "byte-compatible with the course api"
    );
    stack.wait_done(7, PATIENCE);

    let current = get(&stack.url("/values/current"));
    assert_eq!(current.status, 200);
    assert_eq!(current.json(), json!({"7": "13"}));

    let all = get(&stack.url("/values/all"));
    assert_eq!(all.status, 200);
    assert_eq!(all.json(), json!([{"number": 7}]));
}

fn a_numeric_index_is_accepted_like_a_string(backend: Backend) {
    let stack = TestStack::start(StackOptions::on(backend));
    let reply = crate::support::http::post_json(&stack.url("/values"), r#"{"index": 10}"#);
    assert_eq!(reply.status, 200);
    assert_eq!(stack.wait_done(10, PATIENCE)["value"], "55");
}

fn one_value_comes_as_json_or_as_plain_text(backend: Backend) {
    let stack = TestStack::start(StackOptions::on(backend));
    stack.submit(100);
    let detail = stack.wait_done(100, PATIENCE);
    assert_eq!(
        detail,
        json!({"index": 100, "status": "done", "digits": 21, "value": "354224848179261915075"})
    );

    let plain = get_with(&stack.url("/values/100"), "text/plain");
    assert_eq!(plain.status, 200);
    assert!(
        plain.content_type.starts_with("text/plain"),
        "{}",
        plain.content_type
    );
    assert_eq!(plain.text, "354224848179261915075\n");

    let unknown = get(&stack.url("/values/12345"));
    assert_eq!(unknown.status, 404);
    assert!(
        unknown.error().contains("never submitted"),
        "{}",
        unknown.error()
    );
}

fn big_values_are_exact_and_summarised_with_their_digit_count(backend: Backend) {
    let stack = TestStack::start(StackOptions::on(backend));
    stack.submit(1_000_000);
    stack.submit(7);
    let detail = stack.wait_done(1_000_000, Duration::from_secs(60));
    let value = detail["value"].as_str().expect("a value");
    assert_eq!(detail["digits"], 208_988);
    assert_eq!(value.len(), 208_988);
    assert!(value.starts_with("1953282128707757731632"));
    stack.wait_done(7, PATIENCE);

    let summaries = get(&stack.url("/values")).json();
    let rows = summaries.as_array().expect("a list");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["index"], 7, "newest first");
    assert_eq!(rows[0]["preview"], "13");
    assert_eq!(rows[1]["index"], 1_000_000);
    assert_eq!(rows[1]["digits"], 208_988);
    let preview = rows[1]["preview"].as_str().expect("a preview");
    assert!(preview.len() < 64, "a long value is shortened: {preview}");
    assert!(preview.starts_with("1953282128") && preview.contains('…'));
    assert!(rows[1]["computed_at"].is_string());
}

fn all_lists_submissions_oldest_first_with_repeats_and_a_limit(backend: Backend) {
    let stack = TestStack::start(StackOptions::on(backend));
    for index in [3, 5, 3, 8] {
        assert_eq!(stack.submit(index).status, 200);
    }
    assert_eq!(
        get(&stack.url("/values/all")).json(),
        json!([{"number": 3}, {"number": 5}, {"number": 3}, {"number": 8}])
    );
    let latest_two = get(&stack.url("/values/all?limit=2"));
    assert_eq!(latest_two.json(), json!([{"number": 3}, {"number": 8}]));
    assert_eq!(
        latest_two.headers["x-total-count"], "4",
        "the total of all submissions comes beside the latest ones"
    );
    assert_eq!(stack.submit(8).status, 200);
    assert_eq!(
        get(&stack.url("/values/all?limit=1")).headers["x-total-count"],
        "5",
        "counted as they come"
    );
    let bad_limit = get(&stack.url("/values/all?limit=0"));
    assert_eq!(bad_limit.status, 400);
    assert!(bad_limit.error().contains("limit"));
    assert_eq!(stack.submissions_count(), 5);
}

fn pending_values_say_nothing_yet(backend: Backend) {
    // No worker: jobs wait in the queue.
    let stack = TestStack::start(StackOptions {
        workers: 0,
        ..StackOptions::on(backend)
    });
    stack.submit(9);
    assert_eq!(
        get(&stack.url("/values/current")).json(),
        json!({"9": "Nothing yet!"})
    );
    let detail = get(&stack.url("/values/9")).json();
    assert_eq!(detail["status"], "pending");
    assert_eq!(detail["value"], serde_json::Value::Null);
    let plain = get_with(&stack.url("/values/9"), "text/plain");
    assert_eq!(plain.status, 409);
    assert!(plain.error().contains("pending"));
    assert_eq!(stack.queue_length(), 1);

    // The same index again is not queued twice.
    stack.submit(9);
    assert_eq!(stack.queue_length(), 1);
    assert_eq!(stack.submissions_count(), 2);
}

fn operations_endpoints_answer(backend: Backend) {
    let stack = TestStack::start(StackOptions::on(backend));
    assert_eq!(get(&stack.url("/healthz")).json(), json!({"status": "ok"}));
    assert_eq!(
        get(&stack.url("/readyz")).json(),
        json!({"submissions": true, "values": true, "migrated": true, "events": true})
    );

    assert_eq!(
        get(&stack.url("/limits")).json(),
        json!({"max_index": 1_000_000})
    );

    let document = get(&stack.url("/openapi.json")).json();
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3."))
    );
    for path in [
        "/values",
        "/values/all",
        "/values/current",
        "/values/{index}",
        "/values/events",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(document["paths"][path].is_object(), "{path} is documented");
    }

    stack.submit(4);
    let metrics = get(&stack.api_url("/metrics"));
    assert_eq!(metrics.status, 200);
    assert!(
        metrics.text.contains("fibstack_http_requests_total"),
        "{}",
        metrics.text
    );
    assert!(metrics.text.contains("fibstack_submissions_total"));

    let request_id = get(&stack.url("/healthz"))
        .headers
        .get("x-request-id")
        .cloned();
    assert!(
        request_id.is_some_and(|id| !id.is_empty()),
        "every answer carries a request id"
    );

    let missing = get(&stack.url("/no/such/thing"));
    assert_eq!(missing.status, 404);
    assert!(missing.error().contains("openapi"));
}

fn current_lists_every_recent_index_however_many_there_are(backend: Backend) {
    let stack = TestStack::start(StackOptions {
        router: false,
        ..StackOptions::on(backend)
    });
    let mut expected = serde_json::Map::new();
    // More than two chunks of the streamed answer; F(149) still fits in a u128.
    let (mut a, mut b) = (0u128, 1u128);
    for index in 0..150u64 {
        assert_eq!(stack.submit(index).status, 200);
        expected.insert(index.to_string(), json!(a.to_string()));
        (a, b) = (b, a + b);
    }
    stack.wait_done(149, PATIENCE);
    let current = crate::support::process::wait_for("all 150 values", PATIENCE, || {
        let current = get(&stack.api_url("/values/current")).json();
        current
            .as_object()
            .is_some_and(|values| values.values().all(|v| v != "Nothing yet!"))
            .then_some(current)
    });
    assert_eq!(current, serde_json::Value::Object(expected));
    let limited = get(&stack.api_url("/values/current?limit=3")).json();
    assert_eq!(
        limited,
        json!({
            "147": "2353412818241252672952597492098",
            "148": "3807901929474025356630904134051",
            "149": "6161314747715278029583501626149"
        })
    );
}

crate::on_both_backends!(
    the_course_clients_three_calls_work,
    a_numeric_index_is_accepted_like_a_string,
    one_value_comes_as_json_or_as_plain_text,
    big_values_are_exact_and_summarised_with_their_digit_count,
    all_lists_submissions_oldest_first_with_repeats_and_a_limit,
    pending_values_say_nothing_yet,
    operations_endpoints_answer,
    current_lists_every_recent_index_however_many_there_are,
);
