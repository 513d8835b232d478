//! Printing for people (aligned, marked, coloured on a terminal) and for machines (JSON).
//!
//! Colour goes through `anstream`, which keeps it only where it is wanted: never with
//! `NO_COLOR` or `CLICOLOR=0`, always with `CLICOLOR_FORCE`, otherwise on a terminal.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Instant;

use anstyle::{AnsiColor, Effects, Style};
use nova_act::runtime::{Actuator, BrowserAction, CallError};
use serde_json::{Value, json};

pub(crate) fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

pub(crate) fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// Whether log lines on stderr may carry colour.
pub(crate) fn stderr_colored() -> bool {
    anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
}

/// A check's mark: ✓, ✗ or – on a terminal, `ok`, `FAIL`, `skip` otherwise; green, red or dim
/// where colour is wanted. Print it with `anstream::println!`.
pub(crate) fn mark(state: Option<bool>) -> String {
    let (style, symbol, word) = match state {
        Some(true) => (AnsiColor::Green.on_default(), "✓", "ok  "),
        Some(false) => (AnsiColor::Red.on_default(), "✗", "FAIL"),
        None => (Style::new().effects(Effects::DIMMED), "–", "skip"),
    };
    let text = if stdout_is_terminal() { symbol } else { word };
    format!("{style}{text}{style:#}")
}

/// An instant as RFC 3339, the form every timestamp takes in output.
pub(crate) fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

/// Events of a long command: a line of text each for people, or with `--json` one JSON object
/// per line (JSON Lines) with an `event` key and the event's fields.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Events {
    pub(crate) json: bool,
}

impl Events {
    pub(crate) fn emit(&self, event: &str, fields: Value, text: impl FnOnce() -> String) {
        if self.json {
            let mut object = serde_json::Map::new();
            object.insert("event".to_owned(), Value::from(event));
            if let Value::Object(fields) = fields {
                object.extend(fields);
            }
            println!("{}", Value::Object(object));
        } else {
            println!("{}", text());
        }
    }
}

/// Rows as aligned columns.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<width$}", width = widths[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = vec![line(header.iter().map(|h| (*h).to_owned()).collect())];
    out.extend(rows.iter().map(|r| line(r.clone())));
    out.join("\n")
}

/// Shows "working…" on a terminal while a call runs.
pub(crate) struct Progress(bool);

impl Progress {
    pub(crate) fn start(what: &str) -> Self {
        let on = stderr_is_terminal();
        if on {
            eprint!("{what}…\r");
        }
        Self(on)
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.0 {
            eprint!("\x1b[2K\r");
        }
    }
}

/// Reports each action as it runs, then hands it to the browser.
pub(crate) struct Narrated<A> {
    pub(crate) inner: A,
    pub(crate) started: Instant,
    pub(crate) events: Events,
}

#[async_trait::async_trait]
impl<A: Actuator> Actuator for Narrated<A> {
    async fn browser(&mut self, action: BrowserAction) -> Result<Value, CallError> {
        let name = action.name();
        let detail = match &action {
            BrowserAction::GoToUrl { url } => url.clone(),
            BrowserAction::Click { target, .. } => {
                let (x, y) = target.center();
                format!("at ({x:.0}, {y:.0}) of 1000")
            }
            BrowserAction::Think { thought } => thought.clone(),
            _ => String::new(),
        };
        let outcome = self.inner.browser(action).await;
        let detail = match &outcome {
            Ok(observed) if name == "takeObservation" => observed
                .get("activeURL")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            Ok(_) => detail,
            Err(err) => format!("{detail} failed: {err}"),
        };
        let elapsed = self.started.elapsed().as_secs_f64();
        self.events.emit(
            "action",
            json!({
                "elapsed_s": (elapsed * 1000.0).round() / 1000.0,
                "name": name,
                "detail": detail,
                "ok": outcome.is_ok(),
            }),
            || {
                let line = format!("{name:<17} {detail}");
                format!("  {elapsed:>6.2}s  {}", line.trim_end())
            },
        );
        outcome
    }

    async fn current_url(&mut self) -> Option<String> {
        self.inner.current_url().await
    }

    async fn smaller_observation(&mut self, attempt: u32) -> Option<Result<Value, CallError>> {
        self.inner.smaller_observation(attempt).await
    }

    async fn typing_origin(&mut self, target: &nova_act::runtime::BBox) -> Option<String> {
        self.inner.typing_origin(target).await
    }

    async fn mark_secret(&mut self, shown: &str) {
        self.inner.mark_secret(shown).await;
    }

    async fn close(&mut self) {
        self.inner.close().await;
    }
}

/// Says how a command that runs a workflow stopped; exit status 130, as for a shell's Ctrl-C.
pub(crate) fn interrupted(reason: &str, started: bool) -> ExitCode {
    if started {
        eprintln!("interrupted by {reason}: the act and the workflow run were marked FAILED");
    } else {
        eprintln!("interrupted by {reason} before the workflow run started");
    }
    ExitCode::from(130)
}

/// Opens a session of `run` on `browser`, whose every action is narrated, saying so.
pub(crate) async fn narrated_session<A: Actuator>(
    run: &nova_act::runtime::Run,
    browser: A,
    started: Instant,
    events: Events,
) -> Result<nova_act::runtime::Session<Narrated<A>>, nova_act::runtime::ActError> {
    events.emit("workflow_run", json!({"workflow_run_id": run.id()}), || {
        format!("workflow run {}", run.id())
    });
    let browser = Narrated {
        inner: browser,
        started,
        events,
    };
    let session = run.session(browser).await?;
    events.emit("session", json!({"session_id": session.id()}), || {
        format!("session {}", session.id())
    });
    Ok(session)
}
