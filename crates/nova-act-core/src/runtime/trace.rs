//! Traces: what each act saw and did, step by step, as JSON and as one self-contained HTML page.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde_json::Value;

use super::trajectory::{Program, Trajectory, TrajectoryMetadata, TrajectoryStep};

/// What a browser action's result holds when the action handled a secret (typing into a
/// password field): traces then record the call's input as [`nova_auth::REDACTED`].
pub const SENSITIVE: &str = "sensitive";

/// A logs folder that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("cannot write traces into {}; choose a folder you can write to", path.display())]
#[non_exhaustive]
pub struct TraceError {
    /// The folder.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

/// Where traces go and what they hold: each act's trace is written into
/// `<folder>/<session id>/` as `act_<id>_traces.json` (each step's page, the calls the model
/// made, their results and timings) and `act_<id>.html`, one self-contained page with the
/// screenshots. Inputs an actuator flags [`SENSITIVE`] (a password typed) are not recorded.
///
/// ```no_run
/// # async fn demo(session: &mut nova_act_core::runtime::Session<Box<dyn nova_act_core::runtime::Actuator>>) -> Result<(), Box<dyn std::error::Error>> {
/// use nova_act_core::runtime::Traces;
///
/// // Checked now: a folder that cannot be written fails here, before any act.
/// session.traces(Traces::new("logs")?.screenshots(false));
/// let result = session.act("Find the price").await?;
/// println!("trace: {}", result.trace.unwrap().html.display());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Traces {
    pub(crate) folder: PathBuf,
    pub(crate) screenshots: bool,
}

impl Traces {
    /// Traces into `folder` (created if missing), with screenshots, once a file can be written
    /// there.
    pub fn new(folder: impl AsRef<Path>) -> Result<Self, TraceError> {
        let folder = folder.as_ref();
        let fail = |source| TraceError {
            path: folder.to_owned(),
            source,
        };
        std::fs::create_dir_all(folder).map_err(fail)?;
        let probe = folder.join(format!(".nova-act-probe-{}", std::process::id()));
        std::fs::write(&probe, b"").map_err(fail)?;
        std::fs::remove_file(&probe).map_err(fail)?;
        Ok(Self {
            folder: folder.to_owned(),
            screenshots: true,
        })
    }

    /// Whether traces hold the screenshots (they do unless turned off).
    #[must_use]
    pub fn screenshots(mut self, screenshots: bool) -> Self {
        self.screenshots = screenshots;
        self
    }

    /// The folder.
    pub fn folder(&self) -> &Path {
        &self.folder
    }
}

/// The two files of an act's trace.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TraceFiles {
    /// The steps as JSON.
    pub json: PathBuf,
    /// One HTML page with the steps and their screenshots.
    pub html: PathBuf,
    /// The act in the Python SDK's trajectory format
    /// (`act_<id>_<prompt snippet>_trajectory.json`); `None` for an act that took no step.
    pub trajectory: Option<PathBuf>,
}

