//! `nova-act run`: one task in a real browser, printed step by step, against whichever service
//! the options and the environment name (the real one, or a running `nova-emulator`).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use nova_act::agentcore::{BrowserSessions, RemoteSession, SessionOptions};
use nova_act::browser::Browser;
use nova_act::runtime::{
    ActError, ActRequest, Actuator, AnswerSchema, Decision, SecretValues, Shutdown, Traces,
    UrlPattern, UrlPolicy,
};
use serde_json::{Value, json};

use crate::output::{Events, interrupted, narrated_session};
use crate::{Cli, Failure};

/// What `nova-act run` was asked to do.
#[derive(Debug, clap::Args)]
pub(crate) struct RunArgs {
    /// The task, in words.
    #[arg(required_unless_present = "tasks")]
    task: Option<String>,
    /// The page the browser opens first (with --tasks: for lines that name none).
    #[arg(long, value_name = "URL", required_unless_present = "tasks")]
    pub(crate) starting_page: Option<String>,
    /// Many tasks, one JSON line each (`-` for standard input): {"id"?, "task",
    /// "starting_page"?, "schema"?, "max_steps"?, "timeout"?}; the options here are defaults for
    /// lines that lack them. One result line per task, in the input's order.
    #[arg(long, value_name = "FILE", conflicts_with = "task")]
    pub(crate) tasks: Option<String>,
    /// With --tasks: how many tasks run at once, each in its own browser and session.
    #[arg(long, value_name = "N", requires = "tasks", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub(crate) concurrency: u32,
    /// With --tasks: start the browsers at least MS milliseconds apart.
    #[arg(long, value_name = "MS", requires = "tasks", default_value_t = 0)]
    pub(crate) stagger: u64,
    /// With --tasks: write the result lines to FILE (truncated) instead of standard output.
    #[arg(long, value_name = "FILE", requires = "tasks")]
    pub(crate) results: Option<PathBuf>,
    /// Show the browser window (it is headless otherwise).
    #[arg(long, conflicts_with = "remote")]
    pub(crate) headed: bool,
    /// Run the act on an Amazon Bedrock AgentCore Browser session instead of a local browser
    /// (IAM credentials; the session is stopped at the end, also on Ctrl-C). With --tasks: a
    /// fresh session per task, --concurrency at once (mind the account's session quota).
    #[arg(long)]
    pub(crate) remote: bool,
    /// The AgentCore browser to start the session on (with --remote).
    #[arg(long, value_name = "ID", requires = "remote", default_value = nova_act::agentcore::DEFAULT_BROWSER)]
    pub(crate) browser_identifier: String,
    /// Steps allowed (1..199).
    #[arg(long, value_name = "N", default_value_t = nova_act::runtime::DEFAULT_MAX_STEPS)]
    pub(crate) max_steps: u32,
    /// Seconds the whole act may take (2..1800).
    #[arg(long, value_name = "S")]
    pub(crate) timeout: Option<u64>,
    /// A JSON Schema (Draft 7) file the answer must match.
    #[arg(long, value_name = "FILE")]
    pub(crate) schema: Option<PathBuf>,
    /// The workflow definition to run under (IAM); NOVA_ACT_WORKFLOW_DEFINITION otherwise.
    #[arg(long, value_name = "NAME")]
    pub(crate) definition: Option<String>,
    /// Write each act's trace (JSON and HTML) into this folder.
    #[arg(long, value_name = "DIR")]
    pub(crate) logs_dir: Option<PathBuf>,
    /// `{{secret:NAME}}` in the task stands for the value of the environment variable VAR
    /// (never given on the command line; repeatable). The model never sees the value.
    #[arg(long = "secret", value_name = "NAME=VAR")]
    pub(crate) secrets: Vec<String>,
    /// `{{totp:NAME}}` in the task stands for the current one-time code of the base32 seed or
    /// otpauth://totp/ URI in the environment variable VAR (repeatable).
    #[arg(long = "totp", value_name = "NAME=VAR")]
    pub(crate) totps: Vec<String>,
    /// The pages secret NAME may be typed into (the --allow-url pattern syntax, comma
    /// separated); without it, the starting page's host.
    #[arg(long = "secret-hosts", value_name = "NAME=PATTERN,…")]
    pub(crate) secret_hosts: Vec<String>,
    /// Restore the browser's cookies from FILE before the act (when it exists), and save them
    /// there after an act that SUCCEEDED (Playwright's storageState format; a private file).
    #[arg(long, value_name = "FILE")]
    pub(crate) state: Option<PathBuf>,
    /// With --state: also save and restore the page's localStorage.
    #[arg(long, requires = "state")]
    pub(crate) state_local_storage: bool,
    /// Only URLs matching these patterns may be visited ([scheme://]host[:port][/path]).
    #[arg(long = "allow-url", value_name = "PATTERN")]
    allow_url: Vec<String>,
    /// URLs matching these patterns are never visited.
    #[arg(long = "block-url", value_name = "PATTERN")]
    block_url: Vec<String>,
}

