//! Deploying a workflow to AgentCore Runtime with signed calls of ECR, IAM and the AgentCore
//! control plane, on nova-auth's credentials: the Nova Act workflow definition, the image repository, the image, the
//! execution role and the runtime, each step reported as it happens. What a deploy created is
//! named in its error when a later step fails, so nothing is orphaned silently.
//!
//! The runtime itself is the record of a deploy: it is found again by its name (and carries
//! the workflow in a tag), so `invoke` and `undeploy` ask the service rather than a local file
//! that could disagree with it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use http::Method;
use nova_act_core::Client as NovaActClient;
use nova_act_core::Retry;
use nova_act_core::model::CreateWorkflowDefinitionInput;
use nova_auth::{Auth, Env};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::aws::{AwsClient, Call, Failure, Protocol, Service, encode, xml_text};
use crate::deploy::{DeployNames, WORKFLOW_TAG, execution_role_policy, execution_trust_policy};
use crate::error::AgentCoreError;

/// The inline policy a deploy puts on the execution role.
pub const ROLE_POLICY_NAME: &str = "nova-act-workflow";

/// Where the runtime's image comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Image {
    /// An image already pushed somewhere AgentCore can pull from.
    Prebuilt(String),
    /// A folder with a Dockerfile, built for `linux/arm64` with `tool` (`docker` or `podman`)
    /// and pushed to the workflow's repository.
    Build {
        /// The build context.
        dir: PathBuf,
        /// The container tool.
        tool: PathBuf,
    },
}

/// Finds `docker`, then `podman`, on `PATH` (from `env`).
pub fn container_tool(env: &Env) -> Option<PathBuf> {
    let path = env.get("PATH")?;
    ["docker", "podman"].iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
    })
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    path.is_file()
}

/// What to deploy.
#[derive(Clone, Debug)]
pub struct DeployRequest {
    /// The names of what is created.
    pub names: DeployNames,
    /// The image.
    pub image: Image,
    /// An existing execution role to use instead of creating `nova-act-NAME-role`.
    pub execution_role_arn: Option<String>,
    /// Environment variables of the runtime.
    pub env: Vec<(String, String)>,
    /// Whether the role may use AgentCore Browser.
    pub remote_browser: bool,
}

/// One step of a deploy, as it is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// The Nova Act workflow definition.
    Definition,
    /// The ECR repository.
    Repository,
    /// Building the image.
    Build,
    /// Logging the container tool in to the registry.
    Login,
    /// Pushing the image.
    Push,
    /// The execution role.
    Role,
    /// Creating or updating the runtime.
    Runtime,
    /// Waiting for the runtime to be READY.
    Ready,
}

impl Step {
    /// How the step is named in progress and errors.
    pub fn label(self) -> &'static str {
        match self {
            Self::Definition => "workflow definition",
            Self::Repository => "image repository",
            Self::Build => "build",
            Self::Login => "registry login",
            Self::Push => "push",
            Self::Role => "execution role",
            Self::Runtime => "runtime",
            Self::Ready => "ready",
        }
    }
}

/// What a deploy reports as it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// A step began.
    Started(Step, String),
    /// A step ended: what it found or made.
    Done(Step, String),
}

/// A failed deploy: the step, what was created before it, and why.
#[derive(Debug, thiserror::Error)]
#[error("the deploy stopped at step `{}`{}", step.label(), created_list(created))]
pub struct DeployError {
    /// The step that failed.
    pub step: Step,
    /// What this deploy created before it failed (kept: a retry reuses them; `workflow
    /// undeploy` removes them).
    pub created: Vec<String>,
    /// Why.
    #[source]
    pub source: AgentCoreError,
}

fn created_list(created: &[String]) -> String {
    if created.is_empty() {
        String::new()
    } else {
        format!(
            " (created before it, and left in place: {})",
            created.join(", ")
        )
    }
}

