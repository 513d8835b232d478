//! `workflow deploy`, `workflow invoke` and `workflow undeploy`: a workflow on Amazon Bedrock
//! AgentCore Runtime. The steps are the library's (`nova_act::agentcore::Deployer`); this
//! module checks the input before any AWS call and prints each step as it happens.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use nova_act::agentcore::{
    DeployNames, DeployRequest, Deployer, Image, Progress, container_tool, execution_role_policy,
};
use nova_act::{AuthMode, Env};
use serde_json::{Value, json};

use crate::output::Events;
use crate::{Cli, Failure};

/// What `workflow deploy` was asked to do.
#[derive(Debug, clap::Args)]
pub(crate) struct DeployArgs {
    /// The workflow: its Nova Act definition, and the name of what is created for it.
    name: String,
    /// A prebuilt image (in ECR, or any registry AgentCore can pull from).
    #[arg(long, value_name = "URI", conflicts_with_all = ["build", "local"])]
    image: Option<String>,
    /// Build the image from this folder (its Dockerfile) with docker or podman, for
    /// linux/arm64, and push it to the ECR repository nova-act/NAME.
    #[arg(long, value_name = "DIR")]
    build: Option<PathBuf>,
    /// Use this execution role instead of creating nova-act-NAME-role.
    #[arg(long, value_name = "ARN")]
    execution_role_arn: Option<String>,
    /// An environment variable of the runtime (repeatable).
    #[arg(long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// Let the runtime's role use AgentCore Browser (acts on remote browsers).
    #[arg(long)]
    remote_browser: bool,
    /// Where the runtime reads its API key: `secrets-manager:ID`, `parameter:NAME` or
    /// `agentcore-identity:PROVIDER`. Sets the store's variable on the runtime and lets its
    /// role read the store, so no key travels in a payload or an image.
    #[arg(long, value_name = "STORE:NAME")]
    api_key_from: Option<String>,
    /// Print what would be created, and call nothing.
    #[arg(long)]
    dry_run: bool,
    /// Deploy on this machine instead: build the workflow (a cargo project in --build) and
    /// serve it on the AgentCore Runtime contract in the background, with the emulator as Nova
    /// Act; `invoke --local` calls it.
    #[arg(long, conflicts_with_all = ["execution_role_arn", "remote_browser", "dry_run"])]
    local: bool,
    /// With --local: serve this already built runtime instead of building --build.
    #[arg(long, value_name = "PATH", requires = "local", hide = true)]
    binary: Option<PathBuf>,
}

/// What `workflow invoke` was asked to do.
#[derive(Debug, clap::Args)]
pub(crate) struct InvokeArgs {
    /// The deployed workflow.
    name: String,
    /// The payload, JSON.
    #[arg(
        long,
        value_name = "JSON",
        conflicts_with = "payload_file",
        required_unless_present = "payload_file"
    )]
    payload: Option<String>,
    /// A file holding the payload.
    #[arg(long, value_name = "FILE")]
    payload_file: Option<PathBuf>,
    /// The runtime session (33 to 256 characters; a new one by default).
    #[arg(long, value_name = "ID")]
    session: Option<String>,
    /// Seconds to wait for the whole answer.
    #[arg(long, value_name = "S", default_value_t = 7200)]
    timeout: u64,
    /// Invoke on behalf of this user: the runtime issues the invocation a workload access token
    /// for the user, with which AgentCore Identity hands out the API key.
    #[arg(long, value_name = "ID")]
    user_id: Option<String>,
    /// Invoke the runtime `deploy --local` started on this machine.
    #[arg(long)]
    local: bool,
}

/// What `workflow undeploy` was asked to do.
#[derive(Debug, clap::Args)]
pub(crate) struct UndeployArgs {
    /// The deployed workflow.
    name: String,
    /// Also delete its execution role and its image repository (with its images).
    #[arg(long)]
    yes: bool,
    /// Stop the runtime `deploy --local` started on this machine.
    #[arg(long)]
    local: bool,
}

/// The running step, animated on a terminal until it ends.
struct Spinner {
    on: bool,
    running: std::sync::Mutex<Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)>>,
}

