//! Nova Act's own trajectory file, as the Python SDK (3.3.35 and later) writes it after every
//! act: `act_<act id>_<prompt snippet>_trajectory.json`, field for field its pydantic models
//! `Trajectory`, `TrajectoryStep`, `TrajectoryMetadata`, `Program` and `Call`. Python tooling
//! reads these files; [`Trajectory::read`] reads them back into Rust.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An act's trajectory: the prompt, each step's page and program, and the act's metadata.
///
/// ```no_run
/// use nova_act_core::runtime::Trajectory;
///
/// let trajectory = Trajectory::read("logs/SESSION/act_ID_Find_the_price_trajectory.json")?;
/// for step in &trajectory.steps {
///     let names: Vec<&str> = step.program.calls.iter().map(|c| c.name.as_str()).collect();
///     println!("{} → {}", step.active_url, names.join(", "));
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Trajectory {
    /// The version of the SDK that wrote it.
    pub sdk_version: String,
    /// The act's prompt.
    pub prompt: String,
    /// The steps, first first.
    pub steps: Vec<TrajectoryStep>,
    /// The act's ids and times.
    pub metadata: Option<TrajectoryMetadata>,
}

/// One step: the page the model saw and the program it answered with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TrajectoryStep {
    /// The page's URL.
    pub active_url: String,
    /// The screenshot as a `data:image/…;base64,` URL; empty when screenshots are off.
    pub image: String,
    /// The simplified DOM sent with it.
    pub simplified_dom: String,
    /// The calls the model planned.
    pub program: Program,
}

/// The calls of one step.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Program {
    /// The calls, in order.
    pub calls: Vec<ProgramCall>,
}

/// One planned call, its arguments named as the Python SDK names them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProgramCall {
    /// The action or tool.
    pub name: String,
    /// Its arguments by name.
    pub kwargs: Map<String, Value>,
    /// The call's id.
    pub id: String,
    /// Whether it is a tool (its input was an object) rather than a browser action.
    #[serde(default)]
    pub is_tool: bool,
    /// Always false in what the SDKs write.
    #[serde(default)]
    pub is_return: bool,
}

/// The act's ids and times; times in seconds since the epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TrajectoryMetadata {
    /// The session.
    pub session_id: String,
    /// The act.
    pub act_id: String,
    /// How many steps ran.
    pub num_steps_executed: u32,
    /// When the act started.
    pub start_time: Option<f64>,
    /// When it ended.
    pub end_time: Option<f64>,
    /// The act's prompt.
    pub prompt: String,
    /// Each step's InvokeActStep time, in seconds.
    #[serde(default)]
    pub step_server_times_s: Vec<f64>,
    /// The act's time less the time spent waiting for a person.
    pub time_worked_s: Option<f64>,
    /// The time spent waiting for a person.
    #[serde(default)]
    pub human_wait_time_s: f64,
    /// The workflow definition.
    pub workflow_definition_name: Option<String>,
    /// The workflow run.
    pub workflow_run_id: Option<String>,
}

impl Trajectory {
    /// Reads a trajectory file, such as one the Python SDK or this SDK wrote.
    pub fn read(path: impl AsRef<Path>) -> std::io::Result<Self> {
        let text = std::fs::read(path)?;
        serde_json::from_slice(&text).map_err(std::io::Error::other)
    }

    /// The file's name for an act: `act_<act id>_<prompt snippet>_trajectory.json`.
    pub fn file_name(act_id: &str, prompt: &str) -> String {
        format!("act_{act_id}_{}_trajectory.json", snippet(prompt))
    }
}

/// The prompt as the Python SDK puts it in a file name: each of `<>:"/\|?*`, a control
/// character or whitespace becomes `_`, leading and trailing `_` go, then the first 30
/// characters.
fn snippet(prompt: &str) -> String {
    let replaced: String = prompt
        .chars()
        .map(|c| {
            if "<>:\"/\\|?*".contains(c) || c <= '\u{1f}' || c.is_whitespace() {
                '_'
            } else {
                c
            }
        })
        .collect();
    replaced.trim_matches('_').chars().take(30).collect()
}

