//! Shows which credentials the SDK would use, where they came from, and the region.
//!
//! `cargo run -p nova-act --example whoami` — try it with `NOVA_ACT_API_KEY`, with
//! `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, or with `AWS_PROFILE`, and with none of them.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use nova_act::{Auth, CredentialProvider};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let auth = match Auth::from_env().await {
        Ok(auth) => auth,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    let creds = match auth.credentials().await {
        Ok(creds) => creds,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("mode:    {} (chosen by {})", auth.mode(), auth.selection());
    println!("source:  {}", creds.source());
    println!("key:     {}", creds.masked_id());
    println!("region:  {}", auth.region());
    match creds.expiry() {
        Some(at) => println!("expires: {}", humantime::format_rfc3339_seconds(at)),
        None => println!("expires: never"),
    }
    ExitCode::SUCCESS
}
