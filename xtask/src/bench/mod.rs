//! `cargo xtask bench [--quick]`: every benchmark side by side with its reference, then one
//! table in `docs/performance.md` (a quick run writes `target/performance-quick.md` instead).

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::Value;

use super::root;

/// A cargo command with the machine's AWS and Nova Act variables removed, so every scenario sees
/// exactly what it sets.
fn cargo(args: &[&str]) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command.args(args).current_dir(root());
    without_machine_vars(&mut command);
    command
}

/// Removes the machine's AWS and Nova Act variables from `command`'s environment.
fn without_machine_vars(command: &mut Command) {
    for (name, _) in std::env::vars() {
        if name.starts_with("AWS_") || name.starts_with("NOVA_ACT_") {
            command.env_remove(name);
        }
    }
}

/// Runs one measurement of the load driver; the JSON object it prints.
fn measure(command: Command, what: &str) -> Result<Value, String> {
    serde_json::from_str(&run(command, &format!("measure: {what}"))?).map_err(|e| e.to_string())
}

fn run(mut command: Command, what: &str) -> Result<String, String> {
    eprintln!("xtask: {what}");
    let output = command.output().map_err(|e| format!("{what}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{what} failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// A credentials scenario: its name, its HOME, and its variables.
type Scenario<'a> = (&'a str, &'a Path, &'a [(&'a str, &'a str)]);

/// Where cargo builds, wherever that is (`CARGO_TARGET_DIR`, `build.target-dir`, `target/`).
fn target_dir() -> PathBuf {
    static TARGET: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    TARGET
        .get_or_init(|| {
            crate::workspace::Workspace::load()
                .and_then(|workspace| workspace.target_dir())
                .unwrap_or_else(|_| root().join("target"))
        })
        .clone()
}

/// A fresh folder under the target folder's `bench/`.
fn scratch(name: &str) -> Result<PathBuf, String> {
    let dir = target_dir().join("bench").join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

/// Criterion's median estimate for `group/function`, in nanoseconds.
fn median(group: &str, function: &str) -> Option<f64> {
    let path = target_dir()
        .join("criterion")
        .join(group)
        .join(function)
        .join("new/estimates.json");
    let text = fs::read_to_string(path).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    value["median"]["point_estimate"].as_f64()
}

fn human(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn crate_count(args: &[&str]) -> Result<usize, String> {
    let mut full = vec!["tree", "--offline", "-e", "normal", "--prefix", "none"];
    full.extend_from_slice(args);
    let out = run(cargo(&full), &format!("cargo {}", full.join(" ")))?;
    let mut names: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    names.sort_unstable();
    names.dedup();
    Ok(names.len())
}

/// Accepts connections and never answers: a metadata endpoint that hangs.
fn silent_listener() -> Result<String, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    Ok(format!("http://{addr}"))
}

pub(crate) fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut cpuinfo = String::new();
    let _ = fs::File::open("/proc/cpuinfo").and_then(|mut f| f.read_to_string(&mut cpuinfo));
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .and_then(|r| r.split(':').nth(1))
        })
        .map_or("unknown CPU".to_owned(), |m| m.trim().to_owned());
    format!("{cores} cores, {model}")
}

pub(crate) fn today() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

