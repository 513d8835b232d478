//! The trait that executes what the service plans.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::calls::{BBox, BrowserAction, CallError};

/// Executes planned calls: browser actions, and the user tools declared on an act.
///
/// A browser driver implements [`Actuator::browser`]; whatever it returns is sent back as the
/// call's result (for `takeObservation`, an [`Observation`]). Tools arrive at
/// [`Actuator::tool`] with their JSON input. An error is reported to the service as a failed
/// call — the act goes on, and the agent can recover.
///
/// ```
/// use async_trait::async_trait;
/// use nova_act_core::runtime::{Actuator, BrowserAction, CallError, Observation};
/// use serde_json::{Value, json};
///
/// struct Fake;
///
/// #[async_trait]
/// impl Actuator for Fake {
///     async fn browser(&mut self, action: BrowserAction) -> Result<Value, CallError> {
///         match action {
///             BrowserAction::TakeObservation => Ok(json!(Observation::blank("https://example.com"))),
///             other => Err(CallError::unsupported(other.name())),
///         }
///     }
/// }
/// ```
#[async_trait]
pub trait Actuator: Send {
    /// Runs a browser action and returns its result.
    async fn browser(&mut self, action: BrowserAction) -> Result<Value, CallError>;

    /// Runs the user tool `name` with `input`. By default no tools exist.
    async fn tool(&mut self, name: &str, input: Value) -> Result<Value, CallError> {
        let _ = input;
        Err(CallError::new(
            "UnknownTool",
            format!("no tool named `{name}`"),
        ))
    }

    /// The page's URL now, for guardrails between observations. By default it is not known,
    /// and guardrails see the URL only in observations and navigations.
    async fn current_url(&mut self) -> Option<String> {
        None
    }

    /// The address typing at `target` would reach: the page's, or for a field inside an iframe
    /// the frame's. A secret is typed only where it may go. By default the page's URL
    /// ([`current_url`](Self::current_url)).
    async fn typing_origin(&mut self, target: &BBox) -> Option<String> {
        let _ = target;
        self.current_url().await
    }

    /// The field just typed into holds a secret, which the model must see as `shown` (the text
    /// with its placeholders): an actuator that can marks the field, so that its observations
    /// show `shown` in the DOM and hide the text in the screenshot. By default nothing.
    async fn mark_secret(&mut self, shown: &str) {
        let _ = shown;
    }

    /// A smaller observation of the page, for a step whose request would exceed the service's
    /// limit of [`MAX_STEP_PAYLOAD_BYTES`](crate::limits::MAX_STEP_PAYLOAD_BYTES): `attempt`
    /// 1, 2 and 3 each smaller than the one before (a lower image quality and scale, then no
    /// simplified DOM). `None`: this actuator has nothing smaller, and the act ends with a
    /// payload error before the step is sent. By default there is nothing smaller.
    async fn smaller_observation(&mut self, attempt: u32) -> Option<Result<Value, CallError>> {
        let _ = attempt;
        None
    }

    /// Releases what the actuator holds (a browser and its files) and waits until it is gone.
    /// Dropping an actuator must clean up too, but cannot wait; call this when a session is
    /// done, and after an interrupted act, so nothing outlives the program. By default there is
    /// nothing to release.
    async fn close(&mut self) {}
}

/// An actuator through a pointer to one: `Box<dyn Actuator>`, so one session type can take
/// whichever actuator is chosen at run time, and `&mut A`, so the caller keeps the actuator (and
/// closes it) whatever becomes of the session.
macro_rules! forward {
    ($($pointer:ty),*) => {$(
        #[async_trait]
        impl<A: Actuator + ?Sized> Actuator for $pointer {
            async fn browser(&mut self, action: BrowserAction) -> Result<Value, CallError> {
                (**self).browser(action).await
            }

            async fn tool(&mut self, name: &str, input: Value) -> Result<Value, CallError> {
                (**self).tool(name, input).await
            }

            async fn current_url(&mut self) -> Option<String> {
                (**self).current_url().await
            }

            async fn smaller_observation(
                &mut self,
                attempt: u32,
            ) -> Option<Result<Value, CallError>> {
                (**self).smaller_observation(attempt).await
            }

            async fn typing_origin(&mut self, target: &BBox) -> Option<String> {
                (**self).typing_origin(target).await
            }

            async fn mark_secret(&mut self, shown: &str) {
                (**self).mark_secret(shown).await;
            }

            async fn close(&mut self) {
                (**self).close().await;
            }
        }
    )*};
}

forward!(Box<A>, &mut A);

/// What `takeObservation` reports: the page as the agent sees it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// The page's URL.
    #[serde(rename = "activeURL")]
    pub active_url: String,
    /// A JPEG screenshot of the viewport as a `data:image/jpeg;base64,` URL.
    #[serde(rename = "screenshotBase64")]
    pub screenshot_base64: String,
    /// A simplified DOM, when asked for.
    #[serde(
        rename = "simplifiedDOM",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub simplified_dom: Option<String>,
    /// Scroll and window sizes.
    #[serde(rename = "browserDimensions", default)]
    pub browser_dimensions: Value,
    /// The browser's user agent.
    #[serde(rename = "userAgent", default)]
    pub user_agent: String,
    /// When the observation was taken, in milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
}

impl Observation {
    /// An observation of `url` with no screenshot, for tests and headless tools.
    pub fn blank(url: impl Into<String>) -> Self {
        Self {
            active_url: url.into(),
            screenshot_base64: "data:image/jpeg;base64,".to_owned(),
            ..Self::default()
        }
    }
}
