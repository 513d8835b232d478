//! Guardrails: a check of the page's state after every action and before every navigation, and a
//! ready policy of allowed and blocked URLs.

use std::fmt;
use std::path::{Path, PathBuf};

/// A guardrail's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Carry on.
    Pass,
    /// Stop the act: it ends FAILED with [`ActError::Blocked`](super::ActError::Blocked).
    Block,
}

/// What a guardrail sees of the page.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct PageState<'a> {
    /// The page's URL, or the URL about to be opened when checked before a navigation.
    pub url: &'a str,
}

/// Checks the page after every browser action and before every `goToUrl`. Any
/// `Fn(&PageState) -> Decision` is one; [`UrlPolicy`] is a ready one.
///
/// ```
/// use nova_act_core::runtime::{Decision, PageState, StateGuardrail};
///
/// let no_admin = |state: &PageState<'_>| {
///     if state.url.contains("/admin") { Decision::Block } else { Decision::Pass }
/// };
/// assert_eq!(no_admin.check(&PageState::of("https://shop.example/admin")), Decision::Block);
/// ```
pub trait StateGuardrail: Send + Sync {
    /// The verdict on `state`.
    fn check(&self, state: &PageState<'_>) -> Decision;
}

impl<F: Fn(&PageState<'_>) -> Decision + Send + Sync> StateGuardrail for F {
    fn check(&self, state: &PageState<'_>) -> Decision {
        self(state)
    }
}

impl<'a> PageState<'a> {
    /// The state of a page at `url`.
    pub fn of(url: &'a str) -> Self {
        Self { url }
    }
}

/// A URL pattern that does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{pattern}` is not a URL pattern: {reason}; write [scheme://]host[:port][/path], where the host may start with `*.` or be `*`"
)]
#[non_exhaustive]
pub struct PatternError {
    /// The pattern.
    pub pattern: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A pattern of URLs: `[scheme://]host[:port][/path-prefix]`.
///
/// - The scheme is `http`, `https`, `file` or `*`; without one, `http` and `https` match.
/// - The host is a name, `*.name` (the name and every subdomain of it) or `*` (any host).
/// - The path is a prefix; without one, any path matches.
/// - `file:///folder/` matches files under that folder.
#[derive(Clone, PartialEq, Eq)]
pub struct UrlPattern {
    text: String,
    scheme: Option<String>,
    host: Host,
    port: Option<u16>,
    path: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Host {
    Any,
    Exact(String),
    Subdomains(String),
}

impl fmt::Debug for UrlPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UrlPattern({})", self.text)
    }
}

impl fmt::Display for UrlPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for UrlPattern {
    type Err = PatternError;

    fn from_str(text: &str) -> Result<Self, PatternError> {
        let fail = |reason: &str| PatternError {
            pattern: text.to_owned(),
            reason: reason.to_owned(),
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(fail("it is empty"));
        }
        let (scheme, rest) = match trimmed.split_once("://") {
            Some((scheme, rest)) => {
                let scheme = scheme.to_ascii_lowercase();
                if !["http", "https", "file", "*"].contains(&scheme.as_str()) {
                    return Err(fail("the scheme must be http, https, file or *"));
                }
                ((scheme != "*").then_some(scheme), rest)
            }
            None if trimmed.contains(':') && !trimmed.contains('/') && !has_port(trimmed) => {
                return Err(fail("a scheme is followed by `://`"));
            }
            None => (None, trimmed),
        };
        let (authority, path) = match rest.find('/') {
            Some(at) => rest.split_at(at),
            None => (rest, ""),
        };
        if scheme.as_deref() == Some("file") {
            if !authority.is_empty() {
                return Err(fail("a file pattern has no host: write file:///folder/"));
            }
            return Ok(Self {
                text: text.to_owned(),
                scheme,
                host: Host::Any,
                port: None,
                path: path.to_owned(),
            });
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => {
                let port = port
                    .parse::<u16>()
                    .map_err(|_| fail("the port is not a number from 0 to 65535"))?;
                (host, Some(port))
            }
            None => (authority, None),
        };
        let host = host.to_ascii_lowercase();
        let valid = |name: &str| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        };
        let host = if host == "*" {
            Host::Any
        } else if let Some(name) = host.strip_prefix("*.") {
            if !valid(name) {
                return Err(fail("the host after `*.` is not a host name"));
            }
            Host::Subdomains(name.to_owned())
        } else if valid(&host) {
            Host::Exact(host)
        } else {
            return Err(fail(
                "the host is not a host name (a `*` may only start it, as `*.`)",
            ));
        };
        Ok(Self {
            text: text.to_owned(),
            scheme,
            host,
            port,
            path: path.to_owned(),
        })
    }
}

