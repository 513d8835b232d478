//! Development automation: `cargo xtask <task>`.
//!
//! - `ci`: everything CI checks, in the order that fails fastest.
//! - `public-api`: the third-party types in the library crates' public signatures.
//! - `bench [--quick]`: the benchmarks side by side with their references.
//! - `cold-start [--runs N] [--rev REV]`: a new user's first command, from nothing.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let task = env::args().nth(1);
    let result = match task.as_deref() {
        Some("ci") => ci(),
        Some("public-api") => workspace::Workspace::load()
            .and_then(|w| w.target_dir())
            .and_then(|target| public_api::check(&target.join("docs-rs"))),
        Some("bench") => bench::bench(env::args().any(|a| a == "--quick")),
        Some("cold-start") => {
            let args: Vec<String> = env::args().skip(2).collect();
            let value = |name: &str| {
                args.iter()
                    .position(|a| a == name)
                    .and_then(|at| args.get(at + 1))
            };
            let runs = value("--runs").and_then(|n| n.parse().ok()).unwrap_or(3);
            let rev = value("--rev").map_or("HEAD", String::as_str);
            coldstart::cold_start(runs, rev)
        }
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\ntasks:\n  ci             format, lint, test and document the workspace\n  bench [--quick] benchmarks side by side; writes docs/performance.md\n  cold-start [--runs N] [--rev REV]\n                 the README's first command from a fresh clone and an empty registry; writes its section of docs/performance.md"
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
    match browser() {
        // Chromium changes what the browser tests meet (156 began dropping a tab's emulated
        // viewport when another DevTools client detaches): every run says which one it used.
        Some(path) => eprintln!(
            "xtask: the browser tests run against {} ({})",
            browser_version(&path),
            path.display()
        ),
        None if env::var_os("NOVA_BROWSER_REQUIRED").is_none() => eprintln!(
            "xtask: no Chromium or Chrome found: the real-browser tests will be skipped \
             (install Debian's `chromium`, or set CHROME_PATH; .ci/run installs it)"
        ),
        None => {}
    }
    cargo(&["test", "--workspace"], &[])?;
    cargo(
        &["doc", "--workspace", "--no-deps"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    let workspace = workspace::Workspace::load()?;
    let published = workspace.published();
    docs_rs(&workspace, &published)?;
    public_api::check(&workspace.target_dir()?.join("docs-rs"))?;
    msrv(&workspace)?;
    // What `cargo publish` would upload: every published crate packaged and built on its own.
    let unpublished = workspace.unpublished();
    // Each package is built on its own, in a target folder of its own (the workspace's profile
    // does not apply there, so sharing would only thrash), without debug info to keep it short.
    let verify = workspace.target_dir()?.join("package-verify");
    forget_packaged(&published, &workspace.version()?, &verify)?;
    // `--allow-dirty`: the check is of the tree as it stands, committed or not.
    let mut package = vec!["package", "--workspace", "--allow-dirty"];
    for name in &unpublished {
        package.extend(["--exclude", name.as_str()]);
    }
    cargo(
        &package,
        &[
            ("CARGO_PROFILE_DEV_DEBUG", "false"),
            (
                "CARGO_TARGET_DIR",
                verify.to_str().unwrap_or("target/package-verify"),
            ),
        ],
    )?;
    prune_package_verify(&verify, &published)?;
    report_target_size(&workspace.target_dir()?);
    Ok(())
}

/// Removes what the package verification leaves that no later run can reuse: the packaged
/// crates themselves (forgotten and rebuilt every run, see [`forget_packaged`]) and the
/// `.crate` files with their unpacked sources. Their dependencies stay, built once.
fn prune_package_verify(verify: &Path, published: &[String]) -> Result<(), String> {
    remove_packaged_builds(verify, published)?;
    let packages = verify.join("package");
    if packages.exists() {
        remove(&packages)?;
    }
    Ok(())
}

/// Removes the builds of our packaged crates from `verify`: their artifacts, build scripts and
/// fingerprints (`nova-act-<hash>`, `libnova_act-<hash>.rlib`, …), and nothing else.
fn remove_packaged_builds(verify: &Path, published: &[String]) -> Result<(), String> {
    for folder in ["deps", ".fingerprint", "build"] {
        let Ok(entries) = std::fs::read_dir(verify.join("debug").join(folder)) else {
            continue;
        };
        for entry in entries.flatten() {
            if packaged_build(&entry.file_name().to_string_lossy(), published) {
                remove(&entry.path())?;
            }
        }
    }
    Ok(())
}

/// Whether `file` is a build of one of `published`: `name-<hash>` or `[lib]name_with_underscores-<hash>[.ext]`.
fn packaged_build(file: &str, published: &[String]) -> bool {
    let file = file.strip_prefix("lib").unwrap_or(file);
    published.iter().any(|name| {
        [name.clone(), name.replace('-', "_")].iter().any(|form| {
            file.strip_prefix(form.as_str())
                .and_then(|rest| rest.strip_prefix('-'))
                .map(|rest| rest.split('.').next().unwrap_or(rest))
                .is_some_and(|hash| !hash.is_empty() && hash.chars().all(|c| c.is_ascii_hexdigit()))
        })
    })
}

#[cfg(test)]
#[test]
fn packaged_builds_are_ours_and_nothing_else() {
    let published = ["nova-act".to_owned(), "nova-act-core".to_owned()];
    for ours in [
        "nova-act-1a2b",
        "nova-act-core-ff00",
        "libnova_act_core-1a2b.rlib",
        "nova_act-9.d",
    ] {
        assert!(packaged_build(ours, &published), "{ours}");
    }
    for theirs in [
        "nova-act-cli-1a2b",
        "libnova_actx-1a2b.rlib",
        "nova-act-core",
        "serde-1a2b",
    ] {
        assert!(!packaged_build(theirs, &published), "{theirs}");
    }
}

pub(crate) fn remove(path: &Path) -> Result<(), String> {
    let removed = if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
    removed.map_err(|err| format!("cannot remove {}: {err}", path.display()))
}

/// Says how much `target` holds, folder by folder, so that growth shows in every CI log.
fn report_target_size(target: &Path) {
    fn size(path: &Path) -> u64 {
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_dir() => std::fs::read_dir(path)
                .map(|entries| entries.flatten().map(|e| size(&e.path())).sum())
                .unwrap_or(0),
            Ok(meta) => meta.len(),
            Err(_) => 0,
        }
    }
    let gib = |bytes: u64| format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30));
    let mut parts: Vec<(String, u64)> = std::fs::read_dir(target)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        size(&e.path()),
                    )
                })
                .filter(|(_, bytes)| *bytes > 1 << 20)
                .collect()
        })
        .unwrap_or_default();
    parts.sort_by_key(|part| std::cmp::Reverse(part.1));
    let total: u64 = parts.iter().map(|(_, bytes)| bytes).sum();
    let each: Vec<String> = parts
        .iter()
        .map(|(name, bytes)| format!("{name} {}", gib(*bytes)))
        .collect();
    eprintln!(
        "xtask: {} holds {} ({})",
        target.display(),
        gib(total),
        each.join(", ")
    );
}

