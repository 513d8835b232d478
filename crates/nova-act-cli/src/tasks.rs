//! `nova-act run --tasks FILE`: many tasks, one JSON line each, run in one workflow run with
//! `--concurrency` browsers at once; one result line per task, in the input's order. Every line
//! is checked before anything starts.

use std::collections::HashMap;
use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use nova_act::agentcore::{BrowserPool, BrowserSessions, SessionOptions};
use nova_act::browser::Browser;
use nova_act::runtime::{ActError, ActRequest, AnswerSchema, Shutdown, Traces};
use nova_act::{Batch, TaskError, TaskOutcome};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::run::{RunArgs, read_schema};
use crate::{Cli, Failure};

/// One line of a tasks file, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    id: Option<String>,
    task: String,
    starting_page: Option<String>,
    schema: Option<Value>,
    max_steps: Option<u32>,
    timeout: Option<u64>,
}

/// A checked task, ready to run.
#[derive(Debug)]
pub(crate) struct Task {
    id: String,
    starting_page: String,
    request: ActRequest,
}

/// What lines lack, from the command line.
pub(crate) struct Defaults<'a> {
    pub(crate) starting_page: Option<&'a str>,
    pub(crate) max_steps: u32,
    pub(crate) timeout: Option<u64>,
    pub(crate) schema: Option<AnswerSchema>,
    /// Checks a starting page against the URL options (`Err`: why it is refused).
    pub(crate) page_allowed: &'a dyn Fn(&str, &str) -> Result<(), String>,
}

/// Reads every line of `text`; the first bad line is refused as `line N: …`.
pub(crate) fn parse(text: &str, defaults: &Defaults<'_>) -> Result<Vec<Task>, String> {
    let mut tasks = Vec::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let at = |message: String| format!("line {number}: {message}");
        let line: Line = serde_json::from_str(raw).map_err(|err| {
            let text = err.to_string();
            let message = text
                .rsplit_once(" at line ")
                .map_or(text.as_str(), |(m, _)| m);
            at(format!(
                "not a task: {message} (column {}); a line is a JSON object such as \
                 {{\"task\": \"…\", \"starting_page\": \"https://…\"}}",
                err.column()
            ))
        })?;
        let id = line.id.unwrap_or_else(|| number.to_string());
        if let Some(first) = ids.insert(id.clone(), number) {
            return Err(at(format!("the id `{id}` is also the id of line {first}")));
        }
        let starting_page = line
            .starting_page
            .or_else(|| defaults.starting_page.map(str::to_owned))
            .ok_or_else(|| at("no starting_page, and no --starting-page to default to".into()))?;
        url::Url::parse(&starting_page).map_err(|err| {
            at(format!(
                "starting_page `{starting_page}` is not a URL ({err})"
            ))
        })?;
        (defaults.page_allowed)("starting_page", &starting_page).map_err(at)?;
        let mut request =
            ActRequest::new(&line.task).max_steps(line.max_steps.unwrap_or(defaults.max_steps));
        if let Some(seconds) = line.timeout.or(defaults.timeout) {
            request = request.timeout(Duration::from_secs(seconds));
        }
        match line.schema {
            Some(schema) => {
                let schema =
                    AnswerSchema::new(schema).map_err(|err| at(format!("schema: {err}")))?;
                request = request.schema(schema);
            }
            None => {
                if let Some(schema) = &defaults.schema {
                    request = request.schema(schema.clone());
                }
            }
        }
        request.check().map_err(|err| at(crate::report(&err)))?;
        tasks.push(Task {
            id,
            starting_page,
            request,
        });
    }
    if tasks.is_empty() {
        return Err("the tasks file has no task (blank lines are skipped)".to_owned());
    }
    Ok(tasks)
}

