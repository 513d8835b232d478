//! Development automation: `cargo xtask <task>`.
//!
//! - `ci`: everything CI checks, in the order that fails fastest.
//! - `bench [--quick]`: the benchmarks side by side with their references.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let task = env::args().nth(1);
    let result = match task.as_deref() {
        Some("ci") => ci(),
        Some("bench") => bench::bench(env::args().any(|a| a == "--quick")),
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\ntasks:\n  ci             format, lint, test and document the workspace\n  bench [--quick] benchmarks side by side; writes docs/performance.md"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this crate's folder).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn ci() -> Result<(), String> {
    cargo(&["fmt", "--all", "--check"], &[])?;
    cargo(
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    // The credentials-only build users get with `default-features = false`.
    cargo(
        &[
            "clippy",
            "-p",
            "nova-auth",
            "--no-default-features",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    if env::var_os("NOVA_BROWSER_REQUIRED").is_none() && !browser_installed() {
        eprintln!(
            "xtask: no Chromium or Chrome found: the real-browser tests will be skipped \
             (install Debian's `chromium`, or set CHROME_PATH; .ci/run installs it)"
        );
    }
    cargo(&["test", "--workspace"], &[])?;
    cargo(
        &["doc", "--workspace", "--no-deps"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    Ok(())
}

/// Whether nova-browser will find a browser (the common places; it looks at a few more).
fn browser_installed() -> bool {
    if env::var_os("CHROME_PATH").is_some() {
        return true;
    }
    let names = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
        "chrome",
    ];
    env::var_os("PATH").is_some_and(|path| {
        env::split_paths(&path).any(|dir| names.iter().any(|name| dir.join(name).is_file()))
    })
}

fn cargo(args: &[&str], envs: &[(&str, &str)]) -> Result<(), String> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!("xtask: cargo {}", args.join(" "));
    let status = Command::new(cargo)
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(root())
        .status()
        .map_err(|err| format!("could not run cargo: {err}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed ({status})", args.join(" ")))
    }
}

mod bench;
#[cfg(test)]
mod hygiene;
