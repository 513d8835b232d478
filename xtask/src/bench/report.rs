//! The tables of docs/performance.md, from what the benchmarks and the load driver measured.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{human, machine, median, today};

fn ratio_row(name: &str, group: &str, ours: &str, reference: &str, target: Option<f64>) -> String {
    match (median(group, ours), median(group, reference)) {
        (Some(a), Some(b)) => {
            let ratio = a / b;
            let verdict = target.map_or(String::new(), |t| {
                if ratio <= t {
                    format!("≤ {t}× ✓")
                } else {
                    format!("≤ {t}× ✗")
                }
            });
            format!(
                "| {name} | {ours}: {} | {reference}: {} | {ratio:.3}× | {verdict} |",
                human(a),
                human(b)
            )
        }
        _ => format!("| {name} | (not measured) | | | |"),
    }
}

fn mean(values: &Value) -> f64 {
    let list: Vec<f64> = values
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    if list.is_empty() {
        f64::NAN
    } else {
        list.iter().sum::<f64>() / list.len() as f64
    }
}

fn max(values: &Value) -> f64 {
    values
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).fold(0.0, f64::max))
        .unwrap_or(f64::NAN)
}

/// The interleaved round trips: the median ratio to the signed floor, its spread, the target.
fn interleaved_rows(interleaved: &Value) -> String {
    const TARGET: f64 = 1.10;
    let mut out = String::from(
        "\n## Round trips against the signed floor, interleaved\n\nOurs and the signed floor take turns call by call (ours, floor, floor, ours, …: each turn starts with the other side), so that the machine's drift and warm caches hit both alike; each round compares their total times over its calls, and the table gives the median ratio over the rounds and its spread.\n\n| round trip | median ratio | spread | rounds | target |\n|---|---|---|---|---|\n",
    );
    for (name, key) in [
        ("ListModels", "list_models"),
        ("CreateWorkflowRun", "create_workflow_run"),
        ("InvokeActStep (200 KB)", "invoke_step_200kb"),
    ] {
        let row = &interleaved[key];
        let median = row["median"].as_f64().unwrap_or(f64::NAN);
        let verdict = if median <= TARGET { "✓" } else { "✗" };
        out.push_str(&format!(
            "| {name} | {median:.3}× | {:.3}–{:.3}× | {} | ≤ {TARGET:.2}× {verdict} |\n",
            row["min"].as_f64().unwrap_or(f64::NAN),
            row["max"].as_f64().unwrap_or(f64::NAN),
            row["rounds"],
        ));
    }
    out
}

/// The median of a list of numbers.
/// Many acts at once against the emulator at the service's quota, a pretend page each.
fn fleet_rows(fleet: &Value) -> String {
    let number = |value: &Value| value.as_f64().unwrap_or(0.0);
    let run = &fleet["throughput"];
    let share = number(&run["steps_per_second"]) / number(&run["quota"]).max(f64::MIN_POSITIVE);
    let clean = run["failed"] == 0 && run["throttling_errors"] == 0;
    let mut out = format!(
        "\n## Many acts at once, at the service's step quota\n\nThe emulator enforces the service's quota (5 InvokeActStep a second per account) and the client paces its steps with its step governor; each act drives a pretend page, so that the SDK is measured and not a browser per act. Wall time includes creating the runs, sessions and acts.\n\n| fleet | steps/s | ÷ quota | failed | throttled steps | throttling errors | target |\n|---|---|---|---|---|---|---|\n| {} acts of {} steps, {} at once, quota {}/s, no think time | {:.2} | {share:.2} | {} | {} | {} | ≥ 0.90, 0 failed, 0 errors {} |\n",
        run["tasks"],
        run["steps"],
        run["concurrency"],
        run["quota"],
        number(&run["steps_per_second"]),
        run["failed"],
        run["throttled_steps"],
        run["throttling_errors"],
        if share >= 0.90 && clean { "✓" } else { "✗" },
    );
    out.push_str("\nWith a think time per step (the model's), at a quota raised to 50/s: throughput against concurrency. At the default quota of 5/s and a 2 s think time, each act steps at most 0.5 times a second, so ten acts at once reach the quota; more wait for their turn.\n\n| concurrency | acts | think time | steps/s | failed |\n|---|---|---|---|---|\n");
    for row in fleet["sweep"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "| {} | {} | {} ms | {:.2} | {} |\n",
            row["concurrency"],
            row["tasks"],
            row["think_ms"],
            number(&row["steps_per_second"]),
            row["failed"]
        ));
    }
    let ratio = number(&fleet["governor_ratio"]);
    out.push_str(&format!(
        "\n| measurement | on ÷ off | target |\n|---|---|---|\n| the step governor on one act of 6 steps, 300 ms think time, no contention (median of rounds) | {ratio:.3}× | ≤ 1.02× {} |\n",
        if ratio <= 1.02 { "✓" } else { "✗" }
    ));
    out
}