/// What a deploy made: the runtime, and whether it was new.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployed {
    /// The runtime's ARN.
    pub runtime_arn: String,
    /// The runtime's id.
    pub runtime_id: String,
    /// The image it runs.
    pub image: String,
    /// The execution role.
    pub role_arn: String,
    /// Whether the runtime was created (rather than updated).
    pub created: bool,
}

/// A runtime found by its workflow's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundRuntime {
    /// Its ARN.
    pub arn: String,
    /// Its id.
    pub id: String,
    /// Its status.
    pub status: String,
}

/// Deploys workflows to AgentCore Runtime in one account and region.
#[derive(Clone, Debug)]
pub struct Deployer {
    nova: NovaActClient,
    aws: AwsClient,
    ecr: Service,
    iam: Service,
    control: Service,
    runtime: Service,
    region: String,
    account: String,
    poll: Duration,
    patience: Duration,
}

/// A refused call of a deploy names its action (`iam:CreateRole`); anything else is said as
/// the service said it.
fn failed(action: &'static str, failure: Failure) -> AgentCoreError {
    if let Failure::Service { code, message, .. } = &failure
        && matches!(code.as_str(), "AccessDenied" | "AccessDeniedException")
    {
        return AgentCoreError::DeployDenied {
            action,
            message: message.clone(),
        };
    }
    let short = action.split_once(':').map_or(action, |(_, name)| name);
    failure.into_error(short)
}

/// The ECR target of `operation`.
fn ecr(operation: &str, body: &Value, retry: Retry) -> Call {
    Call::json_1_1(
        &format!("AmazonEC2ContainerRegistry_V20150921.{operation}"),
        body,
        retry,
    )
}

/// The IAM call `action` with `params`.
fn iam(action: &str, params: &[(&str, &str)], retry: Retry) -> Call {
    Call::query(action, "2010-05-08", params, retry)
}

