//! One act: CreateAct, then InvokeActStep until the agent returns or throws, then UpdateAct.

use std::future::Future;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use super::actuator::Actuator;
use super::calls::{BrowserAction, CallError, Planned, decode};
use crate::client::Client;
use crate::error::Error;
use crate::model::{
    ActError as ActErrorShape, ActStatus, CallResult, CreateActInput, InvokeActStepInput, ToolSpec,
    UpdateActInput,
};

/// Steps allowed by default.
pub const DEFAULT_MAX_STEPS: u32 = 30;
/// Steps must stay below this.
pub const MAX_STEPS_LIMIT: u32 = 200;
/// The shortest and longest act timeouts.
pub const TIMEOUT_RANGE: (Duration, Duration) = (Duration::from_secs(2), Duration::from_secs(1800));

/// What to do, and within which limits.
#[derive(Clone, Debug, PartialEq)]
pub struct ActRequest {
    task: String,
    max_steps: u32,
    timeout: Option<Duration>,
    tools: Vec<ToolSpec>,
}

impl ActRequest {
    /// `task`, in words, with the default limits (30 steps, no timeout, no tools).
    pub fn new(task: impl Into<String>) -> Self {
        Self {
            task: task.into(),
            max_steps: DEFAULT_MAX_STEPS,
            timeout: None,
            tools: Vec::new(),
        }
    }

    /// At most `steps` steps (1..=199).
    #[must_use]
    pub fn max_steps(mut self, steps: u32) -> Self {
        self.max_steps = steps;
        self
    }

    /// The whole act within `timeout` (2 s..=1800 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Declares a tool the agent may call; the actuator runs it.
    #[must_use]
    pub fn tool(mut self, spec: ToolSpec) -> Self {
        self.tools.push(spec);
        self
    }

    fn check(&self) -> Result<(), ActError> {
        if !(1..MAX_STEPS_LIMIT).contains(&self.max_steps) {
            return Err(ActError::InvalidRequest(format!(
                "max_steps must be 1..{} (it is {})",
                MAX_STEPS_LIMIT - 1,
                self.max_steps
            )));
        }
        if let Some(timeout) = self.timeout
            && !(TIMEOUT_RANGE.0..=TIMEOUT_RANGE.1).contains(&timeout)
        {
            return Err(ActError::InvalidRequest(format!(
                "timeout must be 2..1800 seconds (it is {})",
                humantime::format_duration(timeout)
            )));
        }
        Ok(())
    }
}

impl From<&str> for ActRequest {
    fn from(task: &str) -> Self {
        Self::new(task)
    }
}

impl From<String> for ActRequest {
    fn from(task: String) -> Self {
        Self::new(task)
    }
}

/// A finished act.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ActResult {
    /// The act.
    pub act_id: String,
    /// What the agent returned.
    pub value: Option<Value>,
    /// Steps taken.
    pub steps: u32,
    /// The id of each step, in order.
    pub step_ids: Vec<String>,
    /// How long the service took for each step.
    pub step_latencies: Vec<Duration>,
}

/// Why an act did not succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ActError {
    /// The request breaks a limit; nothing was sent.
    #[error("invalid act: {0}")]
    InvalidRequest(String),
    /// The agent gave up (`throw`).
    #[error("the agent could not do the task (act {act_id}): {message}")]
    AgentFailed {
        /// The act.
        act_id: String,
        /// What the agent said.
        message: String,
    },
    /// The step limit was reached first.
    #[error(
        "the act used all {max_steps} steps without finishing (act {act_id}); raise max_steps or split the task"
    )]
    MaxSteps {
        /// The act.
        act_id: String,
        /// The limit.
        max_steps: u32,
    },
    /// The timeout was reached first.
    #[error("the act did not finish within {} (act {act_id}); raise the timeout or split the task",
        humantime::format_duration(*after))]
    TimedOut {
        /// The act.
        act_id: String,
        /// The limit.
        after: Duration,
    },
    /// The program was asked to stop (a [`Shutdown`](super::Shutdown)); the act was marked
    /// FAILED, or never created when the request came first.
    #[error("the act was interrupted by {reason}{}", act_id.as_ref().map(|id| format!(" (act {id}, marked FAILED)")).unwrap_or_default())]
    Interrupted {
        /// The act, when it had been created.
        act_id: Option<String>,
        /// What asked to stop, such as `SIGINT`.
        reason: String,
    },
    /// A call to the service failed.
    #[error(transparent)]
    Service(#[from] Error),
}

