//! The README's first example, line for line (a hygiene test compares them; a test runs it).
#![allow(clippy::print_stdout)]
use nova_act::{Batch, NovaAct, Task};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let nova = NovaAct::from_env().await?; // API key or IAM, decided by the environment
    println!("{}", nova.identity().await?); // which credentials, from where, which region
    let page = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "https://example.com".into());
    let task = Task::new("Return the page's main heading", page);
    println!("{:?}", Batch::new(&nova).run_one(task).await?.value); // browser, run, session, act
    Ok(())
}
