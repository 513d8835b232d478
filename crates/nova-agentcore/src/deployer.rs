//! Deploying a workflow to AgentCore Runtime with the AWS SDK crates, on nova-auth's
//! credentials: the Nova Act workflow definition, the image repository, the image, the
//! execution role and the runtime, each step reported as it happens. What a deploy created is
//! named in its error when a later step fails, so nothing is orphaned silently.
//!
//! The runtime itself is the record of a deploy: it is found again by its name (and carries
//! the workflow in a tag), so `invoke` and `undeploy` ask the service rather than a local file
//! that could disagree with it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_sdk_bedrockagentcorecontrol::types::{
    AgentRuntimeArtifact, AgentRuntimeStatus, ContainerConfiguration, NetworkConfiguration,
    NetworkMode,
};
use nova_act_core::Client as NovaActClient;
use nova_act_core::model::CreateWorkflowDefinitionInput;
use nova_auth::{Auth, Env, IntoAwsProvider};
use tokio::io::AsyncWriteExt;

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
    ecr: aws_sdk_ecr::Client,
    iam: aws_sdk_iam::Client,
    control: aws_sdk_bedrockagentcorecontrol::Client,
    runtime: aws_sdk_bedrockagentcore::Client,
    region: String,
    account: String,
    poll: Duration,
    patience: Duration,
}

/// A refused call of a deploy names its action (`iam:CreateRole`); anything else is said as
/// the service said it.
fn sdk_failure<E, R>(
    action: &'static str,
    err: aws_sdk_bedrockagentcore::error::SdkError<E, R>,
) -> AgentCoreError
where
    E: aws_sdk_bedrockagentcore::error::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if let Some(service) = err.as_service_error()
        && matches!(
            service.code(),
            Some("AccessDenied" | "AccessDeniedException")
        )
    {
        return AgentCoreError::DeployDenied {
            action,
            message: service.message().unwrap_or("access denied").to_owned(),
        };
    }
    let short = action.split_once(':').map_or(action, |(_, name)| name);
    AgentCoreError::from_sdk(short, err)
}

