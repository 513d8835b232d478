//! What the crates' tests share, so that each lives once: capturing everything logged, and the
//! fixture credentials the secrets tests search the logs for. Dev-only: never published, never a
//! dependency of shipped code.

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

/// Example credentials in the shapes AWS and nova.amazon.com use; long enough that finding a
/// fragment of one in a log is a leak, never a coincidence.
pub mod keys {
    /// An access key id (AWS's documentation example).
    pub const ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
    /// Its secret access key (AWS's documentation example).
    pub const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    /// A session token.
    pub const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENvalue";
    /// An API key, 36 characters as nova.amazon.com makes them.
    pub const API_KEY: &str = "3f2a9c1e-7b4d-4e8a-9f6c-2d1b0a9e8c7f";
}

/// The processes on this machine whose command line contains `needle` (Linux: read from
/// `/proc`), as `(pid, command line)`: for tests that prove a process they started is gone.
pub fn processes_mentioning(needle: &str) -> Vec<(u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            text.contains(needle).then_some((pid, text))
        })
        .collect()
}

/// Everything logged, at every level and from every crate, while the guard that
/// [`Logs::capture`] returns lives (on this thread).
///
/// ```
/// let (logs, _guard) = nova_test_support::Logs::capture();
/// tracing::info!("hello");
/// assert!(logs.text().contains("hello"));
/// ```
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Starts capturing TRACE and above, without colours.
    pub fn capture() -> (Self, tracing::subscriber::DefaultGuard) {
        let logs = Self::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(logs.clone())
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        (logs, guard)
    }

    /// What was logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

impl io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Self;

    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}