/// How the loop ended.
enum Ending {
    Returned(Option<Value>),
    Thrown(Value),
    MaxSteps,
    TimedOut,
    Interrupted(String),
    Failed(Error),
}

/// Runs `future` unless the deadline passes first.
async fn before<T>(deadline: Option<Instant>, future: impl Future<Output = T>) -> Option<T> {
    match deadline {
        Some(at) => tokio::time::timeout_at(at, future).await.ok(),
        None => Some(future.await),
    }
}

fn result_text(value: &Result<Value, CallError>) -> String {
    match value {
        Ok(Value::String(text)) => serde_json::to_string(text).unwrap_or_default(),
        Ok(other) => other.to_string(),
        Err(err) => err.to_string(),
    }
}

fn message_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "(no reason given)".to_owned(),
        other => other.to_string(),
    }
}

/// The ids an act lives under.
pub(crate) struct ActPlace<'a> {
    pub(crate) client: &'a Client,
    pub(crate) definition: &'a str,
    pub(crate) run_id: &'a str,
    pub(crate) session_id: &'a str,
    pub(crate) shutdown: Option<&'a super::Shutdown>,
}

impl ActPlace<'_> {
    pub(crate) async fn run(
        &self,
        actuator: &mut dyn Actuator,
        request: ActRequest,
    ) -> Result<ActResult, ActError> {
        request.check()?;
        if let Some(reason) = self.shutdown.and_then(super::Shutdown::reason) {
            return Err(ActError::Interrupted {
                act_id: None,
                reason: reason.to_owned(),
            });
        }
        let created = self
            .client
            .create_act(CreateActInput {
                workflow_definition_name: self.definition.to_owned(),
                workflow_run_id: self.run_id.to_owned(),
                session_id: self.session_id.to_owned(),
                task: request.task.clone(),
                tool_specs: (!request.tools.is_empty()).then(|| request.tools.clone()),
                client_token: None,
            })
            .await?;
        let act_id = created.act_id;
        let deadline = request.timeout.map(|t| Instant::now() + t);
        let mut result = ActResult {
            act_id: act_id.clone(),
            value: None,
            steps: 0,
            step_ids: Vec::new(),
            step_latencies: Vec::new(),
        };
        let steps = self.steps(actuator, &request, &act_id, deadline, &mut result);
        // A shutdown stops the loop wherever it is (a step in flight, a browser action); the
        // act is then recorded FAILED like any other ending.
        let ending = match self.shutdown {
            Some(shutdown) => tokio::select! {
                biased;
                () = shutdown.triggered() => {
                    Ending::Interrupted(shutdown.reason().unwrap_or("a shutdown").to_owned())
                }
                ending = steps => ending,
            },
            None => steps.await,
        };
        let (status, error) = match &ending {
            Ending::Returned(_) => (ActStatus::Succeeded, None),
            Ending::Thrown(value) => (
                ActStatus::Failed,
                Some(("ActAgentFailed", message_of(value))),
            ),
            Ending::MaxSteps => (
                ActStatus::Failed,
                Some((
                    "ActExceededMaxStepsError",
                    format!("used all {} steps", request.max_steps),
                )),
            ),
            Ending::TimedOut => (
                ActStatus::TimedOut,
                Some(("ActTimeoutError", "the act timed out".to_owned())),
            ),
            Ending::Interrupted(reason) => (
                ActStatus::Failed,
                Some(("ActInterrupted", format!("interrupted by {reason}"))),
            ),
            Ending::Failed(err) => (ActStatus::Failed, Some(("ActClientError", err.to_string()))),
        };
        let update = self
            .client
            .update_act(UpdateActInput {
                workflow_definition_name: self.definition.to_owned(),
                workflow_run_id: self.run_id.to_owned(),
                session_id: self.session_id.to_owned(),
                act_id: act_id.clone(),
                status,
                error: error.map(|(kind, message)| ActErrorShape {
                    message: message.chars().take(10_000).collect(),
                    error_type: Some(kind.to_owned()),
                }),
            })
            .await;
        match ending {
            Ending::Failed(err) => {
                if let Err(update_err) = update {
                    tracing::warn!(act_id, error = %update_err, "could not mark the failed act FAILED");
                }
                Err(ActError::Service(err))
            }
            ending => {
                update?;
                match ending {
                    Ending::Returned(value) => {
                        result.value = value;
                        Ok(result)
                    }
                    Ending::Thrown(value) => Err(ActError::AgentFailed {
                        act_id,
                        message: message_of(&value),
                    }),
                    Ending::MaxSteps => Err(ActError::MaxSteps {
                        act_id,
                        max_steps: request.max_steps,
                    }),
                    Ending::Interrupted(reason) => Err(ActError::Interrupted {
                        act_id: Some(act_id),
                        reason,
                    }),
                    _ => Err(ActError::TimedOut {
                        act_id,
                        after: request.timeout.unwrap_or_default(),
                    }),
                }
            }
        }
    }

    async fn steps(
        &self,
        actuator: &mut dyn Actuator,
        request: &ActRequest,
        act_id: &str,
        deadline: Option<Instant>,
        result: &mut ActResult,
    ) -> Ending {
        let Some(observation) = before(deadline, observe(actuator)).await else {
            return Ending::TimedOut;
        };
        let mut call_results = vec![CallResult::text("initiateAct", "{}"), observation];
        let mut previous: Option<String> = None;
        loop {
            if result.steps >= request.max_steps {
                return Ending::MaxSteps;
            }
            let started = Instant::now();
            let step = self.client.invoke_act_step(InvokeActStepInput {
                workflow_definition_name: self.definition.to_owned(),
                workflow_run_id: self.run_id.to_owned(),
                session_id: self.session_id.to_owned(),
                act_id: act_id.to_owned(),
                call_results: std::mem::take(&mut call_results),
                previous_step_id: previous.take(),
            });
            let step = match before(deadline, step).await {
                None => return Ending::TimedOut,
                Some(Err(err)) => return Ending::Failed(err),
                Some(Ok(step)) => step,
            };
            result.steps += 1;
            result.step_latencies.push(started.elapsed());
            result.step_ids.push(step.step_id.clone());
            tracing::debug!(
                act_id,
                step = result.steps,
                calls = step.calls.len(),
                "step"
            );
            for call in step.calls {
                let outcome = match decode(&call.name, &call.input) {
                    Ok(Planned::Return(value)) => return Ending::Returned(value),
                    Ok(Planned::Throw(value)) => return Ending::Thrown(value),
                    Ok(Planned::Browser(action)) => {
                        before(deadline, actuator.browser(action)).await
                    }
                    Ok(Planned::Tool { name, input }) => {
                        before(deadline, actuator.tool(&name, input)).await
                    }
                    Err(err) => Some(Err(err)),
                };
                let Some(outcome) = outcome else {
                    return Ending::TimedOut;
                };
                if let Err(err) = &outcome {
                    tracing::debug!(act_id, call = %call.name, error = %err, "call failed");
                }
                call_results.push(CallResult::text(call.call_id, result_text(&outcome)));
            }
            if call_results.is_empty() {
                // Nothing was planned: show the agent the page again.
                let Some(observation) = before(deadline, observe(actuator)).await else {
                    return Ending::TimedOut;
                };
                call_results.push(observation);
            }
            call_results.truncate(100);
            previous = Some(step.step_id);
        }
    }
}

async fn observe(actuator: &mut dyn Actuator) -> CallResult {
    let outcome = actuator.browser(BrowserAction::TakeObservation).await;
    CallResult::text("takeObservation", result_text(&outcome))
}
