//! Resources tests and benchmarks make on a service (the emulator, mostly) before their work.

use nova_act_core::Client;
use nova_act_core::model::CreateWorkflowDefinitionInput;

/// Creates the workflow definition `name`; panics when the service refuses.
pub async fn define(client: &Client, name: &str) {
    client
        .create_workflow_definition(CreateWorkflowDefinitionInput {
            name: name.into(),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|err| panic!("could not create workflow definition {name}: {err}"));
}
