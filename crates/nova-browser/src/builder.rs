//! Settings for a browser, and starting one: launched on this machine, attached to a running
//! one over DevTools, or hosted for the emulator's relay.
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use nova_act_core::runtime::{Decision, UrlPolicy};
use nova_auth::Env;
use serde_json::{Value, json};

use crate::browser::Browser;
use crate::cdp::{Connection, auto_attach, text_field, without_query};
use crate::error::BrowserError;
#[cfg(feature = "host")]
use crate::host::HostedBrowser;
use crate::launch::{BASE_ARGS, PIPE, Process, Wire, find_executable, private_dir};
use crate::page::{Page, Settle};
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
    nova_auth::setters! {
        /// The Chrome or Chromium executable (otherwise `CHROME_PATH`, then the usual places).
        executable(path: impl Into<PathBuf>) => executable = Some(path.into());
        /// Headless or with a window (otherwise `NOVA_ACT_HEADLESS`, default headless).
        headless(headless: bool) => headless = Some(headless);
        /// Keeps Chromium's sandbox on. It is off by default, as in Playwright, because it cannot
        /// start as root or in most containers; turn it on when the pages are untrusted and the
        /// machine allows it.
        sandbox(sandbox: bool) => sandbox = sandbox;
        /// The window and viewport size in CSS pixels (default 1600 × 900).
        window_size(width: u32, height: u32) => window = (width.max(1), height.max(1));
        /// Sends every request through `proxy`.
        proxy(proxy: Proxy) => proxy = Some(proxy);
        /// Saves downloads into `folder` (created if missing) and reports each finished one, to the
        /// agent in the result of the action that caused it and to you in [`Browser::downloads`].
        /// Without a folder, downloads are refused.
        downloads_dir(folder: impl Into<PathBuf>) => downloads = Some(folder.into());
        /// Accepts pages whose TLS certificate does not verify (self-signed, expired, another
        /// host's). For test sites only: it also hides a man in the middle.
        ignore_https_errors(ignore: bool) => ignore_https_errors = ignore;
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

    /// The page the agent drives, on tab `target`: the tabs pages open announced (so the
    /// actuator can follow them), the tab attached, and the starting page opened.
    async fn open_page(
        &self,
        connection: &Arc<Connection>,
        target: &str,
    ) -> Result<Page, BrowserError> {
        connection
            .call(
                None,
                "Target.setDiscoverTargets",
                json!({ "discover": true }),
            )
            .await?;
        let page = Page::attach(Arc::clone(connection), target, self.window).await?;
        if let Some(url) = &self.starting_page {
            page.goto(url, self.settle).await?;
        }
        Ok(page)
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

    nova_auth::setters! {
        /// The user agent the browser announces.
        user_agent(user_agent: impl Into<String>) => user_agent = Some(user_agent.into());
        /// Uses (and keeps) this profile folder instead of a fresh temporary one.
        user_data_dir(dir: impl Into<PathBuf>) => user_data_dir = Some(dir.into());
    }

    /// Passes an extra command-line argument to the browser.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    nova_auth::setters! {
        /// Opens `url` once the browser is up.
        starting_page(url: impl Into<String>) => starting_page = Some(url.into());
        /// Sends a simplified DOM (visible text and controls with their boxes) with every
        /// observation.
        simplified_dom(on: bool) => simplified_dom = on;
        /// JPEG quality of observation screenshots, 1..=100 (default 80).
        jpeg_quality(quality: u8) => jpeg_quality = quality.clamp(1, 100);
        /// When a page counts as settled after navigating, clicking or pressing Enter.
        settle(settle: Settle) => settle = settle;
        /// How long the browser may take to start (default 30 s).
        launch_timeout(timeout: Duration) => launch_timeout = timeout;
        /// How long one DevTools command may take (default 30 s).
        command_timeout(timeout: Duration) => command_timeout = timeout;
        /// Reads `CHROME_PATH`, `NOVA_ACT_HEADLESS` and `PATH` from `env` instead of the process.
        env(env: Env) => env = Some(env);
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
    /// they are (feature `host`; how `nova-emulator` plays a remote browser service). The settings that shape
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
    #[cfg(feature = "host")]
    pub async fn host(self) -> Result<HostedBrowser, BrowserError> {
        let env = self.env.clone().unwrap_or_else(Env::process);
        let headless = self.headless.unwrap_or(true);
        let (mut process, wire, _) = self.spawn(headless, &env).await?;
        let channels = match wire {
            #[cfg(unix)]
            Wire::Pipe {
                to_browser,
                from_browser,
            } => crate::channel::pipe(to_browser, from_browser),
            Wire::WebSocket(url) => crate::channel::websocket(&url, &[], self.launch_timeout).await,
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
        let page = self.open_page(&connection, &target).await?;
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
        let page = self.open_page(&connection, &target).await?;
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
