//! Every request the emulator receives, recorded with its body: the proof that a value never
//! reached the service, in a test (kept in memory) or on disk (`--record FILE`, JSON Lines).

use std::io::Write;
use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use serde::Serialize;

/// One request, as recorded: `{"at", "method", "path", "status", "body", "traceparent"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// When it arrived (RFC 3339).
    pub at: String,
    /// The HTTP method.
    pub method: String,
    /// The path and query.
    pub path: String,
    /// The status answered.
    pub status: u16,
    /// The body, as text (bytes that are not UTF-8 replaced).
    pub body: String,
    /// The W3C trace context the caller sent, if any: which trace the call belongs to. (No
    /// other header is recorded: they carry credentials.)
    pub traceparent: Option<String>,
}

/// Where recorded requests go.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    memory: Option<Mutex<Vec<RecordedRequest>>>,
    file: Option<Mutex<std::fs::File>>,
}

impl Recorder {
    /// Keeps requests in memory, for [`RunningEmulator::recorded`](crate::RunningEmulator::recorded).
    pub(crate) fn in_memory(mut self) -> Self {
        self.memory = Some(Mutex::default());
        self
    }

    /// Appends requests to `path` as JSON Lines; a new file is created 0600 (bodies carry
    /// what clients sent).
    pub(crate) fn into_file(mut self, path: &Path) -> std::io::Result<Self> {
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        self.file = Some(Mutex::new(options.open(path)?));
        Ok(self)
    }

    pub(crate) fn is_on(&self) -> bool {
        self.memory.is_some() || self.file.is_some()
    }

    /// Records `(method, path, traceparent)` answered with `status`.
    pub(crate) fn record(
        &self,
        (method, path, traceparent): (&str, &str, Option<String>),
        status: u16,
        body: &[u8],
    ) {
        if !self.is_on() {
            return;
        }
        let entry = RecordedRequest {
            at: crate::identity::rfc3339(SystemTime::now()),
            method: method.to_owned(),
            path: path.to_owned(),
            status,
            body: String::from_utf8_lossy(body).into_owned(),
            traceparent,
        };
        if let Some(file) = &self.file {
            let mut line = serde_json::to_vec(&entry).unwrap_or_default();
            line.push(b'\n');
            let mut file = file.lock().unwrap_or_else(PoisonError::into_inner);
            if let Err(err) = file.write_all(&line) {
                tracing::warn!(error = %err, "could not record a request");
            }
        }
        if let Some(memory) = &self.memory {
            memory
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(entry);
        }
    }

    pub(crate) fn recorded(&self) -> Vec<RecordedRequest> {
        self.memory.as_ref().map_or_else(Vec::new, |memory| {
            memory
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        })
    }
}
