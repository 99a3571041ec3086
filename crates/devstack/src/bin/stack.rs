//! `fibstack-stack up|down|status|clean|logs SERVICE`: the multi-process topology without
//! Docker. `scripts/stack` runs it; its README section and [`fibstack_devstack::stack`] say what
//! each command does and which variables it reads.

use clap::{Parser, Subcommand};
use fibstack_devstack::stack::{Settings, Stack};
use std::os::unix::process::CommandExt as _;
use std::process::ExitCode;

/// Postgres, Redis, the api, the workers, the client's server and the nginx router as separate
/// processes on loopback. Router on 127.0.0.1:${STACK_PORT:-3050}; state in
/// ${STACK_DIR:-.stack}/. STACK_WORKERS, STACK_CLIENT=dev, CLIENT_BUILD=0, FIBSTACK_BIN and
/// RATE_LIMIT_RPS change what `up` starts.
#[derive(Debug, Parser)]
#[command(name = "scripts/stack", bin_name = "scripts/stack")]
struct Args {
    #[command(subcommand)]
    command: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Start whatever is not running, and wait until the router answers.
    Up,
    /// Stop exactly the processes this stack started.
    Down,
    /// One line per service.
    Status,
    /// Down, then delete the state and data: the next `up` starts afresh.
    Clean,
    /// Follow one service's log.
    Logs {
        /// postgres, redis, api, worker (worker-2, …), client or nginx.
        service: String,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let stack = match Settings::from_env() {
        Ok(settings) => Stack::new(settings),
        Err(problem) => return fail(&problem),
    };
    let done = match args.command {
        Action::Up => stack.up(),
        Action::Down => stack.down(),
        Action::Clean => stack.clean(),
        Action::Status => {
            for line in stack.status() {
                println!("{line}");
            }
            Ok(())
        }
        Action::Logs { service } => {
            return match stack.log_follower(&service) {
                // exec: Ctrl-C ends tail, and nothing is left behind.
                Ok(mut tail) => fail(&format!("cannot run tail: {}", tail.exec())),
                Err(problem) => fail(&problem),
            };
        }
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => fail(&problem.to_string()),
    }
}

fn fail(problem: &str) -> ExitCode {
    eprintln!("stack: {problem}");
    ExitCode::FAILURE
}
