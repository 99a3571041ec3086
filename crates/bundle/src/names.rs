//! The bundle's names and the small texts that refer to them. Pure: no I/O.

use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// The first 16 hex digits of the SHA-256 of `bytes`, as `sha256sum` prints them: enough to tell
/// builds apart, and checkable by hand.
pub fn content_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .take(8)
        .fold(String::with_capacity(16), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// `<stem>-<content hash>.<extension>`: the client's nginx caches names of this shape for ever.
pub fn hashed_name(stem: &str, contents: &[u8], extension: &str) -> String {
    format!("{stem}-{}.{extension}", content_hash(contents))
}

/// The page's one script: loads the glue, which loads the wasm. A file rather than inline
/// script, because the page's policy allows scripts from its own origin only.
pub fn boot_script(glue_url: &str, wasm_url: &str) -> String {
    format!("import init from '{glue_url}';\nawait init({{ module_or_path: '{wasm_url}' }});\n")
}

/// `client/index.html` with its trunk line (what `trunk serve` builds from) replaced by the
/// production script tag; `None` when the template has no such line.
pub fn page_with_script(template: &str, boot_url: &str) -> Option<String> {
    let mut found = false;
    let mut html = String::with_capacity(template.len());
    for line in template.lines() {
        if line.contains("<link data-trunk rel=\"rust\"") {
            found = true;
            let _ = writeln!(
                html,
                "  <script type=\"module\" src=\"{boot_url}\"></script>"
            );
        } else {
            html.push_str(line);
            html.push('\n');
        }
    }
    found.then_some(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_the_start_of_the_sha256_that_sha256sum_prints() {
        // `printf abc | sha256sum`
        assert_eq!(content_hash(b"abc"), "ba7816bf8f01cfea");
        assert_eq!(
            hashed_name("fibstack-boot", b"abc", "js"),
            "fibstack-boot-ba7816bf8f01cfea.js"
        );
    }

    #[test]
    fn names_change_with_every_byte_of_the_contents() {
        assert_ne!(content_hash(b"fib(10)"), content_hash(b"fib(11)"));
    }

    #[test]
    fn the_boot_script_loads_the_glue_and_hands_it_the_wasm() {
        let script = boot_script("/glue-1.js", "/wasm-2.wasm");
        assert_eq!(
            script,
            "import init from '/glue-1.js';\nawait init({ module_or_path: '/wasm-2.wasm' });\n"
        );
    }

    #[test]
    fn the_trunk_line_becomes_the_script_tag_and_nothing_else_changes() {
        let template = "<head>\n  <link data-trunk rel=\"rust\" data-wasm-opt=\"z\" />\n  <title>Fib</title>\n</head>";
        let page = page_with_script(template, "/fibstack-boot-00.js");
        assert_eq!(
            page.as_deref(),
            Some(
                "<head>\n  <script type=\"module\" src=\"/fibstack-boot-00.js\"></script>\n  <title>Fib</title>\n</head>\n"
            )
        );
    }

    #[test]
    fn a_template_without_the_trunk_line_is_refused() {
        assert_eq!(page_with_script("<head></head>", "/boot.js"), None);
    }
}
