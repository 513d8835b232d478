//! Saved browser state: cookies, and localStorage when asked, in the format of Playwright's
//! `storageState` (which the Python SDK's `LocalFileSessionProvider` writes), so that a session
//! signed in once is signed in at the next start, and a file moves between the two SDKs.

use std::fmt;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::browser::Browser;
use crate::error::BrowserError;

/// Cookies and localStorage: `{"cookies": […], "origins": [{"origin", "localStorage": [{"name",
/// "value"}]}]}`. `Debug` shows names only: the values sign a user in.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BrowserState {
    /// The cookies.
    #[serde(default)]
    pub cookies: Vec<Cookie>,
    /// localStorage by origin.
    #[serde(default)]
    pub origins: Vec<OriginStorage>,
}

impl fmt::Debug for BrowserState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cookies: Vec<String> = self
            .cookies
            .iter()
            .map(|c| format!("{}@{}", c.name, c.domain))
            .collect();
        let origins: Vec<&str> = self.origins.iter().map(|o| o.origin.as_str()).collect();
        f.debug_struct("BrowserState")
            .field("cookies", &cookies)
            .field("origins", &origins)
            .finish()
    }
}

/// A cookie, as Playwright's `storageState` writes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Cookie {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: String,
    /// Its domain.
    pub domain: String,
    /// Its path.
    pub path: String,
    /// When it expires, in seconds since the epoch; -1 for a session cookie.
    pub expires: f64,
    /// `HttpOnly`.
    pub http_only: bool,
    /// `Secure`.
    pub secure: bool,
    /// `Strict`, `Lax` or `None`.
    pub same_site: String,
}

/// One origin's localStorage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OriginStorage {
    /// The origin, such as `https://shop.example`.
    pub origin: String,
    /// Its items.
    #[serde(rename = "localStorage")]
    pub local_storage: Vec<StorageItem>,
}

/// A localStorage item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StorageItem {
    /// Its key.
    pub name: String,
    /// Its value.
    pub value: String,
}

impl Browser {
    /// The browser's cookies, and with `local_storage` the localStorage of the page's origin.
    pub async fn state(&self, local_storage: bool) -> Result<BrowserState, BrowserError> {
        let answer = self.page().call("Network.getAllCookies", json!({})).await?;
        let cookies = answer["cookies"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|c| Cookie {
                name: text(&c["name"]),
                value: text(&c["value"]),
                domain: text(&c["domain"]),
                path: text(&c["path"]),
                expires: if c["session"].as_bool().unwrap_or(false) {
                    -1.0
                } else {
                    c["expires"].as_f64().unwrap_or(-1.0)
                },
                http_only: c["httpOnly"].as_bool().unwrap_or(false),
                secure: c["secure"].as_bool().unwrap_or(false),
                same_site: c["sameSite"].as_str().unwrap_or("Lax").to_owned(),
            })
            .collect();
        let mut origins = Vec::new();
        if local_storage {
            let here = self
                .page()
                .evaluate(
                    "(() => { try { return [location.origin, Object.entries(localStorage)]; } \
                     catch (e) { return null; } })()",
                )
                .await?;
            if let (Some(origin), Some(items)) = (here[0].as_str(), here[1].as_array()) {
                let local_storage: Vec<StorageItem> = items
                    .iter()
                    .map(|pair| StorageItem {
                        name: text(&pair[0]),
                        value: text(&pair[1]),
                    })
                    .collect();
                if origin != "null" && !local_storage.is_empty() {
                    origins.push(OriginStorage {
                        origin: origin.to_owned(),
                        local_storage,
                    });
                }
            }
        }
        Ok(BrowserState { cookies, origins })
    }

