//! Postgres as RDS runs it (`rds.force_ssl`): TCP logins only over TLS, with a password. Every
//! PGSSLMODE that encrypts serves the course's calls over an encrypted connection; a setting the
//! server refuses stops the api at once with one line that names the variables to look at.

use std::time::Duration;

use crate::support::{StackOptions, TestStack, assert_refusal_line};

const PATIENCE: Duration = Duration::from_secs(30);

fn tls_stack(env: Vec<(&'static str, String)>) -> TestStack {
    TestStack::start(StackOptions {
        postgres_tls: true,
        router: false,
        env,
        ..StackOptions::default()
    })
}

/// Whether every connection the api holds is encrypted, as Postgres itself reports it.
fn api_connections_encrypted(stack: &TestStack) -> Vec<String> {
    let output = stack
        .postgres()
        .psql()
        .args(["-tAc", "SELECT ssl FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE application_name = 'fibstack'"])
        .output()
        .expect("psql runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn every_encrypting_ssl_mode_serves_the_course_calls_over_tls() {
    for mode in ["prefer", "require", "verify-ca", "verify-full"] {
        let stack = tls_stack(vec![("PGSSLMODE", mode.to_owned())]);
        let reply = stack.submit(7);
        assert_eq!(reply.status, 200, "PGSSLMODE={mode}: {}", reply.text);
        assert_eq!(
            stack.wait_done(7, PATIENCE)["value"],
            "13",
            "PGSSLMODE={mode}"
        );
        assert_eq!(stack.submissions_count(), 1, "PGSSLMODE={mode}");
        let connections = api_connections_encrypted(&stack);
        assert!(
            !connections.is_empty() && connections.iter().all(|ssl| ssl == "t"),
            "PGSSLMODE={mode}: the api's connections are not all encrypted: {connections:?}"
        );
    }
}

fn refused_api(stack: &TestStack, env: &[(&str, &str)]) -> String {
    let env: Vec<_> = env
        .iter()
        .map(|&(name, value)| (name, Some(value)))
        .collect();
    stack.run_refused("api", &env)
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn an_unencrypted_login_is_refused_with_a_line_naming_pgsslmode() {
    let stack = tls_stack(Vec::new());
    let log = refused_api(&stack, &[("PGSSLMODE", "disable")]);
    assert_refusal_line(&log, "Postgres", &["PGSSLMODE", "no encryption"], None);
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn a_certificate_from_another_authority_is_refused_with_a_line_naming_pgsslrootcert() {
    let stack = tls_stack(Vec::new());
    let other_ca = stack
        .postgres()
        .tls
        .as_ref()
        .expect("a TLS server")
        .other_ca
        .clone();
    let other_ca = other_ca.to_string_lossy().into_owned();
    for mode in ["verify-full", "verify-ca", "require"] {
        let log = refused_api(&stack, &[("PGSSLMODE", mode), ("PGSSLROOTCERT", &other_ca)]);
        assert_refusal_line(&log, "Postgres", &["PGSSLROOTCERT", "PGSSLMODE"], None);
    }
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn a_wrong_password_is_refused_with_a_line_naming_pgpassword_and_never_the_password() {
    let stack = tls_stack(Vec::new());
    let log = refused_api(&stack, &[("PGPASSWORD", "not-the-password-5150")]);
    assert_refusal_line(
        &log,
        "Postgres",
        &["PGPASSWORD"],
        Some("not-the-password-5150"),
    );
}

#[test]
#[ignore = "needs Postgres, Redis and nginx (scripts/test runs it)"]
fn a_root_certificate_that_cannot_be_read_stops_the_api_at_start() {
    let stack = tls_stack(Vec::new());
    let missing = stack.dir.path().join("no-such-bundle.pem");
    let log = refused_api(&stack, &[("PGSSLROOTCERT", &missing.to_string_lossy())]);
    assert_refusal_line(
        &log,
        "Postgres",
        &["PGSSLROOTCERT", "no-such-bundle.pem"],
        None,
    );
}