pub(crate) fn bench(quick: bool) -> Result<(), String> {
    let quick_flag: &[&str] = if quick { &["--quick"] } else { &[] };
    // A quick run proves the benchmarks work, so it builds with the test profile (whose
    // dependencies CI has already compiled) rather than an optimised build of its own.
    let profile: &[&str] = if quick { &["--profile", "dev"] } else { &[] };
    let mut notes: BTreeMap<&str, String> = BTreeMap::new();

    // 1. Fresh chains, one process per scenario so both chains read the same environment.
    let empty_home = scratch("home-empty")?;
    let profile_home = scratch("home-profile")?;
    fs::create_dir_all(profile_home.join(".aws")).map_err(|e| e.to_string())?;
    fs::write(
        profile_home.join(".aws/credentials"),
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    )
    .map_err(|e| e.to_string())?;
    fs::write(
        profile_home.join(".aws/config"),
        "[default]\nregion = us-east-1\n",
    )
    .map_err(|e| e.to_string())?;
    let scenarios: [Scenario<'_>; 2] = [
        (
            "env",
            &empty_home,
            &[
                ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
                (
                    "AWS_SECRET_ACCESS_KEY",
                    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                ),
                ("AWS_REGION", "us-east-1"),
            ],
        ),
        (
            "profile",
            &profile_home,
            &[("AWS_EC2_METADATA_DISABLED", "true")],
        ),
    ];
    for (scenario, home, vars) in scenarios {
        let mut args = vec!["bench", "-p", "nova-bench", "--bench", "credentials"];
        args.extend_from_slice(profile);
        args.push("--");
        args.extend_from_slice(quick_flag);
        let mut command = cargo(&args);
        command
            .env("HOME", home)
            .env("NOVA_BENCH_SCENARIO", scenario)
            .envs(vars.iter().copied());
        run(command, &format!("bench credentials ({scenario})"))?;
    }

    // 2. Cache, signing, round trips.
    let mut args = vec!["bench", "-p", "nova-bench", "--bench", "hot"];
    args.extend_from_slice(profile);
    args.push("--");
    args.extend_from_slice(quick_flag);
    run(cargo(&args), "bench hot paths")?;

    // 3. Nothing configured with a silent IMDS; the emulator under load; the cache at expiry.
    // A quick run reuses the test build (dev profile) here too: an optimised build of every
    // dependency would be most of a cold CI run, for numbers a quick run does not report.
    let (build_profile, folder): (&[&str], &str) = if quick {
        (&[], "debug")
    } else {
        (&["--release"], "release")
    };
    let mut build = vec!["build"];
    build.extend_from_slice(build_profile);
    build.extend(["-p", "nova-bench", "--bin", "load"]);
    run(cargo(&build), "build the load driver")?;
    let load = target_dir().join(folder).join("load");
    let driver = |args: &[&str]| {
        let mut command = Command::new(&load);
        command.args(args);
        command
    };
    let mut nothing = driver(&["nothing", if quick { "1" } else { "5" }]);
    without_machine_vars(&mut nothing);
    nothing
        .env("HOME", &empty_home)
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", silent_listener()?);
    let nothing = measure(nothing, "nothing configured")?;
    let emulator = measure(
        driver(&["emulator", if quick { "0.3" } else { "5" }]),
        "emulator under load",
    )?;
    let cache = measure(driver(&["cache"]), "cache at expiry")?;
    let interleaved = measure(
        driver(&["interleaved", if quick { "3" } else { "21" }]),
        "round trips interleaved with the signed floor",
    )?;
    let first = measure(
        driver(&["first-observation", if quick { "1" } else { "9" }]),
        "start a browser to its first observation, local and remote",
    )?;
    let fleet = measure(
        driver(&["fleet", if quick { "quick" } else { "full" }]),
        "many acts at once at the service's step quota",
    )?;
    let browsers = measure(
        driver(&["browsers", if quick { "quick" } else { "full" }]),
        "local Chromium's memory and start times, many at once",
    )?;
    let otel = measure(
        driver(&["otel", if quick { "1" } else { "21" }]),
        "the act loop with OpenTelemetry export on and off",
    )?;

    // 4. Footprint.
    let footprint = [
        (
            "nova-auth (default features)",
            crate_count(&["-p", "nova-auth"])?,
        ),
        (
            "nova-auth --no-default-features",
            crate_count(&["-p", "nova-auth", "--no-default-features"])?,
        ),
        ("nova-act", crate_count(&["-p", "nova-act"])?),
        (
            "aws-sdk-novaact + aws-config",
            crate_count(&["-p", "aws-sdk-novaact", "-p", "aws-config"])?,
        ),
    ];
    if !quick {
        let clean = scratch("clean-build")?;
        let started = Instant::now();
        let mut build = cargo(&["build", "--release", "-p", "nova-act-cli"]);
        build.env("CARGO_TARGET_DIR", &clean);
        run(build, "release build of the quickstart from clean")?;
        notes.insert("build", format!("{:.0} s", started.elapsed().as_secs_f64()));
        let _ = fs::remove_dir_all(clean);
    }

    let measured = Measured {
        nothing,
        emulator,
        cache,
        interleaved,
        first,
        fleet,
        browsers,
        otel,
    };
    let mut report = render(quick, &measured, &footprint, &notes);
    if !quick {
        // The cold start is measured by its own task; keep what it wrote.
        let current = fs::read_to_string(root().join("docs/performance.md")).unwrap_or_default();
        if let Some(section) = crate::coldstart::section_of(&current) {
            report = crate::coldstart::with_section(&report, &section);
        }
    }
    let out = if quick {
        target_dir().join("performance-quick.md")
    } else {
        root().join("docs/performance.md")
    };
    fs::write(&out, report).map_err(|e| format!("{}: {e}", out.display()))?;
    eprintln!("xtask: wrote {}", out.display());
    Ok(())
}

mod report;

use report::{Measured, render};
