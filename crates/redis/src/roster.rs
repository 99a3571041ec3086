//! The roster in Redis: each member's latest report and when Redis heard it, read by every api
//! replica for the system view. Both scripts keep it bounded: the silent are forgotten and the
//! quietest go first past [`MAX_MEMBERS`].

use std::time::Duration;

use async_trait::async_trait;
use fibstack_core::roster::{FORGET_AFTER, MAX_MEMBERS, Member, Report, Roster};
use fibstack_core::{BackendError, Service};
use redis::Script;

use crate::connection::RedisConnection;
use crate::errors::classify;
use crate::keys;

static REPORT: std::sync::LazyLock<Script> =
    std::sync::LazyLock::new(|| Script::new(include_str!("lua/report.lua")));
static MEMBERS: std::sync::LazyLock<Script> =
    std::sync::LazyLock::new(|| Script::new(include_str!("lua/members.lua")));

/// The api replicas and workers of a stack, as they report themselves. Cheap to clone.
#[derive(Clone)]
pub struct RedisRoster {
    connection: RedisConnection,
    forget_after: Duration,
}

impl std::fmt::Debug for RedisRoster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRoster")
            .field("forget_after", &self.forget_after)
            .finish_non_exhaustive()
    }
}

impl RedisRoster {
    pub fn new(connection: RedisConnection) -> Self {
        Self::forgetting_after(connection, FORGET_AFTER)
    }

    /// A roster that forgets silent members sooner than [`FORGET_AFTER`] (tests).
    pub fn forgetting_after(connection: RedisConnection, forget_after: Duration) -> Self {
        RedisRoster {
            connection,
            forget_after,
        }
    }

    fn forget_after_ms(&self) -> u64 {
        u64::try_from(self.forget_after.as_millis()).unwrap_or(u64::MAX)
    }
}

#[async_trait]
impl Roster for RedisRoster {
    async fn report(&self, name: &str, report: &Report) -> Result<(), BackendError> {
        let report = serde_json::to_string(report)
            .map_err(|error| BackendError::unexpected(Service::Redis, error.to_string()))?;
        REPORT
            .key(keys::MEMBERS)
            .key(keys::MEMBER_REPORTS)
            .arg(name)
            .arg(report)
            .arg(self.forget_after_ms())
            .arg(MAX_MEMBERS)
            .invoke_async::<u64>(&mut self.connection.clone())
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn leave(&self, name: &str) -> Result<(), BackendError> {
        redis::pipe()
            .zrem(keys::MEMBERS, name)
            .hdel(keys::MEMBER_REPORTS, name)
            .query_async::<()>(&mut self.connection.clone())
            .await
            .map_err(classify)
    }

    async fn members(&self) -> Result<Vec<Member>, BackendError> {
        let listed: Vec<String> = MEMBERS
            .key(keys::MEMBERS)
            .key(keys::MEMBER_REPORTS)
            .arg(self.forget_after_ms())
            .arg(MAX_MEMBERS)
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(classify)?;
        Ok(listed
            .chunks_exact(3)
            .filter_map(|member| member_from(&member[0], &member[1], &member[2]))
            .collect())
    }
}

/// A listed member; `None` for a report this version cannot read (a newer member's, during a
/// rolling upgrade), which is left out rather than failing the whole list.
fn member_from(name: &str, silent_ms: &str, report: &str) -> Option<Member> {
    Some(Member {
        name: name.to_owned(),
        report: serde_json::from_str(report).ok()?,
        silent_for: Duration::from_millis(silent_ms.parse().ok()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_reports_are_left_out() {
        let member = member_from("worker-1", "250", r#"{"role":"api","event_streams":1}"#);
        assert_eq!(
            member,
            Some(Member {
                name: "worker-1".to_owned(),
                report: Report::Api { event_streams: 1 },
                silent_for: Duration::from_millis(250),
            })
        );
        assert_eq!(member_from("w", "250", r#"{"role":"router"}"#), None);
        assert_eq!(
            member_from("w", "soon", r#"{"role":"api","event_streams":1}"#),
            None
        );
    }
}
