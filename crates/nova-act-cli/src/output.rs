//! Printing for people (aligned, marked, coloured on a terminal) and for machines (JSON).

use std::io::IsTerminal;

pub(crate) fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

pub(crate) fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// A check's mark: green ✓, red ✗ or dim – on a terminal; `ok`, `FAIL`, `skip` otherwise.
pub(crate) fn mark(state: Option<bool>) -> &'static str {
    match (state, stdout_is_terminal()) {
        (Some(true), true) => "\x1b[32m✓\x1b[0m",
        (Some(false), true) => "\x1b[31m✗\x1b[0m",
        (None, true) => "\x1b[2m–\x1b[0m",
        (Some(true), false) => "ok  ",
        (Some(false), false) => "FAIL",
        (None, false) => "skip",
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
