//! Facts about the workspace, read from `cargo metadata`.

use std::env;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use super::root;

/// `cargo metadata` for the workspace's own packages (`--no-deps`) or the whole graph.
pub(crate) fn metadata(no_deps: bool) -> Result<Value, String> {
    metadata_with(if no_deps { &["--no-deps"] } else { &[] })
}

/// `cargo metadata` with extra arguments (such as `--all-features`).
pub(crate) fn metadata_with(args: &[&str]) -> Result<Value, String> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command
        .args(["metadata", "--format-version", "1"])
        .args(args);
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

/// The workspace's own packages, as `cargo metadata --no-deps` describes them, read once.
pub(crate) struct Workspace {
    metadata: Value,
}

impl Workspace {
    pub(crate) fn load() -> Result<Self, String> {
        Ok(Self {
            metadata: metadata(true)?,
        })
    }

    fn packages(&self) -> impl Iterator<Item = &Value> {
        self.metadata["packages"].as_array().into_iter().flatten()
    }

    /// The packages whose `publish` is unrestricted (published), or `publish = false`.
    fn named(&self, published: bool) -> Vec<String> {
        self.packages()
            .filter(|package| package["publish"].is_null() == published)
            .filter_map(|package| package["name"].as_str().map(str::to_owned))
            .collect()
    }

    /// The packages `cargo publish` uploads.
    pub(crate) fn published(&self) -> Vec<String> {
        self.named(true)
    }

    /// The packages marked `publish = false`.
    pub(crate) fn unpublished(&self) -> Vec<String> {
        self.named(false)
    }

    /// Where cargo builds (`CARGO_TARGET_DIR`, `build.target-dir` or `target/`).
    pub(crate) fn target_dir(&self) -> Result<PathBuf, String> {
        self.metadata["target_directory"]
            .as_str()
            .map(PathBuf::from)
            .ok_or_else(|| "cargo metadata gave no target_directory".to_owned())
    }

    /// A field every published package inherits from `[workspace.package]`, read from the first.
    fn shared(&self, field: &str) -> Result<String, String> {
        self.packages()
            .find(|package| package["publish"].is_null())
            .and_then(|package| package[field].as_str())
            .map(str::to_owned)
            .ok_or_else(|| format!("no {field} in [workspace.package]"))
    }

    /// The declared `rust-version` of the workspace's packages (they all inherit one).
    pub(crate) fn rust_version(&self) -> Result<String, String> {
        self.shared("rust_version")
    }

    /// The version every published package shares.
    pub(crate) fn version(&self) -> Result<String, String> {
        self.shared("version")
    }

    /// The raw `cargo metadata --no-deps` document.
    #[cfg(test)]
    pub(crate) fn metadata(&self) -> &Value {
        &self.metadata
    }
}
