//! Headless Chromium driven through chromedriver (WebDriver), for the end-to-end tests.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use super::process::{Service, free_port, spawn, wait_for};

/// Stops chromedriver and every browser it started (a test that fails never closes its
/// sessions, and chromedriver leaves their Chromium processes behind when it stops).
#[derive(Debug)]
pub struct Chromedriver {
    port: u16,
    profiles: std::path::PathBuf,
    sessions: usize,
    _service: Service,
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = Command::new("pkill")
            .arg("-f")
            .arg(format!("user-data-dir={}", self.profiles.display()))
            .status();
    }
}

impl Chromedriver {
    pub fn start(dir: &Path) -> Chromedriver {
        let root = dir.join("chromium");
        let tmp = root.join("tmp");
        std::fs::create_dir_all(&tmp).expect("a dir for Chromium");
        let port = free_port();
        let mut command = Command::new("chromedriver");
        // Chromium leaves tens of MB in TMPDIR per run: keep them in the test's own dir.
        command.arg(format!("--port={port}")).env("TMPDIR", &tmp);
        let service = spawn("chromedriver", command, &root.join("chromedriver.log"));
        wait_for("chromedriver to listen", Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        });
        Chromedriver {
            port,
            profiles: root,
            sessions: 0,
            _service: service,
        }
    }

    /// A fresh browser with its own profile: two sessions are two people.
    pub async fn browser(&mut self) -> Client {
        self.sessions += 1;
        let profile = self.profiles.join(format!("profile-{}", self.sessions));
        // CHROME_BIN picks another Chromium or Chrome (CI images that ship Google Chrome).
        let binary = std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": binary,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--window-size=900,700",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("chromedriver starts a browser session")
    }
}

/// The text of the first element matching `css` once `ok` accepts it, or a panic naming both.
pub async fn wait_for_text(
    browser: &Client,
    css: &str,
    limit: Duration,
    ok: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + limit;
    let mut last = String::from("<no such element>");
    while Instant::now() < deadline {
        if let Ok(element) = browser.find(Locator::Css(css)).await
            && let Ok(text) = element.text().await
        {
            if ok(&text) {
                return text;
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out after {limit:?} waiting on {css}; it said {last:?}");
}

/// Waits until `css` finds exactly `expected` elements, or panics saying how many it found.
pub async fn wait_for_count(browser: &Client, css: &str, expected: usize, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let found = count(browser, css).await;
        if found == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?}: {css} found {found}, not {expected}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether an element matching `css` exists right now.
pub async fn exists(browser: &Client, css: &str) -> bool {
    browser.find(Locator::Css(css)).await.is_ok()
}

/// Types into the index field and presses Submit, as a person would.
pub async fn submit_index(browser: &Client, text: &str) {
    let field = browser
        .find(Locator::Css("#index"))
        .await
        .expect("the index field");
    field.clear().await.expect("clear");
    field.send_keys(text).await.expect("typing");
    browser
        .find(Locator::Css(".index-form button[type=submit]"))
        .await
        .expect("the Submit button")
        .click()
        .await
        .expect("click");
}

/// Clicks the element `css` finds.
pub async fn click(browser: &Client, css: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("no {css} to click: {error}"))
        .click()
        .await
        .expect("click");
}

/// How many elements `css` finds.
pub async fn count(browser: &Client, css: &str) -> usize {
    browser
        .find_all(Locator::Css(css))
        .await
        .map_or(0, |found| found.len())
}