/// The act loop with the `otel` feature's export on, against no subscriber at all.
fn otel_rows(otel: &Value) -> String {
    const TARGET: f64 = 1.05;
    let number = |value: &Value| value.as_f64().unwrap_or(f64::NAN);
    let mut out = String::from(
        "\n## The act loop with OpenTelemetry on\n\nActs of 8 steps on a pretend page against the emulator (its rate quotas lifted, so that the SDK is measured), taking turns with export on (the `otel` feature's layer, exporting every span and metric to a collector that only counts) and off (no subscriber at all); per round the ratio of their times, then the median over the rounds. When the emulator answers at once the loop is all CPU — the client, the emulator and the exporter share the machine's cores — so that row is the span machinery's whole cost, per act; a model's step takes a second or more, and with even 50 ms per step the cost is within the noise.\n\n| act loop | on ÷ off (median) | spread | per act, on / off | exports | target |\n|---|---|---|---|---|---|\n",
    );
    for (name, key, target) in [
        ("steps answered at once", "at_once", None),
        ("steps answered in 50 ms", "latency_50ms", Some(TARGET)),
    ] {
        let row = &otel[key];
        let median = number(&row["median"]);
        let verdict = target.map_or("(the cost itself)".to_owned(), |t| {
            format!("≤ {t:.2}× {}", if median <= t { "✓" } else { "✗" })
        });
        out.push_str(&format!(
            "| {name} ({} acts a turn, {} rounds) | {median:.3}× | {:.3}–{:.3}× | {:.2} / {:.2} ms | {} | {verdict} |\n",
            row["acts"],
            row["rounds"],
            number(&row["min"]),
            number(&row["max"]),
            number(&row["ms_per_act_with"]),
            number(&row["ms_per_act_without"]),
            row["exports"],
        ));
    }
    out
}

/// Local Chromium on this machine: memory per browser, and starts of many at once.
fn browser_rows(browsers: &Value) -> String {
    let mut out = String::from(
        "\n## Local browsers on this machine\n\nWhat bounds how many local browsers a machine runs at once. Memory is the proportional set size (PSS) of each headless Chromium's process tree once its page is shown, so pages shared between browsers count once; start is from launching to holding the first observation.\n\n",
    );
    if let Some(reason) = browsers["skipped"].as_str() {
        out.push_str(&format!("Skipped: {reason}\n"));
        return out;
    }
    out.push_str("| browsers open | memory per browser |\n|---|---|\n");
    for row in browsers["memory"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "| {} | {:.0} MB |\n",
            row["browsers"],
            row["pss_mb_each"].as_f64().unwrap_or(0.0)
        ));
    }
    out.push_str("\n| browsers started | stagger | each to its first observation (median) | slowest | all observed |\n|---|---|---|---|---|\n");
    for row in browsers["starts"].as_array().into_iter().flatten() {
        let times: Vec<f64> = row["first_ms"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        out.push_str(&format!(
            "| {} | {} ms | {:.0} ms | {:.0} ms | {:.0} ms |\n",
            row["browsers"],
            row["stagger_ms"],
            median_of(&row["first_ms"]),
            times.iter().copied().fold(0.0, f64::max),
            row["all_ms"].as_f64().unwrap_or(0.0)
        ));
    }
    out
}

fn median_of(values: &Value) -> f64 {
    let mut list: Vec<f64> = values
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    list.sort_by(f64::total_cmp);
    match list.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => list[n / 2],
        n => (list[n / 2 - 1] + list[n / 2]) / 2.0,
    }
}

