//! The emulator's state and the semantics of each operation.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use nova_act_core::auth::Clock;
use nova_act_core::limits::{ACT_TIMEOUT, RUN_TIMEOUT};
use nova_act_core::model::*;
use serde_json::Value;
use time::OffsetDateTime;

use crate::error::ServiceError;
use crate::planner::{ActView, Planner};

/// The model the emulator offers.
pub const MODEL_ID: &str = "nova-act-v1.0";
/// The alias the AWS SDKs and this SDK send by default; it resolves to [`MODEL_ID`].
pub const MODEL_ALIAS: &str = "nova-act-latest";
/// The alias the Python SDK sends with an API key; the emulator resolves it to [`MODEL_ID`] too.
pub const MODEL_PREVIEW_ALIAS: &str = "nova-act-preview";
/// Every alias accepted, on either side (IAM and API key), each resolving to [`MODEL_ID`].
pub const MODEL_ALIASES: &[&str] = &[MODEL_ALIAS, MODEL_PREVIEW_ALIAS];

struct Definition {
    created_at: OffsetDateTime,
    description: Option<String>,
    export_config: Option<WorkflowExportConfig>,
    client_token: Option<String>,
}

struct RunRecord {
    definition: String,
    status: WorkflowRunStatus,
    started_at: OffsetDateTime,
    ended_at: Option<OffsetDateTime>,
    model_id: String,
    log_group_name: Option<String>,
    seq: u64,
}

struct SessionRecord {
    run_id: String,
    seq: u64,
}

struct ActRecord {
    definition: String,
    run_id: String,
    session_id: String,
    status: ActStatus,
    started_at: OffsetDateTime,
    ended_at: Option<OffsetDateTime>,
    view: ActView,
    steps: usize,
    last_step: Option<String>,
    seq: u64,
    error: Option<ActError>,
}

/// An act as the emulator last saw it: what it was asked, and how it ended.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ActState {
    /// The act.
    pub act_id: String,
    /// Its task and the tools declared with it.
    pub view: ActView,
    /// Its status.
    pub status: ActStatus,
    /// The error UpdateAct recorded, if any.
    pub error: Option<ActError>,
    /// How many steps it took.
    pub steps: usize,
}

/// Everything the emulator knows.
pub(crate) struct Store {
    /// The time runs and acts start, end and time out by.
    clock: Arc<dyn Clock>,
    /// The soonest a running run or act times out; nothing expires before it.
    next_timeout: Option<OffsetDateTime>,
    definitions: BTreeMap<String, Definition>,
    runs: HashMap<String, RunRecord>,
    sessions: HashMap<String, SessionRecord>,
    acts: HashMap<String, ActRecord>,
    /// Creates already answered, by operation, parent and client token.
    tokens: HashMap<(String, String, String), Value>,
    seq: u64,
    /// How many of each resource were ever created (for tests).
    pub(crate) created: Created,
}

/// Counts of resources created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Created {
    /// Workflow definitions.
    pub definitions: usize,
    /// Workflow runs.
    pub runs: usize,
    /// Sessions.
    pub sessions: usize,
    /// Acts.
    pub acts: usize,
}

fn id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn finished_run(status: &WorkflowRunStatus) -> bool {
    !matches!(status, WorkflowRunStatus::Running)
}

fn finished_act(status: &ActStatus) -> bool {
    matches!(
        status,
        ActStatus::Succeeded | ActStatus::Failed | ActStatus::TimedOut
    )
}

/// What a listing asks for: where to continue, how many, in which order.
struct Paging<'a> {
    token: Option<&'a str>,
    max: Option<i32>,
    order: Option<&'a SortOrder>,
}

/// The paging members of a List* input.
macro_rules! paging {
    ($input:expr) => {
        Paging {
            token: $input.next_token.as_deref(),
            max: $input.max_results,
            order: $input.sort_order.as_ref(),
        }
    };
}