/// An act's trace as it is recorded.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Trace {
    act_id: String,
    session_id: String,
    task: String,
    #[serde(with = "humantime_serde_rfc3339")]
    started_at: Option<SystemTime>,
    #[serde(with = "humantime_serde_rfc3339")]
    ended_at: Option<SystemTime>,
    ending: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<Value>,
    steps: Vec<StepTrace>,
    #[serde(skip)]
    screenshots: bool,
    #[serde(skip)]
    pending: Option<ObservationTrace>,
    /// Where the act ran, for the trajectory file.
    #[serde(skip)]
    definition: String,
    #[serde(skip)]
    run_id: String,
    /// Time spent waiting for a person.
    #[serde(skip)]
    human_wait: Duration,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct StepTrace {
    step_id: String,
    server_time_ms: u64,
    #[serde(skip)]
    server_time: Duration,
    observation: Option<ObservationTrace>,
    calls: Vec<CallTrace>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ObservationTrace {
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    screenshot: Option<String>,
    /// The simplified DOM, for the trajectory file.
    #[serde(skip)]
    dom: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CallTrace {
    call_id: String,
    name: String,
    input: Value,
    result: String,
    ok: bool,
    ms: u64,
    /// The call as the trajectory file records it (secrets redacted alike).
    #[serde(skip)]
    planned: super::trajectory::ProgramCall,
}

/// RFC 3339 times, the way the service writes them.
mod humantime_serde_rfc3339 {
    use std::time::SystemTime;

    pub(super) fn serialize<S: serde::Serializer>(
        time: &Option<SystemTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match time {
            Some(time) => serializer.collect_str(&humantime::format_rfc3339_millis(*time)),
            None => serializer.serialize_none(),
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl Trace {
    pub(crate) fn start(
        task: &str,
        (definition, run_id, session_id): (&str, &str, &str),
        screenshots: bool,
    ) -> Self {
        Self {
            task: task.to_owned(),
            session_id: session_id.to_owned(),
            definition: definition.to_owned(),
            run_id: run_id.to_owned(),
            started_at: Some(SystemTime::now()),
            screenshots,
            ..Self::default()
        }
    }

    /// Time spent waiting for a person.
    pub(crate) fn waited(&mut self, waited: Duration) {
        self.human_wait += waited;
    }

    pub(crate) fn act(&mut self, act_id: &str) {
        act_id.clone_into(&mut self.act_id);
    }

    /// The page the next step is planned from.
    pub(crate) fn observed(&mut self, observed: &Value) {
        let text = |key: &str| observed.get(key).and_then(Value::as_str).map(str::to_owned);
        self.pending = Some(ObservationTrace {
            url: text("activeURL").unwrap_or_default(),
            screenshot: if self.screenshots {
                text("screenshotBase64")
            } else {
                None
            },
            dom: text("simplifiedDOM").unwrap_or_default(),
        });
    }

    pub(crate) fn step(&mut self, step_id: &str, server_time: Duration) {
        self.steps.push(StepTrace {
            step_id: step_id.to_owned(),
            server_time_ms: millis(server_time),
            server_time,
            observation: self.pending.take(),
            calls: Vec::new(),
        });
    }

    /// A call of the current step and its result. An input the actuator flagged
    /// [`SENSITIVE`] is not recorded.
    pub(crate) fn call(
        &mut self,
        call_id: &str,
        name: &str,
        input: &Value,
        outcome: &Result<Value, String>,
        took: Duration,
    ) {
        let sensitive = matches!(outcome, Ok(Value::Object(map)) if map.get(SENSITIVE) == Some(&Value::Bool(true)));
        let input_or_redacted = if sensitive {
            Value::String(nova_auth::REDACTED.to_owned())
        } else {
            input.clone()
        };
        let (result, ok) = match outcome {
            Ok(value) => (value.to_string(), true),
            Err(message) => (message.clone(), false),
        };
        if let Some(step) = self.steps.last_mut() {
            step.calls.push(CallTrace {
                // The trajectory redacts a secret's value itself, keeping the other arguments.
                planned: super::trajectory::program_call(call_id, name, input, sensitive),
                call_id: call_id.to_owned(),
                name: name.to_owned(),
                input: input_or_redacted,
                result,
                ok,
                ms: millis(took),
            });
        }
    }

    /// Writes the trace into `folder/<session id>/`; the files' paths.
    pub(crate) fn finish(
        mut self,
        ending: &str,
        answer: Option<&Value>,
        folder: &Path,
    ) -> std::io::Result<TraceFiles> {
        self.ended_at = Some(SystemTime::now());
        ending.clone_into(&mut self.ending);
        self.answer = answer.cloned();
        let folder = folder.join(&self.session_id);
        std::fs::create_dir_all(&folder)?;
        let stem = format!("act_{}", self.act_id);
        let files = TraceFiles {
            json: folder.join(format!("{stem}_traces.json")),
            html: folder.join(format!("{stem}.html")),
            trajectory: None,
        };
        let json = serde_json::to_vec_pretty(&self).map_err(std::io::Error::other)?;
        std::fs::write(&files.json, json)?;
        std::fs::write(&files.html, self.html())?;
        // An act with no step has no trajectory (the Python SDK refuses an empty one too).
        let trajectory = match self.trajectory() {
            Some(trajectory) => {
                let path = folder.join(Trajectory::file_name(&self.act_id, &self.task));
                let json = serde_json::to_vec(&trajectory).map_err(std::io::Error::other)?;
                std::fs::write(&path, json)?;
                Some(path)
            }
            None => None,
        };
        Ok(TraceFiles {
            trajectory,
            ..files
        })
    }

    /// The act as the Python SDK's trajectory file holds it; `None` without a step.
    fn trajectory(&self) -> Option<Trajectory> {
        if self.steps.is_empty() {
            return None;
        }
        let seconds = |at: Option<SystemTime>| {
            at.and_then(|at| at.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map(|since| since.as_secs_f64())
        };
        let (start, end) = (seconds(self.started_at), seconds(self.ended_at));
        let human = self.human_wait.as_secs_f64();
        let steps = self
            .steps
            .iter()
            .map(|step| {
                let observation = step.observation.as_ref();
                TrajectoryStep {
                    active_url: observation.map(|o| o.url.clone()).unwrap_or_default(),
                    image: observation
                        .and_then(|o| o.screenshot.clone())
                        .unwrap_or_default(),
                    simplified_dom: observation.map(|o| o.dom.clone()).unwrap_or_default(),
                    program: Program {
                        calls: step.calls.iter().map(|c| c.planned.clone()).collect(),
                    },
                }
            })
            .collect();
        let non_empty = |text: &str| (!text.is_empty()).then(|| text.to_owned());
        Some(Trajectory {
            sdk_version: env!("CARGO_PKG_VERSION").to_owned(),
            prompt: self.task.clone(),
            steps,
            metadata: Some(TrajectoryMetadata {
                session_id: self.session_id.clone(),
                act_id: self.act_id.clone(),
                num_steps_executed: u32::try_from(self.steps.len()).unwrap_or(u32::MAX),
                start_time: start,
                end_time: end,
                prompt: self.task.clone(),
                step_server_times_s: self
                    .steps
                    .iter()
                    .map(|s| s.server_time.as_secs_f64())
                    .collect(),
                time_worked_s: start
                    .zip(end)
                    .map(|(start, end)| (end - start - human).max(0.0)),
                human_wait_time_s: human,
                workflow_definition_name: non_empty(&self.definition),
                workflow_run_id: non_empty(&self.run_id),
            }),
        })
    }

    fn html(&self) -> String {
        let mut out = String::from(
            "<!doctype html><meta charset=\"utf-8\"><title>Nova Act trace</title>\n<style>\
             body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px}\
             .step{border-top:1px solid #ccc;padding:1em 0}\
             img{max-width:100%;border:1px solid #ddd}\
             code,pre{background:#f4f4f4;padding:2px 4px;white-space:pre-wrap;word-break:break-all}\
             .failed{color:#a00}</style>\n",
        );
        let _ = write!(
            out,
            "<h1>{}</h1>\n<p>act <code>{}</code> · session <code>{}</code> · {}</p>\n",
            escape(&self.task),
            escape(&self.act_id),
            escape(&self.session_id),
            escape(&self.ending),
        );
        if let Some(answer) = &self.answer {
            let _ = writeln!(
                out,
                "<p>answer: <code>{}</code></p>",
                escape(&answer.to_string())
            );
        }
        for (n, step) in self.steps.iter().enumerate() {
            let _ = writeln!(
                out,
                "<div class=\"step\"><h2>Step {} <small>({} ms on the service)</small></h2>",
                n + 1,
                step.server_time_ms
            );
            if let Some(observation) = &step.observation {
                let _ = writeln!(
                    out,
                    "<p>page: <code>{}</code></p>",
                    escape(&observation.url)
                );
                if let Some(shot) = observation
                    .screenshot
                    .as_deref()
                    .filter(|shot| shot.starts_with("data:image/"))
                {
                    let _ = writeln!(out, "<img alt=\"screenshot\" src=\"{}\">", escape(shot));
                }
            }
            out.push_str("<ol>\n");
            for call in &step.calls {
                let _ = writeln!(
                    out,
                    "<li><code>{}</code> <code>{}</code> → <span{}>{}</span> <small>{} ms</small></li>",
                    escape(&call.name),
                    escape(&call.input.to_string()),
                    if call.ok { "" } else { " class=\"failed\"" },
                    escape(&call.result),
                    call.ms
                );
            }
            out.push_str("</ol></div>\n");
        }
        out
    }
}

/// `text` safe inside HTML text and double-quoted attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_act_without_a_step_has_no_trajectory() {
        let dir = std::env::temp_dir().join(format!("nova-trace-empty-{}", std::process::id()));
        let mut trace = Trace::start("Nothing", ("d", "r", "s"), false);
        trace.act("a-0");
        let files = trace.finish("FAILED", None, &dir).unwrap();
        assert!(files.json.is_file());
        assert_eq!(files.trajectory, None);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_trace_records_steps_and_hides_sensitive_inputs() {
        let dir = std::env::temp_dir().join(format!("nova-trace-{}", std::process::id()));
        let settings = Traces::new(&dir).unwrap();
        let mut trace = Trace::start("Sign in <now>", ("d", "r-1", "s-1"), settings.screenshots);
        trace.act("a-1");
        trace.observed(&json!({"activeURL": "http://127.0.0.1/login", "screenshotBase64": "data:image/jpeg;base64,AAAA"}));
        trace.step("step-1", Duration::from_millis(12));
        trace.call(
            "c1",
            "agentType",
            &json!(["hunter2", "<box>1,2,3,4</box>"]),
            &Ok(json!({SENSITIVE: true})),
            Duration::from_millis(3),
        );
        trace.call(
            "c2",
            "agentClick",
            &json!(["<box>1,2,3,4</box>"]),
            &Err("BrowserError: gone".to_owned()),
            Duration::ZERO,
        );
        let files = trace
            .finish("SUCCEEDED", Some(&json!("done")), &settings.folder)
            .unwrap();
        let json_text = std::fs::read_to_string(&files.json).unwrap();
        let html = std::fs::read_to_string(&files.html).unwrap();
        for text in [&json_text, &html] {
            assert!(!text.contains("hunter2"), "{text}");
            assert!(text.contains("http://127.0.0.1/login"));
            assert!(text.contains("data:image/jpeg;base64,AAAA"));
        }
        assert!(html.contains("Sign in &lt;now&gt;"));
        assert!(html.contains("class=\"failed\""));
        let parsed: Value = serde_json::from_str(&json_text).unwrap();
        assert_eq!(parsed["steps"][0]["serverTimeMs"], 12);
        assert_eq!(parsed["steps"][0]["calls"][0]["input"], nova_auth::REDACTED);
        assert_eq!(files.json, dir.join("s-1").join("act_a-1_traces.json"));
        let trajectory = files.trajectory.unwrap();
        assert_eq!(
            trajectory,
            dir.join("s-1").join("act_a-1_Sign_in__now_trajectory.json")
        );
        let text = std::fs::read_to_string(&trajectory).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_unwritable_folder_is_refused_up_front() {
        let err = Traces::new("/proc/nova-act-traces").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot write traces into /proc/nova-act-traces"),
            "{err}"
        );
    }
}
