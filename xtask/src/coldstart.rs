//! `cargo xtask cold-start [--runs N] [--rev REV]`: how long a new user waits for the README's
//! first command. Each run clones the repository afresh, gives cargo an empty `CARGO_HOME` (so
//! every crate is downloaded again) and no `target/`, and times
//! `cargo run -p nova-act-cli -- quickstart` until it prints `workflow run SUCCEEDED`. The
//! median, the crates downloaded and compiled, and the ten longest units of the last run's
//! `--timings` go into the section [`HEADING`] of `docs/performance.md` (which
//! `cargo xtask bench` keeps).

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::Value;

use super::{remove, root};

/// The section of `docs/performance.md` this task owns.
pub(crate) const HEADING: &str = "## A new user's first command, cold";

/// What the target is, for the section's verdict.
const TARGET_SECONDS: f64 = 150.0;

struct Run {
    seconds: f64,
    downloaded: usize,
    compiled: usize,
    longest: Vec<(String, f64)>,
}

pub(crate) fn cold_start(runs: usize, rev: &str) -> Result<(), String> {
    let scratch = super::workspace::Workspace::load()?
        .target_dir()?
        .join("cold-start");
    let mut done = Vec::new();
    for n in 1..=runs.max(1) {
        let run = once(&scratch, rev)?;
        eprintln!(
            "xtask: cold start {n}/{runs}: {:.0} s ({} crates downloaded, {} compiled)",
            run.seconds, run.downloaded, run.compiled
        );
        done.push(run);
    }
    remove(&scratch)?;
    let commit = Command::new("git")
        .args(["rev-parse", "--short", rev])
        .current_dir(root())
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .filter(|hash| !hash.is_empty())
        .unwrap_or_else(|| rev.to_owned());
    let section = render(&done, &commit)?;
    let path = root().join("docs/performance.md");
    let current = fs::read_to_string(&path).unwrap_or_default();
    fs::write(&path, with_section(&current, &section))
        .map_err(|err| format!("{}: {err}", path.display()))?;
    eprintln!("xtask: wrote the cold start into {}", path.display());
    Ok(())
}

/// One cold run in `scratch`: a fresh clone at `rev`, an empty cargo home, no target folder.
fn once(scratch: &Path, rev: &str) -> Result<Run, String> {
    if scratch.exists() {
        remove(scratch)?;
    }
    let clone = scratch.join("clone");
    let home = scratch.join("cargo-home");
    fs::create_dir_all(&home).map_err(|err| format!("{}: {err}", home.display()))?;
    let git = |args: &[&str]| -> Result<(), String> {
        let status = Command::new("git")
            .args(args)
            .status()
            .map_err(|err| format!("could not run git: {err}"))?;
        status
            .success()
            .then_some(())
            .ok_or_else(|| format!("git {} failed", args.join(" ")))
    };
    let clone_arg = clone.to_string_lossy().into_owned();
    git(&["clone", "-q", &root().to_string_lossy(), &clone_arg])?;
    git(&["-C", &clone_arg, "checkout", "-q", rev])?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let started = Instant::now();
    let output = Command::new(cargo)
        .args(["run", "--timings", "-p", "nova-act-cli", "--", "quickstart"])
        .current_dir(&clone)
        .env("CARGO_HOME", &home)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_INCREMENTAL")
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("could not run cargo: {err}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !stdout.contains("workflow run SUCCEEDED") {
        return Err(format!(
            "the quickstart did not succeed from a fresh clone:\n{stdout}\n{stderr}"
        ));
    }
    let count = |word: &str| {
        stderr
            .lines()
            .filter(|line| line.trim_start().starts_with(word))
            .count()
    };
    Ok(Run {
        seconds,
        downloaded: count("Downloaded "),
        compiled: count("Compiling "),
        longest: longest_units(&clone.join("target/cargo-timings/cargo-timing.html"))?,
    })
}