/// Runs `nova-act run --tasks SOURCE`.
pub(crate) async fn run(cli: &Cli, args: &RunArgs, source: &str) -> Result<ExitCode, Failure> {
    let shutdown = Shutdown::on_signals();
    let text = if source == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|err| Failure::Usage(format!("cannot read the tasks from stdin: {err}")))?;
        text
    } else {
        std::fs::read_to_string(source)
            .map_err(|err| Failure::Usage(format!("cannot read the tasks file {source}: {err}")))?
    };
    let policy = args.policy().map_err(Failure::Usage)?;
    let page_allowed = |what: &str, page: &str| match &policy {
        Some(policy) => args.check_page(what, page, policy),
        None => Ok(()),
    };
    let defaults = Defaults {
        starting_page: args.starting_page.as_deref(),
        max_steps: args.max_steps,
        timeout: args.timeout,
        schema: args
            .schema
            .as_deref()
            .map(read_schema)
            .transpose()
            .map_err(Failure::Usage)?,
        page_allowed: &page_allowed,
    };
    let tasks = parse(&text, &defaults).map_err(Failure::Usage)?;
    let traces = args
        .logs_dir
        .as_deref()
        .map(Traces::new)
        .transpose()
        .map_err(|err| Failure::Usage(crate::report(&err)))?;
    let mut sink: Box<dyn Write + Send> = match &args.results {
        Some(path) => Box::new(std::fs::File::create(path).map_err(|err| {
            Failure::Usage(format!(
                "--results {} cannot be written: {err}",
                path.display()
            ))
        })?),
        None => Box::new(std::io::stdout()),
    };
    let secrets = args
        .secret_values(&nova_act::Env::process())
        .map_err(Failure::Usage)?;
    let nova = cli.nova().await?;
    crate::run::remote_needs_iam(args, &nova)?;
    cli.definition_notice(&nova, args.definition.as_deref());
    let headless = !args.headed;
    let mut batch = Batch::new(&nova)
        .concurrency(usize::try_from(args.concurrency).unwrap_or(1))
        .browser(move || Browser::builder().headless(headless).simplified_dom(true))
        .stagger(Duration::from_millis(args.stagger))
        .shutdown(shutdown.clone());
    if let Some(policy) = policy {
        batch = batch.url_policy(policy);
    }
    if let Some(traces) = traces {
        batch = batch.traces(traces);
    }
    batch = batch.secrets(secrets);
    if let Some(name) = &args.definition {
        batch = batch.definition(name.clone());
    }
    if args.remote {
        let sessions = BrowserSessions::builder(nova.auth())
            .build()
            .map_err(|err| Failure::Failed(crate::report(&err)))?;
        let options = SessionOptions::new().browser(args.browser_identifier.clone());
        batch = batch.remote(BrowserPool::new(&sessions).session_options(options));
    }
    let total = tasks.len();
    let drawing = !cli.json && std::io::stderr().is_terminal();
    let drawer = drawing
        .then(|| crate::progress::Drawer::start(batch.progress(), nova.client().clone(), total));
    let tasks = tasks.into_iter().map(|task| {
        nova_act::Task::new(String::new(), task.starting_page)
            .id(task.id)
            .request(task.request)
    });
    let outcome = batch
        .run(tasks, |outcome| {
            if drawing {
                // The line is redrawn below the result when both go to the terminal.
                eprint!("\r\x1b[2K");
            }
            let written = writeln!(sink, "{}", line(&outcome)).and_then(|()| sink.flush());
            if let Err(err) = written {
                tracing::warn!(error = %err, "a result line could not be written");
            }
        })
        .await;
    if let Some(drawer) = drawer {
        drawer.finish().await;
    }
    if let Some(reason) = shutdown.reason() {
        return Ok(crate::output::interrupted(reason, true));
    }
    match outcome {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(nova_act::runtime::WorkflowError::Body(failed)) => {
            eprintln!("{failed}; the workflow run was marked FAILED");
            Ok(ExitCode::FAILURE)
        }
        Err(err) => Err(Failure::Failed(crate::report_run(&err))),
    }
}

