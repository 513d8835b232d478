//! Repository rules that run as ordinary tests.

use std::fs;

use serde_json::Value;

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

/// `cargo tree --offline -e normal ARGS…`'s output, for the dependency checks below.
fn cargo_tree(args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = std::process::Command::new(cargo)
        .args(["tree", "--offline", "-e", "normal"])
        .args(args)
        .current_dir(root())
        .output()
        .expect("run cargo tree");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn nova_auth_without_default_features_stays_small() {
    let text = cargo_tree(&[
        "-p",
        "nova-auth",
        "--no-default-features",
        "--prefix",
        "none",
    ]);
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

/// One HTTP stack for the whole SDK, OpenTelemetry export included: a second reqwest, hyper or
/// http in the graph would be a second client to build, secure and keep current.
#[test]
fn one_version_of_each_http_crate() {
    let text = cargo_tree(&["--workspace", "--all-features", "-d", "--depth", "0"]);
    let twice: Vec<&str> = text
        .lines()
        .filter(|line| {
            let name = line.split_whitespace().next().unwrap_or_default();
            ["reqwest", "hyper", "http", "h2", "rustls"].contains(&name)
        })
        .collect();
    assert!(twice.is_empty(), "in the graph twice: {twice:?}");
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

#[test]
fn the_readme_names_every_published_crate_and_every_guide() {
    let readme = read("README.md");
    let workspace = super::workspace::Workspace::load().expect("cargo metadata");
    let table: Vec<&str> = readme
        .lines()
        .skip_while(|line| *line != "## Crates")
        .take_while(|line| !line.starts_with("## Documentation"))
        .filter_map(|line| line.strip_prefix("| `")?.split('`').next())
        .collect();
    for name in workspace.published() {
        assert!(
            table.contains(&name.as_str()),
            "README.md's crate table does not name `{name}`"
        );
    }
    let guides = readme
        .split("## Documentation")
        .nth(1)
        .expect("README.md has a Documentation section");
    for entry in fs::read_dir(root().join("docs")).expect("docs/ exists") {
        let name = entry.expect("a docs entry").file_name();
        let link = format!("(docs/{})", name.to_string_lossy());
        assert!(
            guides.contains(&link),
            "README.md's Documentation list does not link {link}"
        );
    }
}

/// The licences shipped crates may depend on, from deny.toml: (licence, whether a reason
/// comment stands on the line above it).
fn allowed_licences() -> Vec<(String, bool)> {
    let text = read("deny.toml");
    let list = text
        .split_once("allow = [")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| list)
        .expect("deny.toml has [licenses] allow = [ … ]");
    let mut allowed = Vec::new();
    let mut reason = false;
    for line in list.lines().map(str::trim) {
        if line.starts_with('#') {
            reason = true;
        } else if let Some(licence) = line.trim_end_matches(',').strip_prefix('"') {
            allowed.push((licence.trim_end_matches('"').to_owned(), reason));
            reason = false;
        }
    }
    allowed
}

/// Whether the SPDX expression is satisfied by `allowed`: `OR` needs one side, `AND` both, and
/// `X WITH exception` counts as `X` (an exception only adds permissions). The old `A/B` form
/// means `A OR B`.
fn licence_allowed(expression: &str, allowed: &[&str]) -> Result<bool, String> {
    let spaced = expression
        .replace('/', " OR ")
        .replace('(', " ( ")
        .replace(')', " ) ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let mut at = 0;
    let value = spdx_or(&tokens, &mut at, allowed)?;
    if at != tokens.len() {
        return Err(format!("`{expression}` has more after its end"));
    }
    Ok(value)
}

fn spdx_or(tokens: &[&str], at: &mut usize, allowed: &[&str]) -> Result<bool, String> {
    let mut value = spdx_and(tokens, at, allowed)?;
    while tokens.get(*at) == Some(&"OR") {
        *at += 1;
        value |= spdx_and(tokens, at, allowed)?;
    }
    Ok(value)
}

fn spdx_and(tokens: &[&str], at: &mut usize, allowed: &[&str]) -> Result<bool, String> {
    let mut value = spdx_term(tokens, at, allowed)?;
    while tokens.get(*at) == Some(&"AND") {
        *at += 1;
        value &= spdx_term(tokens, at, allowed)?;
    }
    Ok(value)
}

fn spdx_term(tokens: &[&str], at: &mut usize, allowed: &[&str]) -> Result<bool, String> {
    let token = *tokens.get(*at).ok_or("an expression ends too soon")?;
    *at += 1;
    if token == "(" {
        let value = spdx_or(tokens, at, allowed)?;
        if tokens.get(*at) != Some(&")") {
            return Err("a `(` is not closed".to_owned());
        }
        *at += 1;
        return Ok(value);
    }
    if matches!(token, ")" | "AND" | "OR" | "WITH") {
        return Err(format!("`{token}` where a licence should be"));
    }
    if tokens.get(*at) == Some(&"WITH") {
        *at += 2;
    }
    Ok(allowed.contains(&token.trim_end_matches('+')))
}

#[test]
fn licence_expressions_are_evaluated_as_spdx_defines_them() {
    let allowed = ["MIT", "Apache-2.0"];
    for (expression, expected) in [
        ("MIT", true),
        ("GPL-3.0-only", false),
        ("MIT OR GPL-3.0-only", true),
        ("MIT AND GPL-3.0-only", false),
        ("(MIT OR GPL-3.0-only) AND Apache-2.0", true),
        ("Apache-2.0 WITH LLVM-exception OR GPL-2.0", true),
        ("MIT/Apache-2.0", true),
        ("LGPL-2.1-or-later AND (MIT OR Apache-2.0)", false),
    ] {
        assert_eq!(
            licence_allowed(expression, &allowed),
            Ok(expected),
            "{expression}"
        );
    }
    assert!(licence_allowed("MIT AND", &allowed).is_err());
    assert!(licence_allowed("(MIT", &allowed).is_err());
}

/// Every crate the published crates depend on (normal and build dependencies, on every platform,
/// with every feature) has a licence the allow list in deny.toml satisfies.
#[test]
fn every_dependency_of_a_published_crate_has_an_allowed_licence() {
    const BASE: &[&str] = &[
        "Apache-2.0",
        "MIT",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "ISC",
        "Unicode-3.0",
        "Zlib",
    ];
    let allowed = allowed_licences();
    for (licence, reason) in &allowed {
        assert!(
            BASE.contains(&licence.as_str()) || *reason,
            "deny.toml allows {licence} without a reason: write why on the line above it"
        );
    }
    let allowed: Vec<&str> = allowed.iter().map(|(l, _)| l.as_str()).collect();
    let published = crate::workspace::Workspace::load()
        .expect("cargo metadata")
        .published();
    let metadata = crate::workspace::metadata_with(&["--all-features"]).expect("cargo metadata");
    let packages: std::collections::HashMap<&str, &Value> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, p)))
        .collect();
    let nodes: std::collections::HashMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .expect("resolve nodes")
        .iter()
        .filter_map(|n| Some((n["id"].as_str()?, n)))
        .collect();
    // From each published crate, along normal and build dependencies.
    let mut queue: Vec<&str> = packages
        .iter()
        .filter(|(_, p)| published.iter().any(|name| p["name"] == name.as_str()))
        .filter(|(_, p)| p["source"].is_null())
        .map(|(id, _)| *id)
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut refused = Vec::new();
    while let Some(id) = queue.pop() {
        if !seen.insert(id) {
            continue;
        }
        let package = packages[id];
        if !package["source"].is_null() {
            let name = package["name"].as_str().unwrap_or("?");
            match package["license"].as_str() {
                Some(expression) => match licence_allowed(expression, &allowed) {
                    Ok(true) => {}
                    Ok(false) => refused.push(format!("{name}: {expression}")),
                    Err(err) => refused.push(format!("{name}: unreadable `{expression}`: {err}")),
                },
                None => refused.push(format!("{name}: no SPDX licence expression")),
            }
        }
        for dep in nodes[id]["deps"].as_array().into_iter().flatten() {
            let shipped = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|kind| kind["kind"].as_str() != Some("dev"));
            if shipped && let Some(dep_id) = dep["pkg"].as_str() {
                queue.push(dep_id);
            }
        }
    }
    assert!(
        seen.len() > 50,
        "the graph was walked: {} crates",
        seen.len()
    );
    assert!(
        refused.is_empty(),
        "dependencies with a licence deny.toml does not allow:\n{}",
        refused.join("\n")
    );
}

