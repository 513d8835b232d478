//! An act in a real browser: `cargo run -p nova-act --example browser -- <url> "<task>"`.
//! Credentials come from the environment (NOVA_ACT_API_KEY, or AWS IAM; with IAM also set
//! NOVA_ACT_WORKFLOW_DEFINITION to a definition made with `nova-act workflow create NAME`);
//! Chromium or Chrome must be installed (or named by CHROME_PATH).
#![allow(clippy::print_stdout)]
use nova_act::{NovaAct, browser::Browser};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().unwrap_or_else(|| "https://example.com".into());
    let task = args
        .next()
        .unwrap_or_else(|| "Return the page's main heading".into());

    let nova = NovaAct::from_env().await?;
    let browser = Browser::builder().starting_page(url).launch().await?;
    let result = nova.workflow().act_once(browser, task).await?;
    println!("{}", result.value.unwrap_or_default());
    Ok(())
}
