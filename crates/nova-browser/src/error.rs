//! What can go wrong starting or driving the browser.

use std::path::PathBuf;
use std::time::Duration;

use nova_act_core::runtime::CallError;

/// Why the browser could not be started or could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrowserError {
    /// No Chrome or Chromium executable was found.
    #[error(
        "no Chrome or Chromium found; looked for: {}. Install Chromium (Debian/Ubuntu: \
         `apt-get install chromium`; macOS: install Google Chrome), or set CHROME_PATH to the \
         browser's executable, or name it with BrowserBuilder::executable",
        looked.join(", ")
    )]
    NotFound {
        /// Every place looked at, in order.
        looked: Vec<String>,
    },
    /// The executable named by `CHROME_PATH` or in code does not exist.
    #[error(
        "{origin} names {}, which is not a file; point it at the Chrome or Chromium executable",
        path.display()
    )]
    BadExecutable {
        /// Where the path came from (`CHROME_PATH`, or code).
        origin: &'static str,
        /// The path.
        path: PathBuf,
    },
    /// A setting is not usable.
    #[error("{0}")]
    Config(String),
    /// A proxy server that Chromium cannot use.
    #[error("the proxy `{server}` is not usable: {reason}")]
    InvalidProxy {
        /// The server as given (any user name and password in it hidden).
        server: String,
        /// What is wrong.
        reason: String,
    },
    /// A DevTools endpoint that cannot be used.
    #[error("`{url}` is not a DevTools endpoint to attach to: {reason}")]
    InvalidRemote {
        /// The URL (without its query).
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The downloads folder cannot be used.
    #[error("cannot save downloads in {}; choose a folder you can write to", path.display())]
    Downloads {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The process could not be started.
    #[error("could not start {}", path.display())]
    Spawn {
        /// The executable.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The browser exited, or never said where DevTools listens.
    #[error(
        "{} did not start: {reason}. Its last output:\n{output}",
        path.display()
    )]
    Start {
        /// The executable.
        path: PathBuf,
        /// What happened.
        reason: String,
        /// The last lines the browser printed.
        output: String,
    },
    /// The temporary profile folder could not be made.
    #[error("could not create a temporary browser profile")]
    Profile(#[source] std::io::Error),
    /// The DevTools pipe to a launched browser could not be set up.
    #[error("could not set up the DevTools pipe to the browser")]
    Pipe(#[source] std::io::Error),
    /// The DevTools WebSocket could not be opened.
    #[error("could not connect to the browser's DevTools at {url}: {reason}")]
    Connect {
        /// Where.
        url: String,
        /// Why.
        reason: String,
    },
    /// The browser refused a DevTools command.
    #[error("the browser refused {method}: {message}")]
    Protocol {
        /// The command.
        method: String,
        /// The browser's message.
        message: String,
    },
    /// The browser did not answer in time.
    #[error(
        "the browser did not answer {method} within {}; it may be hung or overloaded",
        humantime::format_duration(*after)
    )]
    Timeout {
        /// The command.
        method: String,
        /// How long we waited.
        after: Duration,
    },
    /// The browser went away (closed, crashed or killed).
    #[error("the browser connection closed ({0}); start a new browser")]
    Closed(String),
    /// A page script threw.
    #[error("a script on the page failed: {0}")]
    Script(String),
    /// The starting page is one the browser's URL policy blocks; nothing was started.
    #[error(
        "the starting page {url} is blocked by the browser's URL policy; start on a page it \
         allows, or change the policy"
    )]
    StartingPageBlocked {
        /// The starting page, without its query.
        url: String,
    },
    /// A navigation failed.
    #[error("could not open {url}: {reason}")]
    Navigation {
        /// Where.
        url: String,
        /// Chromium's reason, such as `net::ERR_CONNECTION_REFUSED`.
        reason: String,
    },
}

impl From<BrowserError> for CallError {
    fn from(err: BrowserError) -> Self {
        if matches!(err, BrowserError::Closed(_)) {
            return CallError::gone(nova_auth::Report(&err));
        }
        let kind = match err {
            BrowserError::Navigation { .. } => "NavigationError",
            BrowserError::Script(_) => "ScriptError",
            BrowserError::Timeout { .. } => "BrowserTimeout",
            _ => "BrowserError",
        };
        CallError::new(kind, nova_auth::Report(&err))
    }
}
