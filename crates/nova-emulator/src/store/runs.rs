//! Workflow runs and their sessions: their state and the operations on them.

use nova_act_core::limits::RUN_TIMEOUT;
use nova_act_core::model::*;

use super::{
    MODEL_ALIASES, MODEL_ID, RunRecord, SessionRecord, Store, finished_run, found, id, listing,
};
use crate::error::ServiceError;
use crate::server::{Serve, Shared};

impl Store {
    pub(super) fn run(&self, definition: &str, run_id: &str) -> Result<&RunRecord, ServiceError> {
        self.definition(definition)?;
        let run = self.runs.get(run_id);
        found(run, |r| r.definition == definition, "WorkflowRun", run_id)
    }

    /// The run, to change it.
    pub(super) fn run_mut(
        &mut self,
        definition: &str,
        run_id: &str,
    ) -> Result<&mut RunRecord, ServiceError> {
        self.definition(definition)?;
        let run = self.runs.get_mut(run_id);
        found(run, |r| r.definition == definition, "WorkflowRun", run_id)
    }

    /// The run, which must still be running to take new sessions and acts.
    pub(super) fn open_run(
        &self,
        definition: &str,
        run_id: &str,
    ) -> Result<&RunRecord, ServiceError> {
        let run = self.run(definition, run_id)?;
        if finished_run(&run.status) {
            return Err(ServiceError::invalid_status(format!(
                "workflow run {run_id} is already {}",
                run.status
            )));
        }
        Ok(run)
    }

    pub(super) fn remove_run(&mut self, run_id: &str) {
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
        let token = input.client_token.clone();
        self.idempotent("CreateWorkflowRun", &parent, token.as_ref(), |store| {
            if input.model_id != MODEL_ID && !MODEL_ALIASES.contains(&input.model_id.as_str()) {
                return Err(ServiceError::field(
                    "modelId",
                    format!(
                        "unknown model {}; ListModels lists the models",
                        input.model_id
                    ),
                ));
            }
            let (run_id, seq, started_at) = store.start(RUN_TIMEOUT);
            store.runs.insert(
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
            store.created.runs += 1;
            Ok(CreateWorkflowRunOutput {
                workflow_run_id: run_id,
                status: WorkflowRunStatus::Running,
            })
        })
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
        let of_definition = |r: &RunRecord| r.definition == input.workflow_definition_name;
        let (items, next) = listing(
            self.runs.iter().filter(|(_, r)| of_definition(r)),
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

    pub(super) fn session(
        &self,
        definition: &str,
        run_id: &str,
        session_id: &str,
    ) -> Result<&SessionRecord, ServiceError> {
        self.run(definition, run_id)?;
        let session = self.sessions.get(session_id);
        found(session, |s| s.run_id == run_id, "Session", session_id)
    }

    pub(crate) fn create_session(
        &mut self,
        input: CreateSessionInput,
    ) -> Result<CreateSessionOutput, ServiceError> {
        self.open_run(&input.workflow_definition_name, &input.workflow_run_id)?;
        let parent = input.workflow_run_id.clone();
        let token = input.client_token.clone();
        self.idempotent("CreateSession", &parent, token.as_ref(), |store| {
            let session_id = id();
            let seq = store.next_seq();
            store.sessions.insert(
                session_id.clone(),
                SessionRecord {
                    run_id: parent.clone(),
                    seq,
                },
            );
            store.created.sessions += 1;
            Ok(CreateSessionOutput { session_id })
        })
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
}

impl Serve for GetWorkflowRunInput {
    fn serve(self, shared: &Shared) -> Result<Self::Output, ServiceError> {
        let arn = shared.run_arn(&self.workflow_definition_name, &self.workflow_run_id);
        shared.store().get_run(&self, arn)
    }
}

impl Serve for ListWorkflowRunsInput {
    fn serve(self, shared: &Shared) -> Result<Self::Output, ServiceError> {
        let definition = self.workflow_definition_name.clone();
        shared
            .store()
            .list_runs(&self, |r| shared.run_arn(&definition, r))
    }
}

served_by_store! {
    CreateWorkflowRunInput => create_run();
    UpdateWorkflowRunInput => update_run();
    DeleteWorkflowRunInput => delete_run(&);
    CreateSessionInput => create_session();
    ListSessionsInput => list_sessions(&);
}
