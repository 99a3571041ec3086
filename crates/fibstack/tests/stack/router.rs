//! The nginx router's own duties: routing, streaming, hiding metrics, rate limiting, headers.

use std::time::Instant;

use crate::support::http::{get, post_json, post_json_with};
use crate::support::{StackOptions, TestStack};

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn the_router_sends_slash_to_the_client_and_api_to_the_api_without_its_prefix() {
    let stack = TestStack::start(StackOptions::default());
    let page = get(&stack.router_url("/"));
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Fib Calculator"));
    // The single-page fallback: any client route serves the page.
    assert!(
        get(&stack.router_url("/otherpage"))
            .text
            .contains("Fib Calculator")
    );

    assert_eq!(
        get(&stack.router_url("/api/healthz")).json()["status"],
        "ok"
    );
    let headers = get(&stack.router_url("/api/healthz")).headers;
    assert_eq!(
        headers.get("x-content-type-options").map(|v| v.as_bytes()),
        Some(&b"nosniff"[..])
    );
    assert!(
        page.headers.get("content-security-policy").is_some(),
        "the page has a CSP"
    );
    assert_eq!(
        page.headers.get("cache-control").map(|v| v.as_bytes()),
        Some(&b"no-cache"[..]),
        "index.html is never cached"
    );
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn metrics_are_not_exposed_through_the_router() {
    let stack = TestStack::start(StackOptions::default());
    let reply = get(&stack.router_url("/api/metrics"));
    assert_eq!(reply.status, 404);
    assert!(reply.error().contains("operators"));
    assert_eq!(get(&stack.api_url("/metrics")).status, 200);
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn a_flood_of_posts_from_one_address_is_rate_limited_with_json_429s() {
    let stack = TestStack::start(StackOptions {
        rate_limit_rps: 2,
        workers: 0,
        ..StackOptions::default()
    });
    // Twenty at once, so the flood does not last long enough to earn many more tokens however
    // busy the machine is.
    let started = Instant::now();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..20)
            .map(|n| {
                let url = stack.url("/values");
                scope.spawn(move || post_json(&url, &format!(r#"{{"index": {n}}}"#)).status)
            })
            .collect();
        clients
            .into_iter()
            .map(|client| client.join().expect("a client"))
            .collect()
    });
    let elapsed = started.elapsed();
    let limited = statuses.iter().filter(|&&s| s == 429).count();
    let accepted = statuses.iter().filter(|&&s| s == 200).count();
    // A burst of twice the rate at once (and the first request), then 2 a second.
    let most = 5 + (2.0 * elapsed.as_secs_f64()).floor() as usize;
    assert!(
        (4..=most).contains(&accepted),
        "a burst of twice the rate, then the rate, over {elapsed:?}: {statuses:?}"
    );
    assert_eq!(accepted + limited, 20, "{statuses:?}");
    assert!(limited >= 10, "over {elapsed:?}: {statuses:?}");
    let reply = post_json(&stack.url("/values"), r#"{"index": 1}"#);
    assert_eq!(reply.status, 429);
    assert!(reply.error().contains("too many"));
    assert!(reply.headers.get("retry-after").is_some());
    // Naming another client in X-Forwarded-For does not get round it: no proxy is trusted.
    let spoofed = post_json_with(
        &stack.url("/values"),
        r#"{"index": 3}"#,
        &[("X-Forwarded-For", "203.0.113.9")],
    );
    assert_eq!(spoofed.status, 429, "{}", spoofed.text);
    // Another address is still served.
    let elsewhere = crate::support::http::post_json_from(
        [127, 0, 0, 2].into(),
        &stack.url("/values"),
        r#"{"index": 2}"#,
    );
    assert_eq!(elsewhere.status, 200, "{}", elsewhere.text);
    // Reads are not limited.
    assert!((0..20).all(|_| get(&stack.url("/values/all")).status == 200));
    assert_eq!(
        stack.submissions_count(),
        accepted as u64 + 1,
        "a limited request wrote nothing"
    );
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn behind_a_trusted_proxy_the_limit_counts_each_forwarded_client() {
    // Every request comes from 127.0.0.1, as through a Kubernetes Gateway; the proxy names the
    // client in X-Forwarded-For.
    let stack = TestStack::start(StackOptions {
        rate_limit_rps: 2,
        trusted_proxy: Some("127.0.0.0/8"),
        workers: 0,
        ..StackOptions::default()
    });
    let from = |client: &str, index: u32| {
        post_json_with(
            &stack.url("/values"),
            &format!(r#"{{"index": {index}}}"#),
            &[("X-Forwarded-For", client)],
        )
        .status
    };
    let first: Vec<u16> = (0..20).map(|n| from("203.0.113.7", n)).collect();
    assert!(
        first.contains(&429),
        "one client's flood is limited: {first:?}"
    );
    assert_eq!(
        from("203.0.113.8", 40),
        200,
        "another client behind the same proxy is served"
    );
}
