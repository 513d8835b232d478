//! `permissions`, `models`, `workflow …` and `completions`.

use std::process::ExitCode;

use futures_util::TryStreamExt;
use nova_act::Env;
use nova_act::iam::{PolicyScope, Tier, policy};
use nova_act::model::{
    CreateWorkflowDefinitionInput, ListWorkflowDefinitionsInput, ListWorkflowRunsInput,
    WorkflowExportConfig,
};
use serde_json::json;

use crate::output::{Progress, rfc3339, table};
use crate::{Cli, Failure, Shell, Workflow};

/// `permissions`: a policy at `tier`, scoped to the caller's region and account when they are
/// known.
pub(crate) async fn permissions(
    cli: &Cli,
    tier: crate::TierArg,
    workflow: Option<String>,
    account: Option<String>,
) -> Result<ExitCode, String> {
    if let crate::TierArg::ApiKeyStore = tier {
        return store_policy(cli, account).await;
    }
    // The account and region sharpen the ARNs when credentials are at hand; without them the
    // policy uses wildcards, which is still correct.
    let (region, found) = match cli.auth_builder().build().await {
        Ok(auth) if account.is_none() => {
            let found = auth
                .identity()
                .await
                .ok()
                .and_then(|identity| identity.account_id);
            (Some(auth.region().name().to_owned()), found)
        }
        Ok(auth) => (Some(auth.region().name().to_owned()), None),
        Err(_) => (cli.region.clone(), None),
    };
    let account = account.or(found);
    let tier = match tier {
        crate::TierArg::Read => Tier::Read,
        crate::TierArg::Run => Tier::Run,
        crate::TierArg::Manage => Tier::Manage,
        crate::TierArg::RemoteBrowser => {
            let document =
                nova_act::agentcore::browser_policy(region.as_deref(), account.as_deref());
            println!("{document:#}");
            return Ok(ExitCode::SUCCESS);
        }
        crate::TierArg::Deploy => {
            let document =
                nova_act::agentcore::deploy_policy(region.as_deref(), account.as_deref());
            println!("{document:#}");
            return Ok(ExitCode::SUCCESS);
        }
        crate::TierArg::ApiKeyStore => unreachable!("answered above"),
    };
    let document = policy(&PolicyScope {
        tier,
        workflow,
        region,
        account,
        partition: None,
    });
    println!("{document:#}");
    Ok(ExitCode::SUCCESS)
}

/// `permissions --for api-key-store`: what reading the key from the configured store needs,
/// without reading it (the read may be what is refused).
async fn store_policy(cli: &Cli, account: Option<String>) -> Result<ExitCode, String> {
    let env = Env::process();
    let store = nova_act::ApiKeyStore::from_env(&env)
        .map_err(|err| err.to_string())?
        .ok_or_else(|| {
            "no store holds the API key here: set NOVA_ACT_API_KEY_SECRET_ID (a secret), \
             NOVA_ACT_API_KEY_PARAMETER (a parameter) or NOVA_ACT_API_KEY_AGENTCORE_PROVIDER (an \
             AgentCore Identity provider)"
                .to_owned()
        })?;
    let region =
        nova_act::Region::resolve(cli.region.as_deref(), &env, cli.profile.as_deref()).await;
    let account = account.unwrap_or_else(|| "*".to_owned());
    let statements = store.policy_statements(region.name(), &account);
    let document = json!({ "Version": "2012-10-17", "Statement": statements });
    println!("{document:#}");
    Ok(ExitCode::SUCCESS)
}

