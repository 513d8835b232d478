//! `nova-emulator`: a local Nova Act service on 127.0.0.1.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use nova_emulator::{AccessKey, Emulator, ScriptedPlanner};

fn usage() -> ExitCode {
    eprintln!(
        "usage: nova-emulator [--port N] [--script FILE] [--access-key-id ID --secret-access-key SECRET] [--api-key KEY]"
    );
    ExitCode::from(2)
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut args = std::env::args().skip(1);
    let (mut port, mut script, mut id, mut secret, mut api_key) = (0u16, None, None, None, None);
    while let Some(arg) = args.next() {
        let mut value = || args.next();
        match arg.as_str() {
            "--port" => match value().and_then(|v| v.parse().ok()) {
                Some(p) => port = p,
                None => return usage(),
            },
            "--script" => script = value().map(PathBuf::from),
            "--access-key-id" => id = value(),
            "--secret-access-key" => secret = value(),
            "--api-key" => api_key = value(),
            _ => return usage(),
        }
    }
    let mut builder = Emulator::builder();
    if let Some(path) = script {
        match ScriptedPlanner::from_file(&path) {
            Ok(planner) => builder = builder.planner(planner),
            Err(err) => {
                eprintln!("error: {err}");
                return ExitCode::FAILURE;
            }
        }
    }
    if let (Some(id), Some(secret)) = (id, secret) {
        builder = builder.access_key(AccessKey {
            access_key_id: id,
            secret_access_key: secret,
            session_token: None,
            arn: format!(
                "arn:aws:iam::{}:user/nova-emulator",
                nova_emulator::ACCOUNT_ID
            ),
        });
    }
    if let Some(key) = api_key {
        builder = builder.api_key(key);
    }
    let emulator = match builder
        .start_on(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
    {
        Ok(emulator) => emulator,
        Err(err) => {
            eprintln!("error: cannot listen on 127.0.0.1:{port}: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("Nova Act emulator on {}", emulator.url());
    println!();
    println!("  export AWS_ENDPOINT_URL_NOVA_ACT={}", emulator.url());
    println!("  export AWS_ENDPOINT_URL_STS={}", emulator.url());
    println!(
        "  export AWS_ACCESS_KEY_ID={}",
        emulator.access_key().access_key_id
    );
    println!(
        "  export AWS_SECRET_ACCESS_KEY={}",
        emulator.access_key().secret_access_key
    );
    println!("  # or, for the API-key service:");
    println!("  export NOVA_ACT_API_ENDPOINT={}", emulator.url());
    println!("  export NOVA_ACT_API_KEY={}", emulator.api_key());
    let _ = tokio::signal::ctrl_c().await;
    emulator.shutdown().await;
    ExitCode::SUCCESS
}
