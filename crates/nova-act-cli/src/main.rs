//! `nova-act`: check authentication, print IAM policies, run tasks, manage and deploy
//! workflows.
//!
//! Exit codes: 0 success, 1 failure (the error and its fix on stderr), 2 bad usage (input
//! refused before anything started), 130 interrupted (Ctrl-C or SIGTERM).
//! `--json` on any command prints a stable JSON shape on stdout (docs/cli.md).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod auth;
mod commands;
mod deploy;
mod hints;
mod human;
#[cfg(unix)]
mod local;
mod output;
mod progress;
mod quickstart;
mod run;
mod tasks;

use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

/// The Amazon Nova Act command line.
#[derive(Debug, Parser)]
#[command(name = "nova-act", version, about, propagate_version = true)]
pub(crate) struct Cli {
    /// Which credentials to use when both kinds are configured.
    #[arg(
        long,
        global = true,
        env = "NOVA_ACT_AUTH",
        value_name = "MODE",
        ignore_case = true
    )]
    auth: Option<AuthArg>,
    /// The AWS profile to use (IAM).
    #[arg(long, global = true, env = "AWS_PROFILE", value_name = "NAME")]
    profile: Option<String>,
    /// The AWS region (also AWS_DEFAULT_REGION, then the profile's `region`).
    #[arg(long, global = true, env = "AWS_REGION", value_name = "REGION")]
    region: Option<String>,
    /// Send Nova Act requests here (an emulator, a proxy). With an API key the variable is
    /// NOVA_ACT_API_ENDPOINT; AWS_ENDPOINT_URL applies to every AWS service.
    #[arg(
        long,
        global = true,
        env = "AWS_ENDPOINT_URL_NOVA_ACT",
        value_name = "URL"
    )]
    endpoint_url: Option<String>,
    /// Attempts per request, the first included (then the profile's `max_attempts`; default 3).
    #[arg(
        long,
        global = true,
        env = "AWS_MAX_ATTEMPTS",
        value_name = "N",
        value_parser = attempts
    )]
    max_attempts: Option<u32>,
    /// How retries behave (then the profile's `retry_mode`; default standard).
    #[arg(
        long,
        global = true,
        env = "AWS_RETRY_MODE",
        value_name = "MODE",
        ignore_case = true
    )]
    retry_mode: Option<RetryModeArg>,
    /// Machine-readable JSON on stdout, in the shapes docs/cli.md lists (`quickstart`: one
    /// object per line).
    #[arg(long, global = true)]
    json: bool,
    /// More logs on stderr (-v debug, -vv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Export spans and metrics over OTLP/HTTP (`--otel=URL`; default the OTEL_EXPORTER_OTLP_*
    /// variables, then http://localhost:4318). Also on when OTEL_EXPORTER_OTLP_ENDPOINT is set;
    /// OTEL_SDK_DISABLED=true turns it off.
    #[arg(
        long,
        global = true,
        value_name = "URL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = ""
    )]
    otel: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Which credentials are used, and whether they work.
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Print a least-privilege IAM policy for what the SDK calls, in tiers.
    Permissions {
        /// How much to allow: `read` (Get and List), `run` (also run workflows), `manage` (also
        /// create and delete definitions, delete runs), `remote-browser` (AgentCore Browser
        /// sessions, for `run --remote`), `deploy` (what `workflow deploy` needs), or
        /// `api-key-store` (reading the API key from the store the environment names).
        #[arg(long = "for", value_name = "TIER", default_value = "run")]
        tier: TierArg,
        /// Scope the policy to this workflow definition.
        #[arg(long)]
        workflow: Option<String>,
        /// The account in the ARNs (default: the credentials' account when known, else `*`).
        #[arg(long, value_name = "ID")]
        account: Option<String>,
    },
    /// List the models this SDK may use.
    Models,
    /// Manage workflow definitions (IAM), and deploy, invoke and undeploy workflows on
    /// AgentCore Runtime.
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
    /// Run one task in a real browser, printing each step; the answer is checked against
    /// `--schema` when one is given.
    Run(run::RunArgs),
    /// Print a completion script for a shell (`nova-act completions bash > …`).
    Completions {
        /// The shell.
        shell: Shell,
    },
}

