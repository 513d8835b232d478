//! Several browsers at once in one workflow run: one session per browser, acts running
//! concurrently. `cargo run -p nova-act --example concurrent -- "<task>" <url> <url> …`.
//! Credentials come from the environment (NOVA_ACT_API_KEY, or AWS IAM with
//! NOVA_ACT_WORKFLOW_DEFINITION); Chromium or Chrome must be installed.
#![allow(clippy::print_stdout)]
use futures_util::future::join_all;
use nova_act::runtime::ActError;
use nova_act::{NovaAct, browser::Browser};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args
        .first()
        .map_or("Return the page's main heading", String::as_str);
    let mut urls = args.get(1..).unwrap_or_default().to_vec();
    if urls.is_empty() {
        urls = vec!["https://example.com".into(), "https://example.org".into()];
    }

    let nova = NovaAct::from_env().await?;
    // Every browser is started before the run, so a missing browser stops nothing half-done.
    let mut browsers = Vec::new();
    for url in &urls {
        browsers.push(Browser::builder().starting_page(url).launch().await?);
    }
    let answers = nova
        .workflow()
        .run(|run| async move {
            let mut sessions = Vec::new();
            for browser in browsers {
                sessions.push(run.session(browser).await?);
            }
            // Each act borrows its own session; they run at the same time.
            let answers = join_all(sessions.iter_mut().map(|s| s.act(task))).await;
            // Awaited, so every browser is gone before the program ends, whatever happened.
            for session in &mut sessions {
                session.actuator().close().await;
            }
            answers.into_iter().collect::<Result<Vec<_>, ActError>>()
        })
        .await?;
    for (url, answer) in urls.iter().zip(answers) {
        println!("{url}: {}", answer.value.unwrap_or_default());
    }
    Ok(())
}
