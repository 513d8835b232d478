//! Ten acts at once, each on an Amazon Bedrock AgentCore Browser session of its own:
//! `cargo run -p nova-act --features agentcore --example remote_pool -- "<task>" [N]`.
//!
//! Needs AWS IAM credentials (any source nova-auth reads) and NOVA_ACT_WORKFLOW_DEFINITION,
//! allowed the `run` and `remote-browser` tiers of `nova-act permissions`. No local browser is
//! started: the sessions run on AgentCore, and every one is stopped at the end, also on Ctrl-C.
#![allow(clippy::print_stdout)]
use nova_act::NovaAct;
use nova_act::agentcore::{BrowserPool, BrowserSessions, PoolError};
use nova_act::runtime::Shutdown;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let task = args
        .next()
        .unwrap_or_else(|| "Open https://example.com and return its main heading".into());
    let count: usize = args.next().map_or(Ok(10), |n| n.parse())?;

    let nova = NovaAct::from_env().await?;
    let sessions = BrowserSessions::builder(nova.auth()).build()?;
    let shutdown = Shutdown::on_signals();
    let pool = BrowserPool::new(&sessions)
        .concurrency(count)
        .shutdown(&shutdown);
    let answers = pool
        .run(0..count, |_, browser| {
            let workflow = nova.workflow().shutdown(shutdown.clone());
            let task = task.clone();
            async move { workflow.act_once(browser, task.as_str()).await }
        })
        .await;
    for (job, answer) in answers.into_iter().enumerate() {
        match answer {
            Ok(result) => println!("{job}: {}", result.value.unwrap_or_default()),
            Err(PoolError::Session(err)) => println!("{job}: no session: {err}"),
            Err(err) => println!("{job}: {}", nova_act::Report(&err)),
        }
    }
    Ok(())
}