/// `--auth`, as `NOVA_ACT_AUTH` spells it.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum AuthArg {
    /// The nova.amazon.com API key (NOVA_ACT_API_KEY).
    #[value(alias = "apikey", alias = "api_key")]
    ApiKey,
    /// AWS credentials from the standard places.
    #[value(alias = "aws")]
    Iam,
}

/// `permissions --for`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum TierArg {
    /// Get and List only.
    Read,
    /// Run workflows under existing definitions.
    Run,
    /// Also create and delete definitions, and delete runs.
    Manage,
    /// Remote browsers on Amazon Bedrock AgentCore Browser (the session and stream actions).
    RemoteBrowser,
    /// What `workflow deploy` needs: `manage`, the image repositories, the execution roles and
    /// the AgentCore runtimes.
    Deploy,
    /// Reading the API key from the store `NOVA_ACT_API_KEY_SECRET_ID`,
    /// `NOVA_ACT_API_KEY_PARAMETER` or `NOVA_ACT_API_KEY_AGENTCORE_PROVIDER` names.
    ApiKeyStore,
}

/// `--retry-mode`, as the AWS SDKs spell it.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum RetryModeArg {
    /// Backoff with jitter for each request on its own.
    Standard,
    /// Also slow every request down once the service throttles.
    Adaptive,
}

/// `--max-attempts`: a whole number, 1 or more.
fn attempts(text: &str) -> Result<u32, String> {
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| "expected a whole number of attempts, 1 or more".to_owned())
}

/// The shells completion scripts are made for.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum Shell {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
    /// PowerShell.
    Powershell,
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
        /// Export each run's trace to this S3 bucket.
        #[arg(long, value_name = "BUCKET")]
        export_bucket: Option<String>,
        /// Under this key prefix of the export bucket.
        #[arg(long, value_name = "PREFIX", requires = "export_bucket")]
        export_prefix: Option<String>,
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
    /// Deploy a workflow to Amazon Bedrock AgentCore Runtime (IAM): its definition, image,
    /// execution role and runtime, each step printed as it happens.
    Deploy(deploy::DeployArgs),
    /// Invoke a deployed workflow and print its answer as it arrives.
    Invoke(deploy::InvokeArgs),
    /// Remove a deployed workflow's runtime (and with --yes its role and image repository).
    Undeploy(deploy::UndeployArgs),
    /// The supervisor of a `deploy --local` runtime (started by it; not for direct use).
    #[command(hide = true)]
    LocalRuntime {
        /// The workflow.
        name: String,
        /// The runtime to serve.
        #[arg(long, value_name = "PATH")]
        binary: std::path::PathBuf,
        /// The store the runtime reads its API key from (`deploy --api-key-from`).
        #[arg(long, value_name = "STORE:NAME")]
        api_key_from: Option<String>,
    },
}

/// The logs on stderr, and OpenTelemetry export when asked for (each layer with its own filter,
/// so `-v` does not change what is exported).
fn init_logs(verbose: u8, otel: Option<&str>) -> Option<nova_act::otel::Telemetry> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{EnvFilter, Layer};
    let default = match verbose {
        0 => "warn",
        1 => "debug",
        _ => "trace",
    };
    // The command prints its own notice when an API key ignores a named definition.
    // ... and its own line when a signal stops a workflow. aws-config's warnings about a
    // credential source that failed repeat the error the command prints, without its fix.
    let quiet_aws = if verbose == 0 {
        ",aws_config=error"
    } else {
        ""
    };
    let default = format!(
        "{default}{quiet_aws},{}=off,{}=off,{}=off,{}=off",
        nova_act::runtime::DEFINITION_NOTICE,
        nova_act::MODE_NOTICE,
        nova_act::runtime::SHUTDOWN_NOTICE,
        nova_act::otel::METRICS_TARGET,
    );
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(output::stderr_colored())
        .with_filter(filter);
    let telemetry = otel_wanted(otel).and_then(|endpoint| {
        let builder = nova_act::otel::Telemetry::builder();
        let builder = match endpoint {
            Some(url) => builder.endpoint(url),
            None => builder,
        };
        builder
            .build()
            .inspect_err(|err| eprintln!("warning: OpenTelemetry export is off: {err}"))
            .ok()
    });
    let otel = telemetry.as_ref().map(nova_act::otel::Telemetry::layer);
    tracing_subscriber::registry().with(fmt).with(otel).init();
    telemetry
}

