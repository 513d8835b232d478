//! The browser: launched, connected, and driven as an [`Actuator`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use nova_act_core::runtime::{
    Actuator, BrowserAction, CallError, ClickType, Decision, ScrollDirection, UrlPolicy,
};
use nova_auth::Env;
use serde_json::{Value, json};

use crate::cdp::{Connection, auto_attach, text_field, without_query};
use crate::error::BrowserError;
use crate::host::HostedBrowser;
use crate::launch::{BASE_ARGS, PIPE, Process, Wire, find_executable, private_dir};
use crate::page::{MouseButton, Page, Settle, viewport_of};
use crate::proxy::Proxy;
use crate::remote::Remote;

/// The window size used unless one is set.
pub const DEFAULT_WINDOW: (u32, u32) = (1600, 900);

/// Settings for [`Browser`]; [`Browser::builder`] makes one.
#[derive(Debug)]
#[must_use]
pub struct BrowserBuilder {
    executable: Option<PathBuf>,
    headless: Option<bool>,
    sandbox: bool,
    window: (u32, u32),
    user_data_dir: Option<PathBuf>,
    args: Vec<String>,
    starting_page: Option<String>,
    simplified_dom: bool,
    jpeg_quality: u8,
    settle: Settle,
    launch_timeout: Duration,
    command_timeout: Duration,
    env: Option<Env>,
    proxy: Option<Proxy>,
    downloads: Option<PathBuf>,
    ignore_https_errors: bool,
    user_agent: Option<String>,
    upload_folders: Vec<PathBuf>,
    url_policy: Option<UrlPolicy>,
}

impl Default for BrowserBuilder {
    fn default() -> Self {
        Self {
            executable: None,
            headless: None,
            sandbox: false,
            window: DEFAULT_WINDOW,
            user_data_dir: None,
            args: Vec::new(),
            starting_page: None,
            simplified_dom: false,
            jpeg_quality: 80,
            settle: Settle::default(),
            launch_timeout: Duration::from_secs(30),
            command_timeout: Duration::from_secs(30),
            env: None,
            proxy: None,
            downloads: None,
            ignore_https_errors: false,
            user_agent: None,
            upload_folders: Vec::new(),
            url_policy: None,
        }
    }
}

impl BrowserBuilder {
    /// The Chrome or Chromium executable (otherwise `CHROME_PATH`, then the usual places).
    pub fn executable(mut self, path: impl Into<PathBuf>) -> Self {
        self.executable = Some(path.into());
        self
    }

    /// Headless or with a window (otherwise `NOVA_ACT_HEADLESS`, default headless).
    pub fn headless(mut self, headless: bool) -> Self {
        self.headless = Some(headless);
        self
    }

    /// Keeps Chromium's sandbox on. It is off by default, as in Playwright, because it cannot
    /// start as root or in most containers; turn it on when the pages are untrusted and the
    /// machine allows it.
    pub fn sandbox(mut self, sandbox: bool) -> Self {
        self.sandbox = sandbox;
        self
    }

    /// The window and viewport size in CSS pixels (default 1600 × 900).
    pub fn window_size(mut self, width: u32, height: u32) -> Self {
        self.window = (width.max(1), height.max(1));
        self
    }