/// One page of `records` in the order of `key` (oldest first unless `paging` says descending),
/// each shown as its `summary`, after the opaque token and of at most `max` items; and the token
/// of the next page, if there is one.
fn listing<'a, R: 'a, K: Ord, T>(
    records: impl Iterator<Item = (&'a String, &'a R)>,
    key: impl Fn(&String, &R) -> K,
    summary: impl Fn(&String, &R) -> T,
    paging: Paging<'_>,
) -> Result<(Vec<T>, Option<String>), ServiceError> {
    let mut records: Vec<(&String, &R)> = records.collect();
    records.sort_by_key(|(id, record)| key(id, record));
    if matches!(paging.order, Some(SortOrder::Descending)) {
        records.reverse();
    }
    let start = match paging.token {
        None => 0,
        Some(token) => token
            .strip_prefix("page-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= records.len())
            .ok_or_else(|| {
                ServiceError::field("nextToken", "is not a token this service issued")
            })?,
    };
    let size = usize::try_from(paging.max.unwrap_or(100))
        .unwrap_or(100)
        .clamp(1, 100);
    let end = (start + size).min(records.len());
    let next = (end < records.len()).then(|| format!("page-{end}"));
    let items = records[start..end]
        .iter()
        .map(|(id, record)| summary(id, record))
        .collect();
    Ok((items, next))
}

impl Store {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            next_timeout: None,
            definitions: BTreeMap::new(),
            runs: HashMap::new(),
            sessions: HashMap::new(),
            acts: HashMap::new(),
            tokens: HashMap::new(),
            seq: 0,
            created: Created::default(),
        }
    }

    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::from(self.clock.now())
    }

    /// Notes that something running times out at `at`.
    fn times_out_at(&mut self, at: OffsetDateTime) {
        self.next_timeout = Some(self.next_timeout.map_or(at, |next| next.min(at)));
    }

    /// Ends, TIMED_OUT, every run that has run for [`RUN_TIMEOUT`] and every act that has run
    /// for [`ACT_TIMEOUT`] (or whose run timed out), as the service does. Called before every
    /// look at the store; costs nothing until the soonest timeout has passed.
    pub(crate) fn expire(&mut self) {
        let now = self.now();
        if self.next_timeout.is_none_or(|next| now < next) {
            return;
        }
        let mut ended_runs = HashMap::new();
        for (id, run) in &mut self.runs {
            let deadline = run.started_at + RUN_TIMEOUT;
            if !finished_run(&run.status) && deadline <= now {
                run.status = WorkflowRunStatus::TimedOut;
                run.ended_at = Some(deadline);
            }
            if run.status == WorkflowRunStatus::TimedOut {
                ended_runs.insert(id.clone(), run.ended_at.unwrap_or(deadline));
            }
        }
        for act in self.acts.values_mut().filter(|a| !finished_act(&a.status)) {
            let deadline = (act.started_at + ACT_TIMEOUT)
                .min(ended_runs.get(&act.run_id).copied().unwrap_or(now));
            if deadline <= now {
                act.status = ActStatus::TimedOut;
                act.ended_at = Some(deadline);
                act.error = Some(ActError {
                    message: format!(
                        "the act did not finish within {}",
                        if deadline == act.started_at + ACT_TIMEOUT {
                            "24 hours"
                        } else {
                            "its workflow run's 1 week"
                        }
                    ),
                    error_type: Some("ActTimeoutError".to_owned()),
                });
            }
        }
        let running_runs = self
            .runs
            .values()
            .filter(|r| !finished_run(&r.status))
            .map(|r| r.started_at + RUN_TIMEOUT);
        let running_acts = self
            .acts
            .values()
            .filter(|a| !finished_act(&a.status))
            .map(|a| a.started_at + ACT_TIMEOUT);
        self.next_timeout = running_runs.chain(running_acts).min();
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// The answer already given for a create with this token, if any.
    fn replay<T: serde::de::DeserializeOwned>(
        &self,
        op: &str,
        parent: &str,
        token: Option<&String>,
    ) -> Option<T> {
        let key = (op.to_owned(), parent.to_owned(), token?.clone());
        serde_json::from_value(self.tokens.get(&key)?.clone()).ok()
    }

    fn remember<T: serde::Serialize>(
        &mut self,
        op: &str,
        parent: &str,
        token: Option<&String>,
        answer: &T,
    ) {
        if let (Some(token), Ok(value)) = (token, serde_json::to_value(answer)) {
            self.tokens
                .insert((op.to_owned(), parent.to_owned(), token.clone()), value);
        }
    }

    /// Makes the API-key service's implicit `default` definition exist.
    pub(crate) fn ensure_default(&mut self) {
        if !self.definitions.contains_key("default") {
            self.definitions.insert(
                "default".to_owned(),
                Definition {
                    created_at: self.now(),
                    description: None,
                    export_config: None,
                    client_token: None,
                },
            );
        }
    }

    fn definition(&self, name: &str) -> Result<&Definition, ServiceError> {
        self.definitions
            .get(name)
            .ok_or_else(|| ServiceError::not_found("WorkflowDefinition", name))
    }

    fn run(&self, definition: &str, run_id: &str) -> Result<&RunRecord, ServiceError> {
        self.definition(definition)?;
        self.runs
            .get(run_id)
            .filter(|r| r.definition == definition)
            .ok_or_else(|| ServiceError::not_found("WorkflowRun", run_id))
    }

    /// The run, to change it.
    fn run_mut(&mut self, definition: &str, run_id: &str) -> Result<&mut RunRecord, ServiceError> {
        self.definition(definition)?;
        self.runs
            .get_mut(run_id)
            .filter(|r| r.definition == definition)
            .ok_or_else(|| ServiceError::not_found("WorkflowRun", run_id))
    }

    /// The run, which must still be running to take new sessions and acts.
    fn open_run(&self, definition: &str, run_id: &str) -> Result<&RunRecord, ServiceError> {
        let run = self.run(definition, run_id)?;
        if finished_run(&run.status) {
            return Err(ServiceError::invalid_status(format!(
                "workflow run {run_id} is already {}",
                run.status
            )));
        }
        Ok(run)
    }

    fn session(
        &self,
        definition: &str,
        run_id: &str,
        session_id: &str,
    ) -> Result<&SessionRecord, ServiceError> {
        self.run(definition, run_id)?;
        self.sessions
            .get(session_id)
            .filter(|s| s.run_id == run_id)
            .ok_or_else(|| ServiceError::not_found("Session", session_id))
    }

    fn act_mut(&mut self, input: (&str, &str, &str, &str)) -> Result<&mut ActRecord, ServiceError> {
        let (definition, run_id, session_id, act_id) = input;
        self.session(definition, run_id, session_id)?;
        self.acts
            .get_mut(act_id)
            .filter(|a| a.session_id == session_id)
            .ok_or_else(|| ServiceError::not_found("Act", act_id))
    }

    pub(crate) fn create_definition(
        &mut self,
        input: CreateWorkflowDefinitionInput,
    ) -> Result<CreateWorkflowDefinitionOutput, ServiceError> {
        if let Some(existing) = self.definitions.get(&input.name) {
            if input.client_token.is_some() && existing.client_token == input.client_token {
                return Ok(CreateWorkflowDefinitionOutput {
                    status: WorkflowDefinitionStatus::Active,
                });
            }
            return Err(ServiceError::conflict(
                "WorkflowDefinition",
                &input.name,
                format!("a workflow definition named {} already exists", input.name),
            ));
        }
        self.definitions.insert(
            input.name,
            Definition {
                created_at: self.now(),
                description: input.description,
                export_config: input.export_config,
                client_token: input.client_token,
            },
        );
        self.created.definitions += 1;
        Ok(CreateWorkflowDefinitionOutput {
            status: WorkflowDefinitionStatus::Active,
        })
    }

    pub(crate) fn get_definition(
        &self,
        name: &str,
        arn: String,
    ) -> Result<GetWorkflowDefinitionOutput, ServiceError> {
        let d = self.definition(name)?;
        Ok(GetWorkflowDefinitionOutput {
            name: name.to_owned(),
            arn,
            created_at: d.created_at,
            description: d.description.clone(),
            export_config: d.export_config.clone(),
            status: WorkflowDefinitionStatus::Active,
        })
    }

    pub(crate) fn list_definitions(
        &self,
        input: &ListWorkflowDefinitionsInput,
        arn: impl Fn(&str) -> String,
    ) -> Result<ListWorkflowDefinitionsOutput, ServiceError> {
        let (items, next) = listing(
            self.definitions.iter(),
            |name, d| (d.created_at, name.clone()),
            |name, d| WorkflowDefinitionSummary {
                workflow_definition_arn: arn(name),
                workflow_definition_name: name.clone(),
                created_at: d.created_at,
                status: WorkflowDefinitionStatus::Active,
            },
            paging!(input),
        )?;
        Ok(ListWorkflowDefinitionsOutput {
            workflow_definition_summaries: items,
            next_token: next,
        })
    }

    pub(crate) fn delete_definition(
        &mut self,
        name: &str,
    ) -> Result<DeleteWorkflowDefinitionOutput, ServiceError> {
        self.definition(name)?;
        self.definitions.remove(name);
        let runs: Vec<String> = self
            .runs
            .iter()
            .filter(|(_, r)| r.definition == name)
            .map(|(id, _)| id.clone())
            .collect();
        for run in runs {
            self.remove_run(&run);
        }
        Ok(DeleteWorkflowDefinitionOutput {
            status: WorkflowDefinitionStatus::Deleting,
        })
    }

    fn remove_run(&mut self, run_id: &str) {
        self.runs.remove(run_id);
        self.sessions.retain(|_, s| s.run_id != run_id);
        self.acts.retain(|_, a| a.run_id != run_id);
    }

    pub(crate) fn create_run(
        &mut self,
        input: CreateWorkflowRunInput,
    ) -> Result<CreateWorkflowRunOutput, ServiceError> {
        let parent = input.workflow_definition_name.clone();
        self.definition(&parent)?;
        if let Some(answer) = self.replay("CreateWorkflowRun", &parent, input.client_token.as_ref())
        {
            return Ok(answer);
        }
        if input.model_id != MODEL_ID && !MODEL_ALIASES.contains(&input.model_id.as_str()) {
            return Err(ServiceError::field(
                "modelId",
                format!(
                    "unknown model {}; ListModels lists the models",
                    input.model_id
                ),
            ));
        }
        let run_id = id();
        let seq = self.next_seq();
        let started_at = self.now();
        self.times_out_at(started_at + RUN_TIMEOUT);
        self.runs.insert(
            run_id.clone(),
            RunRecord {
                definition: parent.clone(),
                status: WorkflowRunStatus::Running,
                started_at,
                ended_at: None,
                model_id: input.model_id,
                log_group_name: input.log_group_name,
                seq,
            },
        );
        self.created.runs += 1;
        let answer = CreateWorkflowRunOutput {
            workflow_run_id: run_id,
            status: WorkflowRunStatus::Running,
        };
        self.remember(
            "CreateWorkflowRun",
            &parent,
            input.client_token.as_ref(),
            &answer,
        );
        Ok(answer)
    }

    pub(crate) fn get_run(
        &self,
        input: &GetWorkflowRunInput,
        arn: String,
    ) -> Result<GetWorkflowRunOutput, ServiceError> {
        let r = self.run(&input.workflow_definition_name, &input.workflow_run_id)?;
        Ok(GetWorkflowRunOutput {
            workflow_run_arn: arn,
            workflow_run_id: input.workflow_run_id.clone(),
            status: r.status.clone(),
            started_at: r.started_at,
            ended_at: r.ended_at,
            model_id: r.model_id.clone(),
            log_group_name: r.log_group_name.clone(),
        })
    }

    pub(crate) fn list_runs(
        &self,
        input: &ListWorkflowRunsInput,
        arn: impl Fn(&str) -> String,
    ) -> Result<ListWorkflowRunsOutput, ServiceError> {
        self.definition(&input.workflow_definition_name)?;
        let (items, next) = listing(
            self.runs
                .iter()
                .filter(|(_, r)| r.definition == input.workflow_definition_name),
            |_, r| r.seq,
            |id, r| WorkflowRunSummary {
                workflow_run_arn: arn(id),
                workflow_run_id: id.clone(),
                status: r.status.clone(),
                started_at: r.started_at,
                ended_at: r.ended_at,
                trace_location: None,
            },
            paging!(input),
        )?;
        Ok(ListWorkflowRunsOutput {
            workflow_run_summaries: items,
            next_token: next,
        })
    }

    pub(crate) fn update_run(
        &mut self,
        input: UpdateWorkflowRunInput,
    ) -> Result<UpdateWorkflowRunOutput, ServiceError> {
        let now = self.now();
        let run = self.run_mut(&input.workflow_definition_name, &input.workflow_run_id)?;
        if finished_run(&run.status) {
            return Err(ServiceError::invalid_status(format!(
                "workflow run {} is already {}",
                input.workflow_run_id, run.status
            )));
        }
        if matches!(
            input.status,
            WorkflowRunStatus::Running
                | WorkflowRunStatus::Deleting
                | WorkflowRunStatus::Unknown(_)
        ) {
            return Err(ServiceError::field(
                "status",
                format!("a run cannot be moved to {}", input.status),
            ));
        }
        run.status = input.status;
        run.ended_at = Some(now);
        Ok(UpdateWorkflowRunOutput {})
    }

    pub(crate) fn delete_run(
        &mut self,
        input: &DeleteWorkflowRunInput,
    ) -> Result<DeleteWorkflowRunOutput, ServiceError> {
        self.run(&input.workflow_definition_name, &input.workflow_run_id)?;
        self.remove_run(&input.workflow_run_id);
        Ok(DeleteWorkflowRunOutput {
            status: WorkflowRunStatus::Deleting,
        })
    }

    pub(crate) fn create_session(
        &mut self,
        input: CreateSessionInput,
    ) -> Result<CreateSessionOutput, ServiceError> {
        self.open_run(&input.workflow_definition_name, &input.workflow_run_id)?;
        let parent = input.workflow_run_id.clone();
        if let Some(answer) = self.replay("CreateSession", &parent, input.client_token.as_ref()) {
            return Ok(answer);
        }
        let session_id = id();
        let seq = self.next_seq();
        self.sessions.insert(
            session_id.clone(),
            SessionRecord {
                run_id: parent.clone(),
                seq,
            },
        );
        self.created.sessions += 1;
        let answer = CreateSessionOutput { session_id };
        self.remember(
            "CreateSession",
            &parent,
            input.client_token.as_ref(),
            &answer,
        );
        Ok(answer)
    }

    pub(crate) fn list_sessions(
        &self,
        input: &ListSessionsInput,
    ) -> Result<ListSessionsOutput, ServiceError> {
        self.run(&input.workflow_definition_name, &input.workflow_run_id)?;
        let (items, next) = listing(
            self.sessions
                .iter()
                .filter(|(_, s)| s.run_id == input.workflow_run_id),
            |_, s| s.seq,
            |id, _| SessionSummary {
                session_id: id.clone(),
            },
            paging!(input),
        )?;
        Ok(ListSessionsOutput {
            session_summaries: items,
            next_token: next,
        })
    }

    pub(crate) fn create_act(
        &mut self,
        input: CreateActInput,
    ) -> Result<CreateActOutput, ServiceError> {
        self.session(
            &input.workflow_definition_name,
            &input.workflow_run_id,
            &input.session_id,
        )?;
        self.open_run(&input.workflow_definition_name, &input.workflow_run_id)?;
        let parent = input.session_id.clone();
        if let Some(answer) = self.replay("CreateAct", &parent, input.client_token.as_ref()) {
            return Ok(answer);
        }
        let act_id = id();
        let seq = self.next_seq();
        let started_at = self.now();
        self.times_out_at(started_at + ACT_TIMEOUT);
        self.acts.insert(
            act_id.clone(),
            ActRecord {
                definition: input.workflow_definition_name,
                run_id: input.workflow_run_id,
                session_id: input.session_id,
                status: ActStatus::Running,
                started_at,
                ended_at: None,
                view: ActView {
                    task: input.task,
                    tools: input.tool_specs.unwrap_or_default(),
                },
                steps: 0,
                last_step: None,
                seq,
                error: None,
            },
        );
        self.created.acts += 1;
        let answer = CreateActOutput {
            act_id,
            status: ActStatus::Running,
        };
        self.remember("CreateAct", &parent, input.client_token.as_ref(), &answer);
        Ok(answer)
    }

    pub(crate) fn list_acts(&self, input: &ListActsInput) -> Result<ListActsOutput, ServiceError> {
        self.definition(&input.workflow_definition_name)?;
        let of_run = |a: &ActRecord| {
            input
                .workflow_run_id
                .as_ref()
                .is_none_or(|r| &a.run_id == r)
        };
        let of_session =
            |a: &ActRecord| input.session_id.as_ref().is_none_or(|s| &a.session_id == s);
        let (items, next) = listing(
            self.acts.iter().filter(|(_, a)| {
                a.definition == input.workflow_definition_name && of_run(a) && of_session(a)
            }),
            |_, a| a.seq,
            |id, a| ActSummary {
                workflow_run_id: a.run_id.clone(),
                session_id: a.session_id.clone(),
                act_id: id.clone(),
                status: a.status.clone(),
                started_at: a.started_at,
                ended_at: a.ended_at,
                trace_location: None,
            },
            paging!(input),
        )?;
        Ok(ListActsOutput {
            act_summaries: items,
            next_token: next,
        })
    }

    pub(crate) fn invoke_step(
        &mut self,
        input: InvokeActStepInput,
        planner: &dyn Planner,
        steps_per_act: Option<usize>,
    ) -> Result<InvokeActStepOutput, ServiceError> {
        let act = self.act_mut((
            &input.workflow_definition_name,
            &input.workflow_run_id,
            &input.session_id,
            &input.act_id,
        ))?;
        if finished_act(&act.status) {
            return Err(ServiceError::invalid_status(format!(
                "act {} is already {}",
                input.act_id, act.status
            )));
        }
        if act.last_step != input.previous_step_id {
            return Err(ServiceError::field(
                "previousStepId",
                match &act.last_step {
                    None => "must be absent on the first step".to_owned(),
                    Some(last) => format!("must be the last step's id, {last}"),
                },
            ));
        }
        if let Some(limit) = steps_per_act
            && act.steps >= limit
        {
            return Err(ServiceError::field(
                "steps",
                format!(
                    "an act takes at most {limit} steps; this would be step {}",
                    act.steps + 1
                ),
            ));
        }
        let calls = planner.plan(&act.view, act.steps, &input.call_results);
        let step_id = id();
        act.steps += 1;
        act.last_step = Some(step_id.clone());
        act.status = ActStatus::PendingClientAction;
        Ok(InvokeActStepOutput { calls, step_id })
    }

    pub(crate) fn update_act(
        &mut self,
        input: UpdateActInput,
    ) -> Result<UpdateActOutput, ServiceError> {
        let now = self.now();
        let act = self.act_mut((
            &input.workflow_definition_name,
            &input.workflow_run_id,
            &input.session_id,
            &input.act_id,
        ))?;
        if finished_act(&act.status) {
            return Err(ServiceError::invalid_status(format!(
                "act {} is already {}",
                input.act_id, act.status
            )));
        }
        if !finished_act(&input.status) {
            return Err(ServiceError::field(
                "status",
                format!("an act cannot be moved to {}", input.status),
            ));
        }
        act.status = input.status;
        act.ended_at = Some(now);
        act.error = input.error;
        Ok(UpdateActOutput {})
    }

    /// Every act, oldest first.
    pub(crate) fn acts(&self) -> Vec<ActState> {
        let mut acts: Vec<(&String, &ActRecord)> = self.acts.iter().collect();
        acts.sort_by_key(|(_, a)| a.seq);
        acts.into_iter()
            .map(|(id, a)| ActState {
                act_id: id.clone(),
                view: a.view.clone(),
                status: a.status.clone(),
                error: a.error.clone(),
                steps: a.steps,
            })
            .collect()
    }
}

/// The ListModels answer.
pub(crate) fn models(version: i32) -> ListModelsOutput {
    ListModelsOutput {
        model_summaries: vec![ModelSummary {
            model_id: MODEL_ID.to_owned(),
            model_lifecycle: ModelLifecycle {
                status: ModelStatus::Active,
            },
            minimum_compatibility_version: 1,
        }],
        model_aliases: MODEL_ALIASES
            .iter()
            .map(|alias| ModelAlias {
                alias_name: (*alias).to_owned(),
                latest_model_id: MODEL_ID.to_owned(),
                resolved_model_id: Some(MODEL_ID.to_owned()),
            })
            .collect(),
        compatibility_information: CompatibilityInformation {
            client_compatibility_version: version,
            supported_model_ids: if version >= 1 {
                vec![MODEL_ID.to_owned()]
            } else {
                Vec::new()
            },
            message: (version < 1).then(|| "this client is too old; upgrade the SDK".to_owned()),
        },
    }
}
