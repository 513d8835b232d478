//! User tools beside any actuator, so a browser and your own functions serve one session.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;

use async_trait::async_trait;
use futures_util::future::BoxFuture;
use serde_json::Value;

use super::actuator::Actuator;
use super::calls::{BrowserAction, CallError};

type Tool = Box<dyn FnMut(Value) -> BoxFuture<'static, Result<Value, CallError>> + Send>;

/// An actuator plus tools: browser actions go to the inner actuator, a tool call to the function
/// registered under its name (or, when none is, to the inner actuator's own tools).
///
/// Declare the same names on the act with [`ActRequest::tool`](super::ActRequest::tool).
///
/// ```
/// use nova_act_core::runtime::{Actuator, BrowserAction, CallError, Observation, WithTools};
/// use serde_json::{Value, json};
///
/// # struct Browser;
/// # #[async_trait::async_trait]
/// # impl Actuator for Browser {
/// #     async fn browser(&mut self, _: BrowserAction) -> Result<Value, CallError> {
/// #         Ok(json!(Observation::blank("about:blank"))) } }
/// # async fn example() -> Result<(), CallError> {
/// let mut actuator = WithTools::new(Browser).with_tool("stock", |input: Value| async move {
///     let sku = input["sku"].as_str().unwrap_or_default().to_owned();
///     Ok(json!({ "sku": sku, "in_stock": 12 }))
/// });
/// let answer = actuator.tool("stock", json!({ "sku": "A-1" })).await?;
/// assert_eq!(answer["in_stock"], 12);
/// # Ok(()) }
/// # futures_util::FutureExt::now_or_never(example()).unwrap().unwrap();
/// ```
pub struct WithTools<A> {
    inner: A,
    tools: HashMap<String, Tool>,
}

impl<A> WithTools<A> {
    /// `inner` with no tools yet.
    pub fn new(inner: A) -> Self {
        Self {
            inner,
            tools: HashMap::new(),
        }
    }

    /// Registers `function` as tool `name`; its error is reported to the agent as a failed call.
    #[must_use]
    pub fn with_tool<F, Fut>(mut self, name: impl Into<String>, mut function: F) -> Self
    where
        F: FnMut(Value) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Value, CallError>> + Send + 'static,
    {
        self.tools.insert(
            name.into(),
            Box::new(move |input| Box::pin(function(input))),
        );
        self
    }

    /// The inner actuator, for what the tools do not cover (a browser's page, say).
    pub fn inner(&mut self) -> &mut A {
        &mut self.inner
    }
}

impl<A: fmt::Debug> fmt::Debug for WithTools<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.tools.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_struct("WithTools")
            .field("inner", &self.inner)
            .field("tools", &names)
            .finish()
    }
}

#[async_trait]
impl<A: Actuator> Actuator for WithTools<A> {
    async fn browser(&mut self, action: BrowserAction) -> Result<Value, CallError> {
        self.inner.browser(action).await
    }

    async fn tool(&mut self, name: &str, input: Value) -> Result<Value, CallError> {
        match self.tools.get_mut(name) {
            Some(function) => function(input).await,
            None => self.inner.tool(name, input).await,
        }
    }

    async fn current_url(&mut self) -> Option<String> {
        self.inner.current_url().await
    }

    async fn smaller_observation(&mut self, attempt: u32) -> Option<Result<Value, CallError>> {
        self.inner.smaller_observation(attempt).await
    }

    async fn typing_origin(&mut self, target: &super::BBox) -> Option<String> {
        self.inner.typing_origin(target).await
    }

    async fn mark_secret(&mut self, shown: &str) {
        self.inner.mark_secret(shown).await;
    }

    async fn close(&mut self) {
        self.inner.close().await;
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::runtime::Observation;

    #[derive(Debug)]
    struct Page(Vec<&'static str>);

    #[async_trait]
    impl Actuator for Page {
        async fn browser(&mut self, action: BrowserAction) -> Result<Value, CallError> {
            self.0.push(action.name());
            Ok(json!(Observation::blank("about:blank")))
        }
    }

    #[tokio::test]
    async fn tools_are_routed_by_name_and_browser_actions_to_the_inner_actuator() {
        let mut calls = 0;
        let mut actuator = WithTools::new(Page(Vec::new()))
            .with_tool("count", move |_| {
                calls += 1;
                let n = calls;
                async move { Ok(json!(n)) }
            })
            .with_tool("fail", |_| async {
                Err(CallError::new("Nope", "no stock data"))
            });
        assert_eq!(actuator.tool("count", json!({})).await.unwrap(), json!(1));
        assert_eq!(actuator.tool("count", json!({})).await.unwrap(), json!(2));
        assert_eq!(
            actuator
                .tool("fail", json!({}))
                .await
                .unwrap_err()
                .to_string(),
            "Nope: no stock data"
        );
        // Unknown names fall through to the inner actuator, which has no tools.
        assert_eq!(
            actuator.tool("other", json!({})).await.unwrap_err().kind,
            "UnknownTool"
        );
        actuator
            .browser(BrowserAction::TakeObservation)
            .await
            .unwrap();
        assert_eq!(actuator.inner().0, vec!["takeObservation"]);
        assert_eq!(
            format!("{actuator:?}"),
            r#"WithTools { inner: Page(["takeObservation"]), tools: ["count", "fail"] }"#
        );
    }
}
