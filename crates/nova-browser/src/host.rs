//! A browser started for another program to drive: its DevTools messages handed over as they
//! are, for a service that relays them (the emulator's stand-in for AgentCore Browser).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};

use crate::cdp::{FromBrowser, ToBrowser};
use crate::error::BrowserError;
use crate::launch::Process;

/// A running browser whose DevTools connection another program drives
/// ([`BrowserBuilder::host`](crate::BrowserBuilder::host)). It is owned: [`stop`](Self::stop)
/// kills its process group and removes its profile; dropping it kills it too, as a last resort.
#[derive(Debug)]
pub struct HostedBrowser {
    process: Process,
    devtools: Option<DevTools>,
}

/// The DevTools messages of a [`HostedBrowser`]: JSON texts, sent and received unparsed.
pub struct DevTools {
    to_browser: ToBrowser,
    from_browser: FromBrowser,
}

impl std::fmt::Debug for DevTools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevTools").finish_non_exhaustive()
    }
}

/// The id of the command that checks a hosted browser answers; clients number from 1.
const PROBE_ID: u64 = 0;

impl HostedBrowser {
    /// Waits (up to `timeout`) for the browser's answer to one command, so a browser that
    /// cannot start fails here with its output rather than in the first client's hands.
    pub(crate) async fn confirm(
        mut process: Process,
        to_browser: ToBrowser,
        from_browser: FromBrowser,
        timeout: Duration,
    ) -> Result<Self, BrowserError> {
        let mut devtools = DevTools {
            to_browser,
            from_browser,
        };
        let probe = format!(r#"{{"id":{PROBE_ID},"method":"Browser.getVersion","params":{{}}}}"#);
        let answered = tokio::time::timeout(timeout, async {
            devtools.send(probe).await?;
            while let Some(message) = devtools.next().await {
                let message: serde_json::Value = serde_json::from_str(&message?)
                    .map_err(|err| BrowserError::Closed(err.to_string()))?;
                if message.get("id").and_then(serde_json::Value::as_u64) == Some(PROBE_ID) {
                    return Ok(());
                }
            }
            Err(BrowserError::Closed("it exited".to_owned()))
        })
        .await;
        match answered {
            Ok(Ok(())) => Ok(Self {
                process,
                devtools: Some(devtools),
            }),
            Ok(Err(_)) => Err(process.failed(None).await),
            Err(_) => {
                let reason = format!(
                    "it did not answer on DevTools within {}",
                    humantime::format_duration(timeout)
                );
                Err(process.failed(Some(&reason)).await)
            }
        }
    }

    /// The browser's process id.
    pub fn pid(&self) -> Option<u32> {
        self.process.id()
    }

    /// The DevTools messages, once: whoever takes them drives the browser.
    pub fn take_devtools(&mut self) -> Option<DevTools> {
        self.devtools.take()
    }

    /// Kills the browser's process group, waits for it and removes its folders.
    pub async fn stop(mut self) {
        self.process.stop(Duration::ZERO).await;
    }
}

impl DevTools {
    /// Sends one message (a JSON text) to the browser.
    pub async fn send(&mut self, message: String) -> Result<(), BrowserError> {
        self.to_browser
            .send(message)
            .await
            .map_err(BrowserError::Closed)
    }

    /// The browser's next message; `None` once it closed the connection (it exited).
    /// Cancel-safe: a message being read is kept for the next call.
    pub async fn next(&mut self) -> Option<Result<String, BrowserError>> {
        self.from_browser
            .next()
            .await
            .map(|message| message.map_err(BrowserError::Closed))
    }
}
