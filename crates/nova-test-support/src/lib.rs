//! What the crates' tests share, so that each lives once: capturing everything logged, and the
//! fixture credentials the secrets tests search the logs for. Dev-only: never published, never a
//! dependency of shipped code.

#[cfg(feature = "browser")]
pub mod act;
#[cfg(feature = "aws-sdk")]
mod aws_sdk;
#[cfg(feature = "http")]
mod http;
#[cfg(feature = "otlp")]
pub mod otlp;
#[cfg(feature = "actuator")]
mod page;
mod procs;
#[cfg(feature = "client")]
mod service;
#[cfg(feature = "sigv4")]
mod sigv4;

mod home;
#[cfg(feature = "aws-sdk")]
pub use aws_sdk::{aws_sdk, sdk_run, sdk_session};
pub use home::aws_home;
#[cfg(feature = "http")]
pub use http::{answer, mount};
#[cfg(feature = "actuator")]
pub use page::{PretendPage, pretend_act};
pub use procs::{
    alive, assert_nothing_left, listening_sockets, process_group, processes_mentioning, signal,
};
#[cfg(feature = "client")]
pub use service::{define, open_act};
#[cfg(feature = "sigv4")]
pub use sigv4::verify_sigv4;

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

thread_local! {
    /// The captures open on this thread, innermost last.
    static CAPTURING: std::cell::RefCell<Vec<Logs>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Ends the capture [`Logs::capture`] began, when dropped.
#[must_use = "the capture ends when this is dropped"]
pub struct Capture {
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for Capture {
    fn drop(&mut self) {
        CAPTURING.with(|stack| stack.borrow_mut().pop());
    }
}

/// Writes to this thread's innermost capture, if any.
struct ToCapture;

impl io::Write for ToCapture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        CAPTURING.with(|stack| {
            if let Some(logs) = stack.borrow_mut().last_mut() {
                let _ = logs.write(buf);
            }
        });
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One process-wide subscriber that formats an event only on a thread that is capturing. A
/// per-test `set_default` instead races with the other tests of the binary over tracing's
/// global callsite interest and maximum level, and then a test sometimes sees nothing.
fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::{Layer, filter, fmt};
        let capturing = || CAPTURING.with(|stack| !stack.borrow().is_empty());
        let layer = fmt::layer()
            .with_ansi(false)
            .with_writer(|| ToCapture)
            .with_filter(filter::filter_fn(move |_| capturing()));
        let subscriber =
            tracing_subscriber::registry().with(layer.with_filter(filter::LevelFilter::TRACE));
        // A binary that installed its own global subscriber keeps it; its tests then capture
        // nothing through this helper, and say so by failing.
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

impl Logs {
    /// Starts capturing TRACE and above on this thread, without colours, until the returned
    /// guard is dropped.
    pub fn capture() -> (Self, Capture) {
        install();
        let logs = Self::default();
        CAPTURING.with(|stack| stack.borrow_mut().push(logs.clone()));
        (
            logs,
            Capture {
                _not_send: std::marker::PhantomData,
            },
        )
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