/// A planned call as the Python SDK records it: an object input is a tool's kwargs; a list is a
/// browser action's positional arguments, named as the Python SDK names them.
pub(crate) fn program_call(id: &str, name: &str, input: &Value, sensitive: bool) -> ProgramCall {
    let (mut kwargs, is_tool) = match input {
        Value::Object(map) => (map.clone(), true),
        Value::Array(args) => (kwargs(name, args), false),
        Value::Null => (Map::new(), false),
        other => (kwargs(name, std::slice::from_ref(other)), false),
    };
    if sensitive {
        // What was typed into a password field: as in the traces, never recorded.
        if let Some(value) = kwargs.get_mut("value") {
            *value = Value::String(nova_auth::REDACTED.to_owned());
        }
    }
    ProgramCall {
        name: name.to_owned(),
        kwargs,
        id: id.to_owned(),
        is_tool,
        is_return: false,
    }
}

/// The Python SDK's names for the built-in actions' positional arguments.
fn kwargs(name: &str, args: &[Value]) -> Map<String, Value> {
    let mut out = Map::new();
    let arg = |i: usize| args.get(i).cloned();
    // An option given as a bare value or as `{option: value}`.
    let option = |i: usize, key: &str| {
        arg(i).map(|value| match value {
            Value::Object(mut map) => map.remove(key).unwrap_or(Value::Null),
            other => other,
        })
    };
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            out.insert(key.to_owned(), value);
        }
    };
    match name {
        "agentClick" => {
            put("box", arg(0));
            put("click_type", option(1, "clickType"));
        }
        "agentHover" => put("box", arg(0)),
        "agentScroll" => {
            put("direction", arg(0));
            put("box", arg(1));
        }
        "agentType" => {
            put("value", arg(0));
            put("box", arg(1));
            put(
                "pressEnter",
                Some(option(2, "pressEnter").unwrap_or(Value::Bool(false))),
            );
        }
        "goToUrl" => put("url", arg(0)),
        "return" => put(
            "value",
            Some(arg(0).unwrap_or_else(|| Value::String(String::new()))),
        ),
        "think" | "throw" | "throwAgentError" => put("value", arg(0)),
        "wait" => put("seconds", arg(0).and_then(|s| s.as_f64()).map(Value::from)),
        "waitForPageToSettle" | "takeObservation" => {}
        _ => put("args", Some(Value::Array(args.to_vec()))),
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_snippet_is_the_python_sdk_s() {
        assert_eq!(snippet("  Find the price: <$5?>  "), "Find_the_price___$5");
        assert_eq!(
            snippet("Search for \"red apples\" then add\tto cart/basket"),
            "Search_for__red_apples__then_a"
        );
        assert_eq!(snippet("é\u{3000}ü"), "é_ü");
        assert_eq!(
            Trajectory::file_name("a1", "Go"),
            "act_a1_Go_trajectory.json"
        );
    }

    #[test]
    fn actions_are_named_as_the_python_sdk_names_them() {
        let call = |name: &str, input: Value| program_call("c", name, &input, false);
        assert_eq!(
            Value::Object(call("agentType", json!(["hi", "<box>1,2,3,4</box>"])).kwargs),
            json!({"value": "hi", "box": "<box>1,2,3,4</box>", "pressEnter": false})
        );
        assert_eq!(
            Value::Object(
                call(
                    "agentClick",
                    json!(["<box>1,2,3,4</box>", {"clickType": "double"}])
                )
                .kwargs
            ),
            json!({"box": "<box>1,2,3,4</box>", "click_type": "double"})
        );
        assert_eq!(
            Value::Object(call("return", json!([])).kwargs),
            json!({"value": ""})
        );
        assert_eq!(
            Value::Object(call("wait", json!([2])).kwargs),
            json!({"seconds": 2.0})
        );
        let tool = call("lookup", json!({"sku": "A1"}));
        assert!(tool.is_tool && !tool.is_return);
        let typed = program_call(
            "c",
            "agentType",
            &json!(["hunter2", "<box>1,2,3,4</box>"]),
            true,
        );
        assert_eq!(typed.kwargs["value"], nova_auth::REDACTED);
    }
}
