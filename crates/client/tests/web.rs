//! Component tests in a real browser (wasm-bindgen-test in headless Chromium; scripts/test runs
//! them). They mount components alone, with no server behind the page.
#![cfg(target_arch = "wasm32")]

use fibstack_client::app::{CalculatedValues, IndexForm, Trouble, ValueLine};
use fibstack_client::model::Shown;
use fibstack_client::store::{Events, Store};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|window| window.document())
        .expect("a document")
}

/// Mounts a view into a fresh container and returns the container.
fn mount<V: IntoView + 'static>(view: impl FnOnce() -> V + 'static) -> web_sys::HtmlElement {
    let container: web_sys::HtmlElement = document()
        .create_element("div")
        .expect("a div")
        .unchecked_into();
    document()
        .body()
        .expect("a body")
        .append_child(&container)
        .expect("appended");
    let handle = leptos::mount::mount_to(container.clone(), view);
    handle.forget();
    container
}

/// Lets queued microtasks run (the page's reactive updates), but no timer or network callback.
async fn microtasks() {
    for _ in 0..20 {
        let resolved = js_sys::Promise::resolve(&wasm_bindgen::JsValue::NULL);
        let _ = wasm_bindgen_futures::JsFuture::from(resolved).await;
    }
}

/// Lets the reactive system and the DOM catch up (one 10 ms timer).
async fn settle() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = web_sys::window()
            .expect("a window")
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 10);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Waits for `done` to hold, checking every few milliseconds, for up to five seconds: long enough
/// for a request to the test server on a loaded machine. Says whether it came to hold.
async fn eventually(done: impl Fn() -> bool) -> bool {
    for _ in 0..500 {
        if done() {
            return true;
        }
        settle().await;
    }
    done()
}

fn text_of(container: &web_sys::HtmlElement, css: &str) -> String {
    container
        .query_selector(css)
        .ok()
        .flatten()
        .and_then(|element| element.text_content())
        .unwrap_or_default()
}

fn type_into_index(container: &web_sys::HtmlElement, text: &str) {
    let input: web_sys::HtmlInputElement = container
        .query_selector("#index")
        .ok()
        .flatten()
        .expect("the index field")
        .unchecked_into();
    input.set_value(text);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let event = web_sys::Event::new_with_event_init_dict("input", &init).expect("an event");
    input.dispatch_event(&event).expect("dispatched");
}

fn press_submit(container: &web_sys::HtmlElement) {
    let button: web_sys::HtmlElement = container
        .query_selector("button[type=submit]")
        .ok()
        .flatten()
        .expect("the Submit button")
        .unchecked_into();
    button.click();
}

#[wasm_bindgen_test]
async fn the_form_has_the_seed_words_and_a_label() {
    let container = mount(|| {
        provide_context(Store::new());
        view! { <IndexForm /> }
    });
    settle().await;
    assert_eq!(text_of(&container, "label[for=index]"), "Enter your index:");
    assert_eq!(text_of(&container, "button[type=submit]"), "Submit");
}

#[wasm_bindgen_test]
async fn a_bad_index_is_explained_while_typing_and_on_submit() {
    let container = mount(|| {
        provide_context(Store::new());
        view! { <IndexForm /> <CalculatedValues /> }
    });
    type_into_index(&container, "12abc");
    settle().await;
    let problem = text_of(&container, "#index-problem");
    assert!(problem.contains("whole number"), "{problem}");

    type_into_index(&container, "");
    settle().await;
    assert_eq!(
        text_of(&container, "#index-problem"),
        "",
        "an empty field is not wrong yet"
    );

    press_submit(&container);
    settle().await;
    assert!(text_of(&container, "#index-problem").contains("empty"));
    assert!(
        container.query_selector("li").ok().flatten().is_none(),
        "nothing was submitted"
    );
}

#[wasm_bindgen_test]
async fn a_valid_index_shows_as_pending_at_once() {
    let container = mount(|| {
        provide_context(Store::new());
        view! { <IndexForm /> <CalculatedValues /> }
    });
    type_into_index(&container, "40");
    press_submit(&container);
    // Before any answer can arrive: only queued microtasks (the page's own updates) have run.
    microtasks().await;
    let line = text_of(&container, "li[data-index='40']");
    assert!(line.starts_with("For index 40 I calculated"), "{line}");

    // No api serves this test page: the refusal withdraws the row, once the request has failed.
    let withdrawn = eventually(|| {
        container
            .query_selector("li[data-index='40']")
            .ok()
            .flatten()
            .is_none()
    })
    .await;
    assert!(withdrawn, "a refused submission leaves no row");
}

#[wasm_bindgen_test]
async fn a_long_value_is_shortened_with_its_digit_count_and_actions() {
    let container = mount(|| {
        view! {
            <ul>
                <ValueLine
                    index=1_000_000
                    shown=Shown::Shortened {
                        preview: "1953282128707757…6838242546875".to_owned(),
                        digits: 208_988,
                    }
                />
            </ul>
        }
    });
    settle().await;
    let line = text_of(&container, "li");
    assert!(
        line.starts_with("For index 1000000 I calculated 1953282128707757…6838242546875"),
        "{line}"
    );
    assert!(line.contains("(208,988 digits)"), "{line}");
    let buttons: Vec<String> = (0..2)
        .filter_map(|n| container.query_selector_all("button").ok()?.item(n))
        .filter_map(|node| node.text_content())
        .collect();
    assert_eq!(buttons, ["Copy", "Download"]);
}

#[wasm_bindgen_test]
async fn reconnecting_is_said_only_after_a_connection_failed() {
    let store = Store::new();
    let container = mount(move || {
        provide_context(store);
        view! { <Trouble /> }
    });
    settle().await;
    assert_eq!(store.events.get_untracked(), Events::Connecting);
    assert_eq!(
        text_of(&container, ".reconnecting"),
        "",
        "nothing has failed yet"
    );

    store.events.set(Events::Lost);
    settle().await;
    assert_eq!(
        text_of(&container, ".reconnecting"),
        "Live updates paused; reconnecting…"
    );

    store.events.set(Events::Live);
    settle().await;
    assert!(
        container
            .query_selector(".reconnecting")
            .ok()
            .flatten()
            .is_none(),
        "the note goes once events flow"
    );
}
