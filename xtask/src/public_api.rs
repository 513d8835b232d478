//! The public-types check: every third-party type a user meets in the public signatures of the
//! SDK's library crates is one we chose to expose.
//!
//! A type from a dependency in a public signature ties our semver to that dependency's: a
//! `reqwest::Client` parameter means a reqwest major release is ours too. rustdoc's JSON output
//! (nightly-only, so `RUSTC_BOOTSTRAP=1`) lists every documented item with the paths of the types
//! it names; `#[doc(hidden)]` plumbing is left out by rustdoc, as it is from the docs.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::path::Path;

use rustdoc_types::{Crate, Id, ItemEnum};
use serde_json::Value;

use super::cargo;

/// The crates whose public signatures are the product.
const CHECKED: &[&str] = &["nova-auth", "nova-act-core", "nova-act"];

/// The crates a public signature may name, and why each may.
const ALLOWED: &[(&str, &str)] = &[
    ("std", "the standard library"),
    ("core", "the standard library"),
    ("alloc", "the standard library"),
    ("nova_auth", "ours"),
    ("nova_act_core", "ours"),
    ("nova_act", "ours"),
    ("nova_browser", "ours, behind the facade's browser feature"),
    (
        "nova_agentcore",
        "ours, behind the facade's agentcore feature",
    ),
    (
        "http",
        "the request a signer sees; the ecosystem's 1.0 vocabulary type",
    ),
    (
        "aws_types",
        "the AWS SDK's region and config, behind nova-auth's aws feature",
    ),
    (
        "aws_credential_types",
        "the AWS SDK's credentials, behind nova-auth's aws feature",
    ),
    ("serde_json", "a tool's input and output are JSON values"),
    ("url", "the page an act starts at"),
    (
        "serde_core",
        "serde's traits: the model types derive Serialize and Deserialize",
    ),
    ("serde", "serde's traits, by their facade path"),
    (
        "futures_core",
        "paginators are `Stream`s; futures-core is the async ecosystem's stable trait",
    ),
    (
        "schemars",
        "`act_as::<T>()` derives the answer's JSON Schema from `T: JsonSchema`",
    ),
    (
        "tracing_subscriber",
        "`otel::Telemetry::layer` joins the application's own subscriber (facade feature otel): \
         tracing-subscriber's `Layer` is how every exporter plugs in",
    ),
    (
        "tracing_core",
        "the `Subscriber` bound of that layer (tracing's own core crate)",
    ),
    (
        "time",
        "the model's timestamps are `OffsetDateTime`, as the AWS SDK's convert to",
    ),
];

/// Documents each checked crate as JSON and fails naming every type from a crate not on
/// [`ALLOWED`], with the public items that name it.
pub(crate) fn check(target_dir: &Path) -> Result<(), String> {
    let mut found = Vec::new();
    for package in CHECKED {
        cargo(
            &[
                "rustdoc",
                "-q",
                "-p",
                package,
                "--all-features",
                "--",
                "-Z",
                "unstable-options",
                "--output-format",
                "json",
            ],
            &[
                ("RUSTC_BOOTSTRAP", "1"),
                // The docs.rs build's flags and folder: its dependencies are reused.
                ("RUSTDOCFLAGS", "--cfg docsrs"),
                ("CARGO_TARGET_DIR", target_dir.to_str().unwrap_or_default()),
            ],
        )?;
        let file = target_dir
            .join("doc")
            .join(format!("{}.json", package.replace('-', "_")));
        let text = fs::read_to_string(&file)
            .map_err(|err| format!("could not read {}: {err}", file.display()))?;
        let krate = parse(&text).map_err(|err| format!("{}: {err}", file.display()))?;
        for ((dependency, path), places) in foreign_types(&krate) {
            if !ALLOWED.iter().any(|(name, _)| *name == dependency) {
                let shown: Vec<_> = places.iter().take(3).cloned().collect();
                let more = places.len().saturating_sub(shown.len());
                found.push(format!(
                    "{package} names `{path}` in {}{}",
                    shown.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                ));
            }
        }
    }
    if found.is_empty() {
        return Ok(());
    }
    Err(format!(
        "third-party types in public signatures (hide the item, wrap the type, or add the crate \
         to ALLOWED in xtask/src/public_api.rs with a reason):\n  {}",
        found.join("\n  ")
    ))
}