impl Deployer {
    /// A deployer for `auth`'s account and region, creating the workflow definition with
    /// `nova`. The endpoints follow `env` (`AWS_ENDPOINT_URL_ECR`, `AWS_ENDPOINT_URL_IAM`,
    /// `AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL`, then `AWS_ENDPOINT_URL`), as the AWS SDKs
    /// do, under the cleartext rule of every Nova Act call. The account is the credentials' own
    /// when they name it, else STS GetCallerIdentity's answer (`AWS_ENDPOINT_URL_STS`).
    pub async fn new(auth: &Auth, nova: &NovaActClient, env: &Env) -> Result<Self, AgentCoreError> {
        let region = auth.region().name().to_owned();
        let provider = IntoAwsProvider::new(auth.clone()).into_shared();
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
        let region_value = aws_types::region::Region::new(region.clone());
        // One AWS SDK client: the region, nova-auth's credentials, the endpoint of `$var`.
        macro_rules! client {
            ($sdk:ident, $var:expr) => {{
                let mut config = $sdk::Config::builder()
                    .behavior_version($sdk::config::BehaviorVersion::latest())
                    .region(region_value.clone())
                    .credentials_provider(provider.clone());
                if let Some(url) = endpoint($var)? {
                    config = config.endpoint_url(url);
                }
                $sdk::Client::from_conf(config.build())
            }};
        }
        let known = auth
            .identity()
            .await
            .map_err(AgentCoreError::Credentials)?
            .account_id;
        let account = match known {
            Some(account) => account,
            None => {
                let answer = client!(aws_sdk_sts, "AWS_ENDPOINT_URL_STS")
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(|err| sdk_failure("sts:GetCallerIdentity", err))?;
                answer.account().map(str::to_owned).ok_or_else(|| {
                    AgentCoreError::InvalidDeployment {
                        message: "STS did not name the credentials' account".to_owned(),
                    }
                })?
            }
        };
        Ok(Self {
            nova: nova.clone(),
            ecr: client!(aws_sdk_ecr, "AWS_ENDPOINT_URL_ECR"),
            iam: client!(aws_sdk_iam, "AWS_ENDPOINT_URL_IAM"),
            control: client!(
                aws_sdk_bedrockagentcorecontrol,
                "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL"
            ),
            runtime: client!(aws_sdk_bedrockagentcore, crate::sessions::ENDPOINT_VAR),
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
        let found = self
            .ecr
            .describe_repositories()
            .repository_names(name)
            .send()
            .await;
        match found {
            Ok(found) => {
                if let Some(uri) = found
                    .repositories()
                    .first()
                    .and_then(|r| r.repository_uri())
                {
                    return Ok((uri.to_owned(), false));
                }
            }
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_repository_not_found_exception()) => {}
            Err(err) => return Err(sdk_failure("ecr:DescribeRepositories", err)),
        }
        let made = self
            .ecr
            .create_repository()
            .repository_name(name)
            .send()
            .await
            .map_err(|err| sdk_failure("ecr:CreateRepository", err))?;
        let uri = made
            .repository()
            .and_then(|r| r.repository_uri())
            .unwrap_or_default()
            .to_owned();
        Ok((uri, true))
    }

    /// Logs `tool` in to the account's registry (the password goes on its standard input).
    async fn login(&self, tool: &Path) -> Result<(), AgentCoreError> {
        let token = self
            .ecr
            .get_authorization_token()
            .send()
            .await
            .map_err(|err| sdk_failure("ecr:GetAuthorizationToken", err))?;
        let data = token.authorization_data().first().ok_or_else(|| {
            AgentCoreError::InvalidDeployment {
                message: "ECR gave no authorization data".to_owned(),
            }
        })?;
        let decoded =
            decode_base64(data.authorization_token().unwrap_or_default()).ok_or_else(|| {
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
        let endpoint = data.proxy_endpoint().unwrap_or_default().to_owned();
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
        let existing = self.iam.get_role().role_name(&names.role).send().await;
        let created = match existing {
            Ok(_) => {
                self.iam
                    .update_assume_role_policy()
                    .role_name(&names.role)
                    .policy_document(&trust)
                    .send()
                    .await
                    .map_err(|err| sdk_failure("iam:UpdateAssumeRolePolicy", err))?;
                false
            }
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_no_such_entity_exception()) =>
            {
                self.iam
                    .create_role()
                    .role_name(&names.role)
                    .assume_role_policy_document(&trust)
                    .description(format!(
                        "AgentCore Runtime execution role of Nova Act workflow {}",
                        names.workflow
                    ))
                    .send()
                    .await
                    .map_err(|err| sdk_failure("iam:CreateRole", err))?;
                true
            }
            Err(err) => return Err(sdk_failure("iam:GetRole", err)),
        };
        self.iam
            .put_role_policy()
            .role_name(&names.role)
            .policy_name(ROLE_POLICY_NAME)
            .policy_document(policy)
            .send()
            .await
            .map_err(|err| sdk_failure("iam:PutRolePolicy", err))?;
        Ok(created)
    }

    /// The runtime serving `names.workflow`, when one is deployed.
    pub async fn find(&self, names: &DeployNames) -> Result<Option<FoundRuntime>, AgentCoreError> {
        let mut token = None;
        loop {
            let page = self
                .control
                .list_agent_runtimes()
                .set_next_token(token)
                .send()
                .await
                .map_err(|err| sdk_failure("bedrock-agentcore:ListAgentRuntimes", err))?;
            if let Some(found) = page
                .agent_runtimes()
                .iter()
                .find(|r| r.agent_runtime_name() == names.runtime)
            {
                return Ok(Some(FoundRuntime {
                    arn: found.agent_runtime_arn().to_owned(),
                    id: found.agent_runtime_id().to_owned(),
                    status: found.status().as_str().to_owned(),
                }));
            }
            token = page.next_token().map(str::to_owned);
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
        let artifact = AgentRuntimeArtifact::ContainerConfiguration(
            ContainerConfiguration::builder()
                .container_uri(image)
                .build()
                .map_err(|err| AgentCoreError::InvalidDeployment {
                    message: err.to_string(),
                })?,
        );
        let network = NetworkConfiguration::builder()
            .network_mode(NetworkMode::Public)
            .build()
            .map_err(|err| AgentCoreError::InvalidDeployment {
                message: err.to_string(),
            })?;
        let variables: std::collections::HashMap<String, String> = env.iter().cloned().collect();
        if let Some(found) = self.find(names).await? {
            let updated = self
                .control
                .update_agent_runtime()
                .agent_runtime_id(&found.id)
                .agent_runtime_artifact(artifact)
                .role_arn(role_arn)
                .network_configuration(network)
                .set_environment_variables(Some(variables))
                .send()
                .await
                .map_err(|err| sdk_failure("bedrock-agentcore:UpdateAgentRuntime", err))?;
            return Ok((
                updated.agent_runtime_id().to_owned(),
                updated.agent_runtime_arn().to_owned(),
                false,
            ));
        }
        let created = self
            .control
            .create_agent_runtime()
            .agent_runtime_name(&names.runtime)
            .agent_runtime_artifact(artifact)
            .role_arn(role_arn)
            .network_configuration(network)
            .set_environment_variables(Some(variables))
            .tags(WORKFLOW_TAG, &names.workflow)
            .send()
            .await
            .map_err(|err| sdk_failure("bedrock-agentcore:CreateAgentRuntime", err))?;
        Ok((
            created.agent_runtime_id().to_owned(),
            created.agent_runtime_arn().to_owned(),
            true,
        ))
    }

    /// Waits until the runtime is READY; a failed create or update is an error with the
    /// service's reason.
    async fn wait_ready(&self, id: &str) -> Result<(), AgentCoreError> {
        let started = tokio::time::Instant::now();
        loop {
            let got = self
                .control
                .get_agent_runtime()
                .agent_runtime_id(id)
                .send()
                .await
                .map_err(|err| sdk_failure("bedrock-agentcore:GetAgentRuntime", err))?;
            match got.status() {
                AgentRuntimeStatus::Ready => return Ok(()),
                AgentRuntimeStatus::CreateFailed | AgentRuntimeStatus::UpdateFailed => {
                    return Err(AgentCoreError::RuntimeFailed {
                        status: got.status().as_str().to_owned(),
                        reason: got
                            .failure_reason()
                            .unwrap_or("the service gave no reason")
                            .to_owned(),
                    });
                }
                _ => {}
            }
            if started.elapsed() >= self.patience {
                return Err(AgentCoreError::InvalidDeployment {
                    message: format!(
                        "the runtime is still {} after {}s; see it with GetAgentRuntime",
                        got.status().as_str(),
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
    body: aws_sdk_bedrockagentcore::primitives::ByteStream,
}

impl Invoked {
    /// The next part of the answer, as the runtime sent it; `None` at the end.
    pub async fn next_chunk(&mut self) -> Option<Result<Vec<u8>, AgentCoreError>> {
        self.body.next().await.map(|chunk| {
            chunk
                .map(|bytes| bytes.to_vec())
                .map_err(|err| AgentCoreError::Unreachable {
                    action: "InvokeAgentRuntime",
                    source: Box::new(err),
                })
        })
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
        let answer = self
            .runtime
            .invoke_agent_runtime()
            .agent_runtime_arn(arn)
            .runtime_session_id(session_id)
            .content_type("application/json")
            .accept("application/json, text/event-stream")
            .payload(aws_sdk_bedrockagentcore::primitives::Blob::new(payload))
            .send()
            .await
            .map_err(|err| sdk_failure("bedrock-agentcore:InvokeAgentRuntime", err))?;
        Ok(Invoked {
            content_type: answer.content_type,
            body: answer.response,
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
            self.control
                .delete_agent_runtime()
                .agent_runtime_id(&found.id)
                .send()
                .await
                .map_err(|err| sdk_failure("bedrock-agentcore:DeleteAgentRuntime", err))?;
            removed.push(format!("runtime {}", names.runtime));
        }
        if !everything {
            return Ok(removed);
        }
        let role = self
            .iam
            .delete_role_policy()
            .role_name(&names.role)
            .policy_name(ROLE_POLICY_NAME)
            .send()
            .await;
        let role_exists = match role {
            Ok(_) => true,
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_no_such_entity_exception()) =>
            {
                false
            }
            Err(err) => return Err(sdk_failure("iam:DeleteRolePolicy", err)),
        };
        if role_exists {
            self.iam
                .delete_role()
                .role_name(&names.role)
                .send()
                .await
                .map_err(|err| sdk_failure("iam:DeleteRole", err))?;
            removed.push(format!("execution role {}", names.role));
        }
        let repository = self
            .ecr
            .delete_repository()
            .repository_name(&names.repository)
            .force(true)
            .send()
            .await;
        match repository {
            Ok(_) => removed.push(format!("image repository {}", names.repository)),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_repository_not_found_exception()) => {}
            Err(err) => return Err(sdk_failure("ecr:DeleteRepository", err)),
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
