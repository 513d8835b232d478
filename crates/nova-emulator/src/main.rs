//! `nova-emulator`: a local Nova Act service.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use nova_emulator::{AccessKey, Emulator, Policy, Quotas, ScriptedPlanner, StepLatency};

/// A local Amazon Nova Act service for development and tests: every operation, SigV4 and
/// API-key checks, IAM-style policies, a scripted planner, STS (caller identity, role assumption,
/// web identity) and the SSO portal. Not a production service.
///
/// As strict as the service: per caller (an AWS account or an API key), 5 InvokeActStep and 100
/// of every other operation per second (429 ThrottlingException beyond them); 200 steps per act,
/// 5,000,000-byte step bodies, 100 tools and 350,000 bytes of tool specifications per act
/// (400 ValidationException beyond them).
#[derive(Debug, Parser)]
#[command(name = "nova-emulator", version)]
struct Args {
    /// The address to listen on; port 0 picks a free port. An address beyond loopback (such as
    /// 0.0.0.0 in a container) is reachable by others: a warning says so.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: String,

    /// An AWS access key to accept, as ID:SECRET (repeatable). Prefer the environment variable:
    /// arguments are visible to every user of the machine in `ps`. Without any, one is generated.
    #[arg(
        long = "access-key",
        value_name = "ID:SECRET",
        env = "NOVA_EMULATOR_ACCESS_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    access_keys: Vec<String>,

    /// An API key to accept (repeatable; the environment variable is comma separated). Without
    /// any, one is generated.
    #[arg(
        long = "api-key",
        value_name = "KEY",
        env = "NOVA_EMULATOR_API_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    api_keys: Vec<String>,

    /// The region signatures must be scoped to.
    #[arg(long, value_name = "R", default_value = "us-east-1")]
    region: String,

    /// A planner script (JSON): tasks and the steps that answer them.
    #[arg(long, value_name = "FILE")]
    script: Option<PathBuf>,

    /// Holds sessions of role NAME (from STS AssumeRole, web identity or the SSO portal) to the
    /// IAM policy in FILE, such as one `nova-act permissions --json` printed (repeatable). Other
    /// roles of the account can be assumed too, without limits.
    #[arg(long = "role", value_name = "NAME=FILE")]
    roles: Vec<String>,

    /// InvokeActStep requests per second allowed per caller, the service's quota (0 = no limit).
    #[arg(long, value_name = "N", env = "NOVA_EMULATOR_STEP_RATE", default_value_t = nova_act_core::limits::STEP_RATE, value_parser = rate)]
    step_rate: f64,

    /// Requests per second of each other operation allowed per caller (0 = no limit).
    #[arg(long, value_name = "N", env = "NOVA_EMULATOR_OP_RATE", default_value_t = nova_act_core::limits::OPERATION_RATE, value_parser = rate)]
    op_rate: f64,

    /// How long each step takes to answer, in milliseconds: the model's think time, fixed (MS)
    /// or drawn from a range (MIN-MAX).
    #[arg(
        long,
        value_name = "MS",
        env = "NOVA_EMULATOR_STEP_LATENCY",
        default_value = "0"
    )]
    step_latency: StepLatency,

    /// A Secrets Manager secret to serve, NAME=VALUE, or NAME=@FILE so the value stays out of
    /// `ps` (repeatable).
    #[arg(long = "secrets-manager-secret", value_name = "NAME=VALUE")]
    secrets: Vec<String>,

    /// An SSM parameter (SecureString) to serve, NAME=VALUE or NAME=@FILE (repeatable).
    #[arg(long = "ssm-parameter", value_name = "NAME=VALUE")]
    parameters: Vec<String>,

    /// An AgentCore Identity API-key credential provider to serve, PROVIDER=VALUE or
    /// PROVIDER=@FILE (repeatable).
    #[arg(long = "identity-api-key", value_name = "PROVIDER=VALUE")]
    identity_api_keys: Vec<String>,

    /// Append every request received, with its body, to FILE as JSON Lines ({"at", "method",
    /// "path", "status", "body"}); a new file is created 0600.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,

    /// The seed step latencies drawn from a range use.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
}

