//! Workflows, runs and sessions: the runtime around acts.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::Arc;

use futures_util::FutureExt;
use nova_auth::AuthMode;
use tracing::Instrument;

use super::act::{ActError, ActPlace, ActRequest, ActResult};
use super::actuator::Actuator;
use super::guardrail::StateGuardrail;
use super::human::HumanInput;
use super::shutdown::{SHUTDOWN_GRACE, Shutdown};
use super::trace::{TraceError, TraceFiles, Traces};
use crate::client::Client;
use crate::error::Error;
use crate::model::{
    CreateSessionInput, CreateWorkflowRunInput, UpdateWorkflowRunInput, WorkflowRunStatus,
};

/// The model used when none is named.
pub const DEFAULT_MODEL: &str = "nova-act-latest";
/// The only workflow definition of the API-key service.
pub const API_KEY_DEFINITION: &str = "default";
/// The environment variable that names the workflow definition when code does not.
pub const DEFINITION_VAR: &str = "NOVA_ACT_WORKFLOW_DEFINITION";
/// The `tracing` target of the warning that an API key ignores a named definition, so that a
/// program which tells its user itself (as the `nova-act` command does) can turn it off.
pub const DEFINITION_NOTICE: &str = "nova_act::definition";

/// A workflow: a definition and a model, run as many times as you like.
///
/// ```no_run
/// # async fn example(client: nova_act_core::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use nova_act_core::runtime::{Observation, Workflow};
/// # struct Browser;
/// # #[async_trait::async_trait]
/// # impl nova_act_core::runtime::Actuator for Browser {
/// #     async fn browser(&mut self, _: nova_act_core::runtime::BrowserAction)
/// #         -> Result<serde_json::Value, nova_act_core::runtime::CallError> {
/// #         Ok(serde_json::json!(Observation::blank("about:blank"))) } }
///
/// let price = Workflow::new(&client)
///     .run(|run| async move {
///         let mut session = run.session(Browser).await?;
///         session.act("Find the price of the first item").await
///     })
///     .await?;
/// println!("{:?}", price.value);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Workflow {
    client: Client,
    definition: Option<String>,
    model_id: String,
    shutdown: Option<Shutdown>,
}

/// Why a workflow run failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkflowError<E> {
    /// The run could not be started or finished.
    #[error(transparent)]
    Service(#[from] Error),
    /// Under IAM a run needs a workflow definition, and none was named.
    #[error(
        "no workflow definition was named: under IAM every workflow run belongs to a workflow \
         definition of your account. Name it in code (`.definition(\"NAME\")`) or set \
         {DEFINITION_VAR}=NAME, naming one made with CreateWorkflowDefinition"
    )]
    DefinitionMissing,
    /// The workflow definition does not exist where the run was asked for.
    #[error(
        "workflow definition `{name}` (from {origin}) does not exist in account {account}, region \
         {region}; create it there (CreateWorkflowDefinition), or name one that exists \
         (ListWorkflowDefinitions)"
    )]
    DefinitionNotFound {
        /// The definition.
        name: String,
        /// Where its name came from: code or the environment variable.
        origin: &'static str,
        /// The account, when the credentials say (else "of these credentials").
        account: String,
        /// The region.
        region: String,
        /// The service's answer.
        #[source]
        source: Error,
    },
    /// The program was asked to stop (a [`Shutdown`]): the run was marked FAILED, or never
    /// started.
    #[error("the workflow was interrupted by {reason}; {}", if *started { "its run was marked FAILED" } else { "no run was started" })]
    Interrupted {
        /// What asked to stop, such as `SIGINT`.
        reason: String,
        /// Whether a run had been created (and was then marked FAILED).
        started: bool,
    },
    /// The closure returned an error; the run was marked FAILED.
    #[error("the workflow failed: {0}")]
    Body(E),
    /// The closure panicked; the run was marked FAILED.
    #[error("the workflow panicked: {0}")]
    Panicked(String),
}

impl Workflow {
    /// A workflow on `client` with model `nova-act-latest`. Its definition is the one named with
    /// [`Workflow::definition`], else `NOVA_ACT_WORKFLOW_DEFINITION` (read when the client was
    /// built). Under IAM one of them must name it; with an API key the service has only
    /// `default`, so a named definition is ignored with a warning, and the same program runs in
    /// both modes unchanged.
    pub fn new(client: &Client) -> Self {
        Self {
            client: client.clone(),
            definition: None,
            model_id: DEFAULT_MODEL.to_owned(),
            shutdown: None,
        }
    }