/// A source file over 700 lines holds more than one job: split it along them. Tests, generated
/// and vendored data are exempt (they live outside `src/`).
/// Every `.rs` file below `dir`, with its text.
fn sources(dir: &std::path::Path, found: &mut Vec<(std::path::PathBuf, String)>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = fs::read_to_string(&path).unwrap_or_default();
            found.push((path, text));
        }
    }
}

#[test]
fn no_source_file_is_over_700_lines() {
    let mut files = Vec::new();
    for entry in fs::read_dir(root().join("crates"))
        .expect("crates/ exists")
        .flatten()
    {
        sources(&entry.path().join("src"), &mut files);
    }
    sources(&root().join("xtask/src"), &mut files);
    let long: Vec<String> = files
        .iter()
        .map(|(path, text)| (path, text.lines().count()))
        .filter(|(_, lines)| *lines > 700)
        .map(|(path, lines)| format!("{} ({lines} lines)", path.display()))
        .collect();
    assert!(long.is_empty(), "split these along their jobs: {long:?}");
}

/// The libraries say what is wrong in their own terms; the CLI adds the command that fixes it
/// (crates/nova-act-cli/src/hints.rs), so a library user is never told to run a program.
#[test]
fn library_code_names_no_cli_command() {
    let mut files = Vec::new();
    for library in [
        "nova-auth",
        "nova-act-core",
        "nova-act",
        "nova-browser",
        "nova-agentcore",
    ] {
        sources(&root().join("crates").join(library).join("src"), &mut files);
    }
    let named: Vec<String> = files
        .iter()
        .flat_map(|(path, text)| {
            text.lines()
                .enumerate()
                .filter(|(_, line)| !line.trim_start().starts_with("//"))
                .filter(|(_, line)| line.contains("`nova-act ") || line.contains("\"nova-act "))
                .map(move |(at, line)| format!("{}:{}: {}", path.display(), at + 1, line.trim()))
        })
        .collect();
    assert!(named.is_empty(), "CLI commands in library code: {named:#?}");
}
