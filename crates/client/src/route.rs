//! Client-side routing for the pages. A router framework would be a third of the bundle
//! (leptos_router measured 55 KB gzip of a 150 KB budget); two routes need only the path as a
//! signal, links that push history entries, and the back button.

use leptos::prelude::*;
use wasm_bindgen::JsValue;

/// The pages, by path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Calculator,
    Other,
    System,
    NotFound,
}

/// Which page a path shows (pure, so it is tested natively).
pub fn page_for(path: &str) -> Page {
    match path.trim_end_matches('/') {
        "" | "/index.html" => Page::Calculator,
        "/otherpage" => Page::Other,
        "/system" => Page::System,
        _ => Page::NotFound,
    }
}

/// The current path, shared through context.
#[derive(Debug, Clone, Copy)]
pub struct CurrentPath(pub RwSignal<String>);

fn location_path() -> String {
    web_sys::window()
        .and_then(|window| window.location().pathname().ok())
        .unwrap_or_else(|| "/".to_owned())
}

/// Tracks the address bar: starts from it and follows the back and forward buttons.
pub fn provide_current_path() -> CurrentPath {
    let path = CurrentPath(RwSignal::new(location_path()));
    provide_context(path);
    let handle = window_event_listener(leptos::ev::popstate, move |_| path.0.set(location_path()));
    // The app lives as long as the page: keep listening.
    std::mem::forget(handle);
    path
}

/// An ordinary link that, on a plain click, changes the page without reloading it.
#[component]
pub fn Link(href: &'static str, children: Children) -> impl IntoView {
    let path = use_context::<CurrentPath>().map(|current| current.0);
    let on_click = move |event: leptos::ev::MouseEvent| {
        let plain = event.button() == 0
            && !(event.ctrl_key() || event.meta_key() || event.shift_key() || event.alt_key());
        let (Some(path), Some(window)) = (path, web_sys::window()) else {
            return;
        };
        if plain
            && window.history().is_ok_and(|history| {
                history
                    .push_state_with_url(&JsValue::NULL, "", Some(href))
                    .is_ok()
            })
        {
            event.prevent_default();
            path.set(href.to_owned());
        }
    };
    let current = move || {
        path.is_some_and(|path| page_for(&path.get()) == page_for(href))
            .then_some("page")
    };
    view! { <a href=href on:click=on_click aria-current=current>{children()}</a> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_choose_pages() {
        assert_eq!(page_for("/"), Page::Calculator);
        assert_eq!(page_for(""), Page::Calculator);
        assert_eq!(page_for("/otherpage"), Page::Other);
        assert_eq!(page_for("/otherpage/"), Page::Other);
        assert_eq!(page_for("/system"), Page::System);
        assert_eq!(page_for("/nowhere"), Page::NotFound);
    }
}
