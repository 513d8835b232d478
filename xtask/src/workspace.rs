//! Facts about the workspace, read from `cargo metadata`.

use std::env;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use super::root;

/// `cargo metadata` for the workspace's own packages (`--no-deps`) or the whole graph.
pub(crate) fn metadata(no_deps: bool) -> Result<Value, String> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command.args(["metadata", "--format-version", "1"]);
    if no_deps {
        command.arg("--no-deps");
    }
    let output = command
        .current_dir(root())
        .output()
        .map_err(|err| format!("could not run cargo metadata: {err}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    serde_json::from_slice(&output.stdout).map_err(|err| format!("cargo metadata: {err}"))
}

/// The workspace's packages whose `publish` is unrestricted (published), or `publish = false`.
fn packages(published: bool) -> Result<Vec<String>, String> {
    let metadata = metadata(true)?;
    Ok(metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|package| package["publish"].is_null() == published)
        .filter_map(|package| package["name"].as_str().map(str::to_owned))
        .collect())
}

/// The packages `cargo publish` uploads.
pub(crate) fn published() -> Result<Vec<String>, String> {
    packages(true)
}

/// The packages marked `publish = false`.
pub(crate) fn unpublished() -> Result<Vec<String>, String> {
    packages(false)
}

/// Where cargo builds (`CARGO_TARGET_DIR`, `build.target-dir` or `target/`).
pub(crate) fn target_dir() -> Result<PathBuf, String> {
    metadata(true)?["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| "cargo metadata gave no target_directory".to_owned())
}

/// A field every published package inherits from `[workspace.package]`, read from the first.
fn shared(field: &str) -> Result<String, String> {
    metadata(true)?["packages"]
        .as_array()
        .and_then(|packages| packages.iter().find(|p| p["publish"].is_null()))
        .and_then(|package| package[field].as_str())
        .map(str::to_owned)
        .ok_or_else(|| format!("no {field} in [workspace.package]"))
}

/// The declared `rust-version` of the workspace's packages (they all inherit one).
pub(crate) fn rust_version() -> Result<String, String> {
    shared("rust_version")
}

/// The version every published package shares.
pub(crate) fn version() -> Result<String, String> {
    shared("version")
}