    nova_auth::setters! {
        /// Runs under workflow definition `name` (made with CreateWorkflowDefinition, for example
        /// `nova-act workflow create NAME`).
        definition(name: impl Into<String>) => definition = Some(name.into());
        /// Uses model `id`.
        model(id: impl Into<String>) => model_id = id.into();
        /// Stops cleanly when `shutdown` is triggered (for example by [`Shutdown::on_signals`]):
        /// the act in progress ends FAILED, the closure gets its error and returns (it has
        /// [`SHUTDOWN_GRACE`] to do so before it is dropped), and the run is marked FAILED. A run is
        /// not started once `shutdown` was triggered.
        shutdown(shutdown: Shutdown) => shutdown = Some(shutdown);
    }

    /// The definition named in code or by the environment, and where it was named.
    pub fn named_definition(&self) -> Option<(&str, &'static str)> {
        match &self.definition {
            Some(name) => Some((name, "code")),
            None => self
                .client
                .workflow_definition()
                .map(|name| (name, DEFINITION_VAR)),
        }
    }

    /// The definition a run uses, or why there is none.
    fn resolve_definition<E>(&self) -> Result<(String, &'static str), WorkflowError<E>> {
        match (self.named_definition(), self.client.mode()) {
            (Some((name, origin)), AuthMode::ApiKey) => {
                if name != API_KEY_DEFINITION {
                    tracing::warn!(
                        target: DEFINITION_NOTICE,
                        definition = name,
                        origin,
                        "workflow definition `{name}` (from {origin}) is ignored: the API-key \
                         service has only `{API_KEY_DEFINITION}`; with IAM credentials it is used"
                    );
                }
                Ok((API_KEY_DEFINITION.to_owned(), origin))
            }
            (None, AuthMode::ApiKey) => Ok((API_KEY_DEFINITION.to_owned(), "the API-key service")),
            (Some((name, origin)), AuthMode::Iam) => Ok((name.to_owned(), origin)),
            (None, AuthMode::Iam) => Err(WorkflowError::DefinitionMissing),
        }
    }

    /// A ResourceNotFound from CreateWorkflowRun, said in the terms of the definition.
    async fn not_found<E>(
        &self,
        name: String,
        origin: &'static str,
        err: Error,
    ) -> WorkflowError<E> {
        let account = match self.client.credentials().await {
            Ok(credentials) => credentials
                .as_aws()
                .and_then(|aws| aws.account_id().map(str::to_owned)),
            Err(_) => None,
        };
        WorkflowError::DefinitionNotFound {
            name,
            origin,
            account: account.unwrap_or_else(|| "of these credentials".to_owned()),
            region: self.client.region().to_owned(),
            source: err,
        }
    }

    /// One act in a session of its own on `actuator`, in a run of its own: the shortest whole
    /// workflow, [`Workflow::run`] around [`Run::session`] and [`Session::act`].
    ///
    /// ```no_run
    /// # async fn example(client: nova_act_core::Client, browser: impl nova_act_core::runtime::Actuator) -> Result<(), Box<dyn std::error::Error>> {
    /// use nova_act_core::runtime::Workflow;
    ///
    /// let heading = Workflow::new(&client)
    ///     .act_once(browser, "Return the page's main heading")
    ///     .await?;
    /// println!("{:?}", heading.value);
    /// # Ok(()) }
    /// ```
    pub async fn act_once<A: Actuator>(
        &self,
        actuator: A,
        request: impl Into<ActRequest>,
    ) -> Result<ActResult, WorkflowError<ActError>> {
        let request = request.into();
        self.run(|run| async move { run.session(actuator).await?.act(request).await })
            .await
    }

