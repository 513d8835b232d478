//! A person at the terminal answers the agent's requests: approvals and browser takeovers.

use std::io::{BufRead, Write};

use nova_act::runtime::{Approval, HumanInput, HumanRequest, Takeover};

/// Asks on stderr and reads the answer from stdin. Used by `nova-act run` when stdin is a
/// terminal, so that a script never waits on a question nobody sees.
#[derive(Debug)]
pub(crate) struct Terminal;

/// Asks `question` and reads one line; `None` at the end of input.
async fn ask(question: String) -> Option<String> {
    tokio::task::spawn_blocking(move || {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{question}");
        let _ = err.flush();
        let mut line = String::new();
        match std::io::stdin().lock().read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim().to_lowercase()),
        }
    })
    .await
    .ok()
    .flatten()
}

#[async_trait::async_trait]
impl HumanInput for Terminal {
    async fn approve(&self, request: HumanRequest<'_>) -> Approval {
        let question = format!(
            "the agent asks for approval (act {}): {}\napprove? [y/N] ",
            request.act_id, request.message
        );
        match ask(question).await.as_deref() {
            Some("y" | "yes") => Approval::Yes,
            _ => Approval::Cancel,
        }
    }

    async fn ui_takeover(&self, request: HumanRequest<'_>) -> Takeover {
        let question = format!(
            "the agent hands you the browser (act {}): {}\npress Enter when done, or type \
             `cancel` to stop the act: ",
            request.act_id, request.message
        );
        match ask(question).await.as_deref() {
            Some("") => Takeover::Complete,
            _ => Takeover::Cancel,
        }
    }
}
