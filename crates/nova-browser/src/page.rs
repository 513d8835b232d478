//! One browser tab, reached over its DevTools session.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nova_act_core::runtime::Observation;
use serde_json::{Value, json};

use crate::cdp::{Connection, auto_attach, fetch_patterns, text_field};
use crate::error::BrowserError;
use crate::scripts;

/// A mouse button.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MouseButton {
    /// The primary button.
    Left,
    /// The secondary button (context menu).
    Right,
}

impl MouseButton {
    fn name(self) -> &'static str {
        match self {
            Self::Left => "left",
            Self::Right => "right",
        }
    }
}

/// When a page counts as settled: loaded, network quiet and layout unchanged for `quiet`, or
/// `limit` reached, whichever comes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settle {
    /// How long nothing must change.
    pub quiet: Duration,
    /// The longest wait.
    pub limit: Duration,
}

impl Default for Settle {
    fn default() -> Self {
        Self {
            quiet: Duration::from_millis(500),
            limit: Duration::from_secs(10),
        }
    }
}

/// The browser tab an actuator drives: the way to everything the actuator does not cover.
///
/// Cheap to clone; every clone drives the same tab.
///
/// ```no_run
/// # async fn example(browser: &nova_browser::Browser) -> Result<(), nova_browser::BrowserError> {
/// let page = browser.page();
/// let title = page.evaluate("document.title").await?;
/// // Any DevTools command, for what has no method here.
/// page.call("Emulation.setGeolocationOverride", serde_json::json!({
///     "latitude": 47.6, "longitude": -122.3, "accuracy": 10
/// })).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Page {
    connection: Arc<Connection>,
    target: String,
    session: String,
    width: u32,
    height: u32,
}

impl Page {
    /// Attaches to target `target_id` and prepares it: events on, viewport `width` × `height`.
    pub(crate) async fn attach(
        connection: Arc<Connection>,
        target_id: &str,
        (width, height): (u32, u32),
    ) -> Result<Self, BrowserError> {
        let attached = connection
            .call(
                None,
                "Target.attachToTarget",
                json!({ "targetId": target_id, "flatten": true }),
            )
            .await?;
        let session = text_field(&attached, "sessionId", "Target.attachToTarget")?;
        let page = Self {
            connection,
            target: target_id.to_owned(),
            session,
            width,
            height,
        };
        page.call("Page.enable", json!({})).await?;
        page.call("Network.enable", json!({})).await?;
        page.call("Runtime.enable", json!({})).await?;
        // File choosers never open a dialog (which would block a headless page): a path typed
        // into a file input is attached instead, if allowed.
        page.call(
            "Page.setInterceptFileChooserDialog",
            json!({ "enabled": true }),
        )
        .await?;
        page.connection.claim(target_id);
        if page.connection.pauses_requests() {
            // Every request of the tab, and of what it starts, pauses before it leaves.
            page.call("Fetch.enable", fetch_patterns()).await?;
            page.call("Target.setAutoAttach", auto_attach()).await?;
        }
        page.emulate_viewport().await?;
        Ok(page)
    }