/// The ten longest units of a `--timings` report, as `(name version, seconds)`.
fn longest_units(report: &Path) -> Result<Vec<(String, f64)>, String> {
    let html = fs::read_to_string(report).map_err(|err| format!("{}: {err}", report.display()))?;
    let data = html
        .split("const UNIT_DATA = ")
        .nth(1)
        .and_then(|rest| rest.split(";\n").next())
        .ok_or("the timings report has no UNIT_DATA")?;
    let units: Vec<Value> = serde_json::from_str(data).map_err(|err| err.to_string())?;
    let mut units: Vec<(String, f64)> = units
        .iter()
        .map(|unit| {
            let text = |key: &str| unit[key].as_str().unwrap_or_default().to_owned();
            let mut name = format!("{} {}", text("name"), text("version"));
            if text("mode") == "run-custom-build" {
                name.push_str(" (build script run)");
            }
            (name, unit["duration"].as_f64().unwrap_or(0.0))
        })
        .collect();
    units.sort_by(|a, b| b.1.total_cmp(&a.1));
    units.truncate(10);
    Ok(units)
}

fn render(runs: &[Run], rev: &str) -> Result<String, String> {
    let mut seconds: Vec<f64> = runs.iter().map(|run| run.seconds).collect();
    seconds.sort_by(f64::total_cmp);
    let median = seconds[seconds.len() / 2];
    let last = runs.last().ok_or("no run")?;
    let verdict = if median <= TARGET_SECONDS {
        "✓"
    } else {
        "✗"
    };
    let mut out = format!(
        "{HEADING}\n\nMeasured by `cargo xtask cold-start` on {} ({}) at `{rev}`: a fresh clone, an \
         empty `CARGO_HOME` (every crate downloaded), no `target/`, then `cargo run -p \
         nova-act-cli -- quickstart` until `workflow run SUCCEEDED`.\n\n\
         | runs | median | each | crates downloaded | compiled | target |\n|---|---|---|---|---|---|\n\
         | {} | {median:.0} s | {} | {} | {} | ≤ {TARGET_SECONDS:.0} s {verdict} |\n\n\
         The ten longest units of the last run (`--timings`; two cores build at once, so the \
         wall time is about half the sum of all units):\n\n| unit | seconds |\n|---|---|\n",
        super::bench::today(),
        super::bench::machine(),
        runs.len(),
        runs.iter()
            .map(|run| format!("{:.0} s", run.seconds))
            .collect::<Vec<_>>()
            .join(", "),
        last.downloaded,
        last.compiled,
    );
    for (name, seconds) in &last.longest {
        out.push_str(&format!("| {name} | {seconds:.1} |\n"));
    }
    Ok(out)
}

/// Where the section headed `heading` stands in `document`: from its heading to the next
/// `## ` heading or the end.
fn span(document: &str, heading: &str) -> Option<(usize, usize)> {
    let start = document.find(&format!("{heading}\n"))?;
    let body = start + heading.len();
    let end = document[body..]
        .find("\n## ")
        .map_or(document.len(), |at| body + at + 1);
    Some((start, end))
}

/// `document` with `section` (which starts with its heading) in place of the section of the
/// same heading, or added at its end.
pub(crate) fn with_section(document: &str, section: &str) -> String {
    let heading = section.lines().next().unwrap_or_default();
    match span(document, heading) {
        None => format!("{}\n\n{}\n", document.trim_end(), section.trim_end()),
        Some((start, end)) if end < document.len() => format!(
            "{}{}\n\n{}",
            &document[..start],
            section.trim_end(),
            &document[end..]
        ),
        Some((start, _)) => format!("{}{}\n", &document[..start], section.trim_end()),
    }
}

/// The section of `document` this task owns, if it has one (for `cargo xtask bench` to keep).
pub(crate) fn section_of(document: &str) -> Option<String> {
    let (start, end) = span(document, HEADING)?;
    Some(document[start..end].trim_end().to_owned() + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_is_replaced_in_place_or_added_at_the_end() {
        let section = format!("{HEADING}\n\nnew\n");
        let middle = format!("# P\n\n## A\n\na\n\n{HEADING}\n\nold\n\n## B\n\nb\n");
        assert_eq!(
            with_section(&middle, &section),
            format!("# P\n\n## A\n\na\n\n{HEADING}\n\nnew\n\n## B\n\nb\n")
        );
        let last = format!("# P\n\n{HEADING}\n\nold\n");
        assert_eq!(
            with_section(&last, &section),
            format!("# P\n\n{HEADING}\n\nnew\n")
        );
        assert_eq!(
            with_section("# P\n", &section),
            format!("# P\n\n{HEADING}\n\nnew\n")
        );
        assert_eq!(section_of(&middle), Some(format!("{HEADING}\n\nold\n")));
        assert_eq!(section_of("# P\n"), None);
    }
}