fn has_port(text: &str) -> bool {
    text.rsplit_once(':')
        .is_some_and(|(_, port)| !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()))
}

impl UrlPattern {
    /// Whether `url` matches.
    pub fn matches(&self, url: &url::Url) -> bool {
        let scheme = url.scheme();
        let scheme_ok = match &self.scheme {
            Some(wanted) => wanted == scheme,
            None => scheme == "http" || scheme == "https",
        };
        if !scheme_ok {
            return false;
        }
        if scheme == "file" {
            return url.path().starts_with(&self.path);
        }
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let host_ok = match &self.host {
            Host::Any => true,
            Host::Exact(name) => host == name,
            Host::Subdomains(name) => {
                host == name
                    || host
                        .strip_suffix(name.as_str())
                        .is_some_and(|r| r.ends_with('.'))
            }
        };
        host_ok
            && self
                .port
                .is_none_or(|port| url.port_or_known_default() == Some(port))
            && url.path().starts_with(&self.path)
    }
}

/// A ready guardrail over URLs: blocked patterns always block; when there are allowed patterns,
/// a URL must match one. `file://` URLs are blocked unless a `file://` pattern or an allowed
/// folder ([`UrlPolicy::allow_files_under`]) admits them. `about:blank` always passes.
///
/// ```
/// use nova_act_core::runtime::{Decision, PageState, StateGuardrail, UrlPolicy};
///
/// let policy = UrlPolicy::new()
///     .allow("*.example.com")?
///     .block("https://pay.example.com/checkout")?;
/// let check = |url| policy.check(&PageState::of(url));
/// assert_eq!(check("https://shop.example.com/cart"), Decision::Pass);
/// assert_eq!(check("https://pay.example.com/checkout/card"), Decision::Block);
/// assert_eq!(check("https://elsewhere.org/"), Decision::Block);
/// assert_eq!(check("file:///etc/passwd"), Decision::Block);
/// # Ok::<(), nova_act_core::runtime::PatternError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    allow: Vec<UrlPattern>,
    block: Vec<UrlPattern>,
    file_folders: Vec<PathBuf>,
}

impl UrlPolicy {
    /// A policy that passes every http(s) URL and blocks files.
    pub fn new() -> Self {
        Self::default()
    }

    /// Allows URLs matching `pattern` (and, once any is allowed, only those).
    pub fn allow(mut self, pattern: &str) -> Result<Self, PatternError> {
        self.allow.push(pattern.parse()?);
        Ok(self)
    }

    /// Blocks URLs matching `pattern`, whatever is allowed.
    pub fn block(mut self, pattern: &str) -> Result<Self, PatternError> {
        self.block.push(pattern.parse()?);
        Ok(self)
    }

    /// Allows `file://` URLs of files under `folder` (after resolving `..`).
    #[must_use]
    pub fn allow_files_under(mut self, folder: impl Into<PathBuf>) -> Self {
        self.file_folders.push(normalize(&folder.into()));
        self
    }

    /// The folders files may be opened from.
    pub fn file_folders(&self) -> &[PathBuf] {
        &self.file_folders
    }

