//! A human in the loop: the agent asks a person to approve a step or to take over the browser.

use async_trait::async_trait;
use serde_json::{Value, json};

use crate::model::{ToolInputSchema, ToolSpec};

/// The tool the agent calls to ask for approval.
pub const APPROVE_TOOL: &str = "human_Approve";
/// The tool the agent calls to hand the browser to a person.
pub const UI_TAKEOVER_TOOL: &str = "human_UiTakeover";

/// A person's answer to an approval request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approval {
    /// Go ahead.
    Yes,
    /// Stop the act.
    Cancel,
}

/// How a person's turn at the browser ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Takeover {
    /// Done: the agent carries on from the page as the person left it.
    Complete,
    /// Stop the act.
    Cancel,
}

/// What a person is asked, and what they can look at to decide.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct HumanRequest<'a> {
    /// The agent's question or instruction.
    pub message: &'a str,
    /// The act asking.
    pub act_id: &'a str,
    /// Its session.
    pub session_id: &'a str,
    /// The latest screenshot, a `data:image/jpeg;base64,` URL, when there is one.
    pub screenshot: Option<&'a str>,
}

/// Answers the agent's requests for a person. When a session has one, the agent is offered the
/// tools `human_Approve` and `human_UiTakeover`, and only then; a cancel ends the act as FAILED
/// with [`ActError::HumanCanceled`](super::ActError::HumanCanceled). The time spent here is not
/// counted as time worked.
///
/// ```
/// use async_trait::async_trait;
/// use nova_act_core::runtime::{Approval, HumanInput, HumanRequest, Takeover};
///
/// /// Approves anything that does not mention payment.
/// #[derive(Debug)]
/// struct Cautious;
///
/// #[async_trait]
/// impl HumanInput for Cautious {
///     async fn approve(&self, request: HumanRequest<'_>) -> Approval {
///         if request.message.contains("pay") { Approval::Cancel } else { Approval::Yes }
///     }
///     async fn ui_takeover(&self, _request: HumanRequest<'_>) -> Takeover {
///         Takeover::Cancel
///     }
/// }
/// ```
#[async_trait]
pub trait HumanInput: Send + Sync + std::fmt::Debug {
    /// Asks whether the agent may go ahead with what `request.message` describes.
    async fn approve(&self, request: HumanRequest<'_>) -> Approval;

    /// Asks the person to do what `request.message` says in the browser, and returns when they
    /// are done.
    async fn ui_takeover(&self, request: HumanRequest<'_>) -> Takeover;
}

/// The tools offered to the model when a person is in the loop.
pub(crate) fn tool_specs() -> [ToolSpec; 2] {
    let message = |what: &str| ToolInputSchema {
        json: Some(json!({
            "type": "object",
            "properties": {"message": {"type": "string", "description": what}},
            "required": ["message"]
        })),
    };
    [
        ToolSpec {
            name: APPROVE_TOOL.to_owned(),
            description: "Ask the human user to approve an action before doing it, such as a \
                          purchase or a change that cannot be undone. Returns `yes` when \
                          approved."
                .to_owned(),
            input_schema: message("What needs approval, in words the user understands."),
        },
        ToolSpec {
            name: UI_TAKEOVER_TOOL.to_owned(),
            description: "Ask the human user to take over the browser for a step only a person \
                          can do, such as signing in or solving a CAPTCHA. Returns `complete` \
                          when they are done."
                .to_owned(),
            input_schema: message("What the user should do in the browser."),
        },
    ]
}

/// The `message` of a human tool's input (an object with `message`, or a bare string).
pub(crate) fn message_of(input: &Value) -> String {
    match input {
        Value::Object(map) => map
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        Value::String(text) => text.clone(),
        Value::Array(items) => items
            .first()
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    }
}
