//! `nova-act`: check authentication, print IAM policies, manage workflows.
//!
//! Exit codes: 0 success, 1 failure (the error and its fix on stderr), 2 bad usage.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod auth;
mod commands;
mod output;
mod quickstart;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The Amazon Nova Act command line.
#[derive(Debug, Parser)]
#[command(name = "nova-act", version, about, propagate_version = true)]
pub(crate) struct Cli {
    /// The AWS profile to use (IAM).
    #[arg(long, global = true)]
    profile: Option<String>,
    /// The AWS region.
    #[arg(long, global = true)]
    region: Option<String>,
    /// Send Nova Act requests here (an emulator, a proxy).
    #[arg(long, global = true)]
    endpoint_url: Option<String>,
    /// Machine-readable JSON on stdout.
    #[arg(long, global = true)]
    json: bool,
    /// More logs on stderr (-v debug, -vv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Which credentials are used, and whether they work.
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Print a least-privilege IAM policy for what the SDK calls.
    Permissions {
        /// Scope the policy to this workflow definition.
        #[arg(long)]
        workflow: Option<String>,
        /// Only reads (Get and List).
        #[arg(long)]
        read_only: bool,
    },
    /// List the models this SDK may use.
    Models,
    /// Manage workflow definitions (IAM).
    #[command(subcommand)]
    Workflow(WorkflowCommand),
    /// Run a whole workflow, step by step, on the embedded emulator (no account needed).
    Quickstart {
        /// Run against the real service with your own credentials instead.
        #[arg(long)]
        live: bool,
        /// Drive a real headless Chromium on a local shop page instead of a pretend browser.
        #[arg(long)]
        browser: bool,
    },
}

#[derive(Debug, Subcommand)]
enum AuthCommand {
    /// The mode, source, masked key, region and expiry of the credentials in use.
    Status,
    /// Run every check, each with its fix.
    Doctor,
}

#[derive(Debug, Subcommand)]
enum WorkflowCommand {
    /// Create a workflow definition.
    Create {
        /// Its name (`[a-zA-Z0-9_-]{1,40}`).
        name: String,
        /// What it does.
        #[arg(long)]
        description: Option<String>,
    },
    /// List workflow definitions.
    List,
    /// Show one workflow definition.
    Show {
        /// Its name.
        name: String,
    },
    /// Delete a workflow definition.
    Delete {
        /// Its name.
        name: String,
    },
    /// List the runs of a workflow definition.
    Runs {
        /// Its name.
        name: String,
    },
}

fn init_logs(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(output::stderr_is_terminal())
        .init();
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(cli.verbose);
    let result = match &cli.command {
        Command::Auth(AuthCommand::Status) => auth::status(&cli).await,
        Command::Auth(AuthCommand::Doctor) => auth::doctor(&cli).await,
        Command::Permissions {
            workflow,
            read_only,
        } => commands::permissions(&cli, workflow.clone(), *read_only).await,
        Command::Models => commands::models(&cli).await,
        Command::Workflow(command) => commands::workflow(&cli, command).await,
        Command::Quickstart { live, browser } => quickstart::run(&cli, *live, *browser).await,
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

impl Cli {
    /// The auth settings the global options give.
    pub(crate) fn auth_builder(&self) -> nova_act::AuthBuilder {
        let mut builder = nova_act::Auth::builder();
        if let Some(profile) = &self.profile {
            builder = builder.profile_name_from(profile.clone(), "--profile");
        }
        if let Some(region) = &self.region {
            builder = builder.region(region.clone());
        }
        builder
    }

    /// A client for the global options.
    pub(crate) async fn nova(&self) -> Result<nova_act::NovaAct, String> {
        let mut builder = nova_act::NovaAct::builder();
        if let Some(profile) = &self.profile {
            builder = builder.profile_from(profile.clone(), "--profile");
        }
        if let Some(region) = &self.region {
            builder = builder.region(region.clone());
        }
        if let Some(url) = &self.endpoint_url {
            builder = builder.endpoint_url(url.clone());
        }
        builder.build().await.map_err(|err| err.to_string())
    }
}

pub(crate) use WorkflowCommand as Workflow;
