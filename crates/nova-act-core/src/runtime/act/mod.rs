//! One act: CreateAct, then InvokeActStep until the agent returns or throws, then UpdateAct.
//! What is asked is in `request`, how it ended in `outcome`; this file runs the loop.

mod outcome;
mod request;
mod secrets;

pub use outcome::{ActError, ActResult};
pub use request::{ActRequest, DEFAULT_MAX_STEPS, MAX_STEPS_LIMIT, TIMEOUT_RANGE};

use std::future::Future;
use std::time::{Duration, SystemTime};

use serde_json::Value;
use tokio::time::Instant;
use tracing::Instrument;

use super::actuator::Actuator;
use super::calls::{BrowserAction, CallError, Planned, decode};
use super::guardrail::{Decision, PageState, StateGuardrail};
use super::human::{self, Approval, HumanInput, HumanRequest, Takeover};
use super::trace::{Trace, TraceFiles, Traces};
use crate::client::Client;
use crate::model::{
    ActFailure, ActStatus, CallResult, CreateActInput, InvokeActStepInput, ToolSpec, UpdateActInput,
};
use crate::validate::ValidationError;
use outcome::Ending;

/// Runs `future` unless the deadline passes first.
async fn before<T>(deadline: Option<Instant>, future: impl Future<Output = T>) -> Option<T> {
    match deadline {
        Some(at) => tokio::time::timeout_at(at, future).await.ok(),
        None => Some(future.await),
    }
}

/// The act's ending when a call found the actuator gone.
fn gone(outcome: &Result<Value, CallError>) -> Result<(), Ending> {
    match outcome {
        Err(err) if err.is_gone() => Err(Ending::Gone(err.message.clone())),
        _ => Ok(()),
    }
}

fn result_text(value: &Result<Value, CallError>) -> String {
    match value {
        Ok(Value::String(text)) => serde_json::to_string(text).unwrap_or_default(),
        Ok(other) => other.to_string(),
        Err(err) => err.to_string(),
    }
}

pub(super) fn message_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "(no reason given)".to_owned(),
        other => other.to_string(),
    }
}

/// The ids an act lives under.
pub(crate) struct ActPlace<'a> {
    pub(crate) client: &'a Client,
    pub(crate) definition: &'a str,
    pub(crate) run_id: &'a str,
    pub(crate) session_id: &'a str,
    pub(crate) shutdown: Option<&'a super::Shutdown>,
    pub(crate) human: Option<&'a dyn HumanInput>,
    pub(crate) guardrail: Option<&'a dyn StateGuardrail>,
    pub(crate) trace: Option<&'a Traces>,
    /// The placeholders' values, and the session's starting page.
    pub(crate) secrets: (&'a super::SecretValues, Option<&'a str>),
    /// Where the session's events go.
    pub(crate) events: Option<&'a tokio::sync::broadcast::Sender<super::ActEvent>>,
    #[cfg(feature = "mcp")]
    pub(crate) mcp: &'a [std::sync::Arc<super::McpServer>],
}

/// What the loop has seen of the page (for guardrails and a person's screenshot), and the
/// trace it records.
#[derive(Default)]
struct Seen {
    screenshot: Option<String>,
    trace: Option<Trace>,
    /// The act, once created, and how it ended in words: for the trace.
    act_id: Option<String>,
    ending: String,
    /// The one-time codes typed so far, hidden from the model like the secrets.
    codes: Vec<(String, String)>,
    /// Steps taken, for the ending's event.
    steps: u32,
}

impl Seen {
    /// Notes an observation's screenshot; returns its URL.
    fn observation(&mut self, observed: &Value) -> Option<String> {
        if let Some(trace) = &mut self.trace {
            trace.observed(observed);
        }
        if let Some(shot) = observed.get("screenshotBase64").and_then(Value::as_str) {
            self.screenshot = Some(shot.to_owned());
        }
        observed
            .get("activeURL")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }
}

