//! The AWS SDK's own generated client, `aws-sdk-novaact`, against the emulator: every operation
//! signed with SigV4 succeed, and a wrong secret fails the way AWS fails it.

mod support;

use aws_sdk_novaact::Client;
use aws_sdk_novaact::types::{
    ActStatus, CallResult, CallResultContent, SortOrder, WorkflowRunStatus,
};
use nova_emulator::{Emulator, RunningEmulator};

fn client(emulator: &RunningEmulator, secret: &str) -> Client {
    support::aws_sdk(emulator, secret, true)
}

#[tokio::test]
async fn all_sixteen_operations_from_aws_sdk_novaact() {
    let emulator = Emulator::builder().start().await.unwrap();
    let secret = emulator.access_key().secret_access_key.clone();
    let sdk = client(&emulator, &secret);
    let mut done = Vec::new();

    let models = sdk
        .list_models()
        .client_compatibility_version(1)
        .send()
        .await
        .unwrap();
    assert!(!models.model_summaries().is_empty());
    done.push("ListModels");
    sdk.create_workflow_definition()
        .name("compat")
        .description("from aws-sdk-novaact")
        .send()
        .await
        .unwrap();
    done.push("CreateWorkflowDefinition");
    let def = sdk
        .get_workflow_definition()
        .workflow_definition_name("compat")
        .send()
        .await
        .unwrap();
    assert_eq!(def.name(), "compat");
    done.push("GetWorkflowDefinition");
    let defs = sdk
        .list_workflow_definitions()
        .max_results(10)
        .sort_order(SortOrder::Asc)
        .send()
        .await
        .unwrap();
    assert_eq!(defs.workflow_definition_summaries().len(), 1);
    done.push("ListWorkflowDefinitions");

    let run_id = support::sdk_run(&sdk, "compat").await;
    done.push("CreateWorkflowRun");
    sdk.get_workflow_run()
        .workflow_definition_name("compat")
        .workflow_run_id(&run_id)
        .send()
        .await
        .unwrap();
    done.push("GetWorkflowRun");
    sdk.list_workflow_runs()
        .workflow_definition_name("compat")
        .send()
        .await
        .unwrap();
    done.push("ListWorkflowRuns");
    let session_id = support::sdk_session(&sdk, "compat", &run_id).await;
    done.push("CreateSession");
    sdk.list_sessions()
        .workflow_definition_name("compat")
        .workflow_run_id(&run_id)
        .send()
        .await
        .unwrap();
    done.push("ListSessions");
    let act = sdk
        .create_act()
        .workflow_definition_name("compat")
        .workflow_run_id(&run_id)
        .session_id(&session_id)
        .task("What page is this?")
        .send()
        .await
        .unwrap();
    let act_id = act.act_id().to_owned();
    done.push("CreateAct");
    // The generated SDK sends `invoke-step` without the trailing slash; the emulator takes both.
    let step = sdk
        .invoke_act_step()
        .workflow_definition_name("compat")
        .workflow_run_id(&run_id)
        .session_id(&session_id)
        .act_id(&act_id)
        .call_results(
            CallResult::builder()
                .call_id("initiateAct")
                .content(CallResultContent::Text("{}".into()))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(step.calls()[0].name(), "takeObservation");
    done.push("InvokeActStep");
    sdk.update_act()
        .workflow_definition_name("compat")
        .workflow_run_id(&run_id)
        .session_id(&session_id)
        .act_id(&act_id)
        .status(ActStatus::Succeeded)
        .send()
        .await
        .unwrap();
    done.push("UpdateAct");
    sdk.list_acts()
        .workflow_definition_name("compat")
        .workflow_run_id(&run_id)
        .send()
        .await
        .unwrap();
    done.push("ListActs");
    sdk.update_workflow_run()
        .workflow_definition_name("compat")
        .workflow_run_id(&run_id)
        .status(WorkflowRunStatus::Succeeded)
        .send()
        .await
        .unwrap();
    done.push("UpdateWorkflowRun");
    sdk.delete_workflow_run()
        .workflow_definition_name("compat")
        .workflow_run_id(&run_id)
        .send()
        .await
        .unwrap();
    done.push("DeleteWorkflowRun");
    sdk.delete_workflow_definition()
        .workflow_definition_name("compat")
        .send()
        .await
        .unwrap();
    done.push("DeleteWorkflowDefinition");
    assert_eq!(done.len(), 16);
    // aws-sdk-novaact's own signer agrees with the emulator's fast verification on every
    // operation: none needed the general path.
    assert_eq!(emulator.general_signature_checks(), 0);
}

#[tokio::test]
async fn a_wrong_secret_is_refused_as_aws_refuses_it() {
    let emulator = Emulator::builder().start().await.unwrap();
    let sdk = client(&emulator, "not-the-secret");
    let err = sdk
        .list_models()
        .client_compatibility_version(1)
        .send()
        .await
        .unwrap_err();
    let code = aws_sdk_novaact::error::ProvideErrorMetadata::code(&err).map(str::to_owned);
    assert_eq!(
        code.as_deref(),
        Some("InvalidSignatureException"),
        "{err:?}"
    );
}
