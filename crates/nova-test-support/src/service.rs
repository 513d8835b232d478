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
    let run = CreateWorkflowRunInput::new(definition, "nova-act-latest");
    let run = made(client.create_workflow_run(run).await, "a workflow run").workflow_run_id;
    let session = CreateSessionInput {
        workflow_definition_name: definition.into(),
        workflow_run_id: run.clone(),
        client_token: None,
    };
    let session = made(client.create_session(session).await, "a session").session_id;
    let act = CreateActInput {
        workflow_definition_name: definition.into(),
        workflow_run_id: run.clone(),
        session_id: session.clone(),
        task: task.into(),
        ..Default::default()
    };
    let act = made(client.create_act(act).await, "an act").act_id;
    (run, session, act)
}

fn made<T>(answer: Result<T, nova_act_core::Error>, what: &str) -> T {
    answer.unwrap_or_else(|err| panic!("could not create {what}: {err}"))
}
