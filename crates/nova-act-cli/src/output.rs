//! Printing for people (aligned, marked, coloured on a terminal) and for machines (JSON).
//!
//! Colour goes through `anstream`, which keeps it only where it is wanted: never with
//! `NO_COLOR` or `CLICOLOR=0`, always with `CLICOLOR_FORCE`, otherwise on a terminal.

use std::io::IsTerminal;

use anstyle::{AnsiColor, Effects, Style};
use serde_json::Value;

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
