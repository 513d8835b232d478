//! One act: CreateAct, then InvokeActStep until the agent returns or throws, then UpdateAct.

use std::future::Future;
use std::time::{Duration, SystemTime};

use serde_json::Value;
use tokio::time::Instant;

use super::actuator::Actuator;
#[cfg(feature = "schema")]
use super::answer::{AnswerSchema, InvalidSchema, Mismatch};
use super::calls::{BrowserAction, CallError, Planned, decode};
use super::guardrail::{Decision, PageState, StateGuardrail};
use super::human::{self, Approval, HumanInput, HumanRequest, Takeover};
use super::trace::{Trace, TraceFiles, Traces};
use crate::client::Client;
use crate::error::Error;
use crate::model::{
    ActError as ActErrorShape, ActStatus, CallResult, CreateActInput, InvokeActStepInput, ToolSpec,
    UpdateActInput,
};
use crate::validate::ValidationError;

/// Steps allowed by default.
pub const DEFAULT_MAX_STEPS: u32 = 30;
/// Steps must stay below this (the service's limit of steps per act).
pub const MAX_STEPS_LIMIT: u32 = crate::limits::MAX_STEPS_PER_ACT;
/// The shortest and longest act timeouts.
pub const TIMEOUT_RANGE: (Duration, Duration) = (Duration::from_secs(2), Duration::from_secs(1800));

/// What to do, and within which limits.
#[derive(Clone, Debug, PartialEq)]
pub struct ActRequest {
    task: String,
    max_steps: u32,
    timeout: Option<Duration>,
    tools: Vec<ToolSpec>,
    #[cfg(feature = "schema")]
    schema: Option<AnswerSchema>,
}