fn first_observation_rows(first: &Value) -> String {
    let mut out = String::from(
        "\n## Start a browser to its first observation\n\nFrom asking for a browser to holding the first observation of its page (a JPEG screenshot and the page's facts): a local headless Chromium launched over its DevTools pipe, against an AgentCore Browser session the emulator plays on this machine (StartBrowserSession, which launches the emulator's Chromium, then the SigV4-signed automation stream, relayed to it). Rounds take turns, local then remote. The remote row measures the SDK's own cost on top of a browser start; against AWS, the service's session start and the network are added.\n\n",
    );
    if let Some(reason) = first["skipped"].as_str() {
        out.push_str(&format!("Skipped: {reason}\n"));
        return out;
    }
    let local = median_of(&first["local_ms"]);
    let remote = median_of(&first["remote_ms"]);
    out.push_str(&format!(
        "| browser | median | rounds |\n|---|---|---|\n| local launch | {local:.0} ms | {} |\n| remote session (emulated) | {remote:.0} ms | {} |\n\nRemote / local: {:.2}×.\n",
        first["local_ms"].as_array().map_or(0, Vec::len),
        first["remote_ms"].as_array().map_or(0, Vec::len),
        remote / local,
    ));
    out
}

/// What the load driver measured, one JSON object per measurement.
pub(super) struct Measured {
    pub(super) nothing: Value,
    pub(super) emulator: Value,
    pub(super) cache: Value,
    pub(super) interleaved: Value,
    pub(super) first: Value,
    pub(super) fleet: Value,
    pub(super) browsers: Value,
    pub(super) otel: Value,
}

