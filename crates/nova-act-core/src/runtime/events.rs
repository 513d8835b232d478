//! What a session's acts do, as it happens: typed events an application shows progress with,
//! without parsing logs. The same moments the `nova-act` command prints and the traces record.

use std::time::Duration;

use serde::Serialize;
use tokio::sync::broadcast;

/// How many events wait for a slow receiver before the oldest are dropped (and counted).
pub const EVENT_BUFFER: usize = 256;

/// One moment of an act. Serialized with `"event"` naming it, as the `nova-act` command's JSON
/// lines do (`act`, `step`, `action`, `throttled`, `human_asked`, `human_answered`,
/// `act_ended`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ActEvent {
    /// An act was created and starts.
    Act {
        /// The act.
        act_id: String,
        /// Its session.
        session_id: String,
        /// The task, as sent (placeholders as written).
        task: String,
    },
    /// The service planned the next calls.
    Step {
        /// The act.
        act_id: String,
        /// The step's number, from 1.
        step: u32,
        /// The step's id.
        step_id: String,
        /// How long InvokeActStep took, in milliseconds.
        server_time_ms: u64,
        /// The calls planned, by name.
        calls: Vec<String>,
    },
    /// A planned call ran: a browser action or a tool.
    Action {
        /// The act.
        act_id: String,
        /// The action or tool.
        name: String,
        /// How long it took, in milliseconds.
        ms: u64,
        /// Whether it succeeded.
        ok: bool,
    },
    /// A step waited for the account's step quota.
    Throttled {
        /// The act.
        act_id: String,
        /// How long it waited, in milliseconds.
        waited_ms: u64,
    },
    /// The agent asked a person (`human_Approve`, `human_UiTakeover`).
    HumanAsked {
        /// The act.
        act_id: String,
        /// The tool.
        tool: String,
    },
    /// The person answered.
    HumanAnswered {
        /// The act.
        act_id: String,
        /// The tool.
        tool: String,
        /// Whether they approved, or finished the takeover.
        done: bool,
        /// How long they took, in milliseconds.
        waited_ms: u64,
    },
    /// The act ended.
    ActEnded {
        /// The act.
        act_id: String,
        /// `SUCCEEDED` or `FAILED` (or `TIMED_OUT`).
        status: String,
        /// Steps taken.
        steps: u32,
        /// Why it failed: [`ActError::code`](super::ActError::code).
        error: Option<String>,
    },
}

/// Events of a session's acts, from [`Session::events`](super::Session::events). A receiver
/// that falls behind by more than [`EVENT_BUFFER`] events is told how many it missed; the act
/// never waits for it.
#[derive(Debug)]
pub struct ActEvents(broadcast::Receiver<ActEvent>);

/// Events a slow receiver missed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0} events were missed: the receiver fell behind")]
pub struct Missed(pub u64);

impl ActEvents {
    pub(crate) fn new(receiver: broadcast::Receiver<ActEvent>) -> Self {
        Self(receiver)
    }

    /// The next event; `Err(Missed(n))` once after falling behind by `n`; `None` when the
    /// session is gone.
    pub async fn next(&mut self) -> Option<Result<ActEvent, Missed>> {
        match self.0.recv().await {
            Ok(event) => Some(Ok(event)),
            Err(broadcast::error::RecvError::Lagged(n)) => Some(Err(Missed(n))),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }

    /// The next event if one is waiting, without waiting.
    pub fn try_next(&mut self) -> Option<Result<ActEvent, Missed>> {
        match self.0.try_recv() {
            Ok(event) => Some(Ok(event)),
            Err(broadcast::error::TryRecvError::Lagged(n)) => Some(Err(Missed(n))),
            Err(_) => None,
        }
    }
}

/// Sends events to whoever listens; nothing when no one does.
pub(crate) fn emit(sender: Option<&broadcast::Sender<ActEvent>>, event: impl FnOnce() -> ActEvent) {
    if let Some(sender) = sender.filter(|s| s.receiver_count() > 0) {
        let _ = sender.send(event());
    }
}

pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_receiver_that_falls_behind_is_told_how_many_it_missed() {
        let (sender, receiver) = broadcast::channel(2);
        let mut events = ActEvents::new(receiver);
        for step in 1..=5 {
            emit(Some(&sender), || ActEvent::Throttled {
                act_id: format!("a{step}"),
                waited_ms: 0,
            });
        }
        assert_eq!(events.next().await, Some(Err(Missed(3))));
        let Some(Ok(ActEvent::Throttled { act_id, .. })) = events.next().await else {
            panic!("the next event")
        };
        assert_eq!(act_id, "a4");
        drop(sender);
        assert!(events.next().await.unwrap().is_ok());
        assert_eq!(events.next().await, None);
    }

    #[test]
    fn events_are_named_as_the_cli_names_them() {
        let event = ActEvent::Act {
            act_id: "a".into(),
            session_id: "s".into(),
            task: "t".into(),
        };
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            serde_json::json!({"event": "act", "act_id": "a", "session_id": "s", "task": "t"})
        );
    }
}