    /// Sends every request through `proxy`.
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.proxy = Some(proxy);
        self
    }

    /// Saves downloads into `folder` (created if missing) and reports each finished one, to the
    /// agent in the result of the action that caused it and to you in [`Browser::downloads`].
    /// Without a folder, downloads are refused.
    pub fn downloads_dir(mut self, folder: impl Into<PathBuf>) -> Self {
        self.downloads = Some(folder.into());
        self
    }

    /// Accepts pages whose TLS certificate does not verify (self-signed, expired, another
    /// host's). For test sites only: it also hides a man in the middle.
    pub fn ignore_https_errors(mut self, ignore: bool) -> Self {
        self.ignore_https_errors = ignore;
        self
    }

    /// Lets pages receive files from `folder` (and below it): when the agent types a path into
    /// a file input, the file is attached if it is under an allowed folder, and the call fails
    /// otherwise. Without any, uploads are refused.
    pub fn allow_uploads_from(mut self, folder: impl Into<PathBuf>) -> Self {
        self.upload_folders.push(folder.into());
        self
    }

    /// Refuses, at the browser, every request to a URL `policy` blocks: navigations, and every
    /// request a page makes (frames, scripts, images, `fetch`, workers' requests, beacons),
    /// also in the tabs and frames it opens. Each request pauses before it is sent and a
    /// blocked one fails with `net::ERR_BLOCKED_BY_CLIENT`, so it never leaves the browser. A
    /// blocked starting page fails the start ([`BrowserError::StartingPageBlocked`]) before
    /// anything runs; otherwise the tab opens on `about:blank` and navigates once requests
    /// pause. WebSocket handshakes do not pause and are not refused here (see the guide).
    ///
    /// Give the same policy to the act as its guardrail, so that the act also stops on a page
    /// the policy blocks.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use nova_act_core::runtime::UrlPolicy;
    /// use nova_browser::Browser;
    ///
    /// let policy = UrlPolicy::new().block("*.ads.example")?;
    /// let browser = Browser::builder()
    ///     .url_policy(policy)
    ///     .starting_page("https://shop.example")
    ///     .launch()
    ///     .await?;
    /// # drop(browser); Ok(()) }
    /// ```
    pub fn url_policy(mut self, policy: UrlPolicy) -> Self {
        self.url_policy = Some(policy);
        self
    }

    /// With a URL policy, makes every request of our targets pause before it is sent, from
    /// each target's start: tabs pages open are attached by the browser and wait for us.
    async fn pause_requests(&self, connection: &Connection) -> Result<(), BrowserError> {
        let Some(policy) = &self.url_policy else {
            return Ok(());
        };
        connection.set_policy(policy.clone());
        connection
            .call(None, "Target.setAutoAttach", auto_attach())
            .await
            .map(drop)
    }

    /// Refuses a starting page the URL policy blocks, before anything starts.
    fn check_starting_page(&self) -> Result<(), BrowserError> {
        match (&self.url_policy, &self.starting_page) {
            (Some(policy), Some(url)) if policy.decide(url) == Decision::Block => {
                Err(BrowserError::StartingPageBlocked {
                    url: without_query(url).to_owned(),
                })
            }
            _ => Ok(()),
        }
    }

    /// The user agent the browser announces.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Uses (and keeps) this profile folder instead of a fresh temporary one.
    pub fn user_data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.user_data_dir = Some(dir.into());
        self
    }

    /// Passes an extra command-line argument to the browser.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Opens `url` once the browser is up.
    pub fn starting_page(mut self, url: impl Into<String>) -> Self {
        self.starting_page = Some(url.into());
        self
    }

    /// Sends a simplified DOM (visible text and controls with their boxes) with every
    /// observation.
    pub fn simplified_dom(mut self, on: bool) -> Self {
        self.simplified_dom = on;
        self
    }

    /// JPEG quality of observation screenshots, 1..=100 (default 80).
    pub fn jpeg_quality(mut self, quality: u8) -> Self {
        self.jpeg_quality = quality.clamp(1, 100);
        self
    }

    /// When a page counts as settled after navigating, clicking or pressing Enter.
    pub fn settle(mut self, settle: Settle) -> Self {
        self.settle = settle;
        self
    }

    /// How long the browser may take to start (default 30 s).
    pub fn launch_timeout(mut self, timeout: Duration) -> Self {
        self.launch_timeout = timeout;
        self
    }

    /// How long one DevTools command may take (default 30 s).
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }

    /// Reads `CHROME_PATH`, `NOVA_ACT_HEADLESS` and `PATH` from `env` instead of the process.
    pub fn env(mut self, env: Env) -> Self {
        self.env = Some(env);
        self
    }

    fn headless_setting(&self, env: &Env) -> Result<bool, BrowserError> {
        if let Some(headless) = self.headless {
            return Ok(headless);
        }
        match env.get("NOVA_ACT_HEADLESS") {
            None => Ok(true),
            Some(value) => match value.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(BrowserError::Config(format!(
                    "NOVA_ACT_HEADLESS is {value:?}; use true or false"
                ))),
            },
        }
    }

    /// The command line, without the executable.
    fn command_line(&self, headless: bool, profile: &std::path::Path) -> Vec<String> {
        let mut args: Vec<String> = BASE_ARGS.iter().map(|a| (*a).to_owned()).collect();
        if headless {
            args.push("--headless".to_owned());
            args.push("--hide-scrollbars".to_owned());
        }
        if !self.sandbox {
            args.push("--no-sandbox".to_owned());
        }
        args.push(format!("--window-size={},{}", self.window.0, self.window.1));
        if let Some(proxy) = &self.proxy {
            args.push(format!("--proxy-server={}", proxy.server()));
        }
        if self.ignore_https_errors {
            args.push("--ignore-certificate-errors".to_owned());
        }
        if let Some(agent) = &self.user_agent {
            args.push(format!("--user-agent={agent}"));
        }
        args.push(format!("--user-data-dir={}", profile.display()));
        if PIPE {
            // No TCP port: no other process on the machine can attach to the browser.
            args.push("--remote-debugging-pipe".to_owned());
        } else {
            args.push("--remote-debugging-address=127.0.0.1".to_owned());
            args.push("--remote-debugging-port=0".to_owned());
        }
        args.extend(self.args.iter().cloned());
        args.push("about:blank".to_owned());
        args
    }

    /// Starts the browser process (in its own temporary profile unless one is set).
    async fn spawn(
        &self,
        headless: bool,
        env: &Env,
    ) -> Result<(Process, Wire, PathBuf), BrowserError> {
        let path = find_executable(self.executable.as_deref(), env)?;
        let (profile, profile_path) = match &self.user_data_dir {
            Some(dir) => (None, dir.clone()),
            None => {
                let dir = private_dir("nova-browser-")?;
                let path = dir.path().to_owned();
                (Some(dir), path)
            }
        };
        let args = self.command_line(headless, &profile_path);
        let (process, wire) = Process::start(path, args, profile, self.launch_timeout).await?;
        Ok((process, wire, profile_path))
    }

    /// Starts a browser for another program to drive, handing over its DevTools messages as
    /// they are (how `nova-emulator` plays a remote browser service). The settings that shape
    /// a launch apply; `headless` defaults to true here, whatever `NOVA_ACT_HEADLESS` says.
    /// Stop it with [`HostedBrowser::stop`].
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), nova_browser::BrowserError> {
    /// let mut hosted = nova_browser::Browser::builder().host().await?;
    /// let mut devtools = hosted.take_devtools().expect("taken once");
    /// devtools.send(r#"{"id":1,"method":"Browser.getVersion"}"#.to_owned()).await?;
    /// println!("{:?}", devtools.next().await);
    /// hosted.stop().await;
    /// # Ok(()) }
    /// ```
    pub async fn host(self) -> Result<HostedBrowser, BrowserError> {
        let env = self.env.clone().unwrap_or_else(Env::process);
        let headless = self.headless.unwrap_or(true);
        let (mut process, wire, _) = self.spawn(headless, &env).await?;
        let channels = match wire {
            #[cfg(unix)]
            Wire::Pipe {
                to_browser,
                from_browser,
            } => crate::cdp::pipe(to_browser, from_browser),
            Wire::WebSocket(url) => crate::cdp::websocket(&url, &[], self.launch_timeout).await,
        };
        match channels {
            Ok((to_browser, from_browser)) => {
                HostedBrowser::confirm(process, to_browser, from_browser, self.launch_timeout).await
            }
            Err(err) => {
                process.failed(Some(&err.to_string())).await;
                Err(err)
            }
        }
    }

    /// Starts the browser, opens a tab and, if set, the starting page.
    pub async fn launch(self) -> Result<Browser, BrowserError> {
        let env = self.env.clone().unwrap_or_else(Env::process);
        let headless = self.headless_setting(&env)?;
        self.check_starting_page()?;
        // Checked before a process starts, so a bad folder leaves nothing behind.
        let downloads = match &self.downloads {
            Some(folder) => Some(downloads_folder(folder)?),
            None => None,
        };
        let (mut process, wire, profile_path) = self.spawn(headless, &env).await?;
        let connection = Arc::new(match wire {
            #[cfg(unix)]
            Wire::Pipe {
                to_browser,
                from_browser,
            } => {
                let connection =
                    match Connection::over_pipe(to_browser, from_browser, self.command_timeout) {
                        Ok(connection) => connection,
                        Err(err) => {
                            process.failed(Some(&err.to_string())).await;
                            return Err(err);
                        }
                    };
                // The first answer shows the browser is up; silence or a closed pipe means it
                // did not start, and its output says why.
                let version = connection
                    .call_within(None, "Browser.getVersion", json!({}), self.launch_timeout)
                    .await;
                if let Err(err) = version {
                    let reason = match err {
                        BrowserError::Timeout { .. } => format!(
                            "it did not answer on its DevTools pipe within {}",
                            humantime::format_duration(self.launch_timeout)
                        ),
                        _ => "it exited".to_owned(),
                    };
                    return Err(process.failed(Some(&reason)).await);
                }
                connection
            }
            Wire::WebSocket(url) => Connection::connect(&url, &[], self.command_timeout).await?,
        });
        if let Some((username, password)) = self.proxy.as_ref().and_then(Proxy::auth) {
            connection.set_proxy_auth(username, password.clone());
        }
        self.pause_requests(&connection).await?;
        let behavior = match &downloads {
            Some(folder) => json!({
                "behavior": "allowAndName",
                "downloadPath": folder,
                "eventsEnabled": true,
            }),
            None => json!({ "behavior": "deny" }),
        };
        connection
            .call(None, "Browser.setDownloadBehavior", behavior)
            .await?;
        let created = connection
            .call(None, "Target.createTarget", json!({ "url": "about:blank" }))
            .await?;
        let target = text_field(&created, "targetId", "Target.createTarget")?;
        close_other_tabs(&connection, &target).await;
        // Announces the tabs pages open, so the actuator can follow them.
        connection
            .call(
                None,
                "Target.setDiscoverTargets",
                json!({ "discover": true }),
            )
            .await?;
        let page = Page::attach(Arc::clone(&connection), &target, self.window).await?;
        if let Some(url) = &self.starting_page {
            page.goto(url, self.settle).await?;
        }
        tracing::debug!(pid = process.id(), headless, "browser ready");
        Ok(Browser {
            page,
            connection,
            process: Some(process),
            profile_path: Some(profile_path),
            opened: Vec::new(),
            simplified_dom: self.simplified_dom,
            jpeg_quality: self.jpeg_quality,
            settle: self.settle,
            downloads_dir: downloads,
            downloads: Vec::new(),
            command_timeout: self.command_timeout,
            upload_folders: self
                .upload_folders
                .iter()
                .filter_map(|folder| std::fs::canonicalize(folder).ok())
                .collect(),
            seen_viewport: None,
        })
    }
}

