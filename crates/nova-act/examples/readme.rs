//! The README's first example, line for line (a hygiene test compares them; a test runs it).
#![allow(clippy::print_stdout)]
use nova_act::{Batch, NovaAct, Task};

const PAGE: &str = "https://example.com"; // or the page given as the first argument

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let nova = NovaAct::from_env().await?; // API key or IAM, decided by the environment
    println!("{}", nova.identity().await?); // which credentials, from where, which region
    let page = std::env::args().nth(1).unwrap_or(PAGE.into());
    let task = Task::new("Return the page's main heading", page);
    println!("{:?}", Batch::new(&nova).run_one(task).await?.value); // browser, run, session, act
    Ok(())
}
