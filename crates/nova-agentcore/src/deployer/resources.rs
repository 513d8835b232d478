//! The AWS resources a deploy makes, finds and removes: the workflow definition, the image
//! repository and its login, the execution role, the runtime.

use std::path::Path;

use http::Method;
use nova_act_core::Retry;
use nova_act_core::model::CreateWorkflowDefinitionInput;
use serde_json::{Value, json};

use super::tool::run_tool;
use super::{Deployer, FoundRuntime, ROLE_POLICY_NAME, ecr, failed, iam};
use crate::aws::{Call, encode};
use crate::error::RuntimeError;
use crate::plan::{DeployNames, WORKFLOW_TAG, execution_role_policy, execution_trust_policy};

impl Deployer {
    /// Creates the workflow definition unless it exists; true when it was new.
    pub(super) async fn ensure_definition(&self, name: &str) -> Result<bool, RuntimeError> {
        self.nova
            .ensure_workflow_definition(CreateWorkflowDefinitionInput {
                name: name.to_owned(),
                description: Some("deployed to AgentCore Runtime by nova-act".to_owned()),
                ..Default::default()
            })
            .await
            .map_err(|err| RuntimeError::NovaAct(Box::new(err)))
    }

    /// The repository's URI, and whether it was created.
    pub(super) async fn ensure_repository(
        &self,
        name: &str,
    ) -> Result<(String, bool), RuntimeError> {
        let body = json!({"repositoryNames": [name]});
        let found = self
            .aws
            .json(&self.ecr, &ecr("DescribeRepositories", &body, Retry::Safe))
            .await;
        match found {
            Ok(found) => {
                if let Some(uri) = found
                    .pointer("/repositories/0/repositoryUri")
                    .and_then(Value::as_str)
                {
                    return Ok((uri.to_owned(), false));
                }
            }
            Err(err) if err.code() == Some("RepositoryNotFoundException") => {}
            Err(err) => return Err(failed("ecr:DescribeRepositories", err)),
        }
        let made = self
            .aws
            .json(
                &self.ecr,
                &ecr(
                    "CreateRepository",
                    &json!({"repositoryName": name}),
                    Retry::OnlyIfUnsent,
                ),
            )
            .await
            .map_err(|err| failed("ecr:CreateRepository", err))?;
        let uri = made
            .pointer("/repository/repositoryUri")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        Ok((uri, true))
    }

