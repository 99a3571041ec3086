//! Server-Sent Events reach every listener, through the router, as values change.

use std::time::Duration;

use serde_json::Value;

use crate::support::http::EventStream;
use crate::support::{Backend, StackOptions, TestStack};

const PATIENCE: Duration = Duration::from_secs(20);

fn a_listener_receives_the_event_for_a_submission_it_did_not_make(backend: Backend) {
    let stack = TestStack::start(StackOptions::on(backend));
    let listener = EventStream::open(&stack.url("/values/events"));
    listener
        .next_named("ready", PATIENCE)
        .expect("the stream says it is subscribed");

    // Someone else submits.
    assert_eq!(stack.submit(40).status, 200);

    let event = listener
        .next_named("value", PATIENCE)
        .expect("an event for the other client's submission");
    assert!(!event.id.is_empty(), "value events carry an id");
    let data: Value = serde_json::from_str(&event.data).expect("JSON event data");
    assert_eq!(
        data,
        serde_json::json!({"index": 40, "status": "done", "digits": 9})
    );
    // Announced after it was stored: whoever gets the event can read the value.
    let detail = crate::support::http::get(&stack.url("/values/40")).json();
    assert_eq!(detail["value"], "102334155");
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn listeners_on_two_api_replicas_both_hear_of_a_change() {
    let stack = TestStack::start(StackOptions {
        router: false,
        ..StackOptions::default()
    });
    let second_port = crate::support::process::free_port();
    let _second = stack.spawn_api(second_port, "api-2");
    let second_url = format!("http://127.0.0.1:{second_port}");
    crate::support::process::wait_for("the second api", PATIENCE, || {
        (crate::support::http::answers(&format!("{second_url}/readyz")) == Some(200)).then_some(())
    });

    let first = EventStream::open(&stack.api_url("/values/events"));
    let second = EventStream::open(&format!("{second_url}/values/events"));
    first
        .next_named("ready", PATIENCE)
        .expect("first subscribed");
    second
        .next_named("ready", PATIENCE)
        .expect("second subscribed");

    stack.submit(12);
    for listener in [&first, &second] {
        let event = listener.next_named("value", PATIENCE).expect("the event");
        assert!(event.data.contains(r#""index":12"#), "{}", event.data);
    }
}

/// A browser that reconnects sends the last id it saw; what it missed is gone, so it is told to
/// re-read the lists rather than left with a silent gap.
fn a_reconnecting_listener_is_told_to_resync(backend: Backend) {
    let stack = TestStack::start(StackOptions::on(backend));
    let fresh = EventStream::open(&stack.url("/values/events"));
    fresh.next_named("ready", PATIENCE).expect("ready");
    let back = EventStream::reopen(&stack.url("/values/events"), Some("41"));
    back.next_named("ready", PATIENCE).expect("ready");
    back.next_named("resync", PATIENCE)
        .expect("a reconnection is told to re-read");

    assert_eq!(stack.submit(12).status, 200);
    let event = back.next_named("value", PATIENCE).expect("events go on");
    assert!(event.data.contains("\"index\":12"), "{}", event.data);
    assert!(
        fresh
            .next_named("resync", Duration::from_millis(300))
            .is_none(),
        "a first connection has nothing to re-read"
    );
}

crate::on_both_backends!(
    a_listener_receives_the_event_for_a_submission_it_did_not_make,
    a_reconnecting_listener_is_told_to_resync,
);