/// The result line of `outcome`: `{"id", "status", "value", "steps", "throttled_steps",
/// "session_id", "act_id", "error", "trace"}`.
fn line(outcome: &TaskOutcome) -> Value {
    let (status, result, error) = match &outcome.result {
        Ok(result) => ("SUCCEEDED", Some(result), Value::Null),
        Err(err) => (
            if matches!(err, TaskError::NotStarted { .. }) {
                "NOT_STARTED"
            } else {
                "FAILED"
            },
            None,
            json!({"code": err.code(), "message": crate::report(err)}),
        ),
    };
    let act_id = match &outcome.result {
        Ok(result) => Some(result.act_id.as_str()),
        Err(TaskError::Act(err)) => act_id(err),
        Err(_) => None,
    };
    json!({
        "id": outcome.id,
        "status": status,
        "value": result.and_then(|r| r.value.clone()),
        "steps": result.map_or(0, |r| r.steps),
        "throttled_steps": result.map_or(0, |r| r.throttled_steps),
        "session_id": outcome.session_id,
        "act_id": act_id,
        "error": error,
        "trace": outcome.trace,
    })
}

/// The act of a failed act, when it was created.
fn act_id(err: &ActError) -> Option<&str> {
    match err {
        ActError::AgentFailed { act_id, .. }
        | ActError::MaxSteps { act_id, .. }
        | ActError::TimedOut { act_id, .. }
        | ActError::AnswerMismatch { act_id, .. }
        | ActError::HumanCanceled { act_id, .. }
        | ActError::Blocked { act_id, .. }
        | ActError::ActuatorGone { act_id, .. } => Some(act_id),
        ActError::Interrupted { act_id, .. } => act_id.as_deref(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults(page: Option<&str>) -> Defaults<'_> {
        Defaults {
            starting_page: page,
            max_steps: 30,
            timeout: None,
            schema: None,
            page_allowed: &|_, page: &str| {
                if page.contains("blocked") {
                    Err(format!(
                        "starting_page {page} is blocked by --block-url blocked"
                    ))
                } else {
                    Ok(())
                }
            },
        }
    }

    fn refused(text: &str) -> String {
        parse(text, &defaults(Some("https://example.com/"))).unwrap_err()
    }

    #[test]
    fn lines_take_defaults_and_ids_default_to_line_numbers() {
        let text = "{\"task\": \"a\"}\n\n{\"id\": \"b\", \"task\": \"b\", \"starting_page\": \"https://b.example/\", \"max_steps\": 5}\n";
        let tasks = parse(text, &defaults(Some("https://example.com/"))).unwrap();
        assert_eq!(tasks.len(), 2);
        assert_eq!(
            (tasks[0].id.as_str(), tasks[0].starting_page.as_str()),
            ("1", "https://example.com/")
        );
        assert_eq!(
            (tasks[1].id.as_str(), tasks[1].starting_page.as_str()),
            ("b", "https://b.example/")
        );
    }

    #[test]
    fn every_bad_line_is_refused_with_its_number() {
        insta::assert_snapshot!(
            [
                refused("{\"task\": \"a\", \"colour\": 1}"),
                refused("{\"task\": \"a\"}\n{\"id\": \"1\", \"task\": \"b\"}"),
                refused("not json"),
                refused("{\"task\": \"a\", \"max_steps\": 200}"),
                refused("{\"task\": \"a\", \"timeout\": 1}"),
                refused("{\"task\": \"a\", \"starting_page\": \"https://blocked.example/\"}"),
                refused("{\"task\": \"a\", \"id\": 7}"),
                refused("\n\n"),
                parse("{\"task\": \"a\"}", &defaults(None)).unwrap_err(),
            ]
            .join("\n"),
            @r#"
        line 1: not a task: unknown field `colour`, expected one of `id`, `task`, `starting_page`, `schema`, `max_steps`, `timeout` (column 22); a line is a JSON object such as {"task": "…", "starting_page": "https://…"}
        line 2: the id `1` is also the id of line 1
        line 1: not a task: expected ident (column 2); a line is a JSON object such as {"task": "…", "starting_page": "https://…"}
        line 1: invalid act: max_steps must be 1..199 (it is 200)
        line 1: invalid act: timeout must be 2..1800 seconds (it is 1s)
        line 1: starting_page https://blocked.example/ is blocked by --block-url blocked
        line 1: not a task: invalid type: integer `7`, expected a string (column 21); a line is a JSON object such as {"task": "…", "starting_page": "https://…"}
        the tasks file has no task (blank lines are skipped)
        line 1: no starting_page, and no --starting-page to default to
        "#
        );
    }
}