/// A rate: a decimal of at least 0.
fn rate(value: &str) -> Result<f64, String> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|rate| rate.is_finite() && *rate >= 0.0)
        .ok_or_else(|| {
            format!("`{value}` is not a rate; expected requests per second, 0 for no limit")
        })
}

/// `NAME=VALUE` or `NAME=@FILE` (the file's content, without its final line break): a value a
/// key store serves.
fn stored(flag: &str, value: &str) -> Result<(String, String), clap::Error> {
    let Some((name, value)) = value.split_once('=').filter(|(n, _)| !n.is_empty()) else {
        // The value may be a secret: not repeated.
        return Err(usage(format!(
            "a {flag} value is not NAME=VALUE or NAME=@FILE"
        )));
    };
    let value = match value.strip_prefix('@') {
        Some(file) => std::fs::read_to_string(file)
            .map_err(|err| usage(format!("{flag} {name}: cannot read {file}: {err}")))?
            .trim_end_matches(['\r', '\n'])
            .to_owned(),
        None => value.to_owned(),
    };
    Ok((name.to_owned(), value))
}

/// `NAME=FILE`: the role and the policy document its sessions are held to.
fn role(value: &str) -> Result<(String, Policy), clap::Error> {
    let Some((name, file)) = value
        .split_once('=')
        .filter(|(n, f)| !n.is_empty() && !f.is_empty())
    else {
        return Err(usage(format!(
            "`{value}` is not a role; expected NAME=FILE, such as Runner=run-policy.json"
        )));
    };
    let text = std::fs::read_to_string(file).map_err(|err| {
        usage(format!(
            "cannot read the policy of role {name} from {file}: {err}"
        ))
    })?;
    let policy = Policy::from_json(&text)
        .map_err(|err| usage(format!("the policy of role {name} in {file} is {err}")))?;
    Ok((name.to_owned(), policy))
}

/// A usage error (exit 2) in clap's own form.
fn usage(message: String) -> clap::Error {
    Args::command().error(ErrorKind::ValueValidation, message)
}

