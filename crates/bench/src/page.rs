//! `fibstack-bench page`: how soon the page shows its first value lines, and how many elements
//! it holds, loaded in headless Chromium (through chromedriver) as a first-time visitor: a fresh
//! profile per load, so nothing comes from a cache.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fantoccini::{Client, ClientBuilder};
use serde_json::json;

/// The page's own User Timing mark for its first value lines (`crates/client/src/store.rs`).
const WAIT_FOR_FIRST_VALUES: &str = "const done = arguments[0];
  const mark = () => performance.getEntriesByName('fibstack:first-values')[0];
  const look = () => mark() ? done(mark().startTime) : setTimeout(look, 5);
  look();";

/// What one load of the page measured.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// From navigation start to the first value lines drawn, in ms.
    pub first_values_ms: f64,
    /// Elements in the document then.
    pub elements: u64,
}

/// chromedriver and the browsers it starts, stopped when dropped.
struct Driver {
    process: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        // chromedriver leaves the browsers it started behind: they are known by their profiles.
        let _ = Command::new("pkill")
            .arg("-f")
            .arg(format!("user-data-dir={}", self.dir.display()))
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Driver {
    fn start() -> anyhow::Result<Driver> {
        let dir = std::env::temp_dir().join(format!("fibstack-bench-page-{}", std::process::id()));
        let tmp = dir.join("tmp");
        std::fs::create_dir_all(&tmp).context("cannot make a directory for Chromium")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let process = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            // Chromium leaves tens of MB in TMPDIR per load.
            .env("TMPDIR", &tmp)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .context("cannot start chromedriver (Debian: apt-get install chromium-driver)")?;
        let driver = Driver { process, port, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("chromedriver did not listen within 20 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(driver)
    }

    async fn browser(&self, profile: &Path) -> anyhow::Result<Client> {
        let binary = std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        let serde_json::Value::Object(capabilities) = json!({
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
        }) else {
            unreachable!("a JSON object literal")
        };
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .context("chromedriver could not start a browser")
    }
}

/// Loads `url` `loads` times, each in a fresh browser.
pub async fn measure(url: &str, loads: usize) -> anyhow::Result<Vec<Load>> {
    let driver = Driver::start()?;
    let mut measured = Vec::with_capacity(loads);
    for load in 0..loads {
        let browser = driver
            .browser(&driver.dir.join(format!("profile-{load}")))
            .await?;
        let result = measure_one(&browser, url).await;
        browser.close().await.ok();
        measured.push(result?);
    }
    Ok(measured)
}

async fn measure_one(browser: &Client, url: &str) -> anyhow::Result<Load> {
    browser.goto(url).await.context("the page does not load")?;
    let started = tokio::time::timeout(
        Duration::from_secs(30),
        browser.execute_async(WAIT_FOR_FIRST_VALUES, vec![]),
    )
    .await
    .context("no value lines within 30 s")??;
    let elements = browser
        .execute("return document.getElementsByTagName('*').length", vec![])
        .await?;
    Ok(Load {
        first_values_ms: started.as_f64().context("a time in ms")?,
        elements: elements.as_u64().context("a count")?,
    })
}