impl BrowserBuilder {
    /// Attaches to a browser that is already running (a Chromium started elsewhere, or a remote
    /// one such as an Amazon Bedrock AgentCore Browser session) instead of launching one.
    ///
    /// The settings that shape the actuator apply (window size, simplified DOM, JPEG quality,
    /// settling, timeouts, starting page, URL policy); those that shape a launch do not (executable,
    /// headless, sandbox, profile, arguments, proxy, downloads, certificate errors, user agent).
    /// The browser is not owned: closing it detaches, closing only the tab it opened, and
    /// never stops the browser.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), nova_browser::BrowserError> {
    /// use nova_browser::{Browser, Remote};
    ///
    /// let remote = Remote::new("ws://127.0.0.1:9222/devtools/browser/5f1c…")?;
    /// let mut browser = Browser::builder().simplified_dom(true).connect(remote).await?;
    /// println!("{}", browser.page().url().await?);
    /// browser.close().await; // detaches; the browser keeps running
    /// # Ok(()) }
    /// ```
    pub async fn connect(self, remote: Remote) -> Result<Browser, BrowserError> {
        self.check_starting_page()?;
        let connection = Arc::new(
            Connection::connect(remote.url(), remote.headers(), self.launch_timeout).await?,
        );
        connection.share_browser();
        self.pause_requests(&connection).await?;
        let mut opened = Vec::new();
        let target = if remote.uses_existing_page() {
            let targets = connection
                .call(None, "Target.getTargets", json!({}))
                .await?;
            targets
                .get("targetInfos")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|info| info.get("type").and_then(Value::as_str) == Some("page"))
                .find_map(|info| info.get("targetId").and_then(Value::as_str))
                .map(str::to_owned)
                .ok_or_else(|| {
                    BrowserError::Config(
                        "the browser has no open tab to use; connect without existing_page(true) \
                         to open one"
                            .to_owned(),
                    )
                })?
        } else {
            let created = connection
                .call(None, "Target.createTarget", json!({ "url": "about:blank" }))
                .await?;
            let target = text_field(&created, "targetId", "Target.createTarget")?;
            opened.push(target.clone());
            target
        };
        connection
            .call(
                None,
                "Target.setDiscoverTargets",
                json!({ "discover": true }),
            )
            .await?;
        let page = Page::attach(Arc::clone(&connection), &target, self.window).await?;
        if let Some(url) = &self.starting_page {
            page.goto(url, self.settle).await?;
        }
        tracing::debug!(target_id = %target, "attached to a running browser");
        Ok(Browser {
            page,
            connection,
            process: None,
            profile_path: None,
            opened,
            simplified_dom: self.simplified_dom,
            jpeg_quality: self.jpeg_quality,
            settle: self.settle,
            downloads_dir: None,
            downloads: Vec::new(),
            command_timeout: self.command_timeout,
            upload_folders: Vec::new(),
            seen_viewport: None,
        })
    }
}

