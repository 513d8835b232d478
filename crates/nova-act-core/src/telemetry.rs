//! The spans and metrics operators see, by name: emitted through `tracing` always (a disabled
//! span costs a branch), exported by the facade's `otel` feature. One place for the names, so
//! docs/observability.md and the code cannot drift apart.
//!
//! Attributes carry ids, counts, durations, action names and error codes; never a task, a typed
//! text or an error's words, which may quote a secret.

use tracing::field::Empty;
use tracing::{Level, Span};

/// The `tracing` target of every exported span.
#[doc(hidden)]
pub const TARGET: &str = "nova_act";

/// The `tracing` target of the metric events (`monotonic_counter.*`, `histogram.*` fields, as
/// `tracing-opentelemetry`'s metrics layer reads them), at TRACE so logs at INFO never show them.
pub const METRICS_TARGET: &str = "nova_act::metrics";

/// `nova_act.invocation`: one `POST /invocations` of a served runtime (the parent of the
/// workflow run it starts; its own parent is the caller's `traceparent`, with `otel`).
#[doc(hidden)]
pub fn invocation(session_id: Option<&str>, request_id: Option<&str>) -> Span {
    tracing::info_span!(
        target: TARGET,
        "nova_act.invocation",
        otel.kind = "server",
        aws.agentcore.runtime_session_id = session_id,
        aws.request_id = request_id,
    )
}

/// `nova_act.workflow_run`: a workflow run from CreateWorkflowRun to UpdateWorkflowRun.
pub(crate) fn workflow_run(model: &str) -> Span {
    tracing::info_span!(
        target: TARGET,
        "nova_act.workflow_run",
        nova_act.workflow_definition_name = Empty,
        nova_act.model_id = model,
        nova_act.workflow_run_id = Empty,
        nova_act.status = Empty,
        otel.status_code = Empty,
        otel.status_description = Empty,
        "error.type" = Empty,
    )
}

/// `nova_act.session`: a session of a run, while its value lives.
pub(crate) fn session(parent: &Span, run_id: &str, session_id: &str) -> Span {
    tracing::info_span!(
        target: TARGET,
        parent: parent,
        "nova_act.session",
        nova_act.workflow_run_id = run_id,
        nova_act.session_id = session_id,
    )
}

/// `nova_act.act`: an act, from CreateAct to UpdateAct.
pub(crate) fn act(parent: &Span, run_id: &str, session_id: &str) -> Span {
    tracing::info_span!(
        target: TARGET,
        parent: parent,
        "nova_act.act",
        nova_act.workflow_run_id = run_id,
        nova_act.session_id = session_id,
        nova_act.act_id = Empty,
        nova_act.act.status = Empty,
        nova_act.act.steps = Empty,
        otel.status_code = Empty,
        otel.status_description = Empty,
        "error.type" = Empty,
    )
}

/// `nova_act.step`: one InvokeActStep and the calls it planned.
pub(crate) fn step(act_id: &str, number: u32) -> Span {
    tracing::info_span!(
        target: TARGET,
        "nova_act.step",
        nova_act.act_id = act_id,
        nova_act.step = number,
        nova_act.step_id = Empty,
        nova_act.step.server_time_s = Empty,
        nova_act.step.throttled_wait_s = Empty,
        nova_act.step.calls = Empty,
        otel.status_code = Empty,
        "error.type" = Empty,
    )
}

/// `nova_act.action`: one planned call (a browser action or a tool), under its step.
pub(crate) fn action(parent: &Span, name: &str) -> Span {
    tracing::info_span!(
        target: TARGET,
        parent: parent,
        "nova_act.action",
        nova_act.action = name,
        nova_act.action.ok = Empty,
        otel.status_code = Empty,
        "error.type" = Empty,
    )
}

/// One service call (all its attempts), named `NovaAct.<Operation>` as the AWS SDKs name theirs.
pub(crate) fn call(operation: &'static str) -> Span {
    aws_call("NovaAct", operation)
}

/// A call to another AWS service (`BedrockAgentCore.InvokeAgentRuntime`), as [`call`] names
/// Nova Act's.
#[doc(hidden)]
pub fn aws_call(service: &'static str, operation: &'static str) -> Span {
    tracing::info_span!(
        target: TARGET,
        "nova_act.call",
        otel.name = format_args!("{service}.{operation}"),
        otel.kind = "client",
        rpc.system = "aws-api",
        rpc.service = service,
        rpc.method = operation,
        aws.request_id = Empty,
        otel.status_code = Empty,
        "error.type" = Empty,
    )
}