/// Whether to export, and to where: `--otel=URL`, `--otel` (the variables, then the default),
/// or an OTLP endpoint variable set.
fn otel_wanted(flag: Option<&str>) -> Option<Option<&str>> {
    match flag {
        Some("") => Some(None),
        Some(url) => Some(Some(url)),
        None => [
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        ]
        .iter()
        .any(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()))
        .then_some(None),
    }
}

/// The command line, with the global options that came from their environment variable set
/// aside: the library reads those variables itself, with their full precedence rules (and
/// names them, not a flag, in what it reports).
fn parse() -> Cli {
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
    let from_env = |id: &str| matches.value_source(id) == Some(ValueSource::EnvVariable);
    if from_env("auth") {
        cli.auth = None;
    }
    if from_env("profile") {
        cli.profile = None;
    }
    if from_env("region") {
        cli.region = None;
    }
    if from_env("endpoint_url") {
        cli.endpoint_url = None;
    }
    // Checked by clap above (a bad value is a usage error); the library reads them again.
    if from_env("max_attempts") {
        cli.max_attempts = None;
    }
    if from_env("retry_mode") {
        cli.retry_mode = None;
    }
    cli
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = parse();
    let telemetry = init_logs(cli.verbose, cli.otel.as_deref());
    let code = command(&cli).await;
    if let Some(telemetry) = telemetry {
        telemetry.shutdown().await;
    }
    code
}

async fn command(cli: &Cli) -> ExitCode {
    let result = match &cli.command {
        Command::Auth(AuthCommand::Status) => auth::status(cli).await,
        Command::Auth(AuthCommand::Doctor) => auth::doctor(cli).await,
        Command::Permissions {
            tier,
            workflow,
            account,
        } => commands::permissions(cli, *tier, workflow.clone(), account.clone()).await,
        Command::Models => commands::models(cli).await,
        Command::Workflow(WorkflowCommand::Deploy(args)) => {
            return finish(deploy::deploy(cli, args).await);
        }
        Command::Workflow(WorkflowCommand::Invoke(args)) => {
            return finish(deploy::invoke(cli, args).await);
        }
        Command::Workflow(WorkflowCommand::Undeploy(args)) => {
            return finish(deploy::undeploy(cli, args).await);
        }
        #[cfg(unix)]
        Command::Workflow(WorkflowCommand::LocalRuntime {
            name,
            binary,
            api_key_from,
        }) => local::supervise(name, binary, api_key_from.as_deref()).await,
        #[cfg(not(unix))]
        Command::Workflow(WorkflowCommand::LocalRuntime { .. }) => {
            Err("--local runs on Linux and macOS only".to_owned())
        }
        Command::Workflow(command) => return finish(commands::workflow(cli, command).await),
        Command::Quickstart { live, browser } => quickstart::run(cli, *live, *browser).await,
        Command::Run(args) => return finish(run::run(cli, args).await),
        Command::Completions { shell } => commands::completions(cli, *shell),
    };
    finish(result.map_err(Failure::from))
}

