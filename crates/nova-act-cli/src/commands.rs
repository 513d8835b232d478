//! `permissions`, `models` and `workflow …`.

use std::process::ExitCode;

use futures_util::TryStreamExt;
use nova_act::iam::{PolicyScope, policy};
use nova_act::model::{
    CreateWorkflowDefinitionInput, ListWorkflowDefinitionsInput, ListWorkflowRunsInput,
};
use serde_json::json;

use crate::output::{Progress, table};
use crate::{Cli, Workflow};

/// `permissions`: a policy scoped to the caller's region and account when they are known.
pub(crate) async fn permissions(
    cli: &Cli,
    workflow: Option<String>,
    read_only: bool,
) -> Result<ExitCode, String> {
    // The account and region sharpen the ARNs when credentials are at hand; without them the
    // policy uses wildcards, which is still correct.
    let (region, account) = match cli.auth_builder().build().await {
        Ok(auth) => {
            let account = auth
                .identity()
                .await
                .ok()
                .and_then(|identity| identity.account_id);
            (Some(auth.region().name().to_owned()), account)
        }
        Err(_) => (cli.region.clone(), None),
    };
    let document = policy(&PolicyScope {
        workflow,
        read_only,
        region,
        account,
        partition: None,
    });
    println!("{document:#}");
    Ok(ExitCode::SUCCESS)
}

/// `models`.
pub(crate) async fn models(cli: &Cli) -> Result<ExitCode, String> {
    let nova = cli.nova().await?;
    let models = {
        let _progress = Progress::start("listing models");
        nova.client()
            .list_models()
            .await
            .map_err(|e| e.to_string())?
    };
    if cli.json {
        let out = json!({
            "models": models.model_summaries.iter().map(|m| json!({
                "model_id": m.model_id,
                "status": m.model_lifecycle.status.as_str(),
                "minimum_compatibility_version": m.minimum_compatibility_version,
            })).collect::<Vec<_>>(),
            "aliases": models.model_aliases.iter().map(|a| json!({
                "alias": a.alias_name,
                "latest_model_id": a.latest_model_id,
                "resolved_model_id": a.resolved_model_id,
            })).collect::<Vec<_>>(),
        });
        println!("{out:#}");
        return Ok(ExitCode::SUCCESS);
    }
    let mut rows: Vec<Vec<String>> = models
        .model_summaries
        .iter()
        .map(|m| {
            vec![
                m.model_id.clone(),
                m.model_lifecycle.status.to_string(),
                String::new(),
            ]
        })
        .collect();
    rows.extend(models.model_aliases.iter().map(|a| {
        vec![
            a.alias_name.clone(),
            "alias".to_owned(),
            format!(
                "-> {}",
                a.resolved_model_id.as_deref().unwrap_or(&a.latest_model_id)
            ),
        ]
    }));
    println!("{}", table(&["MODEL", "STATUS", ""], &rows));
    Ok(ExitCode::SUCCESS)
}

/// `workflow create|list|show|delete|runs`.
pub(crate) async fn workflow(cli: &Cli, command: &Workflow) -> Result<ExitCode, String> {
    let nova = cli.nova().await?;
    let client = nova.client();
    let _progress = Progress::start("working");
    let fail = |e: nova_act::Error| e.to_string();
    match command {
        Workflow::Create { name, description } => {
            let out = client
                .create_workflow_definition(CreateWorkflowDefinitionInput {
                    name: name.clone(),
                    description: description.clone(),
                    ..Default::default()
                })
                .await
                .map_err(fail)?;
            print_one(cli, json!({"name": name, "status": out.status.as_str()}));
        }
        Workflow::Show { name } => {
            let out = client
                .get_workflow_definition(name.clone())
                .await
                .map_err(fail)?;
            print_one(
                cli,
                json!({
                    "name": out.name,
                    "arn": out.arn,
                    "status": out.status.as_str(),
                    "created_at": out.created_at.to_string(),
                    "description": out.description,
                }),
            );
        }
        Workflow::Delete { name } => {
            let out = client
                .delete_workflow_definition(name.clone())
                .await
                .map_err(fail)?;
            print_one(cli, json!({"name": name, "status": out.status.as_str()}));
        }
        Workflow::List => {
            let all: Vec<_> = client
                .workflow_definitions(ListWorkflowDefinitionsInput::default())
                .try_collect()
                .await
                .map_err(fail)?;
            let rows: Vec<Vec<String>> = all
                .iter()
                .map(|d| {
                    vec![
                        d.workflow_definition_name.clone(),
                        d.status.to_string(),
                        d.created_at.to_string(),
                    ]
                })
                .collect();
            print_rows(cli, &["NAME", "STATUS", "CREATED"], &rows);
        }
        Workflow::Runs { name } => {
            let all: Vec<_> = client
                .workflow_runs(ListWorkflowRunsInput {
                    workflow_definition_name: name.clone(),
                    ..Default::default()
                })
                .try_collect()
                .await
                .map_err(fail)?;
            let rows: Vec<Vec<String>> = all
                .iter()
                .map(|r| {
                    vec![
                        r.workflow_run_id.clone(),
                        r.status.to_string(),
                        r.started_at.to_string(),
                        r.ended_at.map(|t| t.to_string()).unwrap_or_default(),
                    ]
                })
                .collect();
            print_rows(cli, &["RUN", "STATUS", "STARTED", "ENDED"], &rows);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_one(cli: &Cli, value: serde_json::Value) {
    if cli.json {
        println!("{value:#}");
    } else if let Some(fields) = value.as_object() {
        for (key, value) in fields {
            let shown = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            println!("{:<12} {shown}", format!("{key}:"));
        }
    }
}

fn print_rows(cli: &Cli, header: &[&str], rows: &[Vec<String>]) {
    if cli.json {
        let items: Vec<serde_json::Value> = rows
            .iter()
            .map(|row| {
                header
                    .iter()
                    .zip(row)
                    .map(|(h, v)| (h.to_lowercase(), json!(v)))
                    .collect::<serde_json::Map<_, _>>()
                    .into()
            })
            .collect();
        println!("{:#}", json!(items));
    } else {
        println!("{}", table(header, rows));
    }
}
