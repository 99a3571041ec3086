//! Typed calls to the api, through the router under `/api`. Every failure becomes a sentence.

use fibstack_core::FibIndex;
use fibstack_core::http::{
    ErrorBody, Limits, SubmittedNumber, SystemView, ValueDetail, ValueSummary,
};
use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;

/// Where the api is, as the browser sees it.
pub const API: &str = "/api";

/// A call that did not work, in words fit to show next to the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(pub String);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

// The underlying errors are not formatted into these sentences: they mean nothing to a reader,
// and their formatting code would weigh on the bundle.
fn unreachable(_: gloo_net::Error) -> Failure {
    Failure("The server cannot be reached; check your connection and try again.".to_owned())
}

fn unreadable(_: gloo_net::Error) -> Failure {
    Failure("The server's answer could not be read; try reloading the page.".to_owned())
}

/// The server's own sentence for a refused request, or a plain description.
async fn refusal(response: Response) -> Failure {
    let status = response.status();
    match response.json::<ErrorBody>().await {
        Ok(body) => Failure(body.error),
        Err(_) => Failure(format!(
            "The server answered {status} {}.",
            response.status_text()
        )),
    }
}

async fn get(path: &str) -> Result<Response, Failure> {
    let response = Request::get(&format!("{API}{path}"))
        .send()
        .await
        .map_err(unreachable)?;
    if !response.ok() {
        return Err(refusal(response).await);
    }
    Ok(response)
}

async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, Failure> {
    get(path).await?.json().await.map_err(unreadable)
}

/// The server's own limits, for checking input by its rules.
pub async fn limits() -> Result<Limits, Failure> {
    get_json("/limits").await
}

/// The latest `limit` submissions, oldest first, and how many there are in all.
pub async fn seen(limit: u32) -> Result<(Vec<u64>, u64), Failure> {
    let response = get(&format!("/values/all?limit={limit}")).await?;
    let total = response
        .headers()
        .get("x-total-count")
        .and_then(|total| total.parse().ok());
    let rows: Vec<SubmittedNumber> = response.json().await.map_err(unreadable)?;
    let numbers: Vec<u64> = rows.into_iter().map(|row| row.number).collect();
    let total = total.unwrap_or(numbers.len() as u64);
    Ok((numbers, total))
}

/// The `limit` most recently submitted indexes with their status and a preview, newest first.
pub async fn summaries(limit: u32) -> Result<Vec<ValueSummary>, Failure> {
    get_json(&format!("/values?limit={limit}")).await
}

/// One index's status and whole value; `None` if it was never submitted.
pub async fn detail(index: u64) -> Result<Option<ValueDetail>, Failure> {
    let response = Request::get(&format!("{API}/values/{index}"))
        .send()
        .await
        .map_err(unreachable)?;
    match response.status() {
        404 => Ok(None),
        _ if response.ok() => response.json().await.map(Some).map_err(unreadable),
        _ => Err(refusal(response).await),
    }
}

pub async fn submit(index: FibIndex) -> Result<(), Failure> {
    let response = Request::post(&format!("{API}/values"))
        .header("Content-Type", "application/json")
        .body(format!("{{\"index\": {index}}}"))
        .map_err(|_| Failure("The request could not be built.".to_owned()))?
        .send()
        .await
        .map_err(unreachable)?;
    if response.ok() {
        Ok(())
    } else {
        Err(refusal(response).await)
    }
}

/// The whole decimal value, for copying or saving.
pub async fn whole_value(index: u64) -> Result<String, Failure> {
    let response = Request::get(&format!("{API}/values/{index}"))
        .header("Accept", "text/plain")
        .send()
        .await
        .map_err(unreachable)?;
    if !response.ok() {
        return Err(refusal(response).await);
    }
    let text = response.text().await.map_err(unreadable)?;
    Ok(text.trim_end().to_owned())
}

/// Why the system view could not be read, by who did not answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemTrouble {
    /// Nothing answered: the router (or the all-in-one process) is down, or the network.
    Unreachable,
    /// Something answered with this status instead: the router, with no api behind it.
    Answered(u16),
    /// An answer that is not a system view.
    Unreadable,
}

/// `GET /api/system`.
pub async fn system() -> Result<SystemView, SystemTrouble> {
    let response = Request::get(&format!("{API}/system"))
        .send()
        .await
        .map_err(|_| SystemTrouble::Unreachable)?;
    if !response.ok() {
        return Err(SystemTrouble::Answered(response.status()));
    }
    response.json().await.map_err(|_| SystemTrouble::Unreadable)
}
