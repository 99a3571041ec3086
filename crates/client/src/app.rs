//! The components: the app shell with its pages, the calculator and the other page (the system
//! view is in `system`).

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::model::{Looked, SEEN_SHOWN, Shown, grouped, shown, shown_detail};
use crate::route::{Link, Page, page_for, provide_current_path};
use crate::save;
use crate::store::{Events, Store};
use crate::system::SystemPage;

#[component]
pub fn App() -> impl IntoView {
    let store = Store::new();
    provide_context(store);
    store.start();
    let path = provide_current_path();
    view! {
        <header>
            <h1>"Fib Calculator"</h1>
            <nav>
                <Link href="/">"Home"</Link>
                <Link href="/otherpage">"Other Page"</Link>
                <Link href="/system">"System"</Link>
            </nav>
        </header>
        <main data-events=move || store.events.get().as_str()>
            {move || match page_for(&path.0.get()) {
                Page::Calculator => view! { <Calculator /> }.into_any(),
                Page::Other => view! { <OtherPage /> }.into_any(),
                Page::System => view! { <SystemPage /> }.into_any(),
                Page::NotFound => view! {
                    <p>"There is no such page. " <Link href="/">"Go back home"</Link></p>
                }
                .into_any(),
            }}
        </main>
    }
}

#[component]
pub fn OtherPage() -> impl IntoView {
    view! {
        <p>"I'm some other page!"</p>
        <Link href="/">"Go back home"</Link>
    }
}

#[component]
pub fn Calculator() -> impl IntoView {
    view! {
        <IndexForm />
        <Trouble />
        <SeenIndexes />
        <CalculatedValues />
    }
}

fn store() -> Store {
    use_context::<Store>().unwrap_or_default()
}

/// The seed's form. The index is checked here with the server's own rules (one definition, in
/// `fibstack-core`), so a bad one is explained before anything is sent.
#[component]
pub fn IndexForm() -> impl IntoView {
    let store = store();
    let text = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);

    let on_input = move |event| {
        let typed = event_target_value(&event);
        // Say what is wrong as soon as there is something to judge; an empty field is not wrong yet.
        problem.set(match store.policy.get_untracked().parse_str(&typed) {
            Err(error) if !typed.trim().is_empty() => Some(sentence(&error.to_string())),
            _ => None,
        });
        text.set(typed);
    };
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        match store
            .policy
            .get_untracked()
            .parse_str(&text.get_untracked())
        {
            Err(error) => problem.set(Some(sentence(&error.to_string()))),
            Ok(index) => {
                problem.set(None);
                text.set(String::new());
                store.submit(index, move |refusal| problem.set(Some(refusal)));
            }
        }
    };

    view! {
        <form class="index-form" on:submit=on_submit novalidate>
            <label for="index">"Enter your index:"</label>
            <input
                id="index"
                name="index"
                inputmode="numeric"
                autocomplete="off"
                aria-describedby="index-problem"
                aria-invalid=move || if problem.get().is_some() { "true" } else { "false" }
                prop:value=move || text.get()
                on:input=on_input
            />
            <button type="submit">"Submit"</button>
            <p id="index-problem" class="problem" role="alert">
                {move || problem.get()}
            </p>
        </form>
    }
}

/// The server cannot be read right now: said in words, above the (last known) lists.
#[component]
pub fn Trouble() -> impl IntoView {
    let store = store();
    view! {
        <Show when=move || store.trouble.get().is_some()>
            <p class="trouble" role="status">{move || store.trouble.get()}</p>
        </Show>
        <Show when=move || store.trouble.get().is_none() && store.events.get() == Events::Lost>
            <p class="reconnecting" role="status">"Live updates paused; reconnecting…"</p>
        </Show>
    }
}

/// The seed's list of submissions: the most recent, with how many there are and the rest on
/// demand.
#[component]
pub fn SeenIndexes() -> impl IntoView {
    let store = store();
    let all = move || store.board.with(|board| board.seen_limit > SEEN_SHOWN);
    view! {
        <h3>"Indexes I have seen:"</h3>
        <p class="seen">{move || store.board.with(|board| board.seen_line())}</p>
        <Show when=move || store.board.with(|board| board.seen_is_cut())>
            <p class="seen-count">
                {move || store.board.with(|board| board.seen_count())}
                " "
                <button type="button" on:click=move |_| store.show_all_seen(!all())>
                    {move || if all() { "Show fewer" } else { "Show all" }}
                </button>
            </p>
        </Show>
    }
}

