//! What `scripts/stack` is asked for, from its environment.

use std::path::PathBuf;

use crate::repo_root;

/// What `scripts/stack` is asked for, from its environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `STACK_DIR`, or `.stack` in the checkout.
    pub state: PathBuf,
    /// `STACK_PORT`: the router's, the one port a user opens.
    pub router_port: u16,
    /// `STACK_WORKERS`.
    pub workers: usize,
    /// `STACK_CLIENT=dev`: the client from `trunk serve`, with live reload.
    pub client_dev: bool,
    /// Not `CLIENT_BUILD=0`: rebuild the client's bundle when its sources are newer.
    pub client_build: bool,
    /// `FIBSTACK_BIN`: run this binary instead of building one.
    pub fibstack_bin: Option<PathBuf>,
    /// `RATE_LIMIT_RPS` for the router.
    pub rate_limit_rps: String,
    /// Variables for the api and the workers beyond those they inherit (the drill's settings).
    pub service_env: Vec<(String, String)>,
    /// Progress unsaid: for a caller that runs `up` again and again (the drill).
    pub quiet: bool,
}

impl Settings {
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let number = |name: &str, default: usize| match var(name) {
            None => Ok(default),
            Some(text) => text
                .parse()
                .map_err(|_| format!("{name}={text} is not a whole number")),
        };
        let router_port = u16::try_from(number("STACK_PORT", 3050)?)
            .ok()
            .filter(|port| *port > 0)
            .ok_or("STACK_PORT must be a port, 1 to 65535")?;
        let workers = number("STACK_WORKERS", 1)?;
        if workers == 0 {
            return Err("STACK_WORKERS must be at least 1".to_owned());
        }
        Ok(Self {
            state: var("STACK_DIR").map_or_else(|| repo_root().join(".stack"), PathBuf::from),
            router_port,
            workers,
            client_dev: var("STACK_CLIENT").as_deref() == Some("dev"),
            client_build: var("CLIENT_BUILD").as_deref() != Some("0"),
            fibstack_bin: var("FIBSTACK_BIN").map(PathBuf::from),
            rate_limit_rps: var("RATE_LIMIT_RPS").unwrap_or_else(|| "20".to_owned()),
            service_env: Vec::new(),
            quiet: false,
        })
    }
}
