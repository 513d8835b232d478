//! Resources tests and benchmarks make on a service (the emulator, mostly) before their work.

use nova_act_core::Client;
use nova_act_core::model::{
    CreateActInput, CreateSessionInput, CreateWorkflowDefinitionInput, CreateWorkflowRunInput,
};

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

/// Creates a run, a session in it and an act of `task` in that, under `definition`; returns
/// their ids. Panics when the service refuses.
pub async fn open_act(client: &Client, definition: &str, task: &str) -> (String, String, String) {
    let run = client
        .create_workflow_run(CreateWorkflowRunInput::new(definition, "nova-act-latest"))
        .await
        .unwrap_or_else(|err| panic!("could not create a workflow run: {err}"))
        .workflow_run_id;
    let session = client
        .create_session(CreateSessionInput {
            workflow_definition_name: definition.into(),
            workflow_run_id: run.clone(),
            client_token: None,
        })
        .await
        .unwrap_or_else(|err| panic!("could not create a session: {err}"))
        .session_id;
    let act = client
        .create_act(CreateActInput {
            workflow_definition_name: definition.into(),
            workflow_run_id: run.clone(),
            session_id: session.clone(),
            task: task.into(),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|err| panic!("could not create an act: {err}"))
        .act_id;
    (run, session, act)
}