/// The exit code of a command's outcome, its error (if any) printed on stderr.
fn finish(outcome: Result<ExitCode, Failure>) -> ExitCode {
    match outcome {
        Ok(code) => code,
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Failed(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Why a command did not succeed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Its input was refused before anything started (exit 2).
    Usage(String),
    /// It started and failed (exit 1).
    Failed(String),
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Self::Failed(message)
    }
}

/// An error for stderr: its own message, then each cause on a `caused by:` line, then the
/// command that fixes it when there is one.
pub(crate) fn report(err: &(dyn std::error::Error + 'static)) -> String {
    with_hint(
        format!("{:#}", nova_act::Report(err)),
        hints::for_error(err),
    )
}

/// [`report`] for a workflow run's error, which also says how to make a missing definition.
pub(crate) fn report_run<E>(err: &nova_act::runtime::WorkflowError<E>) -> String
where
    nova_act::runtime::WorkflowError<E>: std::error::Error + 'static,
{
    let hint = hints::for_workflow(err).or_else(|| hints::for_error(err));
    with_hint(format!("{:#}", nova_act::Report(err)), hint)
}

fn with_hint(text: String, hint: Option<String>) -> String {
    match hint {
        Some(hint) => format!("{text}\n  hint: {hint}"),
        None => text,
    }
}

impl Cli {
    /// The mode `--auth` forces, if given on the command line.
    fn mode(&self) -> Option<nova_act::AuthMode> {
        self.auth.map(|mode| match mode {
            AuthArg::ApiKey => nova_act::AuthMode::ApiKey,
            AuthArg::Iam => nova_act::AuthMode::Iam,
        })
    }

    /// When an API key is used while AWS credentials are configured too, says so on stderr
    /// once, with the way to choose the other.
    pub(crate) fn mode_notice(&self, identity: &nova_act::Identity) {
        let ignored: Vec<String> = identity
            .available
            .iter()
            .filter(|found| found.mode != identity.mode)
            .map(|found| found.source.clone())
            .collect();
        let stores: Vec<&str> = identity
            .available
            .iter()
            .filter(|found| found.source.starts_with("NOVA_ACT_API_KEY_"))
            .map(|found| found.source.as_str())
            .collect();
        if !stores.is_empty() {
            match (identity.mode, identity.selected_by) {
                (_, nova_act::Selection::ApiKeyVariable) => eprintln!(
                    "note: NOVA_ACT_API_KEY is set, so the key in it is used and {} is ignored; \
                     unset one of them",
                    stores.join(", ")
                ),
                (nova_act::AuthMode::Iam, by) => eprintln!(
                    "note: IAM is used (chosen by {by}), so {} is ignored",
                    stores.join(", ")
                ),
                _ => {}
            }
        }
        if identity.selected_by == nova_act::Selection::ApiKeyVariable && !ignored.is_empty() {
            eprintln!(
                "note: NOVA_ACT_API_KEY is set, so the API key is used and the AWS credentials \
                 ({}) are not; `--auth iam` (or NOVA_ACT_AUTH=iam) uses them",
                ignored.join(", ")
            );
        }
    }

    /// The auth settings the global options give.
    pub(crate) fn auth_builder(&self) -> nova_act::AuthBuilder {
        let mut builder = nova_act::Auth::builder();
        if let Some(mode) = self.mode() {
            builder = builder.mode_from(mode, "--auth");
        }
        if let Some(profile) = &self.profile {
            builder = builder.profile_name_from(profile.clone(), "--profile");
        }
        if let Some(region) = &self.region {
            builder = builder.region(region.clone());
        }
        builder
    }

    /// With an API key, the notice that a named workflow definition is ignored (the API-key
    /// service has only `default`), printed once.
    pub(crate) fn definition_notice(&self, nova: &nova_act::NovaAct, named: Option<&str>) {
        let named = named.or_else(|| nova.client().workflow_definition());
        if nova.client().mode() == nova_act::AuthMode::ApiKey
            && let Some(name) = named.filter(|name| *name != nova_act::runtime::API_KEY_DEFINITION)
        {
            eprintln!(
                "note: workflow definition `{name}` is ignored: the API-key service has only \
                 `default` (with IAM credentials `{name}` is used)"
            );
        }
    }

    /// A client for the global options.
    pub(crate) async fn nova(&self) -> Result<nova_act::NovaAct, String> {
        let mut builder = nova_act::NovaAct::builder().auth(self.auth_builder());
        if let Some(url) = &self.endpoint_url {
            builder = builder.endpoint_url(url.clone());
        }
        if let Some(max_attempts) = self.max_attempts {
            builder = builder.retry(nova_act::RetryConfig {
                max_attempts,
                ..Default::default()
            });
        }
        if let Some(mode) = self.retry_mode {
            builder = builder.retry_mode(match mode {
                RetryModeArg::Standard => nova_act::RetryMode::Standard,
                RetryModeArg::Adaptive => nova_act::RetryMode::Adaptive,
            });
        }
        let nova = builder.build().await.map_err(|err| crate::report(&err))?;
        if let Ok(identity) = nova.identity().await {
            self.mode_notice(&identity);
        }
        Ok(nova)
    }
}

pub(crate) use WorkflowCommand as Workflow;
