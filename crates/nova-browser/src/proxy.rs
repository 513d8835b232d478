//! A proxy for the browser's traffic, with credentials answered over DevTools.

use nova_auth::Secret;

use crate::error::BrowserError;

/// A proxy server for every request the browser makes (Chromium's `--proxy-server`). With
/// credentials, the proxy's authentication challenge (HTTP 407) is answered through DevTools
/// (`Fetch.authRequired`), so the password is never on the command line.
///
/// ```
/// use nova_browser::Proxy;
///
/// let proxy = Proxy::new("http://proxy.internal:3128")?.credentials("ada", "s3cret");
/// assert!(!format!("{proxy:?}").contains("s3cret"));
/// assert!(Proxy::new("proxy.internal:3128").is_err()); // no scheme
/// # Ok::<(), nova_browser::BrowserError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Proxy {
    server: String,
    credentials: Option<(String, Secret)>,
}

/// The schemes Chromium takes for a proxy.
const SCHEMES: [&str; 4] = ["http", "https", "socks4", "socks5"];

impl Proxy {
    /// The proxy at `server`, such as `http://proxy.internal:3128` or `socks5://127.0.0.1:1080`.
    pub fn new(server: &str) -> Result<Self, BrowserError> {
        // A user name and password written into the URL stay out of the error.
        let shown = match server.rsplit_once('@') {
            Some((_, host)) => format!("…@{host}"),
            None => server.to_owned(),
        };
        let invalid = |reason: &str| BrowserError::InvalidProxy {
            server: shown.clone(),
            reason: reason.to_owned(),
        };
        let Some((scheme, rest)) = server.split_once("://") else {
            return Err(invalid(
                "it has no scheme; write it as http://HOST:PORT (or https, socks4, socks5)",
            ));
        };
        if !SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()) {
            return Err(invalid("the scheme must be http, https, socks4 or socks5"));
        }
        let host = rest.trim_end_matches('/');
        if host.is_empty() || host.contains(['/', '@', ' ']) {
            return Err(invalid(
                "write only HOST:PORT after the scheme; give credentials with .credentials()",
            ));
        }
        Ok(Self {
            server: format!("{}://{host}", scheme.to_ascii_lowercase()),
            credentials: None,
        })
    }

    /// Answers the proxy's authentication challenge with `username` and `password`.
    #[must_use]
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some((username.into(), Secret::new(password.into())));
        self
    }

    /// The server, as Chromium gets it.
    pub fn server(&self) -> &str {
        &self.server
    }

    pub(crate) fn auth(&self) -> Option<&(String, Secret)> {
        self.credentials.as_ref()
    }
}
