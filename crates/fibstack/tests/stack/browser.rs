//! The web client end to end: headless Chromium through the router, against the real stack.
//! Needs the built client (`scripts/build-client`, which `scripts/test` runs first).

use std::time::Duration;

use fantoccini::Locator;

use crate::support::browser::{
    Chromedriver, click, count, exists, submit_index, wait_for_count, wait_for_text,
};
use crate::support::{Backend, StackOptions, TestStack};
use fibstack_devstack::nginx::client_root;

const PATIENCE: Duration = Duration::from_secs(20);

fn stack_with_client() -> TestStack {
    stack_with_client_and(StackOptions::default())
}

fn stack_with_client_and(options: StackOptions) -> TestStack {
    // The embedded backend serves the client built into the binary; the router serves dist/.
    assert!(
        options.backend == Backend::Embedded || client_root().ends_with("dist"),
        "the web client is not built: run scripts/build-client (scripts/test does)"
    );
    TestStack::start(options)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Opens `path` through the router in a fresh browser, runs `test`, closes the browser.
fn on_page(stack: &TestStack, path: &str, test: impl AsyncFnOnce(&fantoccini::Client)) {
    let mut chrome = Chromedriver::start(stack.dir.path());
    runtime().block_on(async {
        let browser = chrome.browser().await;
        browser
            .goto(&stack.router_url(path))
            .await
            .expect("the page loads");
        test(&browser).await;
        browser.close().await.expect("close");
    });
}

/// The calculator page, once it follows events.
fn on_live_page(stack: &TestStack, test: impl AsyncFnOnce(&fantoccini::Client)) {
    on_page(stack, "/", async move |browser| {
        wait_until_live(browser).await;
        test(browser).await;
    });
}

/// A page just opened is up and following events. Until then it says nothing about
/// reconnecting: no connection has failed.
async fn wait_until_live(browser: &fantoccini::Client) {
    wait_for_live(browser, true).await;
}

/// After an outage: live again (the "reconnecting" note has had its reason).
async fn wait_until_live_again(browser: &fantoccini::Client) {
    wait_for_live(browser, false).await;
}

async fn wait_for_live(browser: &fantoccini::Client, nothing_failed_yet: bool) {
    wait_for_text(browser, "h3", PATIENCE, |text| {
        text.contains("Indexes I have seen")
    })
    .await;
    let deadline = std::time::Instant::now() + PATIENCE;
    while !exists(browser, "main[data-events='live']").await {
        assert!(
            !(nothing_failed_yet && exists(browser, ".reconnecting").await),
            "the page said it was reconnecting before any connection had failed"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "live updates never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn a_submitted_value_appears_without_a_reload_here_and_in_another_browser(backend: Backend) {
    let stack = stack_with_client_and(StackOptions::on(backend));
    let mut chrome = Chromedriver::start(stack.dir.path());
    runtime().block_on(async {
        let me = chrome.browser().await;
        let someone_else = chrome.browser().await;
        for browser in [&me, &someone_else] {
            browser
                .goto(&stack.router_url("/"))
                .await
                .expect("the page loads");
            wait_until_live(browser).await;
        }

        submit_index(&me, "40").await;
        // Pending at once, then the value, with no reload.
        wait_for_text(&me, "li[data-index='40']", Duration::from_secs(2), |_| true).await;
        wait_for_text(&me, "li[data-index='40']", PATIENCE, |text| {
            text == "For index 40 I calculated 102334155"
        })
        .await;
        wait_for_text(&me, ".seen", PATIENCE, |text| text == "40").await;

        // The other browser never reloads, and hears of it.
        wait_for_text(&someone_else, "li[data-index='40']", PATIENCE, |text| {
            text.contains("102334155")
        })
        .await;

        submit_index(&me, "1000").await;
        let line = wait_for_text(&me, "li[data-index='1000']", PATIENCE, |text| {
            text.contains("digits")
        })
        .await;
        assert!(
            line.starts_with("For index 1000 I calculated 4346655768"),
            "{line}"
        );
        assert!(
            line.contains("(209 digits)"),
            "a long value is shortened: {line}"
        );
        assert!(
            exists(&me, "li[data-index='1000'] button").await,
            "copy and download"
        );

        let screenshot = me.screenshot().await.expect("a screenshot");
        let name = format!("calculator-{backend:?}.png").to_lowercase();
        let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
        std::fs::write(&path, screenshot).expect("the screenshot is saved");
        eprintln!("screenshot: {}", path.display());

        me.close().await.expect("close");
        someone_else.close().await.expect("close");
    });
    assert_eq!(stack.submissions_count(), 2);
}

#[test]
#[ignore = "needs Chromium, Postgres, Redis and nginx (scripts/test runs it)"]
fn a_bad_index_is_explained_next_to_the_form_and_nothing_is_sent() {
    let stack = stack_with_client();
    on_live_page(&stack, async |browser| {
        for (typed, words) in [
            ("abc", "whole number"),
            ("-5", "negative"),
            ("7.5", "fraction"),
            ("2000000", "limit of 1000000"),
        ] {
            submit_index(browser, typed).await;
            wait_for_text(browser, "#index-problem", PATIENCE, |text| {
                text.contains(words)
            })
            .await;
            let invalid = browser
                .find(Locator::Css("#index"))
                .await
                .expect("the field")
                .attr("aria-invalid")
                .await
                .expect("an attribute");
            assert_eq!(
                invalid.as_deref(),
                Some("true"),
                "{typed} marks the field invalid"
            );
        }
        assert!(!exists(browser, ".values li").await, "no row was added");
    });
    assert_eq!(stack.submissions_count(), 0, "nothing was sent");
}

#[test]
#[ignore = "needs Chromium, Postgres, Redis and nginx (scripts/test runs it)"]
fn the_page_checks_input_by_the_servers_own_limit() {
    let stack = stack_with_client_and(StackOptions {
        env: vec![("FIB_MAX_INDEX", "500".to_owned())],
        ..StackOptions::default()
    });
    on_live_page(&stack, async |browser| {
        submit_index(browser, "501").await;
        wait_for_text(browser, "#index-problem", PATIENCE, |text| {
            text.contains("limit of 500")
        })
        .await;
        submit_index(browser, "500").await;
        wait_for_text(browser, "li[data-index='500']", PATIENCE, |text| {
            text.contains("digits")
        })
        .await;
    });
    assert_eq!(
        stack.submissions_count(),
        1,
        "only the valid index was sent"
    );
}

#[test]
#[ignore = "needs Chromium, Postgres, Redis and nginx (scripts/test runs it)"]
fn an_api_that_is_down_shows_an_error_rather_than_a_blank_page() {
    let mut stack = stack_with_client();
    stack.api.stop();
    on_page(&stack, "/", async |browser| {
        let trouble = wait_for_text(browser, ".trouble", PATIENCE, |text| !text.is_empty()).await;
        assert!(trouble.contains("unavailable"), "{trouble}");
        wait_for_text(browser, "label[for=index]", PATIENCE, |text| {
            text == "Enter your index:"
        })
        .await;

        submit_index(browser, "7").await;
        wait_for_text(browser, "#index-problem", PATIENCE, |text| {
            text.contains("unavailable")
        })
        .await;
    });
}

#[test]
#[ignore = "needs Chromium, Postgres, Redis and nginx (scripts/test runs it)"]
fn the_other_page_renders_and_links_back_without_a_reload() {
    let stack = stack_with_client();
    on_page(&stack, "/otherpage", async |browser| {
        wait_for_text(browser, "main p", PATIENCE, |text| {
            text == "I'm some other page!"
        })
        .await;
        browser
            .execute("window.stillTheSamePage = true", vec![])
            .await
            .expect("script");
        browser
            .find(Locator::LinkText("Go back home"))
            .await
            .expect("the link back")
            .click()
            .await
            .expect("click");
        wait_for_text(browser, "label[for=index]", PATIENCE, |text| {
            text == "Enter your index:"
        })
        .await;
        let url = browser.current_url().await.expect("a URL");
        assert_eq!(url.path(), "/");
        let same = browser
            .execute("return window.stillTheSamePage === true", vec![])
            .await
            .expect("script");
        assert_eq!(same, serde_json::Value::Bool(true), "no reload happened");
    });
}

#[test]
#[ignore = "needs Chromium, Postgres, Redis and nginx (scripts/test runs it)"]
fn the_page_works_at_phone_width_with_the_keyboard_alone() {
    let stack = stack_with_client();
    on_live_page(&stack, async |browser| {
        browser
            .set_window_size(375, 740)
            .await
            .expect("phone width");
        // Focus the field the way a keyboard user does, then type and press Enter.
        let field = browser
            .find(Locator::Css("#index"))
            .await
            .expect("the field");
        field.click().await.expect("focus");
        field
            .send_keys(&format!("2000{}", char::from(fantoccini::key::Key::Enter)))
            .await
            .expect("typing");
        wait_for_text(browser, "li[data-index='2000']", PATIENCE, |text| {
            text.contains("digits")
        })
        .await;
        let overflow = browser
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
                vec![],
            )
            .await
            .expect("script");
        assert_eq!(
            overflow,
            serde_json::json!(0),
            "nothing sticks out sideways"
        );
    });
}

#[test]
#[ignore = "needs Chromium, Postgres, Redis and nginx (scripts/test runs it)"]
fn the_page_reconnects_by_itself_after_the_api_restarts() {
    let mut stack = stack_with_client();
    let mut chrome = Chromedriver::start(stack.dir.path());
    // One runtime for the whole test: the browser session lives on it.
    let runtime = runtime();
    let browser = runtime.block_on(async {
        let browser = chrome.browser().await;
        browser
            .goto(&stack.router_url("/"))
            .await
            .expect("the page loads");
        wait_until_live(&browser).await;
        browser
    });

    stack.api.stop();
    runtime.block_on(async {
        // The page says it is cut off in one of two words: the event stream's loss, or, when a
        // list read (the one that follows `ready`, say) reaches the stopped api first, that the
        // server cannot be read, which the page then shows instead.
        wait_for_text(&browser, ".reconnecting, .trouble", PATIENCE, |text| {
            text.contains("reconnecting") || text.contains("unavailable")
        })
        .await;
    });
    stack.api = stack.spawn_api(stack.api_port, "api-again");
    stack.wait_ready();
    // Submitted by someone else after the restart: the page hears of it with no reload.
    assert_eq!(stack.submit(33).status, 200);
    runtime.block_on(async {
        wait_until_live_again(&browser).await;
        wait_for_text(&browser, "li[data-index='33']", PATIENCE, |text| {
            text.contains("3524578")
        })
        .await;
        browser.close().await.expect("close");
    });
}

#[test]
#[ignore = "needs Chromium, Postgres, Redis and nginx (scripts/test runs it)"]
fn ten_thousand_submissions_make_a_short_page_that_opens_quickly_and_finds_any_index() {
    const SUBMITTED: u64 = 10_000;
    let stack = stack_with_client();
    stack.submit_many(0..SUBMITTED);
    crate::support::process::wait_for("every value computed", Duration::from_secs(180), || {
        (stack.redis().queue_length() == 0).then_some(())
    });
    on_page(&stack, "/", async |browser| {
        let started = browser
            .execute(
                "return new Promise(done => { const seen = () => \
                   performance.getEntriesByName('fibstack:first-values').length \
                     ? done(performance.getEntriesByName('fibstack:first-values')[0].startTime) \
                     : setTimeout(seen, 5); seen(); })",
                vec![],
            )
            .await
            .expect("the page marks its first value lines");
        let elements = || async {
            browser
                .execute("return document.getElementsByTagName('*').length", vec![])
                .await
                .expect("script")
                .as_u64()
                .expect("a count")
        };
        let first_elements = elements().await;
        eprintln!(
            "after {SUBMITTED} submissions: the first value lines after {:.0} ms, {first_elements} elements",
            started.as_f64().expect("milliseconds")
        );

        // Indexes I have seen: the most recent (the submissions came over several connections,
        // so in no set order), and how many there are.
        let numbers = |text: &str| -> Vec<u64> {
            text.split(", ")
                .map(|n| n.parse().expect("a number"))
                .collect()
        };
        let seen = wait_for_text(browser, ".seen", PATIENCE, |text| !text.is_empty()).await;
        assert_eq!(numbers(&seen).len(), 20, "{seen}");
        let counted = wait_for_text(browser, ".seen-count", PATIENCE, |_| true).await;
        assert!(
            counted.contains("The 20 most recent of 10,000."),
            "{counted}"
        );
        browser.set_window_size(900, 1400).await.expect("a size");
        let screenshot = browser.screenshot().await.expect("a screenshot");
        let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("calculator-10000.png");
        std::fs::write(&path, screenshot).expect("the screenshot is saved");
        eprintln!("screenshot: {}", path.display());
        // Calculated Values: one page, then another on demand.
        assert_eq!(count(browser, ".values li").await, 20);
        assert!(first_elements < 250, "{first_elements} elements");
        click(browser, ".more").await;
        wait_for_text(browser, ".values li:nth-child(40)", PATIENCE, |text| {
            text.starts_with("For index ")
        })
        .await;
        assert_eq!(count(browser, ".values li").await, 40);
        // Every submission on demand, as one line of text: the page grows by no element.
        let before = elements().await;
        click(browser, ".seen-count button").await;
        let all = wait_for_text(browser, ".seen", PATIENCE, |text| {
            text.len() > seen.len() * 10
        })
        .await;
        let mut all = numbers(&all);
        all.sort_unstable();
        assert_eq!(all, (0..SUBMITTED).collect::<Vec<_>>());
        wait_for_text(browser, ".seen-count", PATIENCE, |text| {
            text.contains("All 10,000.")
        })
        .await;
        assert_eq!(elements().await, before, "still bounded");

        // Any index, however old: its value, status and digits.
        for (index, says) in [
            ("1234", "(258 digits)"),
            ("7", "For index 7 I calculated 13"),
            ("20000", "Index 20000 was never submitted."),
        ] {
            let field = browser
                .find(Locator::Css("#lookup"))
                .await
                .expect("the lookup field");
            field.clear().await.expect("clear");
            field.send_keys(index).await.expect("typing");
            click(browser, ".lookup-form button[type=submit]").await;
            wait_for_text(browser, ".lookup-result", PATIENCE, |text| {
                text.contains(says)
            })
            .await;
        }
    });
}

crate::on_both_backends!(in_browser: a_submitted_value_appears_without_a_reload_here_and_in_another_browser);

#[test]
#[ignore = "needs Chromium, Postgres, Redis and nginx (scripts/test runs it)"]
fn the_system_view_shows_a_killed_worker_and_redis_going_and_coming_back() {
    let mut stack = stack_with_client_and(StackOptions {
        workers: 2,
        ..StackOptions::default()
    });
    let mut chrome = Chromedriver::start(stack.dir.path());
    runtime().block_on(async {
        let browser = chrome.browser().await;
        browser
            .goto(&stack.router_url("/"))
            .await
            .expect("the page loads");
        wait_until_live(&browser).await;
        click(&browser, "nav a[href='/system']").await;
        let up_workers = "tr[data-role=worker][data-up=true]";
        wait_for_count(&browser, up_workers, 2, PATIENCE).await;
        wait_for_count(&browser, "tr[data-role=api][data-up=true]", 1, PATIENCE).await;
        for service in ["router", "api", "workers", "submissions", "values"] {
            wait_for_count(
                &browser,
                &format!("tr[data-service={service}][data-state=up]"),
                1,
                PATIENCE,
            )
            .await;
        }

        stack.submit_many(100..150);
        wait_for_text(&browser, "p.work", PATIENCE, |text| {
            text.contains("p95") && !text.starts_with("0 values")
        })
        .await;
        assert!(
            count(&browser, ".latency polyline").await > 0,
            "the latency is drawn"
        );

        stack.workers[0].kill_hard();
        wait_for_count(&browser, "tr[data-role=worker][data-up=false]", 1, PATIENCE).await;
        wait_for_count(&browser, up_workers, 1, PATIENCE).await;
        wait_for_text(&browser, "tr[data-service=workers]", PATIENCE, |text| {
            text.contains("1 reporting, 1 silent")
        })
        .await;

        stack.redis_mut().stop();
        wait_for_count(
            &browser,
            "tr[data-service=values][data-state=down]",
            1,
            PATIENCE,
        )
        .await;
        stack.redis_mut().start_again();
        wait_for_count(
            &browser,
            "tr[data-service=values][data-state=up]",
            1,
            PATIENCE,
        )
        .await;
        wait_for_count(&browser, up_workers, 1, PATIENCE).await;
        browser.close().await.expect("close");
    });
}
