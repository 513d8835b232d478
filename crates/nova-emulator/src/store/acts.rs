//! Acts, their steps, and the models that take them: their state and the operations on them.

use nova_act_core::limits::ACT_TIMEOUT;
use nova_act_core::model::*;

use super::{
    ActRecord, ActState, MODEL_ALIASES, MODEL_ID, Store, finished_act, found, id, listing,
};
use crate::error::ServiceError;
use crate::planner::{ActView, Planner};
use crate::server::{Serve, Shared};

/// The four ids that name an act in a request's path.
macro_rules! act_path {
    ($input:expr) => {
        (
            &$input.workflow_definition_name,
            &$input.workflow_run_id,
            &$input.session_id,
            &$input.act_id,
        )
    };
}

impl Store {
    pub(super) fn act_mut(
        &mut self,
        input: (&str, &str, &str, &str),
    ) -> Result<&mut ActRecord, ServiceError> {
        let (definition, run_id, session_id, act_id) = input;
        self.session(definition, run_id, session_id)?;
        let act = self.acts.get_mut(act_id);
        found(act, |a| a.session_id == session_id, "Act", act_id)
    }

    /// The act, which must not have ended yet to take steps or be finished.
    pub(super) fn open_act(
        &mut self,
        ids: (&str, &str, &str, &str),
    ) -> Result<&mut ActRecord, ServiceError> {
        let act = self.act_mut(ids)?;
        if finished_act(&act.status) {
            return Err(ServiceError::invalid_status(format!(
                "act {} is already {}",
                ids.3, act.status
            )));
        }
        Ok(act)
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
        let token = input.client_token.clone();
        self.idempotent("CreateAct", &parent, token.as_ref(), |store| {
            let (act_id, seq, started_at) = store.start(ACT_TIMEOUT);
            store.acts.insert(
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
            store.created.acts += 1;
            Ok(CreateActOutput {
                act_id,
                status: ActStatus::Running,
            })
        })
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
        let act = self.open_act(act_path!(input))?;
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
        let act = self.open_act(act_path!(input))?;
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

impl Serve for InvokeActStepInput {
    fn serve(self, shared: &Shared) -> Result<Self::Output, ServiceError> {
        shared
            .store()
            .invoke_step(self, shared.planner.as_ref(), shared.meter.steps_per_act())
    }
}

impl Serve for ListModelsInput {
    fn serve(self, _: &Shared) -> Result<Self::Output, ServiceError> {
        Ok(models(self.client_compatibility_version))
    }
}

/// The ListModels answer.
fn models(version: i32) -> ListModelsOutput {
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

served_by_store! {
    CreateActInput => create_act();
    ListActsInput => list_acts(&);
    UpdateActInput => update_act();
}
