//! Shows which credentials the SDK would use, where they came from, and the region.
//!
//! `cargo run -p nova-act --example whoami` — try it with `NOVA_ACT_API_KEY`, with
//! `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, or with `AWS_PROFILE`, and with none of them.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use nova_act::NovaAct;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let nova = match NovaAct::from_env().await {
        Ok(nova) => nova,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    match nova.identity().await {
        Ok(identity) => {
            println!(
                "mode:     {} (chosen by {})",
                identity.mode, identity.selected_by
            );
            println!("source:   {}", identity.source);
            println!("key:      {}", identity.masked_id);
            println!("region:   {}", identity.region);
            println!("endpoint: {}", nova.client().endpoint());
            match identity.expires_at {
                Some(at) => println!("expires:  {}", humantime::format_rfc3339_seconds(at)),
                None => println!("expires:  never"),
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