#[component]
pub fn CalculatedValues() -> impl IntoView {
    let store = store();
    view! {
        <h3>"Calculated Values:"</h3>
        <LookUp />
        <ul class="values">
            // Keyed by everything a line shows: a line whose row changed is drawn anew, never
            // patched in place from another row's line.
            <For
                each=move || store.board.get().values
                key=|row| (row.index, row.status, row.digits, row.preview.clone())
                children=|row| view! { <ValueLine index=row.index shown=shown(&row) /> }
            />
        </ul>
        <Show when=move || store.board.with(|board| board.more_values())>
            <button type="button" class="more" on:click=move |_| store.show_more_values()>
                "Show more"
            </button>
        </Show>
    }
}

/// `For index 7 I calculated 13`, or the shortened value with copy and download.
#[component]
pub fn ValueLine(index: u64, shown: Shown) -> impl IntoView {
    view! {
        <li data-index=index>"For index " {index} " I calculated " {calculated(index, shown)}</li>
    }
}

/// What comes after "I calculated": the value, shortened with its actions, or its status.
fn calculated(index: u64, shown: Shown) -> AnyView {
    match shown {
        Shown::Whole(value) => view! { <span class="value">{value}</span> }.into_any(),
        Shown::Shortened { preview, digits } => view! {
            <span class="value">{preview}</span>
            " "
            <span class="digits">"(" {grouped(digits)} " digits)"</span>
            <WholeValueActions index />
        }
        .into_any(),
        Shown::Pending => view! { <span class="pending">"… (working on it)"</span> }.into_any(),
        Shown::Failed => {
            view! { <span class="failed">"nothing: it failed, try again later"</span> }.into_any()
        }
    }
}

/// One index found among all that were ever submitted, however long ago: its value, status
/// and digits, kept current while it is pending.
#[component]
pub fn LookUp() -> impl IntoView {
    let store = store();
    let text = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        match store
            .policy
            .get_untracked()
            .parse_str(&text.get_untracked())
        {
            Err(error) => problem.set(Some(sentence(&error.to_string()))),
            Ok(index) => {
                problem.set(None);
                store.look_up(index.get());
            }
        }
    };
    view! {
        <form class="lookup-form" on:submit=on_submit novalidate>
            <label for="lookup">"Look up an index:"</label>
            <input
                id="lookup"
                name="lookup"
                inputmode="numeric"
                autocomplete="off"
                prop:value=move || text.get()
                on:input=move |event| text.set(event_target_value(&event))
            />
            <button type="submit">"Look up"</button>
        </form>
        <p class="lookup-result" role="status">
            {move || match (problem.get(), store.looked_up.get()) {
                (Some(problem), _) => view! { <span class="failed">{problem}</span> }.into_any(),
                (None, Some(Looked::Value(detail))) => view! {
                    "For index " {detail.index} " I calculated "
                    {calculated(detail.index, shown_detail(&detail))}
                }
                .into_any(),
                (None, Some(Looked::NeverSubmitted(index))) => {
                    view! { "Index " {index} " was never submitted." }.into_any()
                }
                (None, Some(Looked::Trouble(trouble))) => {
                    view! { <span class="failed">{trouble}</span> }.into_any()
                }
                (None, None) => ().into_any(),
            }}
        </p>
    }
}

#[component]
pub fn WholeValueActions(index: u64) -> impl IntoView {
    let note = RwSignal::new(None::<String>);
    let run = move |copying: bool| {
        spawn_local(async move {
            let outcome = if copying {
                save::copy(index).await
            } else {
                save::download(index).await
            };
            note.set(Some(match (outcome, copying) {
                (Ok(()), true) => "Copied.".to_owned(),
                (Ok(()), false) => "Saved.".to_owned(),
                (Err(failure), _) => failure.0,
            }));
        });
    };
    view! {
        <span class="actions">
            <button type="button" on:click=move |_| run(true)>"Copy"</button>
            <button type="button" on:click=move |_| run(false)>"Download"</button>
            <span class="note" role="status">{move || note.get()}</span>
        </span>
    }
}

/// Error messages start lower-case (they read well after "error: "); on the page they are sentences.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>() + ".",
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::sentence;

    #[test]
    fn errors_become_sentences() {
        assert_eq!(sentence("the index is empty"), "The index is empty.");
        assert_eq!(sentence(""), "");
    }
}
