//! Lists the models and workflow definitions a Nova Act endpoint offers.
//!
//! ```sh
//! cargo run -p nova-act-core --example list -- http://127.0.0.1:8080   # an emulator or proxy
//! cargo run -p nova-act-core --example list                            # the real service
//! ```
//! Credentials come from the environment, as everywhere in the SDK (`NOVA_ACT_AUTH=iam` and AWS
//! credentials; ListModels and ListWorkflowDefinitions need IAM).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use futures_util::TryStreamExt;
use nova_act_core::Client;
use nova_act_core::model::ListWorkflowDefinitionsInput;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run(std::env::args().nth(1)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(endpoint: Option<String>) -> Result<(), Box<dyn std::error::Error>> {
    let auth = nova_auth::Auth::from_env().await?;
    let mut builder = Client::builder().auth(&auth);
    if let Some(url) = endpoint {
        builder = builder.endpoint_url(url);
    }
    let client = builder.build()?;
    println!(
        "endpoint: {} ({} credentials from {})",
        client.endpoint(),
        auth.mode(),
        client.credentials().await?.source()
    );

    let models = client
        .list_models(nova_act_core::model::ListModelsInput::default())
        .await?;
    println!("\nmodels:");
    for model in &models.model_summaries {
        println!("  {:<30} {}", model.model_id, model.model_lifecycle.status);
    }
    for alias in &models.model_aliases {
        println!("  {:<30} -> {}", alias.alias_name, alias.latest_model_id);
    }

    println!("\nworkflow definitions:");
    let mut definitions = client.workflow_definitions(ListWorkflowDefinitionsInput::default());
    while let Some(definition) = definitions.try_next().await? {
        println!(
            "  {:<40} {:<8} created {}",
            definition.workflow_definition_name, definition.status, definition.created_at
        );
    }
    Ok(())
}
