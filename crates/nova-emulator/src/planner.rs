//! Who answers InvokeActStep: a script, or your own planner.

use std::path::Path;

use nova_act_core::model::{Call, CallResult, ToolSpec};
use serde::Deserialize;
use serde_json::{Value, json};

/// What a planner knows of an act.
#[derive(Clone, Debug, PartialEq)]
pub struct ActView {
    /// The task, in words.
    pub task: String,
    /// The tools declared with the act.
    pub tools: Vec<ToolSpec>,
}

/// Plans the next calls of an act. `step` counts from 0; `results` are the results of the
/// previous step's calls (on step 0: `initiateAct` and the first observation).
pub trait Planner: Send + Sync + 'static {
    /// The calls to make next; a `return` or `throw` call ends the act.
    fn plan(&self, act: &ActView, step: usize, results: &[CallResult]) -> Vec<Call>;
}

/// A call to return from a planner: `name` with `input`.
pub fn call(step: usize, index: usize, name: &str, input: Value) -> Call {
    Call {
        call_id: format!("call-{step}-{index}"),
        name: name.to_owned(),
        input,
    }
}

/// A deterministic planner: for a task that matches a script, its steps one by one; otherwise
/// it asks for `takeObservation`, then returns the observed page's URL.
///
/// A script file is JSON: `{"scripts": [{"task": "…", "steps": [[{"name": "agentClick",
/// "input": ["<bbox>1,2,3,4</bbox>"]}], [{"name": "return", "input": ["done"]}]]}]}`. A task
/// matches a script whose `task` it contains (case-insensitive).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ScriptedPlanner {
    #[serde(default)]
    scripts: Vec<Script>,
}

#[derive(Clone, Debug, Deserialize)]
struct Script {
    task: String,
    steps: Vec<Vec<PlannedCall>>,
}

#[derive(Clone, Debug, Deserialize)]
struct PlannedCall {
    name: String,
    #[serde(default)]
    input: Value,
}

impl ScriptedPlanner {
    /// The fallback only: observe, then return the URL.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a script for tasks containing `task`: each item of `steps` is one step's calls,
    /// as `(name, input)`.
    #[must_use]
    pub fn script(mut self, task: impl Into<String>, steps: Vec<Vec<(&str, Value)>>) -> Self {
        self.scripts.push(Script {
            task: task.into(),
            steps: steps
                .into_iter()
                .map(|calls| {
                    calls
                        .into_iter()
                        .map(|(name, input)| PlannedCall {
                            name: name.to_owned(),
                            input,
                        })
                        .collect()
                })
                .collect(),
        });
        self
    }

    /// Loads scripts from a JSON file.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
        serde_json::from_str(&text)
            .map_err(|err| format!("{} is not a planner script: {err}", path.display()))
    }

    fn matching(&self, task: &str) -> Option<&Script> {
        let task = task.to_lowercase();
        self.scripts
            .iter()
            .find(|script| task.contains(&script.task.to_lowercase()))
    }
}

/// The URL in the last observation among `results`, if any.
fn observed_url(results: &[CallResult]) -> Option<String> {
    results.iter().rev().find_map(|result| {
        let text = result.content.first()?.text.as_deref()?;
        let value: Value = serde_json::from_str(text).ok()?;
        value.get("activeURL")?.as_str().map(str::to_owned)
    })
}

impl Planner for ScriptedPlanner {
    fn plan(&self, act: &ActView, step: usize, results: &[CallResult]) -> Vec<Call> {
        if let Some(script) = self.matching(&act.task) {
            let calls = script
                .steps
                .get(step)
                .or_else(|| script.steps.last())
                .cloned()
                .unwrap_or_default();
            return calls
                .into_iter()
                .enumerate()
                .map(|(i, c)| call(step, i, &c.name, c.input))
                .collect();
        }
        match step {
            0 => vec![call(step, 0, "takeObservation", json!([]))],
            _ => {
                let url = observed_url(results).unwrap_or_else(|| "about:blank".to_owned());
                vec![call(step, 0, "return", json!([url]))]
            }
        }
    }
}