/// The whole report.
pub(super) fn render(
    quick: bool,
    measured: &Measured,
    footprint: &[(&str, usize)],
    notes: &BTreeMap<&str, String>,
) -> String {
    let Measured {
        nothing,
        emulator,
        cache,
        interleaved,
        first,
        fleet,
        browsers,
        otel,
    } = measured;
    let mut out = String::new();
    out.push_str("# Performance\n\n");
    out.push_str(&format!(
        "Generated by `cargo xtask bench{}` on {} ({}). Each row runs ours and the reference in the same run on the same inputs; times are criterion medians.\n\n",
        if quick { " --quick" } else { "" },
        today(),
        machine()
    ));
    out.push_str("| benchmark | ours | reference | ratio | target |\n|---|---|---|---|---|\n");
    let rows = [
        ratio_row(
            "fresh chain, credentials in environment variables",
            "credentials_env",
            "nova-auth",
            "aws-config",
            Some(0.2),
        ),
        ratio_row(
            "fresh chain, credentials in a profile file",
            "credentials_profile",
            "nova-auth",
            "aws-config",
            Some(0.5),
        ),
        ratio_row(
            "signing, 200 B body",
            "sign_small",
            "nova-act-core",
            "aws-sigv4",
            Some(1.1),
        ),
        ratio_row(
            "signing, 200 KB body",
            "sign_200kb",
            "nova-act-core",
            "aws-sigv4",
            Some(1.1),
        ),
        ratio_row(
            "ListModels round trip vs aws-sdk-novaact",
            "round_trip_list_models",
            "nova-act-core",
            "aws-sdk-novaact",
            Some(1.0),
        ),
        ratio_row(
            "ListModels round trip vs unsigned floor",
            "round_trip_list_models",
            "nova-act-core",
            "floor",
            Some(1.5),
        ),
        ratio_row(
            "ListModels round trip vs signed floor",
            "round_trip_list_models",
            "nova-act-core",
            "signed-floor",
            Some(1.5),
        ),
        ratio_row(
            "CreateWorkflowRun round trip vs aws-sdk-novaact",
            "round_trip_create_workflow_run",
            "nova-act-core",
            "aws-sdk-novaact",
            Some(1.0),
        ),
        ratio_row(
            "CreateWorkflowRun round trip vs unsigned floor",
            "round_trip_create_workflow_run",
            "nova-act-core",
            "floor",
            Some(1.5),
        ),
        ratio_row(
            "CreateWorkflowRun round trip vs signed floor",
            "round_trip_create_workflow_run",
            "nova-act-core",
            "signed-floor",
            Some(1.5),
        ),
        ratio_row(
            "InvokeActStep (200 KB) vs aws-sdk-novaact",
            "round_trip_invoke_step_200kb",
            "nova-act-core",
            "aws-sdk-novaact",
            Some(1.0),
        ),
        ratio_row(
            "InvokeActStep (200 KB) vs unsigned floor",
            "round_trip_invoke_step_200kb",
            "nova-act-core",
            "floor",
            Some(1.5),
        ),
        ratio_row(
            "InvokeActStep (200 KB) vs signed floor",
            "round_trip_invoke_step_200kb",
            "nova-act-core",
            "signed-floor",
            Some(1.5),
        ),
    ];
    for row in rows {
        out.push_str(&row);
        out.push('\n');
    }
    let (ours, theirs) = (
        mean(&nothing["nova-auth_ms"]),
        mean(&nothing["aws-config_ms"]),
    );
    out.push_str(&format!(
        "| fresh chain, nothing configured, silent IMDS | nova-auth: {:.0} ms (max {:.0} ms) | aws-config: {:.0} ms | {:.2}× | ≤ 1.0× and ≤ 1200 ms {} |\n",
        ours,
        max(&nothing["nova-auth_ms"]),
        theirs,
        ours / theirs,
        if ours / theirs <= 1.0 && max(&nothing["nova-auth_ms"]) <= 1200.0 { "✓" } else { "✗" }
    ));
    match median("cache_hit", "nova-auth") {
        Some(ns) => out.push_str(&format!(
            "| cache hit | nova-auth: {} | | | ≤ 100 ns {} |\n",
            human(ns),
            if ns <= 100.0 { "✓" } else { "✗" }
        )),
        None => out.push_str("| cache hit | (not measured) | | | |\n"),
    }
    out.push_str(&format!(
        "| 1,000 concurrent callers at expiry | {} load(s), {} answered | | | exactly 1 {} |\n",
        cache["loads_at_expiry"],
        cache["answered"],
        if cache["loads_at_expiry"] == 1 {
            "✓"
        } else {
            "✗"
        }
    ));
    // The sections come after the table, which the rows above end.
    out.push_str(&interleaved_rows(interleaved));
    out.push_str(&first_observation_rows(first));
    out.push_str(&fleet_rows(fleet));
    out.push_str(&browser_rows(browsers));
    out.push_str(&otel_rows(otel));
    out.push_str(
        "\n## The emulator under load (signed InvokeActStep, client and server in one process)\n\n",
    );
    out.push_str("| clients | requests/s | p50 | p99 | target |\n|---|---|---|---|---|\n");
    for row in emulator.as_array().into_iter().flatten() {
        let target = if row["clients"] == 64 {
            let ok = row["per_second"].as_f64().unwrap_or(0.0) >= 10_000.0
                && row["p99_ms"].as_f64().unwrap_or(f64::MAX) <= 20.0;
            format!("≥ 10,000/s, p99 ≤ 20 ms {}", if ok { "✓" } else { "✗" })
        } else {
            String::new()
        };
        out.push_str(&format!(
            "| {} | {:.0} | {:.2} ms | {:.2} ms | {target} |\n",
            row["clients"],
            row["per_second"].as_f64().unwrap_or(0.0),
            row["p50_ms"].as_f64().unwrap_or(0.0),
            row["p99_ms"].as_f64().unwrap_or(0.0)
        ));
    }
    out.push_str("\n## Footprint\n\n| build | crates in `cargo tree -e normal` |\n|---|---|\n");
    for (name, count) in footprint {
        out.push_str(&format!("| {name} | {count} |\n"));
    }
    out.push_str(
        "\n## Reading the floor rows\n\nThe floor is raw `reqwest` to an emulator with authentication \
         switched off: no signing on the client, no signature check on the server. A signed request \
         pays both sides of SigV4 — SHA-256 over the body and the HMAC chain on the client, and the \
         same again when the emulator recomputes the signature — so for the 200 KB InvokeActStep \
         about twice the `signing, 200 KB body` time of the gap to the floor is signature work the \
         floor skips by construction. The signed floor is the same raw `reqwest`, each request \
         signed by calling `aws-sigv4` directly, to the authenticating emulator: the protocol's own \
         work and nothing else, so the ratio to it is what the SDK adds (validation, typed \
         encoding and decoding, retries, credentials per attempt, tracing). Against \
         `aws-sdk-novaact`, which pays the same signing costs, nova-act-core is faster in every row.\n",
    );
    if let Some(build) = notes.get("build") {
        out.push_str(&format!(
            "\nRelease build of the quickstart (`nova-act-cli`) from clean: {build}.\n"
        ));
    }
    out
}