/// Forgets what an earlier `cargo package` left of our own packages. Cargo treats a registry
/// package as immutable, but the temporary registry `cargo package` makes holds each of ours
/// under the same name and version every time: it would never unpack one again (from
/// `$CARGO_HOME/registry/src/-<hash>/`) nor rebuild it (its fingerprint in `verify`), and a
/// second run would check each crate against its dependencies as they were the first time.
fn forget_packaged(published: &[String], version: &str, verify: &Path) -> Result<(), String> {
    remove_packaged_builds(verify, published)?;
    let home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")));
    let Some(sources) = home.map(|home| home.join("registry").join("src")) else {
        return Ok(());
    };
    let Ok(registries) = std::fs::read_dir(&sources) else {
        return Ok(()); // Nothing unpacked yet.
    };
    for registry in registries.flatten() {
        // crates.io's folder is `index.crates.io-<hash>`; local registries have no name.
        if !registry.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        for name in published {
            let unpacked = registry.path().join(format!("{name}-{version}"));
            if unpacked.is_dir() {
                std::fs::remove_dir_all(&unpacked)
                    .map_err(|err| format!("cannot remove {}: {err}", unpacked.display()))?;
            }
        }
    }
    Ok(())
}

/// Documents the published crates as docs.rs does: nightly rustdoc (stable made to accept
/// nightly features), `--cfg docsrs`, every feature on. A docs.rs failure fails here first.
fn docs_rs(workspace: &workspace::Workspace, published: &[String]) -> Result<(), String> {
    let mut args = vec!["doc", "--no-deps", "--all-features"];
    for name in published {
        args.extend(["-p", name.as_str()]);
    }
    cargo(
        &args,
        &[
            ("RUSTC_BOOTSTRAP", "1"),
            ("RUSTDOCFLAGS", "--cfg docsrs -D warnings"),
            // Its own target folder: the flags above would otherwise rebuild the usual one.
            (
                "CARGO_TARGET_DIR",
                workspace
                    .target_dir()?
                    .join("docs-rs")
                    .to_str()
                    .unwrap_or("target/docs-rs"),
            ),
        ],
    )
}

