//! Every bad input gets its status and a JSON error, and changes nothing anywhere.

use fibstack_redis::keys;

use crate::support::http::{get, post, post_json};
use crate::support::{Backend, StackOptions, TestStack};

/// (what is wrong, body, expected status, a word the error must contain)
const BAD_JSON_BODIES: &[(&str, &str, u16, &str)] = &[
    ("non-numeric", r#"{"index": "abc"}"#, 422, "whole number"),
    ("negative string", r#"{"index": "-1"}"#, 422, "negative"),
    ("negative number", r#"{"index": -1}"#, 422, "negative"),
    ("fraction string", r#"{"index": "7.5"}"#, 422, "fraction"),
    ("fraction number", r#"{"index": 7.5}"#, 422, "fraction"),
    ("empty", r#"{"index": ""}"#, 422, "empty"),
    ("missing", r#"{}"#, 422, "missing"),
    ("null", r#"{"index": null}"#, 422, "missing"),
    ("array index", r#"{"index": [7]}"#, 422, "whole number"),
    ("array body", r#"[7]"#, 422, "object"),
    (
        "beyond u64 string",
        r#"{"index": "18446744073709551616"}"#,
        422,
        "limit",
    ),
    (
        "beyond u64 number",
        r#"{"index": 18446744073709551616}"#,
        422,
        "limit",
    ),
    (
        "beyond FIB_MAX_INDEX",
        r#"{"index": "1000001"}"#,
        422,
        "limit of 1000000",
    ),
    ("malformed JSON", r#"{"index": "#, 400, "not valid JSON"),
];

fn bad_submissions_are_refused_with_json_errors_and_write_nothing(backend: Backend) {
    let stack = TestStack::start(StackOptions::on(backend));
    for (what, body, status, word) in BAD_JSON_BODIES {
        for url in [stack.url("/values"), stack.api_url("/values")] {
            let reply = post_json(&url, body);
            assert_eq!(reply.status, *status, "{what} via {url}: {}", reply.text);
            let error = reply.error();
            assert!(
                error.contains(word),
                "{what}: {error:?} should mention {word:?}"
            );
        }
    }

    let not_json = [
        ("text/plain", Some("text/plain")),
        ("a form", Some("application/x-www-form-urlencoded")),
        ("no content type", None),
    ];
    for (what, content_type) in not_json {
        let reply = post(&stack.url("/values"), r#"{"index": 7}"#, content_type);
        assert_eq!(reply.status, 415, "{what}");
        assert!(
            reply.error().contains("Content-Type: application/json"),
            "{what}"
        );
    }

    let megabyte = format!(r#"{{"index": 7, "padding": "{}"}}"#, "x".repeat(1 << 20));
    for url in [stack.url("/values"), stack.api_url("/values")] {
        let reply = post_json(&url, &megabyte);
        assert_eq!(reply.status, 413, "1 MB body via {url}");
        assert!(reply.error().contains("too large") || reply.error().contains("larger"));
    }

    assert_eq!(stack.submissions_count(), 0, "no submission was recorded");
    assert_eq!(stack.queue_length(), 0, "no job was queued");
    if backend == Backend::Services {
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("*")
            .query(&mut stack.redis().connection())
            .expect("KEYS answers");
        // The job stream (made empty at start) and the roster the api and worker report to.
        let roster = [keys::MEMBERS, keys::MEMBER_REPORTS];
        assert!(
            keys.iter()
                .all(|key| key == keys::JOBS || roster.contains(&key.as_str())),
            "nothing else in Redis: {keys:?}"
        );
    }
}

fn bad_indexes_in_the_path_are_refused(backend: Backend) {
    let stack = TestStack::start(StackOptions::on(backend));
    for (path, status) in [
        ("/values/abc", 422),
        ("/values/-1", 422),
        ("/values/1.5", 422),
        ("/values/1000001", 422),
    ] {
        let reply = get(&stack.url(path));
        assert_eq!(reply.status, status, "{path}");
        assert!(!reply.error().is_empty());
    }
    assert_eq!(stack.submissions_count(), 0);
}

fn a_lower_index_limit_is_enforced(backend: Backend) {
    let stack = TestStack::start(StackOptions {
        env: vec![("FIB_MAX_INDEX", "40".to_owned())],
        ..StackOptions::on(backend)
    });
    assert_eq!(
        crate::support::http::get(&stack.url("/limits")).json()["max_index"],
        40
    );
    assert_eq!(stack.submit(40).status, 200);
    let reply = stack.submit(41);
    assert_eq!(reply.status, 422);
    assert!(reply.error().contains("limit of 40"), "{}", reply.error());
    assert_eq!(stack.submissions_count(), 1);
}

crate::on_both_backends!(
    bad_submissions_are_refused_with_json_errors_and_write_nothing,
    bad_indexes_in_the_path_are_refused,
    a_lower_index_limit_is_enforced,
);
