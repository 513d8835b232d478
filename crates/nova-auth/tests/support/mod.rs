//! Helpers shared by the integration tests.
#![allow(
    unused_imports,
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout
)]

use std::process::Command;

use nova_auth::{Credentials, CredentialsError};

pub use nova_test_support::Logs;
pub use nova_test_support::keys::{ACCESS_KEY_ID, API_KEY, SECRET_ACCESS_KEY, SESSION_TOKEN};

/// One line per fact about a credentials result; secrets never appear.
pub fn describe(result: &Result<Credentials, CredentialsError>) -> String {
    match result {
        Ok(creds) => {
            let mut out = format!(
                "mode: {}\nsource: {}\nid: {}",
                creds.mode(),
                creds.source(),
                creds.masked_id()
            );
            if let Some(aws) = creds.as_aws() {
                out.push_str(&format!(
                    "\nsession token: {}\naccount: {}",
                    aws.session_token().is_some(),
                    aws.account_id().unwrap_or("-")
                ));
            }
            if let Some(expiry) = creds.expiry() {
                out.push_str(&format!(
                    "\nexpiry: {}",
                    humantime::format_rfc3339_seconds(expiry)
                ));
            }
            out
        }
        Err(err) => format!(
            "error ({}): {:#}",
            if err.is_not_configured() {
                "not configured"
            } else {
                "stops the chain"
            },
            nova_auth::Report(err)
        ),
    }
}

/// Whether this process is the isolated child run of `test`.
pub fn in_child(test: &str) -> bool {
    std::env::var("NOVA_AUTH_TEST_CHILD").as_deref() == Ok(test)
}

/// Prints a line for the parent to collect.
pub fn report(line: impl std::fmt::Display) {
    for part in line.to_string().lines() {
        println!("@@ {part}");
    }
}

/// Runs test `test` of this test binary again in a child process whose environment is exactly
/// `vars` (nothing of this machine's environment, so no real `~/.aws` or AWS variables), and
/// returns what the child reported. Panics, with the child's output, if the child fails.
pub async fn isolated(test: &str, vars: Vec<(&'static str, String)>) -> String {
    let test = test.to_owned();
    tokio::task::spawn_blocking(move || {
        let exe = std::env::current_exe().expect("test binary path");
        let output = Command::new(exe)
            .args([test.as_str(), "--exact", "--nocapture", "--test-threads=1"])
            .env_clear()
            .env("NOVA_AUTH_TEST_CHILD", &test)
            .envs(vars)
            .output()
            .expect("run the child test");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "child run of {test} failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let lines: Vec<&str> = stdout
            .lines()
            .filter_map(|line| line.find("@@ ").map(|at| &line[at + 3..]))
            .collect();
        assert!(
            !lines.is_empty(),
            "child run of {test} reported nothing:\n{stdout}"
        );
        lines.join("\n")
    })
    .await
    .expect("child runner")
}