/// Marks `span` failed with an error code (never its words).
pub(crate) fn failed(span: &Span, code: &str) {
    span.record("otel.status_code", "ERROR");
    span.record("error.type", code);
}

/// An act started (`nova_act.acts`, outcome `started`).
pub(crate) fn act_started() {
    tracing::event!(target: METRICS_TARGET, Level::TRACE, monotonic_counter.nova_act.acts = 1_u64, outcome = "started");
}

/// An act ended (`nova_act.acts`, outcome `succeeded` or `failed`, with the error's code).
pub(crate) fn act_ended(error: Option<&str>) {
    match error {
        None => tracing::event!(
            target: METRICS_TARGET,
            Level::TRACE,
            monotonic_counter.nova_act.acts = 1_u64,
            outcome = "succeeded"
        ),
        Some(code) => tracing::event!(
            target: METRICS_TARGET,
            Level::TRACE,
            monotonic_counter.nova_act.acts = 1_u64,
            outcome = "failed",
            "error.type" = code
        ),
    }
}

/// A step was taken (`nova_act.steps`, `nova_act.step.duration` in seconds).
pub(crate) fn step_taken(seconds: f64) {
    tracing::event!(target: METRICS_TARGET, Level::TRACE, monotonic_counter.nova_act.steps = 1_u64);
    tracing::event!(target: METRICS_TARGET, Level::TRACE, histogram.nova_act.step.duration = seconds);
}

/// A step waited for the account's step quota (`nova_act.steps.throttled`).
pub(crate) fn step_throttled() {
    tracing::event!(target: METRICS_TARGET, Level::TRACE, monotonic_counter.nova_act.steps.throttled = 1_u64);
}

/// W3C trace context: the current span's `traceparent` (and `tracestate`) on an outgoing request,
/// so the service's side of a call, or a deployed workflow, joins the caller's trace.
#[cfg(feature = "otel")]
pub(crate) fn inject(headers: &mut http::HeaderMap) {
    let Some((parent, state)) = trace_context() else {
        return;
    };
    if let Ok(value) = http::HeaderValue::from_str(&parent) {
        headers.insert("traceparent", value);
    }
    if let Some(Ok(value)) = state.map(|s| http::HeaderValue::from_str(&s)) {
        headers.insert("tracestate", value);
    }
}

/// The current span's `traceparent`, and its `tracestate` when it has one; `None` outside a
/// span that OpenTelemetry records.
#[cfg(feature = "otel")]
#[doc(hidden)]
pub fn trace_context() -> Option<(String, Option<String>)> {
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;

    let context = Span::current().context();
    let span = context.span();
    let span_context = span.span_context();
    if !span_context.is_valid() {
        return None;
    }
    let parent = format!(
        "00-{}-{}-{:02x}",
        span_context.trace_id(),
        span_context.span_id(),
        span_context.trace_flags().to_u8()
    );
    let state = span_context.trace_state().header();
    Some((parent, (!state.is_empty()).then_some(state)))
}

/// Makes `span` a child of the trace a request's `traceparent` names (for the runtime that
/// serves `/invocations`); nothing when the header is missing or malformed.
#[cfg(feature = "otel")]
#[doc(hidden)]
pub fn continue_trace(span: &Span, headers: &http::HeaderMap) {
    use opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState,
    };
    use tracing_opentelemetry::OpenTelemetrySpanExt;

    let Some(parent) = headers.get("traceparent").and_then(|v| v.to_str().ok()) else {
        return;
    };
    let parts: Vec<&str> = parent.trim().split('-').collect();
    let [version, trace, span_id, flags] = parts[..] else {
        return;
    };
    let (Ok(trace), Ok(span_id), Ok(flags)) = (
        TraceId::from_hex(trace),
        SpanId::from_hex(span_id),
        u8::from_str_radix(flags, 16),
    ) else {
        return;
    };
    if version != "00" || trace == TraceId::INVALID || span_id == SpanId::INVALID {
        return;
    }
    let state = headers
        .get("tracestate")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<TraceState>().ok())
        .unwrap_or_default();
    let remote = SpanContext::new(trace, span_id, TraceFlags::new(flags), true, state);
    let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(remote));
}

/// A step's planned calls by name, comma-separated (`nova_act.step.calls`).
pub(crate) struct Names<'a>(pub(crate) &'a [crate::model::Call]);

impl std::fmt::Display for Names<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, call) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(&call.name)?;
        }
        Ok(())
    }
}
