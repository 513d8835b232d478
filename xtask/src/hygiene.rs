//! Repository rules that run as ordinary tests.

use std::fs;

use super::root;

fn read(path: &str) -> String {
    fs::read_to_string(root().join(path)).unwrap_or_else(|err| panic!("reading {path}: {err}"))
}

#[test]
fn ci_script_runs_the_readme_test_command() {
    let readme = read("README.md");
    assert!(
        readme.contains("cargo xtask ci"),
        "README must name `cargo xtask ci` as the test command"
    );
    assert!(
        read(".ci/run").contains("cargo xtask ci"),
        ".ci/run must call `cargo xtask ci`"
    );
}

#[test]
fn every_crate_uses_the_workspace_lints_and_package_fields() {
    let crates = fs::read_dir(root().join("crates")).expect("crates/ exists");
    for entry in crates {
        let dir = entry.expect("a crate folder").path();
        let manifest = fs::read_to_string(dir.join("Cargo.toml")).expect("a Cargo.toml");
        let name = dir.display();
        assert!(
            manifest.contains("[lints]\nworkspace = true"),
            "{name}: add `[lints] workspace = true`"
        );
        for field in ["version", "edition", "rust-version", "license"] {
            assert!(
                manifest.contains(&format!("{field}.workspace = true")),
                "{name}: take `{field}` from the workspace"
            );
        }
    }
}

#[test]
fn no_toolchain_file() {
    assert!(
        !root().join("rust-toolchain.toml").exists() && !root().join("rust-toolchain").exists(),
        "only the installed stable toolchain exists; the MSRV lives in [workspace.package]"
    );
}

#[test]
fn nova_auth_without_default_features_stays_small() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = std::process::Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-p",
            "nova-auth",
            "--no-default-features",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .current_dir(root())
        .output()
        .expect("run cargo tree");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let mut crates: Vec<&str> = text
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    crates.sort_unstable();
    crates.dedup();
    assert!(
        crates.len() < 40,
        "nova-auth --no-default-features pulls {} crates (limit 40): {crates:?}",
        crates.len()
    );
    assert!(
        !crates.iter().any(|name| name.starts_with("aws-")),
        "no AWS SDK crate without the `aws` feature: {crates:?}"
    );
}

#[test]
fn vendored_service_model_files_match_the_shared_reference() {
    let shared = root().join("../shared/reference/nova-act/botocore");
    if !shared.is_dir() {
        return; // A clone on its own: the vendored copies are the reference.
    }
    let vendored = root().join("crates/nova-act-core/tests/reference");
    for entry in fs::read_dir(&vendored).expect("crates/nova-act-core/tests/reference exists") {
        let path = entry.expect("a reference file").path();
        let name = path.file_name().expect("a file name");
        let original = fs::read(shared.join(name)).unwrap_or_else(|err| {
            panic!("{} is not in the shared reference: {err}", path.display())
        });
        assert!(
            fs::read(&path).expect("readable") == original,
            "{} differs from the shared reference; copy it again",
            path.display()
        );
    }
}

/// A `rust-version` as numbers, so that 1.100 sorts after 1.94.
fn version(text: &str) -> Vec<u64> {
    text.split('.')
        .map(|part| part.parse().unwrap_or(0))
        .collect()
}

#[test]
fn published_crates_have_what_crates_io_and_docs_rs_show() {
    let workspace = crate::workspace::Workspace::load().expect("cargo metadata");
    let metadata = workspace.metadata();
    let published = workspace.published();
    assert!(published.len() >= 6, "{published:?}");
    for package in metadata["packages"].as_array().expect("packages") {
        let name = package["name"].as_str().expect("a name");
        if !published.iter().any(|p| p == name) {
            continue;
        }
        for field in [
            "description",
            "license",
            "repository",
            "rust_version",
            "readme",
        ] {
            assert!(
                package[field].as_str().is_some_and(|v| !v.is_empty()),
                "{name}: set `{field}`"
            );
        }
        let readme = package["readme"].as_str().unwrap_or_default();
        let dir = std::path::Path::new(package["manifest_path"].as_str().expect("a manifest"))
            .parent()
            .expect("a crate folder")
            .to_path_buf();
        assert!(dir.join(readme).is_file(), "{name}: {readme} is missing");
        assert!(dir.join("LICENSE").is_file(), "{name}: LICENSE is missing");
        let keywords = package["keywords"].as_array().map_or(0, Vec::len);
        assert!((1..=5).contains(&keywords), "{name}: 1 to 5 keywords");
        assert!(
            package["categories"]
                .as_array()
                .is_some_and(|c| !c.is_empty()),
            "{name}: set `categories`"
        );
        let library = package["targets"]
            .as_array()
            .expect("targets")
            .iter()
            .any(|t| {
                t["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "lib"))
            });
        if library {
            assert!(
                package["metadata"]["docs"]["rs"]["all-features"] == true,
                "{name}: add [package.metadata.docs.rs] with all-features = true"
            );
        }
    }
    for file in ["LICENSE", "NOTICE", "CHANGELOG.md"] {
        assert!(root().join(file).is_file(), "{file} is missing");
    }
}

#[test]
fn the_declared_rust_version_covers_every_dependency() {
    let declared = crate::workspace::Workspace::load()
        .and_then(|workspace| workspace.rust_version())
        .expect("a rust-version");
    let metadata = crate::workspace::metadata(false).expect("cargo metadata");
    for package in metadata["packages"].as_array().expect("packages") {
        if let Some(needed) = package["rust_version"].as_str() {
            assert!(
                version(needed) <= version(&declared),
                "{} {} needs Rust {needed}, above the declared rust-version {declared}",
                package["name"],
                package["version"]
            );
        }
    }
}

#[test]
fn the_readme_example_is_the_example_a_test_runs() {
    let readme = read("README.md");
    let block = readme
        .split("```rust,no_run\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the README has a rust,no_run block");
    let example = read("crates/nova-act/examples/readme.rs");
    let code: String = example
        .lines()
        .filter(|line| !line.starts_with("//!") && !line.starts_with("#!["))
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(
        block, code,
        "README.md's first example and crates/nova-act/examples/readme.rs differ; keep them equal"
    );
}
