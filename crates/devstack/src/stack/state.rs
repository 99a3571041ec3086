//! The state folder's files and lines: `ports.env`, the services' names, `status`.

use crate::ports::first_free_from;

/// The internal ports, picked once on the first `up` and kept in `ports.env`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    pub postgres: u16,
    pub redis: u16,
    pub api: u16,
    pub client: u16,
}

impl Ports {
    const NAMES: [&str; 4] = ["PG_PORT", "REDIS_PORT", "API_PORT", "CLIENT_PORT"];

    /// Shell syntax: the drill and the benchmarks `source` it.
    pub fn to_env(self) -> String {
        let values = [self.postgres, self.redis, self.api, self.client];
        Self::NAMES
            .iter()
            .zip(values)
            .map(|(name, port)| format!("{name}={port}\n"))
            .collect()
    }

    pub fn from_env(text: &str) -> Option<Self> {
        let port = |wanted: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(wanted)?.strip_prefix('='))
                .and_then(|value| value.trim().parse().ok())
        };
        Some(Self {
            postgres: port(Self::NAMES[0])?,
            redis: port(Self::NAMES[1])?,
            api: port(Self::NAMES[2])?,
            client: port(Self::NAMES[3])?,
        })
    }

    /// The first free ports from the usual ones (15432, 16379, 15000, 13000).
    pub(super) fn pick() -> Option<Self> {
        Some(Self {
            postgres: first_free_from(15432)?,
            redis: first_free_from(16379)?,
            api: first_free_from(15000)?,
            client: first_free_from(13000)?,
        })
    }
}

/// `worker`, `worker-2`, …: the first keeps the plain name the single-worker stack has always had.
pub fn worker_name(number: usize) -> String {
    if number == 1 {
        "worker".to_owned()
    } else {
        format!("worker-{number}")
    }
}

/// One line of `status`.
pub fn status_line(name: &str, pid: Option<u32>) -> String {
    match pid {
        Some(pid) => format!("{name:<9} running  pid {pid}"),
        None => format!("{name:<9} stopped"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_survive_the_file_the_scripts_source() {
        let ports = Ports {
            postgres: 15432,
            redis: 16379,
            api: 15000,
            client: 13000,
        };
        assert_eq!(
            ports.to_env(),
            "PG_PORT=15432\nREDIS_PORT=16379\nAPI_PORT=15000\nCLIENT_PORT=13000\n"
        );
        assert_eq!(Ports::from_env(&ports.to_env()), Some(ports));
    }

    #[test]
    fn a_ports_file_missing_a_port_is_not_used() {
        assert_eq!(
            Ports::from_env("PG_PORT=15432\nREDIS_PORT=16379\nAPI_PORT=15000\n"),
            None
        );
        assert_eq!(
            Ports::from_env("PG_PORT=x\nREDIS_PORT=1\nAPI_PORT=2\nCLIENT_PORT=3\n"),
            None
        );
    }

    #[test]
    fn workers_are_named_as_the_single_worker_stack_named_its_one() {
        assert_eq!(worker_name(1), "worker");
        assert_eq!(worker_name(3), "worker-3");
    }

    #[test]
    fn status_lines_line_up() {
        assert_eq!(status_line("api", Some(42)), "api       running  pid 42");
        assert_eq!(status_line("worker-2", None), "worker-2  stopped");
    }
}