    /// Sets the viewport to this tab's size at one CSS pixel per device pixel.
    async fn emulate_viewport(&self) -> Result<(), BrowserError> {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({
                "width": self.width, "height": self.height,
                "deviceScaleFactor": 1, "mobile": false,
            }),
        )
        .await
        .map(drop)
    }

    /// Attaches `path` to the focused file input.
    pub(crate) async fn set_active_file(&self, path: &std::path::Path) -> Result<(), BrowserError> {
        let focused = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": "document.activeElement" }),
            )
            .await?;
        let object = text_field(&focused["result"], "objectId", "Runtime.evaluate")?;
        self.call(
            "DOM.setFileInputFiles",
            json!({ "files": [path], "objectId": object }),
        )
        .await?;
        Ok(())
    }

    /// The DevTools target id of this tab.
    pub fn target_id(&self) -> &str {
        &self.target
    }

    /// A tab this one opened (a `target=_blank` link, `window.open`) since last asked, attached
    /// and sized like this one.
    pub(crate) async fn opened_tab(&self) -> Result<Option<Page>, BrowserError> {
        let Some(target) = self.connection.take_opened_by(&self.target) else {
            return Ok(None);
        };
        let page = Page::attach(
            Arc::clone(&self.connection),
            &target,
            (self.width, self.height),
        )
        .await?;
        Ok(Some(page))
    }

    /// The viewport's size in CSS pixels.
    pub fn viewport(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Sends any DevTools command to this tab and returns its result.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, BrowserError> {
        self.connection
            .call(Some(&self.session), method, params)
            .await
    }

    /// Evaluates a JavaScript expression (awaiting a promise) and returns its value as JSON.
    pub async fn evaluate(&self, expression: &str) -> Result<Value, BrowserError> {
        let answer = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            )
            .await?;
        if let Some(details) = answer.get("exceptionDetails") {
            let message = details
                .pointer("/exception/description")
                .or_else(|| details.get("text"))
                .and_then(Value::as_str)
                .unwrap_or("the script threw");
            return Err(BrowserError::Script(message.to_owned()));
        }
        Ok(answer
            .pointer("/result/value")
            .cloned()
            .unwrap_or(Value::Null))
    }

    /// The page's URL.
    pub async fn url(&self) -> Result<String, BrowserError> {
        Ok(self
            .evaluate("location.href")
            .await?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// Opens `url` and waits for the page to settle.
    pub async fn goto(&self, url: &str, settle: Settle) -> Result<(), BrowserError> {
        let answer = self.call("Page.navigate", json!({ "url": url })).await?;
        if let Some(reason) = answer.get("errorText").and_then(Value::as_str)
            && !reason.is_empty()
        {
            return Err(BrowserError::Navigation {
                url: url.to_owned(),
                reason: reason.to_owned(),
            });
        }
        self.settle(settle).await;
        Ok(())
    }

    /// A JPEG screenshot of the viewport, base64-encoded.
    pub async fn screenshot_jpeg(&self, quality: u8) -> Result<String, BrowserError> {
        self.screenshot_scaled(quality, 1.0).await
    }

    /// A JPEG screenshot of the viewport at `scale` of its size, base64-encoded.
    async fn screenshot_scaled(&self, quality: u8, scale: f64) -> Result<String, BrowserError> {
        let mut params = json!({ "format": "jpeg", "quality": quality.min(100) });
        if scale < 1.0 {
            params["clip"] = json!({
                "x": 0, "y": 0, "width": self.width, "height": self.height, "scale": scale,
            });
        }
        let answer = self.call("Page.captureScreenshot", params).await?;
        text_field(&answer, "data", "Page.captureScreenshot")
    }

    /// What the agent sees: screenshot, URL, sizes, user agent, time, and optionally the
    /// simplified DOM.
    pub async fn observe(
        &self,
        quality: u8,
        simplified_dom: bool,
    ) -> Result<Observation, BrowserError> {
        self.observe_scaled(quality, 1.0, simplified_dom).await
    }

    /// [`Page::observe`] with the screenshot at `scale` of the viewport's size: smaller
    /// observations for a step over the service's size limit.
    pub(crate) async fn observe_scaled(
        &self,
        quality: u8,
        scale: f64,
        simplified_dom: bool,
    ) -> Result<Observation, BrowserError> {
        let mut facts = self.evaluate(scripts::FACTS).await?;
        let found = viewport_of(&facts["dimensions"]);
        if found != Some((self.width, self.height)) {
            // Emulation belongs to a DevTools session, and Chromium drops it for the tab when
            // another client that touched it detaches (a second connection to an attached
            // browser, a DevTools window): the page then has the window's size. The agent's
            // boxes are fractions of what it sees, so set the size again before it looks.
            tracing::debug!(
                ?found,
                wanted = ?(self.width, self.height),
                "the viewport lost its size; setting it again"
            );
            self.emulate_viewport().await?;
            facts = self.evaluate(scripts::FACTS).await?;
        }
        let screenshot = self.screenshot_scaled(quality, scale).await?;
        let simplified_dom = if simplified_dom {
            self.evaluate(scripts::SIMPLIFIED_DOM)
                .await?
                .as_str()
                .map(str::to_owned)
        } else {
            None
        };
        let text = |key: &str| {
            facts
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Ok(Observation {
            active_url: text("url"),
            screenshot_base64: format!("data:image/jpeg;base64,{screenshot}"),
            simplified_dom,
            browser_dimensions: facts.get("dimensions").cloned().unwrap_or(Value::Null),
            user_agent: text("userAgent"),
            timestamp_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        })
    }

    async fn mouse(
        &self,
        kind: &str,
        (x, y): (f64, f64),
        button: Option<MouseButton>,
        click_count: u32,
    ) -> Result<(), BrowserError> {
        self.call(
            "Input.dispatchMouseEvent",
            json!({
                "type": kind,
                "x": x,
                "y": y,
                "button": button.map_or("none", MouseButton::name),
                "buttons": match (kind, button) {
                    ("mousePressed", Some(MouseButton::Left)) => 1,
                    ("mousePressed", Some(MouseButton::Right)) => 2,
                    _ => 0,
                },
                "clickCount": click_count,
            }),
        )
        .await
        .map(drop)
    }

    /// Moves the mouse to `(x, y)`, in CSS pixels of the viewport.
    pub async fn hover(&self, at: (f64, f64)) -> Result<(), BrowserError> {
        self.mouse("mouseMoved", at, None, 0).await
    }

    /// Clicks `button` at `(x, y)`, `count` times in a row (2 for a double click).
    pub async fn click(
        &self,
        at: (f64, f64),
        button: MouseButton,
        count: u32,
    ) -> Result<(), BrowserError> {
        self.hover(at).await?;
        for n in 1..=count.max(1) {
            self.mouse("mousePressed", at, Some(button), n).await?;
            self.mouse("mouseReleased", at, Some(button), n).await?;
        }
        Ok(())
    }

    /// Types `text` into the focused element, replacing a text field's content.
    pub async fn type_text(&self, text: &str) -> Result<(), BrowserError> {
        self.evaluate(scripts::SELECT_FOCUSED).await?;
        self.call("Input.insertText", json!({ "text": text }))
            .await
            .map(drop)
    }

    /// Presses and releases Enter.
    pub async fn press_enter(&self) -> Result<(), BrowserError> {
        self.call(
            "Input.dispatchKeyEvent",
            json!({ "type": "keyDown", "key": "Enter", "code": "Enter",
                    "windowsVirtualKeyCode": 13, "nativeVirtualKeyCode": 13,
                    "text": "\r", "unmodifiedText": "\r" }),
        )
        .await?;
        self.call(
            "Input.dispatchKeyEvent",
            json!({ "type": "keyUp", "key": "Enter", "code": "Enter",
                    "windowsVirtualKeyCode": 13, "nativeVirtualKeyCode": 13 }),
        )
        .await
        .map(drop)
    }

    /// Scrolls `direction` (`up`, `down`, `left`, `right`) the element under `at`, or the page
    /// when `at` is `None`; returns what scrolled and its new position.
    pub async fn scroll(
        &self,
        direction: &str,
        at: Option<(f64, f64)>,
    ) -> Result<Value, BrowserError> {
        let (x, y) = at.map_or((Value::Null, Value::Null), |(x, y)| (json!(x), json!(y)));
        let expression = format!("{}({x}, {y}, {})", scripts::SCROLL, json!(direction));
        self.evaluate(&expression).await
    }

    /// Waits until the page is loaded, its network quiet and its layout unchanged for
    /// `settle.quiet`, or `settle.limit` has passed. Never fails: a page that keeps changing is
    /// used as it is.
    pub async fn settle(&self, settle: Settle) {
        let started = Instant::now();
        let mut last: Option<(Value, Instant)> = None;
        loop {
            // A navigation in progress makes scripts fail; that is just "not settled yet".
            let signature = self.evaluate(scripts::LAYOUT_SIGNATURE).await.ok();
            let now = Instant::now();
            let loaded = signature
                .as_ref()
                .and_then(Value::as_str)
                .is_some_and(|s| s.starts_with("complete|"));
            let held = match (&last, &signature) {
                (Some((previous, since)), Some(current)) if previous == current => {
                    now.duration_since(*since)
                }
                _ => {
                    last = signature.map(|s| (s, now));
                    Duration::ZERO
                }
            };
            if loaded && held >= settle.quiet && self.connection.network_quiet_for() >= settle.quiet
            {
                return;
            }
            let elapsed = started.elapsed();
            if elapsed >= settle.limit {
                tracing::debug!(
                    after = ?elapsed,
                    "the page did not settle; going on with it as it is"
                );
                return;
            }
            let step = Duration::from_millis(100).min(settle.limit - elapsed);
            tokio::time::sleep(step).await;
        }
    }
}

/// The viewport's size in CSS pixels, from an observation's dimensions.
pub(crate) fn viewport_of(dimensions: &Value) -> Option<(u32, u32)> {
    let size = |key: &str| {
        dimensions
            .get(key)
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
    };
    Some((size("windowWidth")?, size("windowHeight")?))
}
