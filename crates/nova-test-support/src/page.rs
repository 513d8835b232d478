//! A pretend page: the actuator for tests and benchmarks about steps, the service or the
//! emulator, where a browser would only cost time.

use async_trait::async_trait;
use nova_act_core::Client;
use nova_act_core::runtime::{
    ActError, ActResult, Actuator, BrowserAction, CallError, Observation, Workflow, WorkflowError,
};
use serde_json::{Value, json};

/// A page at a fixed URL: every observation is a blank page there, every other action does
/// nothing and succeeds.
///
/// ```
/// use nova_test_support::PretendPage;
///
/// let page = PretendPage::at("http://127.0.0.1/shop");
/// # drop(page);
/// ```
#[derive(Clone, Debug)]
pub struct PretendPage {
    url: String,
}

impl PretendPage {
    /// A page at `url`.
    pub fn at(url: impl Into<String>) -> Self {
        Self { url: url.into() }
    }
}

#[async_trait]
impl Actuator for PretendPage {
    async fn browser(&mut self, action: BrowserAction) -> Result<Value, CallError> {
        match action {
            BrowserAction::TakeObservation => Ok(json!(Observation::blank(&self.url))),
            _ => Ok(Value::Null),
        }
    }

    async fn current_url(&mut self) -> Option<String> {
        Some(self.url.clone())
    }
}

/// One act of `task` on a [`PretendPage`] at `url`, in a workflow run of its own under
/// `definition`: the unit of work of the load tests and the fleet benchmark.
pub async fn pretend_act(
    client: &Client,
    definition: &str,
    url: &str,
    task: &str,
) -> Result<ActResult, WorkflowError<ActError>> {
    let url = url.to_owned();
    let task = task.to_owned();
    Workflow::new(client)
        .definition(definition)
        .act_once(PretendPage::at(url), task)
        .await
}