impl ActRequest {
    /// `task`, in words, with the default limits (30 steps, no timeout, no tools).
    pub fn new(task: impl Into<String>) -> Self {
        Self {
            task: task.into(),
            max_steps: DEFAULT_MAX_STEPS,
            timeout: None,
            tools: Vec::new(),
            #[cfg(feature = "schema")]
            schema: None,
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

    /// The answer must match `schema`; it is given to the model with the task, and the act's
    /// [`ActResult::value`] is the answer parsed as JSON. See [`AnswerSchema`].
    #[cfg(feature = "schema")]
    #[must_use]
    pub fn schema(mut self, schema: AnswerSchema) -> Self {
        self.schema = Some(schema);
        self
    }

    /// The task as sent: with the answer's schema appended when there is one.
    fn prompt(&self) -> String {
        #[cfg(feature = "schema")]
        if let Some(schema) = &self.schema {
            return schema.prompt(&self.task);
        }
        self.task.clone()
    }

    /// Whether the limits are ones the service takes; every act checks this before anything
    /// is sent, and a program can check earlier (before starting a browser, say).
    pub fn check(&self) -> Result<(), ActError> {
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
    /// Its session.
    pub session_id: String,
    /// What the agent returned; with a schema, the answer parsed as JSON and checked.
    pub value: Option<Value>,
    /// Steps taken.
    pub steps: u32,
    /// The id of each step, in order.
    pub step_ids: Vec<String>,
    /// How long the service took for each step.
    pub step_latencies: Vec<Duration>,
    /// When the act was created.
    pub started_at: SystemTime,
    /// When it ended.
    pub ended_at: SystemTime,
    /// Time spent waiting for a person ([`HumanInput`]).
    pub human_wait: Duration,
    /// Steps the service throttled at least once (each was repeated until it passed).
    pub throttled_steps: u32,
    /// Time the steps waited for the account's step quota: the client's pace, and backoff
    /// after throttles.
    pub throttle_wait: Duration,
    /// The act's trace, when the session writes traces
    /// ([`Session::logs_dir`](super::Session::logs_dir)).
    pub trace: Option<TraceFiles>,
}

impl ActResult {
    /// How long the act took, less the time spent waiting for a person.
    pub fn time_worked(&self) -> Duration {
        self.ended_at
            .duration_since(self.started_at)
            .unwrap_or_default()
            .saturating_sub(self.human_wait)
    }
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
    /// The service refused another step: the act took all the steps an act may take
    /// ([`MAX_STEPS_PER_ACT`](crate::limits::MAX_STEPS_PER_ACT), a limit no quota raises); the
    /// act was marked FAILED.
    #[error(
        "the act reached the service's limit of {} steps per act without finishing (act {act_id}); \
         split the task into smaller acts",
        crate::limits::MAX_STEPS_PER_ACT
    )]
    StepLimit {
        /// The act.
        act_id: String,
        /// The service's refusal (`ServiceQuotaExceededException`, or a `ValidationException`
        /// naming the steps).
        #[source]
        source: Error,
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
    /// The answer schema is not a valid JSON Schema; nothing was sent.
    #[cfg(feature = "schema")]
    #[error(transparent)]
    InvalidSchema(#[from] InvalidSchema),
    /// The agent's answer does not match the schema; the act was marked FAILED.
    #[cfg(feature = "schema")]
    #[error("the answer of act {act_id} does not match its schema")]
    AnswerMismatch {
        /// The act.
        act_id: String,
        /// The answer and what is wrong with it.
        #[source]
        mismatch: Mismatch,
    },
    /// A person cancelled when the agent asked for approval or handed over the browser; the act
    /// was marked FAILED.
    #[error("a person cancelled act {act_id} at {tool}: {message}")]
    HumanCanceled {
        /// The act.
        act_id: String,
        /// `human_Approve` or `human_UiTakeover`.
        tool: &'static str,
        /// What the agent had asked.
        message: String,
    },
    /// A guardrail blocked the page; the act was marked FAILED.
    #[error("a guardrail blocked {url} (act {act_id}); the act was stopped")]
    Blocked {
        /// The act.
        act_id: String,
        /// The page's URL, or the URL the agent was about to open.
        url: String,
    },
    /// The browser went away (it exited, or its remote session ended); the act was marked
    /// FAILED.
    #[error(
        "the browser went away during act {act_id} ({message}); the act was stopped. Start a new \
         browser (or remote session) to go on"
    )]
    ActuatorGone {
        /// The act.
        act_id: String,
        /// What the actuator said.
        message: String,
    },
    /// A call to the service failed.
    #[error(transparent)]
    Service(#[from] Error),
}

impl ActError {
    /// A short, stable name of the failure, for results read by programs: the error type the
    /// act was marked FAILED with (the Python SDK's names), or, for an act that never started,
    /// what stopped it.
    ///
    /// ```
    /// use nova_act_core::runtime::ActError;
    ///
    /// assert_eq!(ActError::InvalidRequest("task is empty".into()).code(), "ActInvalidInputError");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "ActInvalidInputError",
            Self::AgentFailed { .. } => "ActAgentFailed",
            Self::MaxSteps { .. } | Self::StepLimit { .. } => "ActExceededMaxStepsError",
            Self::TimedOut { .. } => "ActTimeoutError",
            Self::Interrupted { .. } => "ActInterrupted",
            #[cfg(feature = "schema")]
            Self::InvalidSchema(_) => "ActInvalidSchemaError",
            #[cfg(feature = "schema")]
            Self::AnswerMismatch { .. } => "ActInvalidModelGenerationError",
            Self::HumanCanceled { tool, .. } if *tool == human::APPROVE_TOOL => {
                "ApproveCanceledError"
            }
            Self::HumanCanceled { .. } => "UiTakeoverCanceledError",
            Self::Blocked { .. } => "ActStateGuardrailError",
            Self::ActuatorGone { .. } => "ActActuatorError",
            Self::Service(_) => "ActClientError",
        }
    }
}

/// How the loop ended.
enum Ending {
    Returned(Option<Value>),
    Thrown(Value),
    MaxSteps,
    /// The service refused another step: its limit of steps per act.
    StepLimit(Error),
    TimedOut,
    Interrupted(String),
    Failed(Error),
    #[cfg(feature = "schema")]
    Mismatch(Mismatch),
    Canceled {
        tool: &'static str,
        message: String,
    },
    Blocked(String),
    /// The actuator cannot act any more (its browser is gone).
    Gone(String),
}

