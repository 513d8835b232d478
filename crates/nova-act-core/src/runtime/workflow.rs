//! Workflows, runs and sessions: the runtime around acts.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use nova_auth::AuthMode;

use super::act::{ActError, ActPlace, ActRequest, ActResult};
use super::actuator::Actuator;
use crate::client::Client;
use crate::error::Error;
use crate::model::{
    CreateSessionInput, CreateWorkflowRunInput, UpdateWorkflowRunInput, WorkflowRunStatus,
};

/// The model used when none is named.
pub const DEFAULT_MODEL: &str = "nova-act-latest";
/// The only workflow definition of the API-key service.
pub const API_KEY_DEFINITION: &str = "default";

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
}

/// Why a workflow run failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkflowError<E> {
    /// The run could not be started or finished.
    #[error(transparent)]
    Service(#[from] Error),
    /// A workflow definition other than `default` was named while only an API key is available.
    #[error(
        "workflow definition `{0}` needs the AWS Nova Act service, but this client uses an API key \
         (whose service only has the `default` definition). Either use IAM credentials \
         (NOVA_ACT_AUTH=iam with AWS credentials), or drop the definition name"
    )]
    DefinitionNeedsIam(String),
    /// The closure returned an error; the run was marked FAILED.
    #[error("the workflow failed: {0}")]
    Body(E),
    /// The closure panicked; the run was marked FAILED.
    #[error("the workflow panicked: {0}")]
    Panicked(String),
}

impl Workflow {
    /// A workflow on `client`: definition `default` (the API-key service's only one) unless
    /// named, model `nova-act-latest`.
    pub fn new(client: &Client) -> Self {
        Self {
            client: client.clone(),
            definition: None,
            model_id: DEFAULT_MODEL.to_owned(),
        }
    }

    /// Runs under workflow definition `name` (IAM only, unless it is `default`).
    #[must_use]
    pub fn definition(mut self, name: impl Into<String>) -> Self {
        self.definition = Some(name.into());
        self
    }

    /// Uses model `id`.
    #[must_use]
    pub fn model(mut self, id: impl Into<String>) -> Self {
        self.model_id = id.into();
        self
    }

    fn definition_name<E>(&self) -> Result<String, WorkflowError<E>> {
        match (&self.definition, self.client.mode()) {
            (None, _) => Ok(API_KEY_DEFINITION.to_owned()),
            (Some(name), AuthMode::ApiKey) if name != API_KEY_DEFINITION => {
                Err(WorkflowError::DefinitionNeedsIam(name.clone()))
            }
            (Some(name), _) => Ok(name.clone()),
        }
    }

    /// Creates a run, hands it to `body`, and always finishes it: `SUCCEEDED` when `body`
    /// returns `Ok`, `FAILED` when it returns `Err`, panics, or is dropped before finishing.
    pub async fn run<F, Fut, T, E>(&self, body: F) -> Result<T, WorkflowError<E>>
    where
        F: FnOnce(Run) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let definition = self.definition_name()?;
        let created = self
            .client
            .create_workflow_run(CreateWorkflowRunInput::new(&definition, &self.model_id))
            .await?;
        let run = Run {
            client: self.client.clone(),
            definition,
            run_id: created.workflow_run_id,
        };
        let mut guard = FinishOnDrop {
            run: Some(run.clone()),
        };
        let outcome = AssertUnwindSafe(body(run.clone())).catch_unwind().await;
        guard.run = None;
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
        Ok(Session {
            run: self.clone(),
            session_id: created.session_id,
            actuator,
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
#[derive(Debug)]
pub struct Session<A> {
    run: Run,
    session_id: String,
    actuator: A,
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

    /// Runs an act: a task in words, or an [`ActRequest`] with limits and tools.
    pub async fn act(&mut self, request: impl Into<ActRequest>) -> Result<ActResult, ActError> {
        ActPlace {
            client: &self.run.client,
            definition: &self.run.definition,
            run_id: &self.run.run_id,
            session_id: &self.session_id,
        }
        .run(&mut self.actuator, request.into())
        .await
    }
}