    /// Creates a run, hands it to `body`, and always finishes it: `SUCCEEDED` when `body`
    /// returns `Ok`, `FAILED` when it returns `Err`, panics, or is dropped before finishing.
    pub async fn run<F, Fut, T, E>(&self, body: F) -> Result<T, WorkflowError<E>>
    where
        F: FnOnce(Run) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let span = crate::telemetry::workflow_run(&self.model_id);
        let result = self.run_in(body, &span).instrument(span.clone()).await;
        let failure = match &result {
            Ok(_) => None,
            Err(WorkflowError::Service(err)) => Some(err.kind()),
            Err(WorkflowError::DefinitionMissing) => Some("DefinitionMissing"),
            Err(WorkflowError::DefinitionNotFound { .. }) => Some("DefinitionNotFound"),
            Err(WorkflowError::Interrupted { .. }) => Some("Interrupted"),
            Err(WorkflowError::Body(_)) => Some("Body"),
            Err(WorkflowError::Panicked(_)) => Some("Panicked"),
        };
        span.record(
            "nova_act.status",
            if failure.is_some() {
                "FAILED"
            } else {
                "SUCCEEDED"
            },
        );
        if let Some(kind) = failure {
            crate::telemetry::failed(&span, kind);
        }
        result
    }

    async fn run_in<F, Fut, T, E>(
        &self,
        body: F,
        span: &tracing::Span,
    ) -> Result<T, WorkflowError<E>>
    where
        F: FnOnce(Run) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let interrupted = |started| {
            let reason = self.shutdown.as_ref().and_then(Shutdown::reason);
            reason.map(|reason| WorkflowError::Interrupted {
                reason: reason.to_owned(),
                started,
            })
        };
        if let Some(err) = interrupted(false) {
            return Err(err);
        }
        let (definition, origin) = self.resolve_definition()?;
        let created = match self
            .client
            .create_workflow_run(CreateWorkflowRunInput::new(&definition, &self.model_id))
            .await
        {
            Ok(created) => created,
            Err(err @ Error::ResourceNotFound { .. }) if self.client.mode() == AuthMode::Iam => {
                return Err(self.not_found(definition, origin, err).await);
            }
            Err(err) => return Err(err.into()),
        };
        span.record("nova_act.workflow_definition_name", definition.as_str());
        span.record("nova_act.workflow_run_id", created.workflow_run_id.as_str());
        let run = Run {
            client: self.client.clone(),
            definition,
            run_id: created.workflow_run_id,
            shutdown: self.shutdown.clone(),
            span: span.clone(),
        };
        let mut guard = FinishOnDrop {
            run: Some(run.clone()),
        };
        let body = AssertUnwindSafe(body(run.clone())).catch_unwind();
        // On a shutdown the closure winds down by itself (its act ends with an error); one that
        // does not within the grace period is dropped.
        let outcome = match &self.shutdown {
            None => Some(body.await),
            Some(shutdown) => {
                tokio::pin!(body);
                tokio::select! {
                    outcome = &mut body => Some(outcome),
                    () = shutdown.triggered() => {
                        tokio::time::timeout(SHUTDOWN_GRACE, &mut body).await.ok()
                    }
                }
            }
        };
        guard.run = None;
        let Some(outcome) = outcome else {
            if let Err(err) = run.finish(WorkflowRunStatus::Failed).await {
                tracing::warn!(run_id = run.id(), error = %err, "could not mark the interrupted run FAILED");
            }
            return Err(interrupted(true).unwrap_or(WorkflowError::Interrupted {
                reason: "a shutdown".to_owned(),
                started: true,
            }));
        };
        let status = match &outcome {
            Ok(Ok(_)) => WorkflowRunStatus::Succeeded,
            _ => WorkflowRunStatus::Failed,
        };
        let finished = run.finish(status).await;
        match outcome {
            Ok(Ok(value)) => {
                finished?;
                Ok(value)
            }
            Ok(Err(err)) => {
                if let Err(finish_err) = finished {
                    tracing::warn!(run_id = run.id(), error = %finish_err, "could not mark the run FAILED");
                }
                Err(WorkflowError::Body(err))
            }
            Err(panic) => {
                if let Err(finish_err) = finished {
                    tracing::warn!(run_id = run.id(), error = %finish_err, "could not mark the run FAILED");
                }
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(no message)".to_owned());
                Err(WorkflowError::Panicked(message))
            }
        }
    }
}

/// Marks the run FAILED if the run's future is dropped before it finished (cancellation).
struct FinishOnDrop {
    run: Option<Run>,
}

impl Drop for FinishOnDrop {
    fn drop(&mut self) {
        let Some(run) = self.run.take() else { return };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                tracing::warn!(
                    run_id = run.id(),
                    "workflow cancelled; marking the run FAILED"
                );
                handle.spawn(async move {
                    if let Err(err) = run.finish(WorkflowRunStatus::Failed).await {
                        tracing::warn!(run_id = run.id(), error = %err, "could not mark the cancelled run FAILED");
                    }
                });
            }
            Err(_) => tracing::warn!(
                run_id = run.id(),
                "workflow cancelled outside a Tokio runtime; the run stays RUNNING until it times out"
            ),
        }
    }
}

/// A workflow run in progress.
#[derive(Clone, Debug)]
pub struct Run {
    client: Client,
    definition: String,
    run_id: String,
    shutdown: Option<Shutdown>,
    /// `nova_act.workflow_run`: the parent of the run's sessions.
    span: tracing::Span,
}

impl Run {
    /// The run's id.
    pub fn id(&self) -> &str {
        &self.run_id
    }

    /// The workflow definition it runs under.
    pub fn definition(&self) -> &str {
        &self.definition
    }

