//! The browser, driven as an [`Actuator`]: each of the agent's actions on its page, its
//! downloads and uploads, and closing it. Starting one is the builder's (`builder.rs`).
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use nova_act_core::runtime::{Actuator, BrowserAction, CallError, ClickType, ScrollDirection};
use serde_json::{Value, json};

use crate::builder::BrowserBuilder;
use crate::cdp::{Connection, without_query};
use crate::error::BrowserError;
use crate::launch::Process;
use crate::page::{MouseButton, Page, Settle, viewport_of};

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
    pub(crate) page: Page,
    pub(crate) connection: Arc<Connection>,
    /// The process this browser launched; none when attached to a running one.
    pub(crate) process: Option<Process>,
    pub(crate) profile_path: Option<PathBuf>,
    /// Tabs this browser opened in a browser it attached to: closed on detach.
    pub(crate) opened: Vec<String>,
    pub(crate) simplified_dom: bool,
    pub(crate) jpeg_quality: u8,
    pub(crate) settle: Settle,
    pub(crate) downloads_dir: Option<PathBuf>,
    pub(crate) downloads: Vec<PathBuf>,
    pub(crate) command_timeout: Duration,
    pub(crate) upload_folders: Vec<PathBuf>,
    /// The viewport of the last observation: the agent's boxes are fractions of it.
    pub(crate) seen_viewport: Option<(u32, u32)>,
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

    async fn typing_origin(&mut self, target: &nova_act_core::runtime::BBox) -> Option<String> {
        let (x, y) = self.pixels(*target);
        let call = format!("({})({x}, {y})", crate::scripts::TYPING_ORIGIN);
        match self.page.evaluate(&call).await {
            Ok(serde_json::Value::String(url)) => Some(url),
            _ => self.current_url().await,
        }
    }

    async fn mark_secret(&mut self, shown: &str) {
        let shown = serde_json::Value::from(shown);
        let call = format!("({})({shown})", crate::scripts::MARK_SECRET);
        if let Err(err) = self.page.evaluate(&call).await {
            tracing::debug!(error = %err, "could not mark the field holding a secret");
        }
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