    /// Logs `tool` in to the account's registry (the password goes on its standard input).
    pub(super) async fn login(&self, tool: &Path) -> Result<(), RuntimeError> {
        let token = self
            .aws
            .json(
                &self.ecr,
                &ecr("GetAuthorizationToken", &json!({}), Retry::Safe),
            )
            .await
            .map_err(|err| failed("ecr:GetAuthorizationToken", err))?;
        let data = token.pointer("/authorizationData/0").ok_or_else(|| {
            RuntimeError::InvalidDeployment {
                message: "ECR gave no authorization data".to_owned(),
            }
        })?;
        let text = |name: &str| data[name].as_str().unwrap_or_default();
        let decoded = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            text("authorizationToken").trim(),
        )
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| RuntimeError::InvalidDeployment {
            message: "ECR's authorization token is not base64".to_owned(),
        })?;
        let (user, password) =
            decoded
                .split_once(':')
                .ok_or_else(|| RuntimeError::InvalidDeployment {
                    message: "ECR's authorization token is not USER:PASSWORD".to_owned(),
                })?;
        let endpoint = text("proxyEndpoint").to_owned();
        run_tool(
            tool,
            &["login", "--username", user, "--password-stdin", &endpoint],
            Some(password),
        )
        .await
    }

    /// Creates the execution role, or brings an existing one's trust and policy up to date;
    /// true when it was created.
    pub(super) async fn ensure_role(
        &self,
        names: &DeployNames,
        remote_browser: bool,
        api_key_store: Option<&nova_auth::ApiKeyStore>,
    ) -> Result<bool, RuntimeError> {
        let trust = execution_trust_policy(&self.region, &self.account).to_string();
        let policy = execution_role_policy(
            names,
            &self.region,
            &self.account,
            remote_browser,
            api_key_store,
        )
        .to_string();
        let role = names.role.as_str();
        let existing = self
            .aws
            .send(
                &self.iam,
                &iam("GetRole", &[("RoleName", role)], Retry::Safe),
            )
            .await;
        let created = match existing {
            Ok(_) => {
                let params = [("RoleName", role), ("PolicyDocument", trust.as_str())];
                self.aws
                    .send(
                        &self.iam,
                        &iam("UpdateAssumeRolePolicy", &params, Retry::Safe),
                    )
                    .await
                    .map_err(|err| failed("iam:UpdateAssumeRolePolicy", err))?;
                false
            }
            Err(err) if err.code() == Some("NoSuchEntity") => {
                let description = format!(
                    "AgentCore Runtime execution role of Nova Act workflow {}",
                    names.workflow
                );
                let params = [
                    ("RoleName", role),
                    ("AssumeRolePolicyDocument", trust.as_str()),
                    ("Description", description.as_str()),
                ];
                self.aws
                    .send(&self.iam, &iam("CreateRole", &params, Retry::OnlyIfUnsent))
                    .await
                    .map_err(|err| failed("iam:CreateRole", err))?;
                true
            }
            Err(err) => return Err(failed("iam:GetRole", err)),
        };
        let params = [
            ("RoleName", role),
            ("PolicyName", ROLE_POLICY_NAME),
            ("PolicyDocument", policy.as_str()),
        ];
        self.aws
            .send(&self.iam, &iam("PutRolePolicy", &params, Retry::Safe))
            .await
            .map_err(|err| failed("iam:PutRolePolicy", err))?;
        Ok(created)
    }

    /// The runtime serving `names.workflow`, when one is deployed.
    pub async fn find(&self, names: &DeployNames) -> Result<Option<FoundRuntime>, RuntimeError> {
        let mut token: Option<String> = None;
        loop {
            // As the AWS SDKs send it: no body until there is a token.
            let call = match &token {
                Some(token) => Call::rest_json(
                    Method::POST,
                    "/runtimes".to_owned(),
                    &json!({ "nextToken": token }),
                    Retry::Safe,
                ),
                None => Call::new(Method::POST, "/runtimes".to_owned(), Retry::Safe),
            };
            let page = self
                .aws
                .json(&self.control, &call)
                .await
                .map_err(|err| failed("bedrock-agentcore:ListAgentRuntimes", err))?;
            let runtimes = page["agentRuntimes"].as_array().map(Vec::as_slice);
            if let Some(found) = runtimes
                .unwrap_or_default()
                .iter()
                .find(|r| r["agentRuntimeName"].as_str() == Some(names.runtime.as_str()))
            {
                let text = |name: &str| found[name].as_str().unwrap_or_default().to_owned();
                return Ok(Some(FoundRuntime {
                    arn: text("agentRuntimeArn"),
                    id: text("agentRuntimeId"),
                    status: text("status"),
                }));
            }
            token = page["nextToken"].as_str().map(str::to_owned);
            if token.is_none() {
                return Ok(None);
            }
        }
    }

    /// Creates the runtime, or updates it when one serves this workflow already.
    pub(super) async fn put_runtime(
        &self,
        names: &DeployNames,
        image: &str,
        role_arn: &str,
        env: &[(String, String)],
    ) -> Result<(String, String, bool), RuntimeError> {
        let variables: serde_json::Map<String, Value> = env
            .iter()
            .map(|(name, value)| (name.clone(), Value::from(value.as_str())))
            .collect();
        let mut body = json!({
            "agentRuntimeArtifact": {"containerConfiguration": {"containerUri": image}},
            "roleArn": role_arn,
            "networkConfiguration": {"networkMode": "PUBLIC"},
            "environmentVariables": variables,
            "clientToken": uuid::Uuid::new_v4().to_string(),
        });
        let ids = |answer: &Value| {
            let text = |name: &str| answer[name].as_str().unwrap_or_default().to_owned();
            (text("agentRuntimeId"), text("agentRuntimeArn"))
        };
        if let Some(found) = self.find(names).await? {
            let path = format!("/runtimes/{}", encode(&found.id));
            let updated = self
                .aws
                .json(
                    &self.control,
                    &Call::rest_json(Method::PUT, path, &body, Retry::WithToken),
                )
                .await
                .map_err(|err| failed("bedrock-agentcore:UpdateAgentRuntime", err))?;
            let (id, arn) = ids(&updated);
            return Ok((id, arn, false));
        }
        body["agentRuntimeName"] = names.runtime.as_str().into();
        body["tags"] = json!({ WORKFLOW_TAG: names.workflow });
        let created = self
            .aws
            .json(
                &self.control,
                &Call::rest_json(Method::PUT, "/runtimes".to_owned(), &body, Retry::WithToken),
            )
            .await
            .map_err(|err| failed("bedrock-agentcore:CreateAgentRuntime", err))?;
        let (id, arn) = ids(&created);
        Ok((id, arn, true))
    }

    /// Waits until the runtime is READY; a failed create or update is an error with the
    /// service's reason.
    pub(super) async fn wait_ready(&self, id: &str) -> Result<(), RuntimeError> {
        let started = tokio::time::Instant::now();
        loop {
            let path = format!("/runtimes/{}", encode(id));
            let got = self
                .aws
                .json(&self.control, &Call::new(Method::GET, path, Retry::Safe))
                .await
                .map_err(|err| failed("bedrock-agentcore:GetAgentRuntime", err))?;
            let status = got["status"].as_str().unwrap_or("UNKNOWN");
            match status {
                "READY" => return Ok(()),
                "CREATE_FAILED" | "UPDATE_FAILED" => {
                    return Err(RuntimeError::RuntimeFailed {
                        status: status.to_owned(),
                        reason: got["failureReason"]
                            .as_str()
                            .unwrap_or("the service gave no reason")
                            .to_owned(),
                    });
                }
                _ => {}
            }
            if started.elapsed() >= self.patience {
                return Err(RuntimeError::InvalidDeployment {
                    message: format!(
                        "the runtime is still {status} after {}s; see it with GetAgentRuntime",
                        self.patience.as_secs()
                    ),
                });
            }
            tokio::time::sleep(self.poll).await;
        }
    }

    /// Removes the workflow's runtime, and with `everything` its execution role and image
    /// repository too (images included); returns what was removed.
    pub async fn undeploy(
        &self,
        names: &DeployNames,
        everything: bool,
    ) -> Result<Vec<String>, RuntimeError> {
        let mut removed = Vec::new();
        if let Some(found) = self.find(names).await? {
            let path = format!(
                "/runtimes/{}?clientToken={}",
                encode(&found.id),
                uuid::Uuid::new_v4()
            );
            self.aws
                .send(
                    &self.control,
                    &Call::new(Method::DELETE, path, Retry::WithToken),
                )
                .await
                .map_err(|err| failed("bedrock-agentcore:DeleteAgentRuntime", err))?;
            removed.push(format!("runtime {}", names.runtime));
        }
        if !everything {
            return Ok(removed);
        }
        let role = names.role.as_str();
        let params = [("RoleName", role), ("PolicyName", ROLE_POLICY_NAME)];
        let role_exists = match self
            .aws
            .send(&self.iam, &iam("DeleteRolePolicy", &params, Retry::Safe))
            .await
        {
            Ok(_) => true,
            Err(err) if err.code() == Some("NoSuchEntity") => false,
            Err(err) => return Err(failed("iam:DeleteRolePolicy", err)),
        };
        if role_exists {
            self.aws
                .send(
                    &self.iam,
                    &iam("DeleteRole", &[("RoleName", role)], Retry::Safe),
                )
                .await
                .map_err(|err| failed("iam:DeleteRole", err))?;
            removed.push(format!("execution role {}", names.role));
        }
        let body = json!({"repositoryName": names.repository, "force": true});
        let repository = self
            .aws
            .send(&self.ecr, &ecr("DeleteRepository", &body, Retry::Safe))
            .await;
        match repository {
            Ok(_) => removed.push(format!("image repository {}", names.repository)),
            Err(err) if err.code() == Some("RepositoryNotFoundException") => {}
            Err(err) => return Err(failed("ecr:DeleteRepository", err)),
        }
        Ok(removed)
    }
}