impl Ending {
    /// The act's answer, or its error: the one mapping of an ending to what the caller gets.
    fn into_result(self, act_id: String, request: &ActRequest) -> Result<Option<Value>, ActError> {
        Err(match self {
            Self::Returned(value) => return Ok(value),
            Self::Thrown(value) => ActError::AgentFailed {
                act_id,
                message: message_of(&value),
            },
            Self::MaxSteps => ActError::MaxSteps {
                act_id,
                max_steps: request.max_steps,
            },
            Self::StepLimit(source) => ActError::StepLimit { act_id, source },
            Self::TimedOut => ActError::TimedOut {
                act_id,
                after: request.timeout.unwrap_or_default(),
            },
            Self::Interrupted(reason) => ActError::Interrupted {
                act_id: Some(act_id),
                reason,
            },
            Self::Failed(err) => ActError::Service(err),
            #[cfg(feature = "schema")]
            Self::Mismatch(mismatch) => ActError::AnswerMismatch { act_id, mismatch },
            Self::Canceled { tool, message } => ActError::HumanCanceled {
                act_id,
                tool,
                message,
            },
            Self::Blocked(url) => ActError::Blocked { act_id, url },
            Self::Gone(message) => ActError::ActuatorGone { act_id, message },
        })
    }
}

/// Runs `future` unless the deadline passes first.
async fn before<T>(deadline: Option<Instant>, future: impl Future<Output = T>) -> Option<T> {
    match deadline {
        Some(at) => tokio::time::timeout_at(at, future).await.ok(),
        None => Some(future.await),
    }
}

