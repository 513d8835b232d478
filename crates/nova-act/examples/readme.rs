//! The README's first example, line for line (a hygiene test compares them; a test runs it).
#![allow(clippy::print_stdout)]
use nova_act::{NovaAct, browser::Browser};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let nova = NovaAct::from_env().await?; // API key or IAM, decided by the environment
    println!("{}", nova.identity().await?); // which credentials, from where, which region
    let page = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "https://example.com".into());
    let browser = Browser::builder().starting_page(page).launch().await?;
    let result = nova
        .workflow()
        .definition("readme") // IAM needs it (`nova-act workflow create readme`); API keys ignore it
        .run(|run| async move {
            let mut session = run.session(browser).await?;
            session.act("Return the page's main heading").await
        })
        .await?;
    println!("{:?}", result.value);
    Ok(())
}
