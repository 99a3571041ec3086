//! nginx as the router and as the client's static server, rendered by `nginx/render.sh` from the
//! templates the container images use.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::repo_root;

/// What `nginx/render.sh` writes into `dir`: `router` (needs `API_UPSTREAM`, `CLIENT_UPSTREAM`,
/// `LISTEN_PORT`, `RATE_LIMIT_RPS`) or `client` (`LISTEN_PORT`, and the folder it serves).
pub fn render(
    role: &str,
    dir: &Path,
    serves: Option<&Path>,
    vars: &[(&str, String)],
) -> io::Result<()> {
    let mut command = Command::new(repo_root().join("nginx/render.sh"));
    command.arg(role).arg(dir);
    if let Some(root) = serves {
        command.arg(root);
    }
    command.envs(vars.iter().map(|(name, value)| (*name, value)));
    let status = command.status()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "nginx/render.sh {role} failed (see above)"
        )))
    }
}

/// nginx in the foreground with the configuration rendered into `dir`.
pub fn server(dir: &Path) -> Command {
    let mut command = Command::new("nginx");
    command
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .args(["-g", "daemon off;"]);
    command
}

pub fn is_installed() -> bool {
    Command::new("nginx")
        .arg("-v")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// The built client (`scripts/build-client`) when there is one, else the placeholder page.
pub fn client_root() -> PathBuf {
    let client = repo_root().join("client");
    if client.join("dist/index.html").exists() {
        client.join("dist")
    } else {
        client.join("placeholder")
    }
}