/// `models`.
pub(crate) async fn models(cli: &Cli) -> Result<ExitCode, String> {
    let nova = cli.nova().await?;
    let models = {
        let _progress = Progress::start("listing models");
        nova.client()
            .list_models(nova_act::model::ListModelsInput::default())
            .await
            .map_err(|e| crate::report(&e))?
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
pub(crate) async fn workflow(cli: &Cli, command: &Workflow) -> Result<ExitCode, Failure> {
    let nova = cli.nova().await?;
    let client = nova.client();
    let _progress = Progress::start("working");
    // Input the client refuses before sending (a name the service model does not allow) is
    // bad usage; anything else is a failure.
    let fail = |e: nova_act::Error| match e {
        nova_act::Error::InvalidInput(_) => Failure::Usage(crate::report(&e)),
        other => Failure::Failed(crate::report(&other)),
    };
    match command {
        Workflow::Create {
            name,
            description,
            export_bucket,
            export_prefix,
        } => {
            let export_config = export_bucket.as_ref().map(|bucket| WorkflowExportConfig {
                s3_bucket_name: bucket.clone(),
                s3_key_prefix: export_prefix.clone(),
            });
            let out = client
                .create_workflow_definition(CreateWorkflowDefinitionInput {
                    name: name.clone(),
                    description: description.clone(),
                    export_config,
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
                    "created_at": rfc3339(out.created_at),
                    "description": out.description,
                    "export": out.export_config.map(|e| json!({
                        "s3_bucket_name": e.s3_bucket_name,
                        "s3_key_prefix": e.s3_key_prefix,
                    })),
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
            let items = client
                .workflow_definitions(ListWorkflowDefinitionsInput::default())
                .map_ok(|d| {
                    json!({
                        "name": d.workflow_definition_name,
                        "arn": d.workflow_definition_arn,
                        "status": d.status.as_str(),
                        "created_at": rfc3339(d.created_at),
                    })
                })
                .try_collect()
                .await
                .map_err(fail)?;
            print_items(
                cli,
                "workflow_definitions",
                items,
                &[
                    ("NAME", "name"),
                    ("STATUS", "status"),
                    ("CREATED", "created_at"),
                ],
            );
        }
        // Dispatched to `deploy` before this is called.
        Workflow::Deploy(_)
        | Workflow::Invoke(_)
        | Workflow::Undeploy(_)
        | Workflow::LocalRuntime { .. } => {
            return Err(Failure::Failed("not a definition command".to_owned()));
        }
        Workflow::Runs { name } => {
            let runs = ListWorkflowRunsInput {
                workflow_definition_name: name.clone(),
                ..Default::default()
            };
            let items = client
                .workflow_runs(runs)
                .map_ok(|r| {
                    json!({
                        "workflow_run_id": r.workflow_run_id,
                        "arn": r.workflow_run_arn,
                        "status": r.status.as_str(),
                        "started_at": rfc3339(r.started_at),
                        "ended_at": r.ended_at.map(rfc3339),
                    })
                })
                .try_collect()
                .await
                .map_err(fail)?;
            print_items(
                cli,
                "workflow_runs",
                items,
                &[
                    ("RUN", "workflow_run_id"),
                    ("STATUS", "status"),
                    ("STARTED", "started_at"),
                    ("ENDED", "ended_at"),
                ],
            );
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

/// A listing: `{key: [items]}` with `--json`, else the columns named by `columns` (header,
/// field) as a table.
fn print_items(cli: &Cli, key: &str, items: Vec<serde_json::Value>, columns: &[(&str, &str)]) {
    if cli.json {
        println!("{:#}", json!({ key: items }));
        return;
    }
    let header: Vec<&str> = columns.iter().map(|(h, _)| *h).collect();
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|item| {
            columns
                .iter()
                .map(|(_, field)| match &item[*field] {
                    serde_json::Value::String(text) => text.clone(),
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    println!("{}", table(&header, &rows));
}

/// `completions SHELL`: the script on stdout; with `--json`, `{"shell", "script"}`.
pub(crate) fn completions(cli: &Cli, shell: Shell) -> Result<ExitCode, String> {
    use clap::CommandFactory;
    use clap_complete::Shell as Target;
    let (target, name) = match shell {
        Shell::Bash => (Target::Bash, "bash"),
        Shell::Zsh => (Target::Zsh, "zsh"),
        Shell::Fish => (Target::Fish, "fish"),
        Shell::Powershell => (Target::PowerShell, "powershell"),
    };
    let mut script = Vec::new();
    clap_complete::generate(target, &mut Cli::command(), "nova-act", &mut script);
    let script = String::from_utf8_lossy(&script);
    if cli.json {
        println!("{:#}", json!({ "shell": name, "script": script }));
    } else {
        print!("{script}");
    }
    Ok(ExitCode::SUCCESS)
}