    /// Opens a session whose calls `actuator` executes.
    pub async fn session<A: Actuator>(&self, actuator: A) -> Result<Session<A>, ActError> {
        let created = self
            .client
            .create_session(CreateSessionInput {
                workflow_definition_name: self.definition.clone(),
                workflow_run_id: self.run_id.clone(),
                client_token: None,
            })
            .await?;
        let span = crate::telemetry::session(&self.span, &self.run_id, &created.session_id);
        Ok(Session {
            run: self.clone(),
            span,
            session_id: created.session_id,
            actuator,
            human: None,
            guardrail: None,
            trace: None,
            last_trace: None,
            secrets: super::SecretValues::new(),
            starting_page: None,
            events: None,
            #[cfg(feature = "mcp")]
            mcp: Vec::new(),
        })
    }

    async fn finish(&self, status: WorkflowRunStatus) -> Result<(), Error> {
        self.client
            .update_workflow_run(UpdateWorkflowRunInput {
                workflow_definition_name: self.definition.clone(),
                workflow_run_id: self.run_id.clone(),
                status,
            })
            .await
            .map(drop)
    }
}

/// A session: one actuator (one browser), acts run one after another.
pub struct Session<A> {
    run: Run,
    /// `nova_act.session`: open while the session lives, the parent of its acts.
    span: tracing::Span,
    session_id: String,
    actuator: A,
    human: Option<Arc<dyn HumanInput>>,
    guardrail: Option<Arc<dyn StateGuardrail>>,
    trace: Option<Traces>,
    last_trace: Option<TraceFiles>,
    secrets: super::SecretValues,
    /// The page the session started on: where secrets given without hosts may be typed.
    starting_page: Option<String>,
    /// Where the acts' events go, once someone listens.
    events: Option<tokio::sync::broadcast::Sender<super::ActEvent>>,
    #[cfg(feature = "mcp")]
    mcp: Vec<Arc<super::McpServer>>,
}

impl<A: fmt::Debug> fmt::Debug for Session<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("run", &self.run)
            .field("session_id", &self.session_id)
            .field("actuator", &self.actuator)
            .field("human", &self.human)
            .field("guardrail", &self.guardrail.is_some())
            .field("trace", &self.trace)
            .field("secrets", &self.secrets)
            .finish_non_exhaustive()
    }
}

impl<A: Actuator> Session<A> {
    /// The session's id.
    pub fn id(&self) -> &str {
        &self.session_id
    }

    /// The actuator, for things acts do not cover.
    pub fn actuator(&mut self) -> &mut A {
        &mut self.actuator
    }

    /// Puts a person in the loop for the acts that follow: the agent is offered
    /// `human_Approve` and `human_UiTakeover`, answered by `human`.
    pub fn human_input(&mut self, human: impl HumanInput + 'static) -> &mut Self {
        self.human = Some(Arc::new(human));
        self
    }

    /// Checks the page with `guardrail` after every browser action and before every
    /// navigation of the acts that follow; a block stops the act ([`ActError::Blocked`]).
    pub fn guardrail(&mut self, guardrail: impl StateGuardrail + 'static) -> &mut Self {
        self.guardrail = Some(Arc::new(guardrail));
        self
    }

    /// Offers the tools of MCP server `server` to the model with every act that follows, beside
    /// the act's own tools (an own tool of the same name wins), and sends the agent's calls to
    /// them to the server. The session does not close the server: close it when done.
    #[cfg(feature = "mcp")]
    pub fn mcp(&mut self, server: Arc<super::McpServer>) -> &mut Self {
        self.mcp.push(server);
        self
    }

    /// Writes a trace of every act that follows, as `traces` says.
    pub fn traces(&mut self, traces: Traces) -> &mut Self {
        self.trace = Some(traces);
        self
    }

    /// Writes a trace of every act that follows into `folder` ([`Traces`] with screenshots).
    /// The folder is created and tried now, so one that cannot be written fails here.
    pub fn logs_dir(&mut self, folder: impl AsRef<Path>) -> Result<&mut Self, TraceError> {
        Ok(self.traces(Traces::new(folder)?))
    }

    /// `{{secret:NAME}}` in the tasks that follow stands for `value`: the task goes to the
    /// service as written, the actuator types the value, and before every step the value is
    /// replaced by its placeholder wherever the page shows it (the model never sees it). It is
    /// typed only into pages of the session's starting page's host
    /// ([`SecretValues::secret_for_hosts`](super::SecretValues::secret_for_hosts) names others).
    pub fn secret(
        &mut self,
        name: &str,
        value: impl Into<nova_auth::Secret>,
    ) -> Result<&mut Self, super::SecretError> {
        self.secrets.secret(name, value)?;
        Ok(self)
    }