impl Spinner {
    fn new(on: bool) -> Self {
        Self {
            on,
            running: std::sync::Mutex::new(None),
        }
    }

    fn start(&self, text: String) {
        self.stop();
        if !self.on {
            return;
        }
        let going = Arc::new(AtomicBool::new(true));
        let flag = Arc::clone(&going);
        let thread = std::thread::spawn(move || {
            let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            let mut at = 0;
            while flag.load(Ordering::Relaxed) {
                eprint!("\r  {} {text}", frames[at % frames.len()]);
                let _ = std::io::stderr().flush();
                at += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
            eprint!("\x1b[2K\r");
            let _ = std::io::stderr().flush();
        });
        *self
            .running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((going, thread));
    }

    fn stop(&self) {
        let running = self
            .running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some((going, thread)) = running {
            going.store(false, Ordering::Relaxed);
            let _ = thread.join();
        }
    }
}

/// Local deploys supervise processes with Unix signals.
#[cfg(not(unix))]
const LOCAL_UNIX: &str = "--local runs on Linux and macOS only";

fn names(name: &str) -> Result<DeployNames, String> {
    DeployNames::new(name).map_err(|err| crate::report(&err))
}

fn parse_env(pairs: &[String]) -> Result<Vec<(String, String)>, String> {
    pairs
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
            _ => Err(format!(
                "--env {pair:?} is not KEY=VALUE; write it as --env NAME=value"
            )),
        })
        .collect()
}

/// `--api-key-from`, checked: a store the runtime reads, never beside a key given outright.
fn api_key_store(
    args: &DeployArgs,
    env: &[(String, String)],
) -> Result<Option<nova_act::ApiKeyStore>, String> {
    let Some(spec) = &args.api_key_from else {
        return Ok(None);
    };
    let store =
        nova_act::ApiKeyStore::parse(spec).map_err(|err| format!("--api-key-from {err}"))?;
    let given = env
        .iter()
        .map(|(key, _)| key.as_str())
        .find(|key| *key == "NOVA_ACT_API_KEY" || key.starts_with("NOVA_ACT_API_KEY_"));
    if let Some(key) = given {
        return Err(format!(
            "--api-key-from {spec} and --env {key}=… both say where the API key comes from; keep \
             --api-key-from, so that no key travels in the runtime's environment"
        ));
    }
    Ok(Some(store))
}

fn build_dir(dir: &Path) -> Result<(), String> {
    if dir.join("Dockerfile").is_file() {
        Ok(())
    } else {
        Err(format!(
            "--build {}: no Dockerfile there; point --build at the folder holding it",
            dir.display()
        ))
    }
}

/// The Nova Act client and a deployer, under IAM only.
async fn deployer(cli: &Cli) -> Result<(nova_act::NovaAct, Deployer), Failure> {
    let nova = cli.nova().await?;
    if nova.client().mode() != AuthMode::Iam {
        return Err(Failure::Usage(
            "deploying to AgentCore Runtime takes AWS IAM credentials; this run resolved an API \
             key (unset NOVA_ACT_API_KEY, or set NOVA_ACT_AUTH=iam)"
                .to_owned(),
        ));
    }
    let deployer = Deployer::new(nova.auth(), nova.client(), &Env::process())
        .await
        .map_err(|err| crate::report(&err))?;
    Ok((nova, deployer))
}

