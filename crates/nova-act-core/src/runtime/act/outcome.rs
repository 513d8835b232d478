//! How an act ended: its result, or why it did not succeed, and how each ending is recorded.

use std::time::{Duration, SystemTime};

use serde_json::Value;

#[cfg(feature = "schema")]
use super::super::answer::{InvalidSchema, Mismatch};
use super::super::human;
use super::super::trace::TraceFiles;
use super::{ActRequest, message_of};
use crate::error::Error;
use crate::model::ActStatus;

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
    /// Time spent waiting for a person ([`HumanInput`](super::super::HumanInput)).
    pub human_wait: Duration,
    /// Steps the service throttled at least once (each was repeated until it passed).
    pub throttled_steps: u32,
    /// Time the steps waited for the account's step quota: the client's pace, and backoff
    /// after throttles.
    pub throttle_wait: Duration,
    /// The act's trace, when the session writes traces
    /// ([`Session::logs_dir`](crate::runtime::Session::logs_dir)).
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
    /// The program was asked to stop (a [`Shutdown`](crate::runtime::Shutdown)); the act was marked
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
    /// A secret placeholder could not be used: the task names one without a value (the act
    /// was not started), or a secret was about to be typed into a page it is not meant for
    /// (nothing was typed; the act was marked FAILED).
    #[error("{}the act was stopped", act_id.as_ref().map_or_else(String::new, |id| format!("act {id}: ")))]
    Secret {
        /// The act, when it was created.
        act_id: Option<String>,
        /// What was wrong.
        #[source]
        error: super::super::SecretError,
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
            Self::Secret { act_id: None, .. } => "ActInvalidInputError",
            Self::Secret { .. } => "ActStateGuardrailError",
            Self::Service(_) => "ActClientError",
        }
    }

    /// How UpdateAct records this ending of a created act: its status, and the message beside
    /// [`code`](Self::code). The one mapping of an act's end to what the service is told.
    pub(crate) fn record(&self) -> (ActStatus, String) {
        let message = match self {
            Self::TimedOut { .. } => return (ActStatus::TimedOut, "the act timed out".to_owned()),
            Self::InvalidRequest(message) => message.clone(),
            Self::AgentFailed { message, .. } => message.clone(),
            Self::MaxSteps { max_steps, .. } => format!("used all {max_steps} steps"),
            Self::StepLimit { .. } => format!(
                "reached the service's limit of {} steps per act",
                crate::limits::MAX_STEPS_PER_ACT
            ),
            Self::Interrupted { reason, .. } => format!("interrupted by {reason}"),
            #[cfg(feature = "schema")]
            Self::InvalidSchema(err) => err.to_string(),
            #[cfg(feature = "schema")]
            Self::AnswerMismatch { mismatch, .. } => mismatch.to_string(),
            Self::HumanCanceled { message, .. } => format!("a person cancelled: {message}"),
            Self::Blocked { url, .. } => format!("a guardrail blocked {url}"),
            Self::ActuatorGone { message, .. } => format!("the browser went away: {message}"),
            Self::Secret { error, .. } => error.to_string(),
            Self::Service(err) => nova_auth::Report(err).to_string(),
        };
        (ActStatus::Failed, message)
    }
}

/// How the loop ended.
pub(super) enum Ending {
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
    /// A secret was about to be typed where it does not belong.
    Secret(super::super::SecretError),
}

impl Ending {
    /// How the act ended, in one word: `error.type` on the action that ended it.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Self::Returned(_) => "Returned",
            Self::Thrown(_) => "Thrown",
            Self::MaxSteps => "MaxSteps",
            Self::StepLimit(_) => "StepLimit",
            Self::TimedOut => "Timeout",
            Self::Interrupted(_) => "Interrupted",
            Self::Failed(_) => "Failed",
            #[cfg(feature = "schema")]
            Self::Mismatch(_) => "Mismatch",
            Self::Canceled { .. } => "Canceled",
            Self::Blocked(_) => "Blocked",
            Self::Gone(_) => "Gone",
            Self::Secret(_) => "Secret",
        }
    }

    /// The act's answer, or its error: the one mapping of an ending to what the caller gets.
    pub(super) fn into_result(
        self,
        act_id: String,
        request: &ActRequest,
    ) -> Result<Option<Value>, ActError> {
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
            Self::Secret(error) => ActError::Secret {
                act_id: Some(act_id),
                error,
            },
        })
    }
}