impl Deployer {
    /// A deployer forimpl Deployer {
    /// A deployer for `auth`'s account and region, creating the workflow definition with
    /// `nova`. The endpoints follow `env` (`AWS_ENDPOINT_URL_ECR`, `AWS_ENDPOINT_URL_IAM`,
    /// `AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL`, then `AWS_ENDPOINT_URL`), as the AWS SDKs
    /// do, under the cleartext rule of every Nova Act call. The account is the credentials' own
    /// when they name it, else STS GetCallerIdentity's answer (`AWS_ENDPOINT_URL_STS`).
    pub async fn new(auth: &Auth, nova: &NovaActClient, env: &Env) -> Result<Self, AgentCoreError> {
        let region = auth.region().name().to_owned();
        let allow_http = env.allows_http();
        // The endpoint a service's variable (else `AWS_ENDPOINT_URL`) names, under the rule of
        // every call that carries credentials: no cleartext beyond loopback.
        let endpoint = |var: &str| -> Result<Option<String>, AgentCoreError> {
            let url = env.get(var).or_else(|| env.get("AWS_ENDPOINT_URL"));
            if let Some(url) = &url {
                nova_act_core::endpoint::transport(url, allow_http).map_err(|err| {
                    AgentCoreError::InvalidDeployment {
                        message: err.to_string(),
                    }
                })?;
            }
            Ok(url)
        };
        let aws = AwsClient::new(auth)?;
        let regional = |host: &str, name: &'static str, var: &str| {
            Ok::<_, AgentCoreError>(Service::regional(
                host,
                name,
                &region,
                Protocol::Json,
                endpoint(var)?,
            ))
        };
        let known = auth
            .identity()
            .await
            .map_err(AgentCoreError::Credentials)?
            .account_id;
        let account = match known {
            Some(account) => account,
            None => {
                let sts = Service::regional(
                    "sts",
                    "sts",
                    &region,
                    Protocol::Query,
                    endpoint("AWS_ENDPOINT_URL_STS")?,
                );
                let call = Call::query("GetCallerIdentity", "2011-06-15", &[], Retry::Safe);
                let answer = aws
                    .text(&sts, &call)
                    .await
                    .map_err(|err| failed("sts:GetCallerIdentity", err))?;
                xml_text(&answer, "Account").ok_or_else(|| AgentCoreError::InvalidDeployment {
                    message: "STS did not name the credentials' account".to_owned(),
                })?
            }
        };
        Ok(Self {
            nova: nova.clone(),
            ecr: regional("api.ecr", "ecr", "AWS_ENDPOINT_URL_ECR")?,
            iam: Service::iam(&region, endpoint("AWS_ENDPOINT_URL_IAM")?),
            control: regional(
                "bedrock-agentcore-control",
                crate::stream::SIGNING_NAME,
                "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL",
            )?,
            runtime: regional(
                "bedrock-agentcore",
                crate::stream::SIGNING_NAME,
                crate::sessions::ENDPOINT_VAR,
            )?,
            aws,
            region,
            account,
            poll: Duration::from_secs(5),
            patience: Duration::from_secs(15 * 60),
        })
    }

    /// How often the runtime's status is read while waiting for READY (default 5 s), and for
    /// how long in all (default 15 minutes).
    #[must_use]
    pub fn polling(mut self, every: Duration, at_most: Duration) -> Self {
        self.poll = every;
        self.patience = at_most;
        self
    }

    /// The account deployed to.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The region deployed to.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The execution role's ARN for `names`.
    pub fn role_arn(&self, names: &DeployNames) -> String {
        format!("arn:aws:iam::{}:role/{}", self.account, names.role)
    }

    /// Runs every step of a deploy, reporting each to `progress`.
    pub async fn deploy(
        &self,
        request: &DeployRequest,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<Deployed, DeployError> {
        let mut created: Vec<String> = Vec::new();
        let names = &request.names;
        macro_rules! step {
            ($step:expr, $detail:expr, $body:expr) => {{
                progress(Progress::Started($step, $detail));
                match $body {
                    Ok(value) => value,
                    Err(source) => {
                        return Err(DeployError {
                            step: $step,
                            created,
                            source,
                        });
                    }
                }
            }};
        }

        let new_definition = step!(
            Step::Definition,
            names.workflow.clone(),
            self.ensure_definition(&names.workflow).await
        );
        if new_definition {
            created.push(format!("workflow definition {}", names.workflow));
        }
        progress(Progress::Done(
            Step::Definition,
            if new_definition { "created" } else { "exists" }.to_owned(),
        ));

        let image = match &request.image {
            Image::Prebuilt(uri) => uri.clone(),
            Image::Build { dir, tool } => {
                let (uri, new_repository) = step!(
                    Step::Repository,
                    names.repository.clone(),
                    self.ensure_repository(&names.repository).await
                );
                if new_repository {
                    created.push(format!("image repository {}", names.repository));
                }
                progress(Progress::Done(
                    Step::Repository,
                    if new_repository { "created" } else { "exists" }.to_owned(),
                ));
                let tag = format!(
                    "{uri}:{}",
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs())
                );
                step!(
                    Step::Build,
                    format!("{} for linux/arm64", dir.display()),
                    run_tool(
                        tool,
                        &[
                            "build",
                            "--platform",
                            "linux/arm64",
                            "-t",
                            &tag,
                            &dir.display().to_string()
                        ],
                        None
                    )
                    .await
                );
                progress(Progress::Done(Step::Build, tag.clone()));
                step!(Step::Login, uri.clone(), self.login(tool).await);
                progress(Progress::Done(Step::Login, "logged in".to_owned()));
                step!(
                    Step::Push,
                    tag.clone(),
                    run_tool(tool, &["push", &tag], None).await
                );
                progress(Progress::Done(Step::Push, "pushed".to_owned()));
                tag
            }
        };

        let role_arn = match &request.execution_role_arn {
            Some(arn) => {
                progress(Progress::Started(Step::Role, arn.clone()));
                progress(Progress::Done(Step::Role, "given".to_owned()));
                arn.clone()
            }
            None => {
                let new_role = step!(
                    Step::Role,
                    names.role.clone(),
                    self.ensure_role(names, request.remote_browser).await
                );
                if new_role {
                    created.push(format!("execution role {}", names.role));
                }
                progress(Progress::Done(
                    Step::Role,
                    if new_role { "created" } else { "updated" }.to_owned(),
                ));
                self.role_arn(names)
            }
        };

        let (runtime_id, runtime_arn, new_runtime) = step!(
            Step::Runtime,
            names.runtime.clone(),
            self.put_runtime(names, &image, &role_arn, &request.env)
                .await
        );
        if new_runtime {
            created.push(format!("runtime {}", names.runtime));
        }
        progress(Progress::Done(
            Step::Runtime,
            if new_runtime { "created" } else { "updated" }.to_owned(),
        ));
        step!(
            Step::Ready,
            names.runtime.clone(),
            self.wait_ready(&runtime_id).await
        );
        progress(Progress::Done(Step::Ready, "READY".to_owned()));
        Ok(Deployed {
            runtime_arn,
            runtime_id,
            image,
            role_arn,
            created: new_runtime,
        })
    }

    /// Creates the workflow definition; true when it was new (a Conflict means it exists).
    async fn ensure_definition(&self, name: &str) -> Result<bool, AgentCoreError> {
        let created = self
            .nova
            .create_workflow_definition(CreateWorkflowDefinitionInput {
                name: name.to_owned(),
                description: Some("deployed to AgentCore Runtime by nova-act".to_owned()),
                ..Default::default()
            })
            .await;
        match created {
            Ok(_) => Ok(true),
            Err(nova_act_core::Error::Conflict { .. }) => Ok(false),
            Err(err) => Err(AgentCoreError::NovaAct(Box::new(err))),
        }
    }

    /// The repository's URI, and whether it was created.
    async fn ensure_repository(&self, name: &str) -> Result<(String, bool), AgentCoreError> {
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
    async fn login(&self, tool: &Path) -> Result<(), AgentCoreError> {
        let token = self
            .aws
            .json(
                &self.ecr,
                &ecr("GetAuthorizationToken", &json!({}), Retry::Safe),
            )
            .await
            .map_err(|err| failed("ecr:GetAuthorizationToken", err))?;
        let data = token.pointer("/authorizationData/0").ok_or_else(|| {
            AgentCoreError::InvalidDeployment {
                message: "ECR gave no authorization data".to_owned(),
            }
        })?;
        let text = |name: &str| data[name].as_str().unwrap_or_default();
        let decoded = decode_base64(text("authorizationToken")).ok_or_else(|| {
            AgentCoreError::InvalidDeployment {
                message: "ECR's authorization token is not base64".to_owned(),
            }
        })?;
        let (user, password) =
            decoded
                .split_once(':')
                .ok_or_else(|| AgentCoreError::InvalidDeployment {
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
    async fn ensure_role(
        &self,
        names: &DeployNames,
        remote_browser: bool,
    ) -> Result<bool, AgentCoreError> {
        let trust = execution_trust_policy(&self.region, &self.account).to_string();
        let policy =
            execution_role_policy(names, &self.region, &self.account, remote_browser).to_string();
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
    pub async fn find(&self, names: &DeployNames) -> Result<Option<FoundRuntime>, AgentCoreError> {
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
    async fn put_runtime(
        &self,
        names: &DeployNames,
        image: &str,
        role_arn: &str,
        env: &[(String, String)],
    ) -> Result<(String, String, bool), AgentCoreError> {
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
    async fn wait_ready(&self, id: &str) -> Result<(), AgentCoreError> {
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
                    return Err(AgentCoreError::RuntimeFailed {
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
                return Err(AgentCoreError::InvalidDeployment {
                    message: format!(
                        "the runtime is still {status} after {}s; see it with GetAgentRuntime",
                        self.patience.as_secs()
                    ),
                });
            }
            tokio::time::sleep(self.poll).await;
        }
    }
}

/// The answer of an invoked runtime, read as it arrives.
#[derive(Debug)]
pub struct Invoked {
    /// Its content type: `application/json`, or `text/event-stream` for a stream of events.
    pub content_type: String,
    body: reqwest::Response,
}

impl Invoked {
    /// The next part of the answer, as the runtime sent it; `None` at the end.
    pub async fn next_chunk(&mut self) -> Option<Result<Vec<u8>, AgentCoreError>> {
        self.body
            .chunk()
            .await
            .map_err(|err| AgentCoreError::Unreachable {
                action: "InvokeAgentRuntime",
                source: Box::new(err),
            })
            .map(|chunk| chunk.map(|bytes| bytes.to_vec()))
            .transpose()
    }
}

/// The shortest runtime session id AgentCore accepts.
pub const MIN_SESSION_ID: usize = 33;

/// A fresh runtime session id: a UUID, 36 characters.
pub fn new_session_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Deployer {
    /// Invokes the runtime `arn` with `payload` in runtime session `session_id` (at least 33
    /// characters; invocations of one session reach the same container).
    pub async fn invoke(
        &self,
        arn: &str,
        session_id: &str,
        payload: Vec<u8>,
    ) -> Result<Invoked, AgentCoreError> {
        if session_id.chars().count() < MIN_SESSION_ID {
            return Err(AgentCoreError::InvalidDeployment {
                message: format!(
                    "the runtime session id `{session_id}` is too short: AgentCore takes \
                     {MIN_SESSION_ID} to 256 characters (a UUID has 36)"
                ),
            });
        }
        let path = format!("/runtimes/{}/invocations", encode(arn));
        let call = Call::new(Method::POST, path, Retry::OnlyIfUnsent)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("x-amzn-bedrock-agentcore-runtime-session-id", session_id)
            .body(payload)
            .streaming();
        let answer = self
            .aws
            .send(&self.runtime, &call)
            .await
            .map_err(|err| failed("bedrock-agentcore:InvokeAgentRuntime", err))?;
        let content_type = answer
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json")
            .to_owned();
        Ok(Invoked {
            content_type,
            body: answer,
        })
    }

    /// Removes the workflow's runtime, and with `everything` its execution role and image
    /// repository too (images included); returns what was removed.
    pub async fn undeploy(
        &self,
        names: &DeployNames,
        everything: bool,
    ) -> Result<Vec<String>, AgentCoreError> {
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

/// Runs the container tool; its last lines of output explain a failure. `input` goes to its
/// standard input (a password, never an argument: arguments show in `ps`).
async fn run_tool(tool: &Path, args: &[&str], input: Option<&str>) -> Result<(), AgentCoreError> {
    let mut command = tokio::process::Command::new(tool);
    command
        .args(args)
        .stdin(if input.is_some() {
            std::process::Stdio::piped()
        } else {
            std::process::Stdio::null()
        })
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let shown = format!("{} {}", tool.display(), args.first().unwrap_or(&""));
    let mut child = command.spawn().map_err(|err| AgentCoreError::Tool {
        command: shown.clone(),
        output: err.to_string(),
    })?;
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        let _ = stdin.write_all(text.as_bytes()).await;
    }
    let output = child
        .wait_with_output()
        .await
        .map_err(|err| AgentCoreError::Tool {
            command: shown.clone(),
            output: err.to_string(),
        })?;
    if output.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = text.lines().rev().take(10).collect();
    Err(AgentCoreError::Tool {
        command: shown,
        output: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
    })
}

/// Standard base64 (ECR's authorization token).
fn decode_base64(text: &str) -> Option<String> {
    let mut bits: u32 = 0;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in text.trim().bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xff).ok()?);
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_tokens_decode() {
        assert_eq!(
            decode_base64("QVdTOnNlY3JldA==").as_deref(),
            Some("AWS:secret")
        );
        assert_eq!(decode_base64("QVdTOnM=").as_deref(), Some("AWS:s"));
        assert_eq!(decode_base64("not base64!"), None);
    }
}