/// Reads rustdoc's JSON, refusing a format other than the one `rustdoc-types` was pinned to.
fn parse(text: &str) -> Result<Crate, String> {
    let version: Value = serde_json::from_str::<Value>(text)
        .map_err(|err| err.to_string())?
        .get("format_version")
        .cloned()
        .unwrap_or(Value::Null);
    if version.as_u64() != Some(u64::from(rustdoc_types::FORMAT_VERSION)) {
        return Err(format!(
            "rustdoc writes JSON format {version}, xtask reads format {} (pin rustdoc-types to \
             the toolchain's format in xtask/Cargo.toml)",
            rustdoc_types::FORMAT_VERSION
        ));
    }
    serde_json::from_str(text).map_err(|err| err.to_string())
}

/// Every type or trait from another crate that a public item names, keyed by that crate and the
/// type's path, with the items that name it.
fn foreign_types(krate: &Crate) -> BTreeMap<(String, String), BTreeSet<String>> {
    // What the compiler derives or the standard library provides for every type is not ours
    // to choose: auto-trait and blanket impls, and the items inside them.
    let mut skipped = HashSet::new();
    for item in krate.index.values() {
        if let ItemEnum::Impl(imp) = &item.inner
            && (imp.is_synthetic || imp.blanket_impl.is_some())
        {
            skipped.insert(item.id);
            skipped.extend(imp.items.iter().copied());
        }
    }
    let mut found: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for item in krate.index.values() {
        if item.crate_id != 0 || skipped.contains(&item.id) {
            continue;
        }
        let mut ids = Vec::new();
        if let ItemEnum::Use(reexport) = &item.inner {
            ids.extend(reexport.id);
        } else if let Ok(inner) = serde_json::to_value(&item.inner) {
            paths_in(&inner, &mut ids);
        }
        for id in ids {
            let Some(summary) = krate.paths.get(&id) else {
                continue;
            };
            if summary.crate_id == 0 {
                continue;
            }
            let dependency = krate.external_crates.get(&summary.crate_id).map_or_else(
                || format!("crate #{}", summary.crate_id),
                |c| c.name.clone(),
            );
            found
                .entry((dependency, summary.path.join("::")))
                .or_default()
                .insert(place(krate, item.id));
        }
    }
    found
}

/// The ids of every type or trait path (`{"path", "id", "args"}`) inside an item.
fn paths_in(value: &Value, ids: &mut Vec<Id>) {
    match value {
        Value::Object(map) => {
            if let (Some(Value::String(_)), Some(Value::Number(id))) =
                (map.get("path"), map.get("id"))
                && let Some(id) = id.as_u64().and_then(|id| u32::try_from(id).ok())
            {
                ids.push(Id(id));
            }
            map.values().for_each(|inner| paths_in(inner, ids));
        }
        Value::Array(items) => items.iter().for_each(|inner| paths_in(inner, ids)),
        _ => {}
    }
}

/// Where an item is, for the report: its path when rustdoc knows it, or its name and line.
fn place(krate: &Crate, id: Id) -> String {
    if let Some(summary) = krate.paths.get(&id) {
        return summary.path.join("::");
    }
    let item = &krate.index[&id];
    let name = item.name.clone().unwrap_or_else(|| "impl".to_owned());
    match &item.span {
        Some(span) => format!("{name} at {}:{}", span.filename.display(), span.begin.0),
        None => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_json_format_is_refused_naming_both() {
        let err = parse(r#"{"format_version": 1}"#).unwrap_err();
        assert!(err.contains("format 1"), "{err}");
        assert!(
            err.contains(&format!("format {}", rustdoc_types::FORMAT_VERSION)),
            "{err}"
        );
    }

    #[test]
    fn paths_are_found_at_any_depth() {
        let value = serde_json::json!({"function": {"sig": {"inputs": [["c", {"resolved_path":
            {"path": "reqwest::Client", "id": 7, "args": {"angle_bracketed": {"args": [{"type":
            {"resolved_path": {"path": "Inner", "id": 9, "args": null}}}], "constraints": []}}}}]]}}});
        let mut ids = Vec::new();
        paths_in(&value, &mut ids);
        assert_eq!(ids, vec![Id(7), Id(9)]);
    }
}