/// `workflow deploy`.
pub(crate) async fn deploy(cli: &Cli, args: &DeployArgs) -> Result<ExitCode, Failure> {
    // Bad input fails here, before any AWS call.
    let names = names(&args.name).map_err(Failure::Usage)?;
    let env = parse_env(&args.env).map_err(Failure::Usage)?;
    let api_key_store = api_key_store(args, &env).map_err(Failure::Usage)?;
    if args.local {
        #[cfg(unix)]
        return Ok(crate::local::deploy(
            &names,
            args.build.as_deref(),
            args.binary.as_deref(),
            args.api_key_from.as_deref(),
        )
        .await?);
        #[cfg(not(unix))]
        return Err(Failure::Usage(LOCAL_UNIX.to_owned()));
    }
    let image = match (&args.image, &args.build) {
        (Some(uri), _) => Image::Prebuilt(uri.clone()),
        (None, Some(dir)) => {
            build_dir(dir).map_err(Failure::Usage)?;
            let tool = container_tool(&Env::process()).ok_or_else(|| {
                Failure::Usage(format!(
                    "--build needs docker or podman on PATH, and neither is there; build and push \
                     the image elsewhere (for linux/arm64) and pass --image URI instead of --build {}",
                    dir.display()
                ))
            })?;
            Image::Build {
                dir: dir.clone(),
                tool,
            }
        }
        (None, None) => {
            return Err(Failure::Usage("pass --image URI or --build DIR".to_owned()));
        }
    };
    let events = Events { json: cli.json };
    if args.dry_run {
        let region = cli.region.clone().unwrap_or_else(|| "REGION".to_owned());
        let role = args
            .execution_role_arn
            .clone()
            .unwrap_or_else(|| format!("{} (created)", names.role));
        let image_text = match &image {
            Image::Prebuilt(uri) => uri.clone(),
            Image::Build { dir, tool } => format!(
                "built from {} with {} for linux/arm64, pushed to ECR repository {}",
                dir.display(),
                tool.display(),
                names.repository
            ),
        };
        let policy = execution_role_policy(
            &names,
            &region,
            "ACCOUNT",
            args.remote_browser,
            api_key_store.as_ref(),
        );
        let mut env = env.clone();
        if let Some(store) = &api_key_store {
            env.push((store.variable().to_owned(), store.id().to_owned()));
        }
        events.emit(
            "plan",
            json!({
                "workflow": names.workflow,
                "runtime": names.runtime,
                "role": role,
                "repository": names.repository,
                "image": image_text,
                "env": env.iter().map(|(k, _)| k).collect::<Vec<_>>(),
                "role_policy": policy,
            }),
            || {
                format!(
                    "dry run: nothing is called\n  workflow definition  {}\n  image                {image_text}\n  execution role       {role}\n  runtime              {} (network PUBLIC{})\nthe execution role's policy:\n{policy:#}",
                    names.workflow,
                    names.runtime,
                    if env.is_empty() {
                        String::new()
                    } else {
                        format!(
                            ", env {}",
                            env.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(", ")
                        )
                    }
                )
            },
        );
        return Ok(ExitCode::SUCCESS);
    }
    let (_nova, deployer) = deployer(cli).await?;
    events.emit(
        "deploy",
        json!({"workflow": names.workflow, "account": deployer.account(), "region": deployer.region()}),
        || {
            format!(
                "deploying {} to AgentCore Runtime in account {}, {}",
                names.workflow,
                deployer.account(),
                deployer.region()
            )
        },
    );
    let request = DeployRequest {
        names: names.clone(),
        image,
        execution_role_arn: args.execution_role_arn.clone(),
        env,
        remote_browser: args.remote_browser,
        api_key_store,
    };
    let spinner = Spinner::new(!cli.json && crate::output::stderr_is_terminal());
    let progress = |event: Progress| match event {
        Progress::Started(step, detail) => spinner.start(format!("{}: {detail}", step.label())),
        Progress::Done(step, detail) => {
            spinner.stop();
            events.emit(
                "step",
                json!({"step": step.label(), "result": detail}),
                || format!("  ✓ {}: {detail}", step.label()),
            );
        }
        _ => {}
    };
    let deployed = deployer.deploy(&request, &progress).await;
    spinner.stop();
    let deployed = deployed.map_err(|err| crate::report(&err))?;
    events.emit(
        "deployed",
        json!({
            "runtime_arn": deployed.runtime_arn,
            "image": deployed.image,
            "role_arn": deployed.role_arn,
            "created": deployed.created,
        }),
        || {
            format!(
                "{} {}: {}\ninvoke it: nova-act workflow invoke {} --payload '{{\"task\": \"…\"}}'",
                if deployed.created {
                    "created"
                } else {
                    "updated"
                },
                names.runtime,
                deployed.runtime_arn,
                names.workflow
            )
        },
    );
    Ok(ExitCode::SUCCESS)
}

