//! Mounts the app on the page; everything else is in the library.

fn main() {
    leptos::mount::mount_to_body(fibstack_client::app::App);
}