impl ActPlace<'_> {
    /// Runs the act; also the files of its trace, when one was written (whatever the ending).
    pub(crate) async fn run(
        &self,
        actuator: &mut dyn Actuator,
        request: ActRequest,
    ) -> (Result<ActResult, ActError>, Option<TraceFiles>) {
        let mut seen = Seen {
            trace: self.trace.map(|t| {
                let place = (self.definition, self.run_id, self.session_id);
                Trace::start(&request.task, place, t.screenshots)
            }),
            ..Seen::default()
        };
        let result = self.run_traced(actuator, request, &mut seen).await;
        if let Some(act_id) = &seen.act_id {
            let status = match &result {
                Ok(_) => "SUCCEEDED".to_owned(),
                Err(err) => err.record().0.to_string(),
            };
            let steps = match &result {
                Ok(done) => done.steps,
                Err(_) => seen.steps,
            };
            let error = result.as_ref().err().map(ActError::code);
            let span = tracing::Span::current();
            span.record("nova_act.act.status", status.as_str());
            span.record("nova_act.act.steps", steps);
            if let Some(code) = error {
                crate::telemetry::failed(&span, code);
            }
            crate::telemetry::act_ended(error);
            super::events::emit(self.events, || super::ActEvent::ActEnded {
                act_id: act_id.clone(),
                status,
                steps,
                error: error.map(str::to_owned),
            });
        }
        let (Some(mut trace), Some(settings), Some(act_id)) = (seen.trace, self.trace, seen.act_id)
        else {
            return (result, None);
        };
        trace.act(&act_id);
        let answer = result.as_ref().ok().and_then(|r| r.value.as_ref());
        match trace.finish(&seen.ending, answer, &settings.folder) {
            Ok(files) => {
                tracing::info!(act_id, trace = %files.html.display(), "trace written");
                let result = result.map(|mut result| {
                    result.trace = Some(files.clone());
                    result
                });
                (result, Some(files))
            }
            Err(err) => {
                tracing::warn!(act_id, error = %err, "could not write the act's trace");
                (result, None)
            }
        }
    }

    async fn run_traced(
        &self,
        actuator: &mut dyn Actuator,
        request: ActRequest,
        seen: &mut Seen,
    ) -> Result<ActResult, ActError> {
        request.check()?;
        self.secrets
            .0
            .check_task(&request.task)
            .map_err(|error| ActError::Secret {
                act_id: None,
                error,
            })?;
        if let Some(reason) = self.shutdown.and_then(super::Shutdown::reason) {
            return Err(ActError::Interrupted {
                act_id: None,
                reason: reason.to_owned(),
            });
        }
        let created = self
            .client
            .create_act(CreateActInput {
                workflow_definition_name: self.definition.to_owned(),
                workflow_run_id: self.run_id.to_owned(),
                session_id: self.session_id.to_owned(),
                task: request.prompt(),
                tool_specs: self.tool_specs(&request),
                client_token: None,
            })
            .await?;
        let act_id = created.act_id;
        seen.act_id = Some(act_id.clone());
        tracing::Span::current().record("nova_act.act_id", act_id.as_str());
        crate::telemetry::act_started();
        super::events::emit(self.events, || super::ActEvent::Act {
            act_id: act_id.clone(),
            session_id: self.session_id.to_owned(),
            task: request.task.clone(),
        });
        let deadline = request.timeout.map(|t| Instant::now() + t);
        let mut result = ActResult {
            act_id: act_id.clone(),
            session_id: self.session_id.to_owned(),
            value: None,
            steps: 0,
            step_ids: Vec::new(),
            step_latencies: Vec::new(),
            started_at: SystemTime::now(),
            ended_at: SystemTime::now(),
            human_wait: Duration::ZERO,
            throttled_steps: 0,
            throttle_wait: Duration::ZERO,
            trace: None,
        };
        let pacing = crate::governor::Pacing::default();
        let steps =
            pacing.measure(self.steps(actuator, &request, &act_id, deadline, &mut result, seen));
        // A shutdown stops the loop wherever it is (a step in flight, a browser action); the
        // act is then recorded FAILED like any other ending.
        let ending = match self.shutdown {
            Some(shutdown) => tokio::select! {
                biased;
                () = shutdown.triggered() => {
                    Ending::Interrupted(shutdown.reason().unwrap_or("a shutdown").to_owned())
                }
                ending = steps => ending,
            },
            None => steps.await,
        };
        #[cfg(feature = "schema")]
        let ending = match (ending, &request.schema) {
            (Ending::Returned(value), Some(schema)) => {
                match schema.check(&value.unwrap_or_else(|| Value::String(String::new()))) {
                    Ok(answer) => Ending::Returned(Some(answer)),
                    Err(mismatch) => Ending::Mismatch(mismatch),
                }
            }
            (ending, _) => ending,
        };
        result.ended_at = SystemTime::now();
        (result.throttled_steps, result.throttle_wait) = pacing.totals();
        if result.throttled_steps > 0 {
            tracing::info!(
                act_id,
                throttled_steps = result.throttled_steps,
                throttle_wait_ms = result.throttle_wait.as_millis() as u64,
                "the service throttled steps of this act; each was repeated until it passed \
                 (raise the account's quota, or lower the concurrency or step_rate)"
            );
        }
        // A service failure is the act's error; a failure to record it only a warning. Any
        // other ending is reported once UpdateAct has recorded it.
        let service_failed = matches!(ending, Ending::Failed(_));
        let outcome = ending.into_result(act_id.clone(), &request);
        let (status, error) = match &outcome {
            Ok(_) => (ActStatus::Succeeded, None),
            Err(err) => {
                let (status, message) = err.record();
                (status, Some((err.code(), message)))
            }
        };
        seen.ending = match &error {
            Some((kind, message)) => format!("{status}: {kind}: {message}"),
            None => status.to_string(),
        };
        let update = self
            .client
            .update_act(UpdateActInput {
                workflow_definition_name: self.definition.to_owned(),
                workflow_run_id: self.run_id.to_owned(),
                session_id: self.session_id.to_owned(),
                act_id: act_id.clone(),
                status,
                error: error.map(|(kind, message)| ActFailure {
                    message: message.chars().take(10_000).collect(),
                    error_type: Some(kind.to_owned()),
                }),
            })
            .await;
        match update {
            Err(update_err) if service_failed => {
                tracing::warn!(act_id, error = %update_err, "could not mark the failed act FAILED");
            }
            Err(update_err) => return Err(update_err.into()),
            Ok(_) => {}
        }
        outcome.map(|value| {
            result.value = value;
            result
        })
    }

    /// The tools offered with the act: the request's, and a person's when there is one.
    fn tool_specs(&self, request: &ActRequest) -> Option<Vec<ToolSpec>> {
        let mut specs = request.tools.clone();
        if self.human.is_some() {
            specs.extend(human::tool_specs());
        }
        #[cfg(feature = "mcp")]
        for server in self.mcp {
            for spec in server.tool_specs() {
                // A tool of your own keeps its name; the server's namesake is not offered.
                if specs.iter().all(|known| known.name != spec.name) {
                    specs.push(spec);
                }
            }
        }
        (!specs.is_empty()).then_some(specs)
    }

    /// The guardrail's verdict on `url`, as an ending when it blocks.
    fn guard(&self, url: Option<&str>) -> Option<Ending> {
        let (guardrail, url) = (self.guardrail?, url?);
        (guardrail.check(&PageState::of(url)) == Decision::Block)
            .then(|| Ending::Blocked(url.to_owned()))
    }

    /// Asks the person for `tool`; the call's result, or the ending a cancel makes.
    async fn ask(
        &self,
        human: &dyn HumanInput,
        tool: &'static str,
        input: &Value,
        act_id: &str,
        seen: &Seen,
    ) -> Result<Value, Ending> {
        let message = human::message_of(input);
        let request = HumanRequest {
            message: &message,
            act_id,
            session_id: self.session_id,
            screenshot: seen.screenshot.as_deref(),
        };
        let done = if tool == human::APPROVE_TOOL {
            (human.approve(request).await == Approval::Yes).then(|| Value::from("yes"))
        } else {
            (human.ui_takeover(request).await == Takeover::Complete)
                .then(|| Value::from("complete"))
        };
        done.ok_or(Ending::Canceled { tool, message })
    }

    /// Runs one planned call: its result for the agent, or how the act ends.
    async fn call(
        &self,
        actuator: &mut dyn Actuator,
        request: &ActRequest,
        planned: Planned,
        act_id: &str,
        seen: &mut Seen,
        result: &mut ActResult,
    ) -> Result<Result<Value, CallError>, Ending> {
        match planned {
            Planned::Return(value) => Err(Ending::Returned(value)),
            Planned::Throw(value) => Err(Ending::Thrown(value)),
            Planned::Browser(action) => {
                if let BrowserAction::GoToUrl { url } = &action
                    && let Some(blocked) = self.guard(Some(url))
                {
                    return Err(blocked);
                }
                let observing = matches!(action, BrowserAction::TakeObservation);
                let (action, shown) = self.with_secrets(actuator, action, seen).await?;
                let outcome = actuator.browser(action).await;
                if let (Some(shown), Ok(_)) = (&shown, &outcome) {
                    actuator.mark_secret(shown).await;
                }
                // What the page shows of a secret or a code typed is its placeholder, for the
                // model, the guardrail and the trace alike.
                let outcome = outcome.map(|value| self.hide(value, seen));
                gone(&outcome)?;
                if self.guardrail.is_some() {
                    let url = match &outcome {
                        Ok(observed) if observing => seen.observation(observed),
                        _ => actuator.current_url().await,
                    };
                    if let Some(blocked) = self.guard(url.as_deref()) {
                        return Err(blocked);
                    }
                } else if let (true, Ok(observed)) = (observing, &outcome) {
                    seen.observation(observed);
                }
                Ok(outcome)
            }
            Planned::Tool { name, input } => {
                let tool = [human::APPROVE_TOOL, human::UI_TAKEOVER_TOOL]
                    .into_iter()
                    .find(|tool| *tool == name);
                match (self.human, tool) {
                    (Some(human), Some(tool)) => {
                        let asked = Instant::now();
                        super::events::emit(self.events, || super::ActEvent::HumanAsked {
                            act_id: act_id.to_owned(),
                            tool: tool.to_owned(),
                        });
                        let answer = self.ask(human, tool, &input, act_id, seen).await;
                        super::events::emit(self.events, || super::ActEvent::HumanAnswered {
                            act_id: act_id.to_owned(),
                            tool: tool.to_owned(),
                            done: answer.is_ok(),
                            waited_ms: super::events::millis(asked.elapsed()),
                        });
                        result.human_wait += asked.elapsed();
                        if let Some(trace) = &mut seen.trace {
                            trace.waited(asked.elapsed());
                        }
                        answer.map(Ok)
                    }
                    _ => {
                        #[cfg(feature = "mcp")]
                        if request.tools.iter().all(|own| own.name != name)
                            && let Some(server) = self.mcp.iter().find(|s| s.has_tool(&name))
                        {
                            return Ok(server.call(&name, input).await);
                        }
                        let _ = request;
                        let outcome = actuator.tool(&name, input).await;
                        gone(&outcome)?;
                        Ok(outcome)
                    }
                }
            }
        }
    }

    async fn steps(
        &self,
        actuator: &mut dyn Actuator,
        request: &ActRequest,
        act_id: &str,
        deadline: Option<Instant>,
        result: &mut ActResult,
        seen: &mut Seen,
    ) -> Ending {
        let Some(observation) = before(deadline, self.observe(actuator, seen)).await else {
            return Ending::TimedOut;
        };
        let observation = match observation {
            Ok(observation) => observation,
            Err(ending) => return ending,
        };
        let mut call_results = vec![CallResult::text("initiateAct", "{}"), observation];
        // Where the latest observation is among the results: what shrinks when a step is too
        // large to send.
        let mut observed_at = Some(1);
        let mut previous: Option<String> = None;
        loop {
            if result.steps >= request.max_steps {
                return Ending::MaxSteps;
            }
            if let Err(ending) = self
                .fit(actuator, &mut call_results, observed_at.take(), seen)
                .await
            {
                return ending;
            }
            let step_span = crate::telemetry::step(act_id, result.steps + 1);
            let started = Instant::now();
            let step = self.client.invoke_act_step(InvokeActStepInput {
                workflow_definition_name: self.definition.to_owned(),
                workflow_run_id: self.run_id.to_owned(),
                session_id: self.session_id.to_owned(),
                act_id: act_id.to_owned(),
                call_results: std::mem::take(&mut call_results),
                previous_step_id: previous.take(),
            });
            let throttled_before = crate::governor::Pacing::current();
            let step = match before(deadline, step.instrument(step_span.clone())).await {
                None => {
                    crate::telemetry::failed(&step_span, "Timeout");
                    return Ending::TimedOut;
                }
                Some(Err(err)) => {
                    crate::telemetry::failed(&step_span, err.kind());
                    return match err.is_step_limit() {
                        true => Ending::StepLimit(err),
                        false => Ending::Failed(err),
                    };
                }
                Some(Ok(step)) => step,
            };
            let server_time = started.elapsed();
            step_span.record("nova_act.step_id", step.step_id.as_str());
            step_span.record("nova_act.step.server_time_s", server_time.as_secs_f64());
            step_span.record(
                "nova_act.step.calls",
                tracing::field::display(crate::telemetry::Names(&step.calls)),
            );
            crate::telemetry::step_taken(server_time.as_secs_f64());
            result.steps += 1;
            seen.steps = result.steps;
            if let (Some((count, waited)), Some((after, waited_after))) =
                (throttled_before, crate::governor::Pacing::current())
                && after > count
            {
                let waited = waited_after.saturating_sub(waited);
                step_span.record("nova_act.step.throttled_wait_s", waited.as_secs_f64());
                crate::telemetry::step_throttled();
                super::events::emit(self.events, || super::ActEvent::Throttled {
                    act_id: act_id.to_owned(),
                    waited_ms: super::events::millis(waited),
                });
            }
            super::events::emit(self.events, || super::ActEvent::Step {
                act_id: act_id.to_owned(),
                step: result.steps,
                step_id: step.step_id.clone(),
                server_time_ms: super::events::millis(server_time),
                calls: step.calls.iter().map(|c| c.name.clone()).collect(),
            });
            result.step_latencies.push(server_time);
            result.step_ids.push(step.step_id.clone());
            if let Some(trace) = &mut seen.trace {
                trace.step(&step.step_id, server_time);
            }
            tracing::debug!(
                act_id,
                step = result.steps,
                calls = step.calls.len(),
                "step"
            );
            for call in step.calls {
                let called = Instant::now();
                let action_span = crate::telemetry::action(&step_span, &call.name);
                let outcome = match decode(&call.name, &call.input) {
                    Ok(planned) => {
                        // A browser action's result is hidden where it is produced, before the
                        // guardrail and the trace see it; a tool's here.
                        let tool = !matches!(planned, Planned::Browser(_));
                        let run = self.call(actuator, request, planned, act_id, seen, result);
                        match before(deadline, run.instrument(action_span.clone())).await {
                            None => {
                                crate::telemetry::failed(&action_span, "Timeout");
                                return Ending::TimedOut;
                            }
                            Some(Err(ending)) => {
                                // `return` ends the act as planned; anything else stops it.
                                let returned = matches!(ending, Ending::Returned(_));
                                action_span.record("nova_act.action.ok", returned);
                                if !returned {
                                    crate::telemetry::failed(&action_span, ending.kind());
                                }
                                return ending;
                            }
                            Some(Ok(outcome)) if tool => {
                                outcome.map(|value| self.hide(value, seen))
                            }
                            Some(Ok(outcome)) => outcome,
                        }
                    }
                    Err(err) => Err(err),
                };
                action_span.record("nova_act.action.ok", outcome.is_ok());
                if let Err(err) = &outcome {
                    crate::telemetry::failed(&action_span, &err.kind);
                }
                super::events::emit(self.events, || super::ActEvent::Action {
                    act_id: act_id.to_owned(),
                    name: call.name.clone(),
                    ms: super::events::millis(called.elapsed()),
                    ok: outcome.is_ok(),
                });
                // Results are hidden already; an error's words may quote what was typed.
                let said = match &outcome {
                    Ok(_) => result_text(&outcome),
                    Err(_) => self.hide_text(&result_text(&outcome), seen),
                };
                if outcome.is_err() {
                    tracing::debug!(act_id, call = %call.name, error = %said, "call failed");
                }
                let recorded = outcome.clone().map_err(|_| said.clone());
                if let Some(trace) = &mut seen.trace {
                    let outcome = recorded;
                    trace.call(
                        &call.call_id,
                        &call.name,
                        &call.input,
                        &outcome,
                        called.elapsed(),
                    );
                }
                if call.name == "takeObservation" {
                    observed_at = Some(call_results.len());
                }
                call_results.push(CallResult::text(call.call_id, said));
            }
            if call_results.is_empty() {
                // Nothing was planned: show the agent the page again.
                match before(deadline, self.observe(actuator, seen)).await {
                    None => return Ending::TimedOut,
                    Some(Err(ending)) => return ending,
                    Some(Ok(observation)) => {
                        observed_at = Some(call_results.len());
                        call_results.push(observation);
                    }
                }
            }
            call_results.truncate(100);
            previous = Some(step.step_id);
        }
    }

    /// Makes the next step's results fit the service's limit on a step's size: the observation
    /// at `observed_at` is taken again smaller, up to three times; a step that still does not
    /// fit is never sent, and the act ends with a payload error.
    async fn fit(
        &self,
        actuator: &mut dyn Actuator,
        call_results: &mut [CallResult],
        observed_at: Option<usize>,
        seen: &mut Seen,
    ) -> Result<(), Ending> {
        // The results and the step's other members (ids, at most a few hundred bytes).
        let size = |results: &[CallResult]| {
            serde_json::to_vec(results).map_or(usize::MAX, |bytes| bytes.len()) + 512
        };
        let limit = crate::limits::MAX_STEP_PAYLOAD_BYTES;
        let mut bytes = size(call_results);
        if bytes <= limit {
            return Ok(());
        }
        if let Some(at) = observed_at.filter(|at| *at < call_results.len()) {
            for attempt in 1..=3 {
                let Some(outcome) = actuator.smaller_observation(attempt).await else {
                    break;
                };
                gone(&outcome)?;
                let outcome = outcome.map(|value| self.hide(value, seen));
                if let Ok(observed) = &outcome {
                    seen.observation(observed);
                }
                let call_id = call_results[at].call_id.clone().unwrap_or_default();
                call_results[at] = CallResult::text(call_id, result_text(&outcome));
                let smaller = size(call_results);
                tracing::info!(
                    bytes,
                    smaller,
                    attempt,
                    "a step was over the service's limit; the page was observed again, smaller"
                );
                bytes = smaller;
                if bytes <= limit {
                    return Ok(());
                }
            }
        }
        Err(Ending::Failed(crate::Error::InvalidInput(
            ValidationError {
                operation: "InvokeActStep",
                member: "callResults".to_owned(),
                rule: format!(
                    "must be at most {limit} bytes in all (the service's limit on a step); this step \
                 is {bytes} bytes, even after smaller observations"
                ),
            },
        )))
    }

    /// Takes an observation for the agent, through the guardrail.
    async fn observe(
        &self,
        actuator: &mut dyn Actuator,
        seen: &mut Seen,
    ) -> Result<CallResult, Ending> {
        let outcome = actuator.browser(BrowserAction::TakeObservation).await;
        gone(&outcome)?;
        let outcome = outcome.map(|value| self.hide(value, seen));
        if let Ok(observed) = &outcome {
            let url = seen.observation(observed);
            if let Some(blocked) = self.guard(url.as_deref()) {
                return Err(blocked);
            }
        }
        Ok(CallResult::text("takeObservation", result_text(&outcome)))
    }
}
