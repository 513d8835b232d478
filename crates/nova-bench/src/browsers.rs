//! What local Chromiums cost this machine: memory per browser with 1, 2 and 4 open, and how long
//! each takes to its first observation when many start at once, with and without a stagger.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use nova_act_core::runtime::{Actuator, BrowserAction};
use nova_browser::Browser;
use serde_json::{Value, json};

/// A page with some text and a form, as a task's starting page is.
const PAGE: &str = "data:text/html,<h1>Shop</h1><p>Red apple 4.99</p><form><input name=q><button>Search</button></form>";

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Every process's parent, from `/proc`.
fn parents() -> HashMap<u32, u32> {
    let mut parents = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|ppid| ppid.parse().ok());
        if let Some(ppid) = ppid {
            parents.insert(pid, ppid);
        }
    }
    parents
}

/// The proportional set size of `root` and every process under it, in bytes: shared pages
/// count once across the browsers that share them, so the sum over browsers is what they use.
fn pss_of_tree(root: u32, parents: &HashMap<u32, u32>) -> u64 {
    let under = |mut pid: u32| loop {
        if pid == root {
            return true;
        }
        match parents.get(&pid) {
            Some(&parent) if parent != pid && parent > 1 => pid = parent,
            _ => return false,
        }
    };
    parents
        .keys()
        .filter(|pid| under(**pid))
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok())
        .filter_map(|rollup| {
            rollup
                .lines()
                .find_map(|line| line.strip_prefix("Pss:"))
                .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .sum::<u64>()
        * 1024
}

/// Launches `count` browsers, the `i`-th `i × stagger` after the first, each to its first
/// observation; the time each took from its own start, and the browsers.
async fn start(count: usize, stagger: Duration) -> Result<(Vec<f64>, Vec<Browser>), String> {
    let started = futures_util::future::join_all((0..count).map(|i| async move {
        tokio::time::sleep(stagger * i as u32).await;
        let at = Instant::now();
        let mut browser = Browser::builder()
            .headless(true)
            .starting_page(PAGE)
            .launch()
            .await
            .map_err(|err| err.to_string())?;
        browser
            .browser(BrowserAction::TakeObservation)
            .await
            .map_err(|err| err.to_string())?;
        Ok::<_, String>((millis(at.elapsed()), browser))
    }))
    .await;
    let mut times = Vec::new();
    let mut browsers = Vec::new();
    let mut failed = None;
    for outcome in started {
        match outcome {
            Ok((time, browser)) => {
                times.push(time);
                browsers.push(browser);
            }
            Err(err) => failed = Some(err),
        }
    }
    if let Some(err) = failed {
        close(browsers).await;
        return Err(err);
    }
    Ok((times, browsers))
}

async fn close(browsers: Vec<Browser>) {
    for mut browser in browsers {
        browser.close().await;
    }
}

/// `{"memory": [{browsers, pss_mb_each}], "starts": [{browsers, stagger_ms, first_ms: [...],
/// all_ms}]}`, or `{"skipped": reason}` without a browser.
pub async fn measure(quick: bool) -> Value {
    let mut memory = Vec::new();
    let counts: &[usize] = if quick { &[1, 2] } else { &[1, 2, 4] };
    for &count in counts {
        let (_, browsers) = match start(count, Duration::ZERO).await {
            Ok(started) => started,
            Err(err) => return json!({ "skipped": err }),
        };
        // Let the renderers settle after their first paint.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let parents = parents();
        let total: u64 = browsers
            .iter()
            .filter_map(Browser::pid)
            .map(|pid| pss_of_tree(pid, &parents))
            .sum();
        memory.push(json!({
            "browsers": count,
            "pss_mb_each": total as f64 / count as f64 / 1_048_576.0,
        }));
        close(browsers).await;
    }
    let count = if quick { 2 } else { 8 };
    let staggers: &[u64] = if quick {
        &[0]
    } else {
        &[0, 250, 500, 1000, 2000]
    };
    let mut starts = Vec::new();
    for stagger in staggers {
        let began = Instant::now();
        let (times, browsers) = match start(count, Duration::from_millis(*stagger)).await {
            Ok(started) => started,
            Err(err) => return json!({ "skipped": err }),
        };
        let all = millis(began.elapsed());
        close(browsers).await;
        starts.push(json!({
            "browsers": count,
            "stagger_ms": stagger,
            "first_ms": times,
            "all_ms": all,
        }));
    }
    json!({ "memory": memory, "starts": starts })
}