/// `ID:SECRET`, with both parts non-empty. The error never shows the secret.
fn access_key(value: &str) -> Result<AccessKey, clap::Error> {
    let arn = format!(
        "arn:aws:iam::{}:user/nova-emulator",
        nova_emulator::ACCOUNT_ID
    );
    match value.split_once(':') {
        Some((id, secret)) if !id.is_empty() && !secret.is_empty() => Ok(AccessKey {
            access_key_id: id.to_owned(),
            secret_access_key: secret.to_owned(),
            session_token: None,
            arn,
        }),
        Some((id, _)) if !id.is_empty() => Err(usage(format!(
            "the access key `{id}:` has an empty secret; expected ID:SECRET, such as \
             AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        ))),
        Some(_) => Err(usage(
            "an access key has an empty ID before `:`; expected ID:SECRET".to_owned(),
        )),
        None => Err(usage(format!(
            "the access key `{}` has no `:`; expected ID:SECRET, such as \
             AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            mask(value)
        ))),
    }
}

/// The last four characters, as the project shows any value that might be a secret.
fn mask(value: &str) -> String {
    let tail: String = value
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail}")
}

fn listen_addr(value: &str) -> Result<SocketAddr, clap::Error> {
    value
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| {
            usage(format!(
                "`{value}` is not an address to listen on; expected HOST:PORT, such as \
                 127.0.0.1:8080 or 0.0.0.0:0"
            ))
        })
}

/// Waits for Ctrl-C, or SIGTERM where there is one.
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let parsed = (|| {
        let addr = listen_addr(&args.listen)?;
        let keys = args
            .access_keys
            .iter()
            .filter(|value| !value.is_empty())
            .map(|value| access_key(value))
            .collect::<Result<Vec<_>, _>>()?;
        let roles = args
            .roles
            .iter()
            .map(|value| role(value))
            .collect::<Result<Vec<_>, _>>()?;
        let mut stores = Vec::new();
        for (flag, values) in [
            ("--secrets-manager-secret", &args.secrets),
            ("--ssm-parameter", &args.parameters),
            ("--identity-api-key", &args.identity_api_keys),
        ] {
            for value in values {
                stores.push((flag, stored(flag, value)?));
            }
        }
        Ok::<_, clap::Error>((addr, keys, roles, stores))
    })();
    let (addr, keys, roles, stores) = match parsed {
        Ok(parsed) => parsed,
        Err(err) => err.exit(),
    };
    let mut builder = Emulator::builder().region(args.region.clone()).quotas(
        Quotas::service()
            .step_rate(args.step_rate)
            .op_rate(args.op_rate),
    );
    builder = builder.step_latency(args.step_latency);
    if let Some(seed) = args.seed {
        builder = builder.seed(seed);
    }
    if let Some(path) = &args.script {
        match ScriptedPlanner::from_file(path) {
            Ok(planner) => builder = builder.planner(planner),
            Err(err) => {
                eprintln!("error: {err}");
                return ExitCode::FAILURE;
            }
        }
    }
    for key in keys {
        builder = builder.access_key(key);
    }
    for (name, policy) in roles {
        builder = builder.role(name, policy);
    }
    for (flag, (name, value)) in stores {
        builder = match flag {
            "--secrets-manager-secret" => builder.secret(&name, &value),
            "--ssm-parameter" => builder.parameter(&name, &value),
            _ => builder.identity_api_key(&name, &value),
        };
    }
    if let Some(path) = &args.record {
        builder = match builder.record_to(path) {
            Ok(builder) => builder,
            Err(err) => {
                eprintln!("error: --record {}: {err}", path.display());
                return ExitCode::from(2);
            }
        };
    }
    for key in args.api_keys.iter().filter(|key| !key.is_empty()) {
        builder = builder.api_key(key.clone());
    }
    let emulator = match builder.start_on(addr).await {
        Ok(emulator) => emulator,
        Err(err) => {
            eprintln!("error: cannot listen on {addr}: {err}");
            return ExitCode::FAILURE;
        }
    };
    let bound = emulator.addr();
    println!("listening on http://{bound}");
    if !bound.ip().is_loopback() {
        eprintln!(
            "warning: listening on {bound}, beyond this machine's loopback: the emulator is a \
             development service without TLS, and anyone who reaches it with the keys below can \
             use it"
        );
    }
    // Clients reach an unspecified address (0.0.0.0, ::) through loopback.
    let mut reach = bound;
    if reach.ip().is_unspecified() {
        reach.set_ip(match reach {
            SocketAddr::V4(_) => [127, 0, 0, 1].into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let url = format!("http://{reach}");
    let key = emulator.access_key();
    println!(
        "access key {} (region {})",
        key.access_key_id,
        emulator.region()
    );
    println!("api key    {}", emulator.api_key());
    println!();
    println!("  export AWS_ENDPOINT_URL_NOVA_ACT={url}");
    println!("  export AWS_ENDPOINT_URL_STS={url}");
    println!("  export AWS_ENDPOINT_URL_SSO={url}");
    println!("  export AWS_ENDPOINT_URL_SECRETS_MANAGER={url}");
    println!("  export AWS_ENDPOINT_URL_SSM={url}");
    println!("  export AWS_ENDPOINT_URL_BEDROCK_AGENTCORE={url}");
    println!("  export AWS_REGION={}", emulator.region());
    println!("  export AWS_ACCESS_KEY_ID={}", key.access_key_id);
    println!("  export AWS_SECRET_ACCESS_KEY={}", key.secret_access_key);
    println!("  # or, for the API-key service:");
    println!("  export NOVA_ACT_API_ENDPOINT={url}");
    println!("  export NOVA_ACT_API_KEY={}", emulator.api_key());
    interrupted().await;
    eprintln!("stopping");
    emulator.shutdown().await;
    ExitCode::SUCCESS
}