/// Builds and tests with the declared `rust-version` when that toolchain is installed.
fn msrv(workspace: &workspace::Workspace) -> Result<(), String> {
    let declared = workspace.rust_version()?;
    let current = toolchain_version("")?;
    if current == declared {
        eprintln!(
            "xtask: the current toolchain is the MSRV ({declared}); the build above was the MSRV build"
        );
        return Ok(());
    }
    if toolchain_version(&declared).is_err() {
        eprintln!(
            "xtask: the MSRV toolchain {declared} is not installed, so the MSRV build is skipped \
             (this run used {current}; `rustup toolchain install {declared}` enables it)"
        );
        return Ok(());
    }
    let plus = format!("+{declared}");
    let target = workspace.target_dir()?.join("msrv");
    let target = target.to_str().unwrap_or("target/msrv");
    let envs = [("CARGO_TARGET_DIR", target)];
    // `cargo +X` picks the toolchain through rustup's proxy, not the cargo running xtask.
    run_plain(
        "cargo",
        &[&plus, "build", "--workspace", "--all-targets"],
        &envs,
    )?;
    run_plain("cargo", &[&plus, "test", "--workspace"], &envs)
}

/// The `rustc` version of `toolchain` ("" for the current one), such as `1.95.0`.
fn toolchain_version(toolchain: &str) -> Result<String, String> {
    let mut command = Command::new("rustc");
    if !toolchain.is_empty() {
        command.arg(format!("+{toolchain}"));
    }
    let output = command
        .arg("--version")
        .output()
        .map_err(|err| format!("could not run rustc: {err}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    match text.split_whitespace().nth(1) {
        Some(version) if output.status.success() => Ok(version.to_owned()),
        _ => Err(format!("no toolchain {toolchain}")),
    }
}

/// The browser nova-browser will find (the common places; it looks at a few more).
fn browser() -> Option<PathBuf> {
    if let Some(path) = env::var_os("CHROME_PATH") {
        return Some(PathBuf::from(path));
    }
    let names = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
        "chrome",
    ];
    env::split_paths(&env::var_os("PATH")?).find_map(|dir| {
        names
            .iter()
            .map(|name| dir.join(name))
            .find(|path| path.is_file())
    })
}

/// What `browser --version` says, such as `Chromium 156.0.8078.114 built on Debian…`.
fn browser_version(path: &Path) -> String {
    match Command::new(path).arg("--version").output() {
        Ok(output) if output.status.success() => {
            String::from_utf8_lossy(&output.stdout).trim().to_owned()
        }
        Ok(output) => format!("a browser whose --version failed ({})", output.status),
        Err(err) => format!("a browser that does not run ({err})"),
    }
}

fn cargo(args: &[&str], envs: &[(&str, &str)]) -> Result<(), String> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    run_plain(&cargo, args, envs)
}

fn run_plain(program: &str, args: &[&str], envs: &[(&str, &str)]) -> Result<(), String> {
    eprintln!("xtask: cargo {}", args.join(" "));
    let started = std::time::Instant::now();
    let status = Command::new(program)
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(root())
        .status()
        .map_err(|err| format!("could not run cargo: {err}"))?;
    // Each stage's time, so that a slow CI run shows where its minutes went.
    eprintln!(
        "xtask: cargo {} took {} s",
        args.iter().take(2).copied().collect::<Vec<_>>().join(" "),
        started.elapsed().as_secs()
    );
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed ({status})", args.join(" ")))
    }
}

mod bench;
mod coldstart;
#[cfg(test)]
mod hygiene;
mod public_api;
mod workspace;
