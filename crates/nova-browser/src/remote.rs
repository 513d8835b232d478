//! A browser that is already running somewhere: its DevTools WebSocket, the headers its
//! handshake needs, and which tab to use.

use nova_auth::Secret;

use crate::error::BrowserError;

/// Where to attach: a running browser's DevTools WebSocket (`ws://` or `wss://`), with extra
/// handshake headers (a signature, a token) and the choice of tab. See
/// [`BrowserBuilder::connect`](crate::BrowserBuilder::connect).
///
/// ```
/// use nova_browser::Remote;
///
/// let remote = Remote::new("wss://browsers.example.com/devtools/browser/42")?
///     .header("Authorization", "Bearer s3cret")
///     .existing_page(true);
/// assert!(!format!("{remote:?}").contains("s3cret"));
/// assert!(Remote::new("http://127.0.0.1:9222").is_err());
/// # Ok::<(), nova_browser::BrowserError>(())
/// ```
#[derive(Clone)]
pub struct Remote {
    url: String,
    headers: Vec<(String, Secret)>,
    existing_page: bool,
}

/// Shows the URL without its query (which may carry a signature) and header names only.
impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("Remote")
            .field("url", &self.url.split('?').next().unwrap_or_default())
            .field("headers", &names)
            .field("existing_page", &self.existing_page)
            .finish()
    }
}

impl Remote {
    /// The browser's DevTools WebSocket `url`, checked now: `ws://` or `wss://`, with a host.
    pub fn new(url: &str) -> Result<Self, BrowserError> {
        // Shown without its query (a signature may be there) or anything before an `@`.
        let shown = {
            let base = url.split('?').next().unwrap_or(url);
            match (base.split_once("://"), base.rsplit_once('@')) {
                (Some((scheme, _)), Some((_, host))) => format!("{scheme}://…@{host}"),
                _ => base.to_owned(),
            }
        };
        let invalid = |reason: &str| BrowserError::InvalidRemote {
            url: shown.clone(),
            reason: reason.to_owned(),
        };
        let parsed = url::Url::parse(url).map_err(|err| invalid(&err.to_string()))?;
        if !matches!(parsed.scheme(), "ws" | "wss") {
            return Err(invalid("a DevTools endpoint is a ws:// or wss:// URL"));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(invalid("it has no host"));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(invalid("put credentials in a header, not in the URL"));
        }
        Ok(Self {
            url: url.to_owned(),
            headers: Vec::new(),
            existing_page: false,
        })
    }

    /// Sends `name: value` with the WebSocket handshake. Values are kept out of `Debug`.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), Secret::new(value.into())));
        self
    }

    /// Drives the browser's first open tab instead of opening a new one (default: a new tab,
    /// closed again on detach).
    #[must_use]
    pub fn existing_page(mut self, existing: bool) -> Self {
        self.existing_page = existing;
        self
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn headers(&self) -> &[(String, Secret)] {
        &self.headers
    }

    pub(crate) fn uses_existing_page(&self) -> bool {
        self.existing_page
    }
}