/// `folder`, created if missing, as an absolute path once a file can be written there.
fn downloads_folder(folder: &std::path::Path) -> Result<PathBuf, BrowserError> {
    let fail = |source| BrowserError::Downloads {
        path: folder.to_owned(),
        source,
    };
    std::fs::create_dir_all(folder).map_err(fail)?;
    let folder = std::fs::canonicalize(folder).map_err(fail)?;
    let probe = folder.join(format!(".nova-browser-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)?;
    Ok(folder)
}

/// A file name the page suggested, made safe to use in the downloads folder: no folders, no
/// hidden or empty names.
fn safe_name(suggested: &str) -> String {
    let name: String = suggested
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let name = name.trim().trim_start_matches('.');
    if name.is_empty() {
        "download".to_owned()
    } else {
        name.to_owned()
    }
}

/// Closes the tab Chromium opened at start, so the browser has only ours.
async fn close_other_tabs(connection: &Connection, ours: &str) {
    let Ok(targets) = connection.call(None, "Target.getTargets", json!({})).await else {
        return;
    };
    let infos = targets
        .get("targetInfos")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for info in infos {
        let id = info.get("targetId").and_then(Value::as_str).unwrap_or(ours);
        if info.get("type").and_then(Value::as_str) == Some("page") && id != ours {
            let _ = connection
                .call(None, "Target.closeTarget", json!({ "targetId": id }))
                .await;
        }
    }
}

/// A Chrome or Chromium browser with one tab, driven over the DevTools Protocol.
///
/// It is an [`Actuator`]: hand it to a session and acts drive it. The browser stops when the
/// value is dropped — also when a workflow fails or panics — killing every process it started
/// and removing its temporary profile. [`Browser::close`] stops it gracefully.
///
/// ```no_run
/// # async fn example() -> Result<(), nova_browser::BrowserError> {
/// use nova_browser::Browser;
///
/// let mut browser = Browser::builder()
///     .starting_page("https://example.com")
///     .launch()
///     .await?;
/// println!("{}", browser.page().url().await?);
/// browser.close().await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Browser {
    page: Page,
    connection: Arc<Connection>,
    /// The process this browser launched; none when attached to a running one.
    process: Option<Process>,
    profile_path: Option<PathBuf>,
    /// Tabs this browser opened in a browser it attached to: closed on detach.
    opened: Vec<String>,
    simplified_dom: bool,
    jpeg_quality: u8,
    settle: Settle,
    downloads_dir: Option<PathBuf>,
    downloads: Vec<PathBuf>,
    command_timeout: Duration,
    upload_folders: Vec<PathBuf>,
    /// The viewport of the last observation: the agent's boxes are fractions of it.
    seen_viewport: Option<(u32, u32)>,
}

impl Browser {
    /// Settings for a browser.
    pub fn builder() -> BrowserBuilder {
        BrowserBuilder::default()
    }

    /// `typed` as a file pages may receive: an existing file under an allowed folder.
    fn upload_path(&self, typed: &str) -> Result<PathBuf, CallError> {
        let refused = |why: &str| {
            CallError::new(
                "UploadRefused",
                format!("{typed} cannot be uploaded: {why}"),
            )
        };
        let path =
            std::fs::canonicalize(typed.trim()).map_err(|_| refused("there is no such file"))?;
        if !self
            .upload_folders
            .iter()
            .any(|folder| path.starts_with(folder))
        {
            return Err(refused(
                "uploads are allowed only from the folders the browser was given",
            ));
        }
        if !path.is_file() {
            return Err(refused("it is not a file"));
        }
        Ok(path)
    }

    /// The files downloaded so far, in the order they finished (see
    /// [`BrowserBuilder::downloads_dir`]).
    pub fn downloads(&self) -> &[PathBuf] {
        &self.downloads
    }

    /// Gives the downloads finished since the last look their names, waiting for any still
    /// running (up to the command timeout); the new files.
    async fn collect_downloads(&mut self) -> Vec<PathBuf> {
        let Some(folder) = self.downloads_dir.clone() else {
            return Vec::new();
        };
        let deadline = tokio::time::Instant::now() + self.command_timeout;
        let mut fresh = Vec::new();
        loop {
            let (done, running) = self.connection.take_downloads();
            for (guid, suggested) in done {
                let name = safe_name(&suggested);
                let mut path = folder.join(&name);
                for n in 1.. {
                    if !path.exists() {
                        break;
                    }
                    path = folder.join(format!("{n}-{name}"));
                }
                match std::fs::rename(folder.join(&guid), &path) {
                    Ok(()) => fresh.push(path),
                    Err(err) => tracing::warn!(error = %err, "a finished download is missing"),
                }
            }
            if running == 0 || tokio::time::Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.downloads.extend(fresh.iter().cloned());
        fresh
    }

    /// Starts a browser with the default settings (headless unless `NOVA_ACT_HEADLESS=false`).
    pub async fn launch() -> Result<Self, BrowserError> {
        Self::builder().launch().await
    }

    /// The tab, for what the actuator does not cover.
    pub fn page(&self) -> &Page {
        &self.page
    }

    /// The browser's process id.
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().and_then(Process::id)
    }

    /// The profile folder in use (temporary unless one was given); none for a browser this one
    /// attached to.
    pub fn user_data_dir(&self) -> Option<&std::path::Path> {
        self.profile_path.as_deref()
    }

    /// Whether this browser was attached to a running one ([`BrowserBuilder::connect`]) rather
    /// than launched.
    pub fn is_attached(&self) -> bool {
        self.process.is_none()
    }

    /// A launched browser: asks it to quit, waits briefly, kills whatever is left, and removes
    /// its temporary profile and scratch folders. An attached browser: closes the tab it opened
    /// (if any) and detaches, leaving the browser and its other tabs running. Afterwards this
    /// value can no longer be used.
    pub async fn close(&mut self) {
        self.shut_down().await;
    }

    async fn shut_down(&mut self) {
        let Some(process) = self.process.as_mut() else {
            for target in std::mem::take(&mut self.opened) {
                let close =
                    self.connection
                        .call(None, "Target.closeTarget", json!({ "targetId": target }));
                let _ = tokio::time::timeout(Duration::from_secs(2), close).await;
            }
            self.connection.detach();
            return;
        };
        let _ = tokio::time::timeout(
            Duration::from_secs(2),
            self.connection.call(None, "Browser.close", json!({})),
        )
        .await;
        process.stop(Duration::from_secs(3)).await;
    }

    /// The centre of `target` in CSS pixels of the viewport the agent last saw (the page's
    /// real one, which is the one set unless something changed it), not merely the one asked
    /// for.
    fn pixels(&self, target: nova_act_core::runtime::BBox) -> (f64, f64) {
        let (width, height) = self.seen_viewport.unwrap_or_else(|| self.page.viewport());
        target
            .to_pixels(f64::from(width), f64::from(height))
            .center()
    }

    /// Moves to the tab the last action opened, if it opened one (the old tab stays open).
    async fn follow_new_tab(&mut self) -> Result<(), BrowserError> {
        if let Some(tab) = self.page.opened_tab().await? {
            tracing::debug!(target_id = tab.target_id(), "following a new tab");
            tab.call("Page.bringToFront", json!({})).await?;
            tab.settle(self.settle).await;
            self.page = tab;
            self.seen_viewport = None;
        }
        Ok(())
    }

    async fn perform(&mut self, action: BrowserAction) -> Result<Value, CallError> {
        let page = &self.page;
        match action {
            BrowserAction::Click { target, click_type } => {
                let at = self.pixels(target);
                let (button, count) = match click_type {
                    ClickType::Left => (MouseButton::Left, 1),
                    ClickType::Right => (MouseButton::Right, 1),
                    ClickType::Double => (MouseButton::Left, 2),
                };
                page.click(at, button, count).await?;
                page.settle(self.settle).await;
                self.follow_new_tab().await?;
            }
            BrowserAction::Hover { target } => page.hover(self.pixels(target)).await?,
            BrowserAction::Scroll { direction, target } => {
                let direction = match direction {
                    ScrollDirection::Up => "up",
                    ScrollDirection::Down => "down",
                    ScrollDirection::Left => "left",
                    ScrollDirection::Right => "right",
                };
                let at = target.map(|t| self.pixels(t));
                return Ok(page.scroll(direction, at).await?);
            }
            BrowserAction::Type {
                value,
                target,
                press_enter,
            } => {
                page.click(self.pixels(target), MouseButton::Left, 1)
                    .await?;
                // What was clicked decides how typing goes, in one round trip: a file input
                // takes a path (attached, if uploads are allowed from where it is), and a
                // password field's value must not reach a trace.
                let focused = page
                    .evaluate("document.activeElement?.type ?? null")
                    .await?;
                if focused == "file" {
                    let path = self.upload_path(&value)?;
                    page.set_active_file(&path).await?;
                    return Ok(
                        json!({ "uploaded": path.file_name().map(|n| n.to_string_lossy()) }),
                    );
                }
                let secret = focused == "password";
                page.type_text(&value).await?;
                if press_enter {
                    page.press_enter().await?;
                    page.settle(self.settle).await;
                    self.follow_new_tab().await?;
                }
                if secret {
                    return Ok(json!({ nova_act_core::runtime::SENSITIVE: true }));
                }
            }
            BrowserAction::GoToUrl { url } => page.goto(&url, self.settle).await?,
            BrowserAction::Wait { seconds } => {
                tokio::time::sleep(Duration::try_from_secs_f64(seconds).unwrap_or_default()).await;
            }
            BrowserAction::WaitForPageToSettle => page.settle(self.settle).await,
            BrowserAction::TakeObservation => {
                let observation = page.observe(self.jpeg_quality, self.simplified_dom).await?;
                self.seen_viewport = viewport_of(&observation.browser_dimensions);
                return Ok(json!(observation));
            }
            BrowserAction::Think { .. } => {}
            other => return Err(CallError::unsupported(other.name())),
        }
        Ok(Value::Null)
    }
}

#[async_trait]
impl Actuator for Browser {
    async fn close(&mut self) {
        self.shut_down().await;
    }

    async fn current_url(&mut self) -> Option<String> {
        let url = self.page.url().await.ok()?;
        if !url.starts_with("chrome-error:") {
            return Some(url);
        }
        // A page that failed to load (refused by the URL policy, say) shows Chromium's error
        // page; what it tried to open is the entry in the tab's history, and is what a
        // guardrail must judge.
        let history = self
            .page
            .call("Page.getNavigationHistory", json!({}))
            .await
            .ok()?;
        let current = history.get("currentIndex").and_then(Value::as_u64)?;
        history
            .pointer(&format!("/entries/{current}/url"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or(Some(url))
    }

    /// Quality 40 at three quarters of the size, then 20 at half, then 10 at half without the
    /// simplified DOM: each a fraction of the bytes of the one before.
    async fn smaller_observation(&mut self, attempt: u32) -> Option<Result<Value, CallError>> {
        let (quality, scale, dom) = match attempt {
            1 => (40, 0.75, self.simplified_dom),
            2 => (20, 0.5, self.simplified_dom),
            3 => (10, 0.5, false),
            _ => return None,
        };
        let observed = self
            .page
            .observe_scaled(quality.min(self.jpeg_quality), scale, dom)
            .await;
        Some(match observed {
            Ok(observation) => {
                self.seen_viewport = viewport_of(&observation.browser_dimensions);
                Ok(json!(observation))
            }
            Err(err) => Err(err.into()),
        })
    }

    async fn browser(&mut self, action: BrowserAction) -> Result<Value, CallError> {
        let name = action.name();
        tracing::debug!(action = name, "browser action");
        let mut outcome = self.perform(action).await;
        let refused = self.connection.take_refused();
        if !refused.is_empty() {
            // The agent learns what the policy refused, so that it does not try again (the
            // URLs without their queries, which may carry secrets).
            let mut shown: Vec<&str> = refused.iter().map(|url| without_query(url)).collect();
            shown.dedup();
            shown.truncate(10);
            outcome = outcome.map(|value| with_member(value, "refusedByUrlPolicy", json!(shown)));
        }
        let fresh = self.collect_downloads().await;
        if !fresh.is_empty() {
            // The agent learns the files' names; where they are stays on this machine.
            let names: Vec<String> = fresh
                .iter()
                .filter_map(|path| Some(path.file_name()?.to_string_lossy().into_owned()))
                .collect();
            outcome = outcome.map(|value| with_member(value, "downloads", json!(names)));
        }
        if let Err(err) = &outcome {
            tracing::debug!(action = name, error = %err, "browser action failed");
        }
        outcome
    }
}

/// An action's result with `name` added: to its object, or as the object when it had none;
/// another value is returned as it is.
fn with_member(value: Value, name: &str, member: Value) -> Value {
    match value {
        Value::Object(mut map) => {
            map.insert(name.to_owned(), member);
            Value::Object(map)
        }
        Value::Null => json!({ name: member }),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::safe_name;

    #[test]
    fn suggested_names_stay_inside_the_downloads_folder() {
        assert_eq!(safe_name("report.txt"), "report.txt");
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(safe_name(".bashrc"), "bashrc");
        assert_eq!(safe_name("../"), "download");
        assert_eq!(safe_name("a\u{0}b"), "ab");
    }
}
