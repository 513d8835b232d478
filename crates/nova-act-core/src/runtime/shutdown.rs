//! Stopping workflows cleanly when the program is asked to stop (Ctrl-C, SIGTERM, or code).
//!
//! A signal ends a process without running `Drop`, so a workflow interrupted that way would
//! leave its run RUNNING and its browser behind. A [`Shutdown`] turns the signal into ordinary
//! control flow instead: the act in progress stops and is marked FAILED, the run is marked
//! FAILED, the workflow returns, and whatever the workflow owned (a browser) is dropped and
//! cleaned up before the program exits.

use std::sync::Arc;
use std::sync::OnceLock;
use std::time::Duration;

use tokio::sync::Notify;

/// How long a workflow may take to wind down after a shutdown before it is dropped.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);
/// The `tracing` target of the warning that a signal arrived, so that a program which tells its
/// user itself (as the `nova-act` command does) can turn it off.
pub const SHUTDOWN_NOTICE: &str = "nova_act::shutdown";

/// A shutdown request that workflows watch; cheap to clone, all clones share one state.
///
/// ```no_run
/// # async fn example(client: nova_act_core::Client) {
/// use nova_act_core::runtime::{Shutdown, Workflow};
///
/// let shutdown = Shutdown::on_signals(); // Ctrl-C or SIGTERM from now on
/// let outcome = Workflow::new(&client)
///     .definition("nightly")
///     .shutdown(shutdown.clone())
///     .run(|run| async move { Ok::<_, std::convert::Infallible>(run.id().to_owned()) })
///     .await;
/// if let Some(reason) = shutdown.reason() {
///     eprintln!("stopped by {reason}; the run was marked FAILED");
///     std::process::exit(130);
/// }
/// # let _ = outcome; }
/// ```
#[derive(Clone, Debug, Default)]
pub struct Shutdown {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    reason: OnceLock<String>,
    notify: Notify,
}

impl Shutdown {
    /// A shutdown that only code triggers ([`Shutdown::trigger`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// A shutdown triggered by Ctrl-C (SIGINT) or, on Unix, SIGTERM, listened for from now on
    /// (and no longer ending the process by themselves). Needs a Tokio runtime.
    pub fn on_signals() -> Self {
        let shutdown = Self::new();
        let trigger = shutdown.clone();
        tokio::spawn(async move {
            let reason = signal().await;
            tracing::warn!(
                target: SHUTDOWN_NOTICE,
                signal = reason,
                "stopping: finishing the workflow as FAILED"
            );
            trigger.trigger(reason);
        });
        shutdown
    }

    /// Asks every workflow watching this to stop; the first reason given is kept.
    pub fn trigger(&self, reason: impl Into<String>) {
        let _ = self.inner.reason.set(reason.into());
        self.inner.notify.notify_waiters();
    }

    /// Why it was triggered, or `None` while it has not been.
    pub fn reason(&self) -> Option<&str> {
        self.inner.reason.get().map(String::as_str)
    }

    /// Whether it was triggered.
    pub fn is_triggered(&self) -> bool {
        self.reason().is_some()
    }

    /// Resolves once triggered (at once if it already was).
    pub async fn triggered(&self) {
        loop {
            let notified = self.inner.notify.notified();
            if self.is_triggered() {
                return;
            }
            notified.await;
        }
    }
}

/// Waits for SIGINT or SIGTERM and names it.
async fn signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            return tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            };
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    "SIGINT"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_clone_sees_the_first_reason() {
        let shutdown = Shutdown::new();
        let watcher = shutdown.clone();
        let waiting = tokio::spawn(async move {
            watcher.triggered().await;
            watcher.reason().map(str::to_owned)
        });
        tokio::task::yield_now().await;
        assert!(!shutdown.is_triggered());
        shutdown.trigger("SIGTERM");
        shutdown.trigger("later");
        assert_eq!(waiting.await.unwrap().as_deref(), Some("SIGTERM"));
        shutdown.triggered().await; // already triggered: returns at once
    }
}