    /// `{{totp:NAME}}` in the tasks that follow stands for the current one-time code of `seed`
    /// (base32, or an `otpauth://totp/` URI), kept from the model like a secret.
    pub fn totp(
        &mut self,
        name: &str,
        seed: impl Into<nova_auth::Secret>,
    ) -> Result<&mut Self, super::SecretError> {
        self.secrets.totp(name, seed)?;
        Ok(self)
    }

    /// Uses `values` for the placeholders of the tasks that follow, replacing those given
    /// before.
    pub fn secrets(&mut self, values: super::SecretValues) -> &mut Self {
        self.secrets = values;
        self
    }

    /// The events of the acts that follow, as they happen: act started, each step planned,
    /// each action done, throttled waits, a person asked and answered, the act ended. A
    /// receiver that falls behind is told how many events it missed; it never slows an act.
    /// Call it again for another receiver.
    ///
    /// ```no_run
    /// # async fn demo<A: nova_act_core::runtime::Actuator>(mut session: nova_act_core::runtime::Session<A>) {
    /// let mut events = session.events();
    /// tokio::spawn(async move {
    ///     while let Some(event) = events.next().await {
    ///         println!("{event:?}");
    ///     }
    /// });
    /// let _ = session.act("Find the price").await;
    /// # }
    /// ```
    pub fn events(&mut self) -> super::ActEvents {
        let sender = self
            .events
            .get_or_insert_with(|| tokio::sync::broadcast::channel(super::EVENT_BUFFER).0);
        super::ActEvents::new(sender.subscribe())
    }

    /// The trace of the last act, whether it succeeded or not.
    pub fn last_trace(&self) -> Option<&TraceFiles> {
        self.last_trace.as_ref()
    }

    /// Runs an act: a task in words, or an [`ActRequest`] with limits and tools.
    pub async fn act(&mut self, request: impl Into<ActRequest>) -> Result<ActResult, ActError> {
        if !self.secrets.is_empty() && self.starting_page.is_none() {
            self.starting_page = self.actuator.current_url().await;
        }
        // The act loop's state is tens of kilobytes (more in debug builds): it lives on the heap,
        // so that the futures holding an act (a run, a pool's job, a served invocation) stay
        // small and no thread's stack has to hold several copies of it.
        let (result, trace) = Box::pin(
            ActPlace {
                client: &self.run.client,
                definition: &self.run.definition,
                run_id: &self.run.run_id,
                session_id: &self.session_id,
                shutdown: self.run.shutdown.as_ref(),
                human: self.human.as_deref(),
                guardrail: self.guardrail.as_deref(),
                trace: self.trace.as_ref(),
                secrets: (&self.secrets, self.starting_page.as_deref()),
                events: self.events.as_ref(),
                #[cfg(feature = "mcp")]
                mcp: &self.mcp,
            }
            .run(&mut self.actuator, request.into())
            .instrument(crate::telemetry::act(
                &self.span,
                &self.run.run_id,
                &self.session_id,
            )),
        )
        .await;
        self.last_trace = trace;
        result
    }

    /// Runs an act whose answer must match the JSON Schema `schema` (Draft 7, checked before
    /// anything is sent); [`ActResult::value`] is the answer parsed as JSON.
    #[cfg(feature = "schema")]
    pub async fn act_get(
        &mut self,
        request: impl Into<ActRequest>,
        schema: serde_json::Value,
    ) -> Result<ActResult, ActError> {
        let schema = super::AnswerSchema::new(schema)?;
        self.act(request.into().schema(schema)).await
    }

    /// Runs an act whose answer is a `T`: the schema is derived from `T` (with `schemars`) and
    /// the checked answer deserialized into it.
    #[cfg(feature = "schema")]
    pub async fn act_as<T>(
        &mut self,
        request: impl Into<ActRequest>,
    ) -> Result<(T, ActResult), ActError>
    where
        T: schemars::JsonSchema + serde::de::DeserializeOwned,
    {
        let schema = super::AnswerSchema::of::<T>()?;
        let result = self.act(request.into().schema(schema)).await?;
        let value = result.value.clone().unwrap_or_default();
        match serde_json::from_value(value.clone()) {
            Ok(typed) => Ok((typed, result)),
            Err(err) => Err(ActError::AnswerMismatch {
                act_id: result.act_id,
                mismatch: super::Mismatch {
                    raw: value.to_string(),
                    errors: vec![err.to_string()],
                },
            }),
        }
    }
}
