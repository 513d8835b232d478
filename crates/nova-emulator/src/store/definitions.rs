//! Workflow definitions: their state and the operations on them.

use nova_act_core::model::*;

use super::{Definition, Store, listing};
use crate::error::ServiceError;
use crate::server::{Serve, Shared};

impl Store {
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

    pub(super) fn definition(&self, name: &str) -> Result<&Definition, ServiceError> {
        self.definitions
            .get(name)
            .ok_or_else(|| ServiceError::not_found("WorkflowDefinition", name))
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
}

impl Serve for CreateWorkflowDefinitionInput {
    fn serve(self, shared: &Shared) -> Result<Self::Output, ServiceError> {
        shared.store().create_definition(self)
    }
    fn named_definition(&self) -> Option<&str> {
        Some(&self.name)
    }
}

impl Serve for GetWorkflowDefinitionInput {
    fn serve(self, shared: &Shared) -> Result<Self::Output, ServiceError> {
        let arn = shared.definition_arn(&self.workflow_definition_name);
        shared
            .store()
            .get_definition(&self.workflow_definition_name, arn)
    }
}

impl Serve for ListWorkflowDefinitionsInput {
    fn serve(self, shared: &Shared) -> Result<Self::Output, ServiceError> {
        shared
            .store()
            .list_definitions(&self, |d| shared.definition_arn(d))
    }
}

impl Serve for DeleteWorkflowDefinitionInput {
    fn serve(self, shared: &Shared) -> Result<Self::Output, ServiceError> {
        shared
            .store()
            .delete_definition(&self.workflow_definition_name)
    }
}