/// An act that failed, with its trace when one was written.
#[derive(Debug)]
struct Failed {
    err: ActError,
    trace: Option<PathBuf>,
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.err.fmt(f)
    }
}

impl std::error::Error for Failed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.err.source()
    }
}

/// Everything `run` checks before it starts a browser or sends a request.
struct Checked {
    request: ActRequest,
    policy: Option<UrlPolicy>,
    traces: Option<Traces>,
    secrets: SecretValues,
    state: Option<nova_act::browser::FileStateStore>,
}

pub(crate) fn read_schema(path: &Path) -> Result<AnswerSchema, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("cannot read the schema file {}: {err}", path.display()))?;
    let schema: Value = serde_json::from_str(&text)
        .map_err(|err| format!("{} is not JSON: {err}", path.display()))?;
    AnswerSchema::new(schema).map_err(|err| format!("{}: {err}", path.display()))
}

impl RunArgs {
    fn check(&self) -> Result<Checked, String> {
        let page = self.starting_page.as_deref().unwrap_or_default();
        url::Url::parse(page).map_err(|err| {
            format!(
                "--starting-page `{page}` is not a URL ({err}); write it in full, such as https://example.com/"
            )
        })?;
        let mut request =
            ActRequest::new(self.task.as_deref().unwrap_or_default()).max_steps(self.max_steps);
        if let Some(seconds) = self.timeout {
            request = request.timeout(Duration::from_secs(seconds));
        }
        if let Some(path) = &self.schema {
            request = request.schema(read_schema(path)?);
        }
        request.check().map_err(|err| crate::report(&err))?;
        let policy = self.policy()?;
        if let Some(policy) = &policy {
            self.check_page("--starting-page", page, policy)?;
        }
        let traces = self
            .logs_dir
            .as_deref()
            .map(Traces::new)
            .transpose()
            .map_err(|err| crate::report(&err))?;
        let secrets = self.secret_values(&nova_act::Env::process())?;
        secrets
            .check_task(self.task.as_deref().unwrap_or_default())
            .map_err(|err| err.to_string())?;
        let state = self.state_store()?;
        Ok(Checked {
            request,
            policy,
            traces,
            secrets,
            state,
        })
    }

    /// `--state`: a private file, never under the logs folder (traces are shared; signed-in
    /// cookies must not be).
    fn state_store(&self) -> Result<Option<nova_act::browser::FileStateStore>, String> {
        let Some(path) = &self.state else {
            return Ok(None);
        };
        if let Some(logs) = &self.logs_dir {
            let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
            if absolute(path).starts_with(absolute(logs)) {
                return Err(format!(
                    "--state {} is under --logs-dir {}; keep the signed-in state out of the logs",
                    path.display(),
                    logs.display()
                ));
            }
        }
        nova_act::browser::FileStateStore::new(path)
            .map(Some)
            .map_err(|err| err.to_string())
    }

