//! Helpers shared by the integration tests.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout
)]

use std::io;
use std::process::Command;
use std::sync::{Arc, Mutex};

use nova_auth::{Credentials, CredentialsError};

/// Example credentials, in the shape AWS documents.
pub const ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENvalue";
pub const API_KEY: &str = "3f2a9c1e-7b4d-4e8a-9f6c-2d1b0a9e8c7f";

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
            "error ({}): {err}",
            if err.is_not_configured() {
                "not configured"
            } else {
                "stops the chain"
            }
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

/// Everything logged, at every level, while the returned guard lives (this thread only).
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    pub fn capture() -> (Self, tracing::subscriber::DefaultGuard) {
        let logs = Self::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(logs.clone())
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        (logs, guard)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