/// The payload as sent: JSON, with the workflow's name added to an object that lacks it.
fn payload(args: &InvokeArgs, workflow: &str) -> Result<Vec<u8>, String> {
    let text = match (&args.payload, &args.payload_file) {
        (Some(text), _) => text.clone(),
        (None, Some(file)) => std::fs::read_to_string(file)
            .map_err(|err| format!("cannot read --payload-file {}: {err}", file.display()))?,
        (None, None) => return Err("pass --payload JSON or --payload-file FILE".to_owned()),
    };
    let mut value: Value = serde_json::from_str(&text)
        .map_err(|err| format!("the payload is not JSON ({err}); pass a JSON value"))?;
    if let Some(object) = value.as_object_mut() {
        object
            .entry(nova_act::agentcore::WORKFLOW_MEMBER)
            .or_insert_with(|| Value::from(workflow));
    }
    serde_json::to_vec(&value).map_err(|err| err.to_string())
}

/// `workflow invoke`.
pub(crate) async fn invoke(cli: &Cli, args: &InvokeArgs) -> Result<ExitCode, Failure> {
    let names = names(&args.name).map_err(Failure::Usage)?;
    let body = payload(args, &names.workflow).map_err(Failure::Usage)?;
    let session = match &args.session {
        Some(id) if id.chars().count() < nova_act::agentcore::MIN_SESSION_ID => {
            return Err(Failure::Usage(format!(
                "--session {id:?} is too short: AgentCore takes 33 to 256 characters (a UUID has 36)"
            )));
        }
        Some(id) => id.clone(),
        None => nova_act::agentcore::new_session_id(),
    };
    if args.local {
        #[cfg(unix)]
        {
            let timeout = Duration::from_secs(args.timeout);
            return Ok(crate::local::invoke(
                &names,
                &session,
                args.user_id.as_deref(),
                body,
                timeout,
                cli.json,
            )
            .await?);
        }
        #[cfg(not(unix))]
        return Err(Failure::Usage(LOCAL_UNIX.to_owned()));
    }
    let (_nova, deployer) = deployer(cli).await?;
    let found = deployer
        .find(&names)
        .await
        .map_err(|err| crate::report(&err))?
        .ok_or_else(|| {
            format!(
                "workflow {} is not deployed in account {}, {} (no runtime {}); deploy it with \
                 nova-act workflow deploy {}",
                names.workflow,
                deployer.account(),
                deployer.region(),
                names.runtime,
                names.workflow
            )
        })?;
    let read = async {
        let answer = deployer
            .invoke_for_user(&found.arn, &session, args.user_id.as_deref(), body)
            .await
            .map_err(|err| crate::report(&err))?;
        eprintln!("session {session} · {}", answer.content_type);
        print_answer(answer, cli.json, &session).await
    };
    tokio::time::timeout(Duration::from_secs(args.timeout), read)
        .await
        .map_err(|_| format!("no whole answer within {} s (--timeout)", args.timeout))??;
    Ok(ExitCode::SUCCESS)
}

/// Prints an invoked runtime's answer as it arrives.
pub(crate) async fn print_answer(
    mut answer: nova_act::agentcore::Invoked,
    json: bool,
    session: &str,
) -> Result<(), String> {
    let mut printer = AnswerPrinter::new(json, &answer.content_type, session);
    while let Some(chunk) = answer.next_chunk().await {
        let chunk = chunk.map_err(|err| crate::report(&err))?;
        printer.chunk(&chunk)?;
    }
    printer.finish()
}