    /// Restores `state`: its cookies now, its localStorage for every page of those origins
    /// opened from now on; then reloads the page, so it sees them.
    pub async fn restore_state(&self, state: &BrowserState) -> Result<(), BrowserError> {
        let cookies: Vec<Value> = state
            .cookies
            .iter()
            .map(|c| {
                let mut cookie = json!({
                    "name": c.name, "value": c.value, "domain": c.domain, "path": c.path,
                    "httpOnly": c.http_only, "secure": c.secure,
                });
                if c.expires >= 0.0 {
                    cookie["expires"] = json!(c.expires);
                }
                if ["Strict", "Lax", "None"].contains(&c.same_site.as_str()) {
                    cookie["sameSite"] = json!(c.same_site);
                }
                cookie
            })
            .collect();
        if !cookies.is_empty() {
            self.page()
                .call("Network.setCookies", json!({ "cookies": cookies }))
                .await?;
        }
        if !state.origins.is_empty() {
            let by_origin: serde_json::Map<String, Value> = state
                .origins
                .iter()
                .map(|o| {
                    let items: serde_json::Map<String, Value> = o
                        .local_storage
                        .iter()
                        .map(|i| (i.name.clone(), json!(i.value)))
                        .collect();
                    (o.origin.clone(), Value::Object(items))
                })
                .collect();
            let script = format!(
                "(() => {{ const all = {}; const mine = all[location.origin]; \
                 if (!mine || sessionStorage.getItem('nova-state-restored')) return; \
                 for (const [k, v] of Object.entries(mine)) localStorage.setItem(k, v); \
                 sessionStorage.setItem('nova-state-restored', '1'); }})()",
                Value::Object(by_origin)
            );
            self.page()
                .call(
                    "Page.addScriptToEvaluateOnNewDocument",
                    json!({ "source": script }),
                )
                .await?;
        }
        self.page()
            .call("Page.reload", json!({ "ignoreCache": false }))
            .await?;
        self.page().settle(crate::page::Settle::default()).await;
        Ok(())
    }
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// Where saved browser state is kept between runs.
#[async_trait]
pub trait StateStore: Send + Sync + fmt::Debug {
    /// The state saved last, if any.
    async fn load(&self) -> Result<Option<BrowserState>, StateError>;
    /// Saves `state`, replacing what was there.
    async fn save(&self, state: &BrowserState) -> Result<(), StateError>;
}

/// Why saved state could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The file or its folder can be read or written by others.
    #[error("refusing to keep browser state at {}: {reason}", path.display())]
    Unsafe {
        /// The path.
        path: PathBuf,
        /// What is wrong, and what to do.
        reason: String,
    },
    /// Reading or writing failed.
    #[error("cannot read or write browser state at {}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A remote store (S3) failed.
    #[error("browser state at {location}: {message}")]
    Remote {
        /// Where: `s3://bucket/key`.
        location: String,
        /// What went wrong, and what to do.
        message: String,
    },
    /// The file is not a state file.
    #[error("{} is not a browser state file (Playwright's storageState format)", path.display())]
    Format {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
}

/// State in a file only its owner can read: created 0600 from the start (never loosened
/// afterwards), in a folder created 0700 when missing. An existing file with any permission
/// for group or others, or an existing folder that group or others may write, is refused.
///
/// ```no_run
/// use nova_browser::{FileStateStore, StateStore};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let store = FileStateStore::new("state/shop.json")?;
/// if let Some(state) = store.load().await? {
///     println!("{state:?}");
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct FileStateStore {
    path: PathBuf,
}

impl FileStateStore {
    /// A store at `path`, checked now: an unsafe file or folder fails here.
    pub fn new(path: impl AsRef<Path>) -> Result<Self, StateError> {
        let path = path.as_ref().to_owned();
        check_private(&path)?;
        Ok(Self { path })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), StateError> {
    use std::os::unix::fs::PermissionsExt;
    let unsafe_because = |reason: String| StateError::Unsafe {
        path: path.to_owned(),
        reason,
    };
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(unsafe_because(format!(
                "the file's mode is {mode:o}, open to others; `chmod 600` it, or start afresh"
            )));
        }
    }
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Ok(meta) = std::fs::metadata(folder) {
        let mode = meta.permissions().mode() & 0o777;
        let sticky = meta.permissions().mode() & 0o1000 != 0;
        if mode & 0o022 != 0 && !sticky {
            return Err(unsafe_because(format!(
                "its folder {} may be written by others (mode {mode:o}); use a private folder",
                folder.display()
            )));
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), StateError> {
    Ok(())
}

#[async_trait]
impl StateStore for FileStateStore {
    async fn load(&self) -> Result<Option<BrowserState>, StateError> {
        check_private(&self.path)?;
        let text = match std::fs::read(&self.path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(StateError::Io {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        serde_json::from_slice(&text)
            .map(Some)
            .map_err(|source| StateError::Format {
                path: self.path.clone(),
                source,
            })
    }

    async fn save(&self, state: &BrowserState) -> Result<(), StateError> {
        let io = |source| StateError::Io {
            path: self.path.clone(),
            source,
        };
        let folder = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !folder.exists() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(folder).map_err(io)?;
        }
        check_private(&self.path)?;
        let text = serde_json::to_vec_pretty(state).map_err(|source| StateError::Format {
            path: self.path.clone(),
            source,
        })?;
        // Written beside it, private from the first byte, then moved over it.
        let temporary = folder.join(format!(
            ".{}.{}.tmp",
            self.path
                .file_name()
                .map_or_else(|| "state".into(), |n| n.to_string_lossy()),
            std::process::id()
        ));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let _ = std::fs::remove_file(&temporary);
        let written = options
            .open(&temporary)
            .and_then(|mut file| std::io::Write::write_all(&mut file, &text));
        if let Err(err) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(io(err));
        }
        std::fs::rename(&temporary, &self.path).map_err(io)
    }
}