/// The act's ending when a call found the actuator gone.
fn gone(outcome: &Result<Value, CallError>) -> Result<(), Ending> {
    match outcome {
        Err(err) if err.is_gone() => Err(Ending::Gone(err.message.clone())),
        _ => Ok(()),
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
    pub(crate) human: Option<&'a dyn HumanInput>,
    pub(crate) guardrail: Option<&'a dyn StateGuardrail>,
    pub(crate) trace: Option<&'a Traces>,
    #[cfg(feature = "mcp")]
    pub(crate) mcp: &'a [std::sync::Arc<super::McpServer>],
}

/// What the loop has seen of the page (for guardrails and a person's screenshot), and the
/// trace it records.
#[derive(Default)]
struct Seen {
    screenshot: Option<String>,
    trace: Option<Trace>,
    /// The act, once created, and how it ended in words: for the trace.
    act_id: Option<String>,
    ending: String,
}

impl Seen {
    /// Notes an observation's screenshot; returns its URL.
    fn observation(&mut self, observed: &Value) -> Option<String> {
        if let Some(trace) = &mut self.trace {
            trace.observed(observed);
        }
        if let Some(shot) = observed.get("screenshotBase64").and_then(Value::as_str) {
            self.screenshot = Some(shot.to_owned());
        }
        observed
            .get("activeURL")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }
}

impl ActPlace<'_> {
    /// Runs the act; also the files of its trace, when one was written (whatever the ending).
    pub(crate) async fn run(
        &self,
        actuator: &mut dyn Actuator,
        request: ActRequest,
    ) -> (Result<ActResult, ActError>, Option<TraceFiles>) {
        let mut seen = Seen {
            trace: self
                .trace
                .map(|t| Trace::start(&request.task, self.session_id, t.screenshots)),
            ..Seen::default()
        };
        let result = self.run_traced(actuator, request, &mut seen).await;
        let (Some(mut trace), Some(settings), Some(act_id)) = (seen.trace, self.trace, seen.act_id)
        else {
            return (result, None);
        };
        trace.act(&act_id);
        let answer = result.as_ref().ok().and_then(|r| r.value.as_ref());
        match trace.finish(&seen.ending, answer, &settings.folder) {
            Ok(files) => {
                tracing::info!(act_id, trace = %files.html.display(), "trace written");
                let result = result.map(|mut result| {
                    result.trace = Some(files.clone());
                    result
                });
                (result, Some(files))
            }
            Err(err) => {
                tracing::warn!(act_id, error = %err, "could not write the act's trace");
                (result, None)
            }
        }
    }

    async fn run_traced(
        &self,
        actuator: &mut dyn Actuator,
        request: ActRequest,
        seen: &mut Seen,
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
                task: request.prompt(),
                tool_specs: self.tool_specs(&request),
                client_token: None,
            })
            .await?;
        let act_id = created.act_id;
        seen.act_id = Some(act_id.clone());
        let deadline = request.timeout.map(|t| Instant::now() + t);
        let mut result = ActResult {
            act_id: act_id.clone(),
            session_id: self.session_id.to_owned(),
            value: None,
            steps: 0,
            step_ids: Vec::new(),
            step_latencies: Vec::new(),
            started_at: SystemTime::now(),
            ended_at: SystemTime::now(),
            human_wait: Duration::ZERO,
            throttled_steps: 0,
            throttle_wait: Duration::ZERO,
            trace: None,
        };
        let pacing = crate::governor::Pacing::default();
        let steps =
            pacing.measure(self.steps(actuator, &request, &act_id, deadline, &mut result, seen));
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
        #[cfg(feature = "schema")]
        let ending = match (ending, &request.schema) {
            (Ending::Returned(value), Some(schema)) => {
                match schema.check(&value.unwrap_or_else(|| Value::String(String::new()))) {
                    Ok(answer) => Ending::Returned(Some(answer)),
                    Err(mismatch) => Ending::Mismatch(mismatch),
                }
            }
            (ending, _) => ending,
        };
        result.ended_at = SystemTime::now();
        (result.throttled_steps, result.throttle_wait) = pacing.totals();
        if result.throttled_steps > 0 {
            tracing::info!(
                act_id,
                throttled_steps = result.throttled_steps,
                throttle_wait_ms = result.throttle_wait.as_millis() as u64,
                "the service throttled steps of this act; each was repeated until it passed \
                 (raise the account's quota, or lower the concurrency or step_rate)"
            );
        }
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
            Ending::StepLimit(_) => (
                ActStatus::Failed,
                Some((
                    "ActExceededMaxStepsError",
                    format!(
                        "reached the service's limit of {} steps per act",
                        crate::limits::MAX_STEPS_PER_ACT
                    ),
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
            Ending::Failed(err) => (
                ActStatus::Failed,
                Some(("ActClientError", nova_auth::Report(err).to_string())),
            ),
            #[cfg(feature = "schema")]
            Ending::Mismatch(mismatch) => (
                ActStatus::Failed,
                Some(("ActInvalidModelGenerationError", mismatch.to_string())),
            ),
            Ending::Canceled { tool, message } => (
                ActStatus::Failed,
                Some((
                    if *tool == human::APPROVE_TOOL {
                        "ApproveCanceledError"
                    } else {
                        "UiTakeoverCanceledError"
                    },
                    format!("a person cancelled: {message}"),
                )),
            ),
            Ending::Blocked(url) => (
                ActStatus::Failed,
                Some((
                    "ActStateGuardrailError",
                    format!("a guardrail blocked {url}"),
                )),
            ),
            Ending::Gone(message) => (
                ActStatus::Failed,
                Some((
                    "ActActuatorError",
                    format!("the browser went away: {message}"),
                )),
            ),
        };
        seen.ending = match &error {
            Some((kind, message)) => format!("{status}: {kind}: {message}"),
            None => status.to_string(),
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
        // A service failure is the act's error; a failure to record it only a warning. Any
        // other ending is reported once UpdateAct has recorded it.
        let service_failed = matches!(ending, Ending::Failed(_));
        let outcome = ending.into_result(act_id.clone(), &request);
        match update {
            Err(update_err) if service_failed => {
                tracing::warn!(act_id, error = %update_err, "could not mark the failed act FAILED");
            }
            Err(update_err) => return Err(update_err.into()),
            Ok(_) => {}
        }
        outcome.map(|value| {
            result.value = value;
            result
        })
    }

    /// The tools offered with the act: the request's, and a person's when there is one.
    fn tool_specs(&self, request: &ActRequest) -> Option<Vec<ToolSpec>> {
        let mut specs = request.tools.clone();
        if self.human.is_some() {
            specs.extend(human::tool_specs());
        }
        #[cfg(feature = "mcp")]
        for server in self.mcp {
            for spec in server.tool_specs() {
                // A tool of your own keeps its name; the server's namesake is not offered.
                if specs.iter().all(|known| known.name != spec.name) {
                    specs.push(spec);
                }
            }
        }
        (!specs.is_empty()).then_some(specs)
    }

    /// The guardrail's verdict on `url`, as an ending when it blocks.
    fn guard(&self, url: Option<&str>) -> Option<Ending> {
        let (guardrail, url) = (self.guardrail?, url?);
        (guardrail.check(&PageState::of(url)) == Decision::Block)
            .then(|| Ending::Blocked(url.to_owned()))
    }

    /// Asks the person for `tool`; the call's result, or the ending a cancel makes.
    async fn ask(
        &self,
        human: &dyn HumanInput,
        tool: &'static str,
        input: &Value,
        act_id: &str,
        seen: &Seen,
    ) -> Result<Value, Ending> {
        let message = human::message_of(input);
        let request = HumanRequest {
            message: &message,
            act_id,
            session_id: self.session_id,
            screenshot: seen.screenshot.as_deref(),
        };
        let done = if tool == human::APPROVE_TOOL {
            (human.approve(request).await == Approval::Yes).then(|| Value::from("yes"))
        } else {
            (human.ui_takeover(request).await == Takeover::Complete)
                .then(|| Value::from("complete"))
        };
        done.ok_or(Ending::Canceled { tool, message })
    }

    /// Runs one planned call: its result for the agent, or how the act ends.
    async fn call(
        &self,
        actuator: &mut dyn Actuator,
        request: &ActRequest,
        planned: Planned,
        act_id: &str,
        seen: &mut Seen,
        result: &mut ActResult,
    ) -> Result<Result<Value, CallError>, Ending> {
        match planned {
            Planned::Return(value) => Err(Ending::Returned(value)),
            Planned::Throw(value) => Err(Ending::Thrown(value)),
            Planned::Browser(action) => {
                if let BrowserAction::GoToUrl { url } = &action
                    && let Some(blocked) = self.guard(Some(url))
                {
                    return Err(blocked);
                }
                let observing = matches!(action, BrowserAction::TakeObservation);
                let outcome = actuator.browser(action).await;
                gone(&outcome)?;
                if self.guardrail.is_some() {
                    let url = match &outcome {
                        Ok(observed) if observing => seen.observation(observed),
                        _ => actuator.current_url().await,
                    };
                    if let Some(blocked) = self.guard(url.as_deref()) {
                        return Err(blocked);
                    }
                } else if let (true, Ok(observed)) = (observing, &outcome) {
                    seen.observation(observed);
                }
                Ok(outcome)
            }
            Planned::Tool { name, input } => {
                let tool = [human::APPROVE_TOOL, human::UI_TAKEOVER_TOOL]
                    .into_iter()
                    .find(|tool| *tool == name);
                match (self.human, tool) {
                    (Some(human), Some(tool)) => {
                        let asked = Instant::now();
                        let answer = self.ask(human, tool, &input, act_id, seen).await;
                        result.human_wait += asked.elapsed();
                        answer.map(Ok)
                    }
                    _ => {
                        #[cfg(feature = "mcp")]
                        if request.tools.iter().all(|own| own.name != name)
                            && let Some(server) = self.mcp.iter().find(|s| s.has_tool(&name))
                        {
                            return Ok(server.call(&name, input).await);
                        }
                        let _ = request;
                        let outcome = actuator.tool(&name, input).await;
                        gone(&outcome)?;
                        Ok(outcome)
                    }
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
        seen: &mut Seen,
    ) -> Ending {
        let Some(observation) = before(deadline, self.observe(actuator, seen)).await else {
            return Ending::TimedOut;
        };
        let observation = match observation {
            Ok(observation) => observation,
            Err(ending) => return ending,
        };
        let mut call_results = vec![CallResult::text("initiateAct", "{}"), observation];
        // Where the latest observation is among the results: what shrinks when a step is too
        // large to send.
        let mut observed_at = Some(1);
        let mut previous: Option<String> = None;
        loop {
            if result.steps >= request.max_steps {
                return Ending::MaxSteps;
            }
            if let Err(ending) = self
                .fit(actuator, &mut call_results, observed_at.take(), seen)
                .await
            {
                return ending;
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
                Some(Err(err)) if err.is_step_limit() => return Ending::StepLimit(err),
                Some(Err(err)) => return Ending::Failed(err),
                Some(Ok(step)) => step,
            };
            result.steps += 1;
            result.step_latencies.push(started.elapsed());
            result.step_ids.push(step.step_id.clone());
            if let Some(trace) = &mut seen.trace {
                trace.step(&step.step_id, started.elapsed());
            }
            tracing::debug!(
                act_id,
                step = result.steps,
                calls = step.calls.len(),
                "step"
            );
            for call in step.calls {
                let called = Instant::now();
                let outcome = match decode(&call.name, &call.input) {
                    Ok(planned) => {
                        let run = self.call(actuator, request, planned, act_id, seen, result);
                        match before(deadline, run).await {
                            None => return Ending::TimedOut,
                            Some(Err(ending)) => return ending,
                            Some(Ok(outcome)) => outcome,
                        }
                    }
                    Err(err) => Err(err),
                };
                if let Err(err) = &outcome {
                    tracing::debug!(act_id, call = %call.name, error = %err, "call failed");
                }
                if let Some(trace) = &mut seen.trace {
                    let outcome = outcome.clone().map_err(|err| err.to_string());
                    trace.call(
                        &call.call_id,
                        &call.name,
                        &call.input,
                        &outcome,
                        called.elapsed(),
                    );
                }
                if call.name == "takeObservation" {
                    observed_at = Some(call_results.len());
                }
                call_results.push(CallResult::text(call.call_id, result_text(&outcome)));
            }
            if call_results.is_empty() {
                // Nothing was planned: show the agent the page again.
                match before(deadline, self.observe(actuator, seen)).await {
                    None => return Ending::TimedOut,
                    Some(Err(ending)) => return ending,
                    Some(Ok(observation)) => {
                        observed_at = Some(call_results.len());
                        call_results.push(observation);
                    }
                }
            }
            call_results.truncate(100);
            previous = Some(step.step_id);
        }
    }

    /// Makes the next step's results fit the service's limit on a step's size: the observation
    /// at `observed_at` is taken again smaller, up to three times; a step that still does not
    /// fit is never sent, and the act ends with a payload error.
    async fn fit(
        &self,
        actuator: &mut dyn Actuator,
        call_results: &mut [CallResult],
        observed_at: Option<usize>,
        seen: &mut Seen,
    ) -> Result<(), Ending> {
        // The results and the step's other members (ids, at most a few hundred bytes).
        let size = |results: &[CallResult]| {
            serde_json::to_vec(results).map_or(usize::MAX, |bytes| bytes.len()) + 512
        };
        let limit = crate::limits::MAX_STEP_PAYLOAD_BYTES;
        let mut bytes = size(call_results);
        if bytes <= limit {
            return Ok(());
        }
        if let Some(at) = observed_at.filter(|at| *at < call_results.len()) {
            for attempt in 1..=3 {
                let Some(outcome) = actuator.smaller_observation(attempt).await else {
                    break;
                };
                gone(&outcome)?;
                if let Ok(observed) = &outcome {
                    seen.observation(observed);
                }
                let call_id = call_results[at].call_id.clone().unwrap_or_default();
                call_results[at] = CallResult::text(call_id, result_text(&outcome));
                let smaller = size(call_results);
                tracing::info!(
                    bytes,
                    smaller,
                    attempt,
                    "a step was over the service's limit; the page was observed again, smaller"
                );
                bytes = smaller;
                if bytes <= limit {
                    return Ok(());
                }
            }
        }
        Err(Ending::Failed(crate::Error::InvalidInput(
            ValidationError {
                operation: "InvokeActStep",
                member: "callResults".to_owned(),
                rule: format!(
                    "must be at most {limit} bytes in all (the service's limit on a step); this step \
                 is {bytes} bytes, even after smaller observations"
                ),
            },
        )))
    }

    /// Takes an observation for the agent, through the guardrail.
    async fn observe(
        &self,
        actuator: &mut dyn Actuator,
        seen: &mut Seen,
    ) -> Result<CallResult, Ending> {
        let outcome = actuator.browser(BrowserAction::TakeObservation).await;
        gone(&outcome)?;
        if let Ok(observed) = &outcome {
            let url = seen.observation(observed);
            if let Some(blocked) = self.guard(url.as_deref()) {
                return Err(blocked);
            }
        }
        Ok(CallResult::text("takeObservation", result_text(&outcome)))
    }
}