/// `workflow undeploy`.
pub(crate) async fn undeploy(cli: &Cli, args: &UndeployArgs) -> Result<ExitCode, Failure> {
    let names = names(&args.name).map_err(Failure::Usage)?;
    if args.local {
        #[cfg(unix)]
        return Ok(crate::local::undeploy(&names, cli.json).await?);
        #[cfg(not(unix))]
        return Err(Failure::Usage(LOCAL_UNIX.to_owned()));
    }
    let (_nova, deployer) = deployer(cli).await?;
    let removed = deployer
        .undeploy(&names, args.yes)
        .await
        .map_err(|err| crate::report(&err))?;
    let events = Events { json: cli.json };
    events.emit("undeployed", json!({"removed": removed, "kept": if args.yes { Vec::new() } else { vec![names.role.clone(), names.repository.clone()] }}), || {
        let mut text = if removed.is_empty() {
            format!("nothing of {} was deployed", names.workflow)
        } else {
            format!("removed: {}", removed.join(", "))
        };
        if !args.yes {
            text.push_str(&format!(
                "\nkept: execution role {} and image repository {} (pass --yes to delete them too)",
                names.role, names.repository
            ));
        }
        text
    });
    Ok(ExitCode::SUCCESS)
}

/// Prints an invocation's answer as it arrives. Without `--json`, as it is. With `--json`, a
/// JSON answer becomes one `{"answer", "content_type", "session_id"}` document, and an event
/// stream one `{"event": "data", "data"}` line per event, then `{"event": "end"}`.
pub(crate) struct AnswerPrinter {
    json: bool,
    stream: bool,
    content_type: String,
    session: String,
    buffer: Vec<u8>,
}

impl AnswerPrinter {
    pub(crate) fn new(json: bool, content_type: &str, session: &str) -> Self {
        Self {
            json,
            stream: content_type.starts_with("text/event-stream"),
            content_type: content_type.to_owned(),
            session: session.to_owned(),
            buffer: Vec::new(),
        }
    }

    /// Takes the next piece of the answer.
    pub(crate) fn chunk(&mut self, chunk: &[u8]) -> Result<(), String> {
        let mut out = std::io::stdout().lock();
        if !self.json {
            out.write_all(chunk).map_err(|err| err.to_string())?;
            return out.flush().map_err(|err| err.to_string());
        }
        self.buffer.extend_from_slice(chunk);
        if self.stream {
            // Events end with a blank line; a partial one waits for the rest.
            while let Some(end) = find_blank_line(&self.buffer) {
                let event: Vec<u8> = self.buffer.drain(..end.1).collect();
                print_event(&mut out, &event[..end.0])?;
            }
        }
        Ok(())
    }

    /// Ends the answer.
    pub(crate) fn finish(mut self) -> Result<(), String> {
        let mut out = std::io::stdout().lock();
        let write = |out: &mut dyn Write, value: Value| {
            writeln!(out, "{value}").map_err(|err| err.to_string())
        };
        match (self.json, self.stream) {
            (false, _) => writeln!(out).map_err(|err| err.to_string()),
            (true, true) => {
                let rest = std::mem::take(&mut self.buffer);
                print_event(&mut out, &rest)?;
                write(&mut out, json!({ "event": "end" }))
            }
            (true, false) => {
                let text = String::from_utf8_lossy(&self.buffer);
                let answer = serde_json::from_str::<Value>(&text)
                    .unwrap_or_else(|_| Value::String(text.trim_end().to_owned()));
                write(
                    &mut out,
                    json!({
                        "answer": answer,
                        "content_type": self.content_type,
                        "session_id": self.session,
                    }),
                )
            }
        }
    }
}

/// Where the first blank line of `buffer` is: the end of the event before it, and where the
/// next event begins.
fn find_blank_line(buffer: &[u8]) -> Option<(usize, usize)> {
    (0..buffer.len()).find_map(|at| {
        if buffer[at..].starts_with(b"\n\n") {
            Some((at, at + 2))
        } else if buffer[at..].starts_with(b"\r\n\r\n") {
            Some((at, at + 4))
        } else {
            None
        }
    })
}

/// Prints one server-sent event as `{"event": "data", "data"}`: its `data:` lines joined, as
/// JSON when they are JSON. An event with no data prints nothing.
fn print_event(out: &mut dyn Write, event: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(event);
    let lines: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(|data| data.strip_prefix(' ').unwrap_or(data))
        .collect();
    if lines.is_empty() {
        return Ok(());
    }
    let data = lines.join("\n");
    let data = serde_json::from_str::<Value>(&data).unwrap_or(Value::String(data));
    writeln!(out, "{}", json!({ "event": "data", "data": data })).map_err(|err| err.to_string())
}