    /// The verdict on `url`; a URL that does not parse is blocked.
    pub fn decide(&self, url: &str) -> Decision {
        if url == "about:blank" {
            return Decision::Pass;
        }
        let Ok(parsed) = url::Url::parse(url) else {
            return Decision::Block;
        };
        if self.block.iter().any(|p| p.matches(&parsed)) {
            return Decision::Block;
        }
        if parsed.scheme() == "file" {
            let under_folder = parsed.to_file_path().is_ok_and(|path| {
                let path = normalize(&path);
                self.file_folders
                    .iter()
                    .any(|folder| path.starts_with(folder))
            });
            let allowed = under_folder
                || self
                    .allow
                    .iter()
                    .any(|p| p.scheme.as_deref() == Some("file") && p.matches(&parsed));
            return if allowed {
                Decision::Pass
            } else {
                Decision::Block
            };
        }
        if self.allow.is_empty() || self.allow.iter().any(|p| p.matches(&parsed)) {
            Decision::Pass
        } else {
            Decision::Block
        }
    }
}

impl StateGuardrail for UrlPolicy {
    fn check(&self, state: &PageState<'_>) -> Decision {
        self.decide(state.url)
    }
}

/// `path` with `.` and `..` resolved lexically, so `/ok/../etc` is not under `/ok`.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(policy: &UrlPolicy, url: &str) -> Decision {
        policy.decide(url)
    }

    #[test]
    fn patterns_match_scheme_host_port_and_path() {
        let cases = [
            ("example.com", "https://example.com/a", true),
            ("example.com", "http://example.com/", true),
            ("example.com", "ftp://example.com/", false),
            ("example.com", "https://www.example.com/", false),
            ("*.example.com", "https://www.example.com/", true),
            ("*.example.com", "https://example.com/", true),
            ("*.example.com", "https://badexample.com/", false),
            (
                "https://example.com/shop",
                "https://example.com/shop/cart",
                true,
            ),
            ("https://example.com/shop", "http://example.com/shop", false),
            (
                "https://example.com/shop",
                "https://example.com/admin",
                false,
            ),
            ("127.0.0.1:8080", "http://127.0.0.1:8080/x", true),
            ("127.0.0.1:8080", "http://127.0.0.1:9090/x", false),
            ("*", "https://anything.org/", true),
            ("*://*", "file:///etc/passwd", false),
            ("file:///srv/pages/", "file:///srv/pages/a.html", true),
            ("file:///srv/pages/", "file:///srv/other.html", false),
        ];
        for (pattern, url, expected) in cases {
            let pattern: UrlPattern = pattern.parse().unwrap();
            let url = url::Url::parse(url).unwrap();
            assert_eq!(pattern.matches(&url), expected, "{pattern} ~ {url}");
        }
    }

    #[test]
    fn bad_patterns_are_typed_errors() {
        for bad in [
            "",
            "ftp://example.com",
            "exa mple.com",
            "*example.com",
            "a.*.com",
            "host:99999",
            "file://host/x",
            "mailto:x",
        ] {
            let err = bad.parse::<UrlPattern>().unwrap_err();
            assert_eq!(err.pattern, bad);
            assert!(err.to_string().contains("is not a URL pattern"), "{err}");
        }
    }

    #[test]
    fn files_are_blocked_unless_their_folder_is_allowed() {
        let policy = UrlPolicy::new();
        assert_eq!(decide(&policy, "file:///etc/passwd"), Decision::Block);
        assert_eq!(decide(&policy, "https://example.com/"), Decision::Pass);
        assert_eq!(decide(&policy, "about:blank"), Decision::Pass);
        assert_eq!(decide(&policy, "not a url"), Decision::Block);
        let policy = UrlPolicy::new().allow_files_under("/srv/pages");
        assert_eq!(decide(&policy, "file:///srv/pages/a.html"), Decision::Pass);
        assert_eq!(
            decide(&policy, "file:///srv/pages/../../etc/passwd"),
            Decision::Block
        );
        assert_eq!(
            decide(&policy, "file:///srv/pagesX/a.html"),
            Decision::Block
        );
    }

    #[test]
    fn blocks_win_over_allows() {
        let policy = UrlPolicy::new()
            .allow("*.example.com")
            .unwrap()
            .block("*.example.com/admin")
            .unwrap();
        assert_eq!(decide(&policy, "https://a.example.com/"), Decision::Pass);
        assert_eq!(
            decide(&policy, "https://a.example.com/admin/x"),
            Decision::Block
        );
        assert_eq!(decide(&policy, "https://other.org/"), Decision::Block);
    }
}
