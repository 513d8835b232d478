//! What an act is asked: the task, its limits and tools, and the answer's schema.

use std::time::Duration;

#[cfg(feature = "schema")]
use super::super::answer::AnswerSchema;
use super::ActError;
use crate::model::ToolSpec;

/// Steps allowed by default.
pub const DEFAULT_MAX_STEPS: u32 = 30;
/// Steps must stay below this (the service's limit of steps per act).
pub const MAX_STEPS_LIMIT: u32 = crate::limits::MAX_STEPS_PER_ACT;
/// The shortest and longest act timeouts.
pub const TIMEOUT_RANGE: (Duration, Duration) = (Duration::from_secs(2), Duration::from_secs(1800));

/// What to do, and within which limits.
#[derive(Clone, Debug, PartialEq)]
pub struct ActRequest {
    pub(super) task: String,
    pub(super) max_steps: u32,
    pub(super) timeout: Option<Duration>,
    pub(super) tools: Vec<ToolSpec>,
    #[cfg(feature = "schema")]
    pub(super) schema: Option<AnswerSchema>,
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
    /// [`ActResult::value`](super::ActResult::value) is the answer parsed as JSON. See
    /// [`AnswerSchema`].
    #[cfg(feature = "schema")]
    #[must_use]
    pub fn schema(mut self, schema: AnswerSchema) -> Self {
        self.schema = Some(schema);
        self
    }

    /// The task as sent: with the answer's schema appended when there is one.
    pub(super) fn prompt(&self) -> String {
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