    /// The values of `--secret` and `--totp`, read from the variables they name; a missing or
    /// empty variable, or a name given twice, is refused naming it (never a value).
    pub(crate) fn secret_values(&self, env: &nova_act::Env) -> Result<SecretValues, String> {
        let mut hosts: Vec<(&str, Vec<UrlPattern>)> = Vec::new();
        for spec in &self.secret_hosts {
            let (name, patterns) = spec
                .split_once('=')
                .ok_or_else(|| format!("--secret-hosts `{spec}` is not NAME=PATTERN,…"))?;
            let patterns = patterns
                .split(',')
                .map(|p| {
                    p.trim()
                        .parse::<UrlPattern>()
                        .map_err(|err| format!("--secret-hosts {name}: {err}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            hosts.push((name, patterns));
        }
        let mut values = SecretValues::new();
        for (flag, specs) in [("--secret", &self.secrets), ("--totp", &self.totps)] {
            for spec in specs {
                let (name, var) = spec
                    .split_once('=')
                    .filter(|(name, var)| !name.is_empty() && !var.is_empty())
                    .ok_or_else(|| {
                        format!("{flag} `{spec}` is not NAME=VAR (the value is read from the variable VAR)")
                    })?;
                let value = env.get(var).ok_or_else(|| {
                    format!("{flag} {name}: the variable {var} is not set, or empty")
                })?;
                let added = match (flag, hosts.iter().find(|(n, _)| *n == name)) {
                    ("--totp", _) => values.totp(name, value),
                    (_, Some((_, patterns))) => {
                        values.secret_for_hosts(name, value, patterns.clone())
                    }
                    (_, None) => values.secret(name, value),
                };
                added.map_err(|err| match err {
                    nova_act::runtime::SecretError::BadSeed { reason, .. } => {
                        format!("{flag} {name}: the seed in {var} is refused: {reason}")
                    }
                    other => format!("{flag} {name}: {other}"),
                })?;
            }
        }
        if let Some((name, _)) = hosts.iter().find(|(name, _)| {
            !self
                .secrets
                .iter()
                .any(|s| s.split('=').next() == Some(*name))
        }) {
            return Err(format!(
                "--secret-hosts names `{name}`, which no --secret gives"
            ));
        }
        Ok(values)
    }

    /// The URL policy of `--allow-url` and `--block-url`, when either is given.
    pub(crate) fn policy(&self) -> Result<Option<UrlPolicy>, String> {
        Ok(if self.allow_url.is_empty() && self.block_url.is_empty() {
            None
        } else {
            let mut policy = UrlPolicy::new();
            for pattern in &self.allow_url {
                policy = policy
                    .allow(pattern)
                    .map_err(|err| format!("--allow-url: {err}"))?;
            }
            for pattern in &self.block_url {
                policy = policy
                    .block(pattern)
                    .map_err(|err| format!("--block-url: {err}"))?;
            }
            Some(policy)
        })
    }
}

impl RunArgs {
    /// Refuses a starting page (`what`: where it was written) the URL options block, naming
    /// the option that does.
    pub(crate) fn check_page(
        &self,
        what: &str,
        page: &str,
        policy: &UrlPolicy,
    ) -> Result<(), String> {
        if policy.decide(page) == Decision::Pass {
            return Ok(());
        }
        let blocking = self.block_url.iter().find(|pattern| {
            UrlPolicy::new()
                .block(pattern)
                .is_ok_and(|alone| alone.decide(page) == Decision::Block)
        });
        Err(match blocking {
            Some(pattern) => format!("{what} {page} is blocked by --block-url {pattern}"),
            None if page.starts_with("file:") => format!(
                "{what} {page} is a file, which needs an --allow-url file:///FOLDER/ pattern"
            ),
            None => format!(
                "{what} {page} is not allowed by --allow-url {}",
                self.allow_url.join(", --allow-url ")
            ),
        })
    }
}

/// Runs `nova-act run`.
pub(crate) async fn run(cli: &Cli, args: &RunArgs) -> Result<ExitCode, Failure> {
    if let Some(source) = &args.tasks {
        return crate::tasks::run(cli, args, source).await;
    }
    let shutdown = Shutdown::on_signals();
    // Bad input fails here, before a browser starts or a request is sent.
    let checked = args.check().map_err(Failure::Usage)?;
    let nova = cli.nova().await?;
    remote_needs_iam(args, &nova)?;
    Ok(start(cli, args, nova, checked, &shutdown).await?)
}

/// Refuses `--remote` under an API key: AgentCore Browser takes AWS IAM credentials.
pub(crate) fn remote_needs_iam(args: &RunArgs, nova: &nova_act::NovaAct) -> Result<(), Failure> {
    if args.remote && nova.client().mode() != nova_act::AuthMode::Iam {
        return Err(Failure::Usage(
            "--remote runs the act on Amazon Bedrock AgentCore Browser, which takes AWS IAM \
             credentials; this run resolved an API key (unset NOVA_ACT_API_KEY, or set \
             NOVA_ACT_AUTH=iam)"
                .to_owned(),
        ));
    }
    Ok(())
}

/// Starts the browser `run` asked for and drives the act on it.
async fn start(
    cli: &Cli,
    args: &RunArgs,
    nova: nova_act::NovaAct,
    checked: Checked,
    shutdown: &Shutdown,
) -> Result<ExitCode, String> {
    let identity = nova.identity().await.map_err(|err| crate::report(&err))?;
    cli.definition_notice(&nova, args.definition.as_deref());
    let mut builder = Browser::builder()
        .starting_page(args.starting_page.as_deref().unwrap_or_default())
        .headless(!args.headed)
        .simplified_dom(true);
    if let Some(policy) = &checked.policy {
        // Refused at the browser too, before any request leaves it.
        builder = builder.url_policy(policy.clone());
    }
    if !args.remote {
        let browser = builder.launch().await.map_err(|err| crate::report(&err))?;
        return drive(
            cli, args, &nova, &identity, browser, None, checked, shutdown,
        )
        .await;
    }
    let sessions = BrowserSessions::builder(nova.auth())
        .build()
        .map_err(|err| crate::report(&err))?;
    let session = sessions
        .start(SessionOptions::new().browser(args.browser_identifier.clone()))
        .await
        .map_err(|err| crate::report(&err))?;
    // From here on the session is stopped whatever happens: done, failed or interrupted.
    let outcome = match session.connect(builder).await {
        Ok(browser) => {
            drive(
                cli,
                args,
                &nova,
                &identity,
                browser,
                Some(&session),
                checked,
                shutdown,
            )
            .await
        }
        Err(err) => Err(crate::report(&err)),
    };
    let stopped = session.stop().await;
    match (outcome, stopped) {
        (Ok(code), Err(err)) if code == ExitCode::SUCCESS => Err(crate::report(&err)),
        (Err(message), Err(err)) => Err(format!("{message}\n{}", crate::report(&err))),
        (outcome, _) => outcome,
    }
}

/// Runs the act on `browser` (attached to `remote` when there is one) and prints it.
#[allow(clippy::too_many_arguments)] // One call site: the parts `run` prepared.
async fn drive(
    cli: &Cli,
    args: &RunArgs,
    nova: &nova_act::NovaAct,
    identity: &nova_act::Identity,
    browser: Browser,
    remote: Option<&RemoteSession>,
    checked: Checked,
    shutdown: &Shutdown,
) -> Result<ExitCode, String> {
    let events = Events { json: cli.json };
    events.emit(
        "started",
        json!({
            "endpoint": nova.client().endpoint().to_string(),
            "mode": identity.mode.as_str(),
            "source": identity.source.to_string(),
            "starting_page": args.starting_page,
            "remote_session": remote.map(RemoteSession::id),
        }),
        || {
            let browser = match remote {
                Some(session) => format!(
                    "AgentCore Browser session {} ({})",
                    session.id(),
                    session.browser_identifier()
                ),
                None => format!(
                    "{} Chromium",
                    if args.headed { "headed" } else { "headless" }
                ),
            };
            format!(
                "Nova Act at {} · credentials: {identity}\nbrowser: {browser} at {}",
                nova.client().endpoint(),
                args.starting_page.as_deref().unwrap_or_default()
            )
        },
    );
    let task = args.task.as_deref().unwrap_or_default();
    events.emit("act", json!({"task": task}), || format!("act: {task}"));
    if let Some(reason) = shutdown.reason() {
        let mut browser = browser;
        browser.close().await;
        return Ok(interrupted(reason, false));
    }
    let mut workflow = nova.workflow().shutdown(shutdown.clone());
    if let Some(name) = &args.definition {
        workflow = workflow.definition(name.clone());
    }
    let started = Instant::now();
    let Checked {
        request,
        policy,
        traces,
        secrets,
        state,
    } = checked;
    if let Some(store) = &state {
        use nova_act::browser::StateStore;
        let loaded = match store.load().await {
            Ok(loaded) => loaded,
            Err(err) => {
                let mut browser = browser;
                browser.close().await;
                return Err(crate::report(&err));
            }
        };
        if let Some(saved) = loaded {
            if let Err(err) = browser.restore_state(&saved).await {
                let mut browser = browser;
                browser.close().await;
                return Err(crate::report(&err));
            }
            events.emit("state", json!({"restored": store.path()}), || {
                format!("state: restored from {}", store.path().display())
            });
        }
    }
    let local_storage = args.state_local_storage;
    let ask_a_person = std::io::stdin().is_terminal();
    let outcome = workflow
        .run(|run| async move {
            let mut session = match narrated_session(&run, browser, started, events).await {
                Ok(session) => session,
                Err(err) => return Err(Failed { err, trace: None }),
            };
            if let Some(policy) = policy {
                session.guardrail(policy);
            }
            if let Some(traces) = traces {
                session.traces(traces);
            }
            session.secrets(secrets);
            if ask_a_person {
                session.human_input(crate::human::Terminal);
            }
            let outcome = session.act(request).await;
            let trace = session.last_trace().map(|files| files.html.clone());
            // Saved only after an act that SUCCEEDED: never a half-signed-in state.
            if let (Ok(_), Some(store)) = (&outcome, &state) {
                save_state(&session.actuator().inner, store, local_storage, events).await;
            }
            // Awaited, so the browser and its folders are gone before the program ends.
            session.actuator().close().await;
            match outcome {
                Ok(result) => Ok(result),
                Err(err) => Err(Failed { err, trace }),
            }
        })
        .await;
    if let Some(reason) = shutdown.reason() {
        return Ok(interrupted(reason, true));
    }
    let result = match outcome {
        Ok(result) => result,
        Err(nova_act::runtime::WorkflowError::Body(Failed { err, trace })) => {
            if let Some(trace) = trace {
                events.emit("trace", json!({"html": trace}), || {
                    format!("trace: {}", trace.display())
                });
            }
            return Err(act_failure(&err));
        }
        Err(err) => return Err(crate::report_run(&err)),
    };
    let latencies: Vec<u128> = result
        .step_latencies
        .iter()
        .map(|d| d.as_millis())
        .collect();
    let trace = result.trace.as_ref().map(|files| files.html.clone());
    events.emit(
        "result",
        json!({
            "value": result.value,
            "act_id": result.act_id,
            "steps": result.steps,
            "step_latencies_ms": latencies,
            "time_worked_s": result.time_worked().as_secs_f64(),
            "trace": trace,
        }),
        || {
            let mut text = format!(
                "answer: {}\n{} steps, {:.1}s worked",
                result
                    .value
                    .as_ref()
                    .map_or_else(|| "(none)".to_owned(), Value::to_string),
                result.steps,
                result.time_worked().as_secs_f64()
            );
            if let Some(trace) = &trace {
                text.push_str(&format!("\ntrace: {}", trace.display()));
            }
            text
        },
    );
    events.emit("finished", json!({"status": "SUCCEEDED"}), || {
        "workflow run SUCCEEDED".to_owned()
    });
    Ok(ExitCode::SUCCESS)
}

/// An act that did not succeed: what happened, and for an answer that does not match its
/// schema, the answer itself.
fn act_failure(err: &ActError) -> String {
    match err {
        ActError::AnswerMismatch { mismatch, .. } => format!(
            "{}\n  answer: {}\n  problems: {}\nThe workflow run was marked FAILED.",
            err,
            mismatch.raw,
            mismatch.errors.join("; ")
        ),
        other => format!(
            "{}\nThe workflow run was marked FAILED.",
            crate::report(other)
        ),
    }
}

/// Saves the browser's state after a successful act; a failure to save is said, not fatal.
async fn save_state(
    browser: &Browser,
    store: &nova_act::browser::FileStateStore,
    local_storage: bool,
    events: Events,
) {
    use nova_act::browser::StateStore;
    let saved = match browser.state(local_storage).await {
        Ok(state) => store.save(&state).await.map_err(|err| crate::report(&err)),
        Err(err) => Err(crate::report(&err)),
    };
    match saved {
        Ok(()) => events.emit("state", json!({"saved": store.path()}), || {
            format!("state: saved to {}", store.path().display())
        }),
        Err(message) => eprintln!("warning: the browser state was not saved: {message}"),
    }
}
