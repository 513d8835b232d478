//! Deploying a workflow to AgentCore Runtime with signed calls of ECR, IAM and the AgentCore
//! control plane, on nova-auth's credentials: the Nova Act workflow definition, the image repository, the image, the
//! execution role and the runtime, each step reported as it happens. What a deploy created is
//! named in its error when a later step fails, so nothing is orphaned silently.
//!
//! The runtime itself is the record of a deploy: it is found again by its name (and carries
//! the workflow in a tag), so `invoke` and `undeploy` ask the service rather than a local file
//! that could disagree with it.

use std::path::PathBuf;
use std::time::Duration;

use nova_act_core::Client as NovaActClient;
use nova_act_core::Retry;
use nova_auth::{Auth, Env};
use serde_json::Value;

use crate::aws::{AwsClient, Call, Failure, Protocol, Service, xml_text};
use crate::error::RuntimeError;
use crate::plan::DeployNames;

mod invoke;
mod resources;
mod tool;

pub use invoke::{Invoked, MIN_SESSION_ID, invoke_local, new_session_id};
pub use tool::container_tool;
use tool::run_tool;

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
    /// The store the runtime reads its API key from: its variable is set on the runtime and
    /// the role may read it, so no key travels in a payload, an image or the environment.
    pub api_key_store: Option<nova_auth::ApiKeyStore>,
}

impl DeployRequest {
    /// The runtime's environment: the variables given, and the one naming the key's store.
    pub fn runtime_env(&self) -> Vec<(String, String)> {
        let mut env = self.env.clone();
        if let Some(store) = &self.api_key_store {
            env.push((store.variable().to_owned(), store.id().to_owned()));
        }
        env
    }
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
    pub source: RuntimeError,
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

/// A deploy's steps as they are reported, and what they created so far.
struct Report<'a> {
    progress: &'a (dyn Fn(Progress) + Send + Sync),
    created: Vec<String>,
}

impl Report<'_> {
    /// `step` failed: the deploy's error, naming what was created before it.
    fn failed(&mut self, step: Step, source: RuntimeError) -> DeployError {
        DeployError {
            step,
            created: std::mem::take(&mut self.created),
            source,
        }
    }

    /// `step` made `name` (`new`) or found it: reported as `created`, or as `updated` or
    /// `exists` by whether the step changes what it finds; remembered when made.
    fn done(&mut self, step: Step, new: bool, name: &str) {
        if new {
            self.created.push(format!("{} {name}", step.label()));
        }
        let word = match (new, step) {
            (true, _) => "created",
            (false, Step::Role | Step::Runtime) => "updated",
            (false, _) => "exists",
        };
        (self.progress)(Progress::Done(step, word.to_owned()));
    }
}

/// A refused call of a deploy names its action (`iam:CreateRole`); anything else is said as
/// the service said it.
fn failed(action: &'static str, failure: Failure) -> RuntimeError {
    failure.into_runtime_error(action)
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
    pub async fn new(auth: &Auth, nova: &NovaActClient, env: &Env) -> Result<Self, RuntimeError> {
        let region = auth.region().name().to_owned();
        let allow_http = env.allows_http();
        // The endpoint a service's variable (else `AWS_ENDPOINT_URL`) names, under the rule of
        // every call that carries credentials: no cleartext beyond loopback.
        let endpoint = |var: &str| -> Result<Option<String>, RuntimeError> {
            let url = env.get(var).or_else(|| env.get("AWS_ENDPOINT_URL"));
            if let Some(url) = &url {
                nova_act_core::endpoint::transport(url, allow_http).map_err(|err| {
                    RuntimeError::InvalidDeployment {
                        message: err.to_string(),
                    }
                })?;
            }
            Ok(url)
        };
        let aws = AwsClient::new(auth).map_err(|err| failed("an HTTP client", err))?;
        let regional = |host: &str, name: &'static str, var: &str| {
            Ok::<_, RuntimeError>(Service::regional(
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
            .map_err(RuntimeError::Credentials)?
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
                xml_text(&answer, "Account").ok_or_else(|| RuntimeError::InvalidDeployment {
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
        let mut report = Report {
            progress,
            created: Vec::new(),
        };
        let names = &request.names;
        macro_rules! step {
            ($step:expr, $detail:expr, $body:expr) => {{
                (report.progress)(Progress::Started($step, $detail));
                match $body {
                    Ok(value) => value,
                    Err(source) => return Err(report.failed($step, source)),
                }
            }};
        }

        let new_definition = step!(
            Step::Definition,
            names.workflow.clone(),
            self.ensure_definition(&names.workflow).await
        );
        report.done(Step::Definition, new_definition, &names.workflow);

        let image = match &request.image {
            Image::Prebuilt(uri) => uri.clone(),
            Image::Build { dir, tool } => {
                let (uri, new_repository) = step!(
                    Step::Repository,
                    names.repository.clone(),
                    self.ensure_repository(&names.repository).await
                );
                report.done(Step::Repository, new_repository, &names.repository);
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
                (report.progress)(Progress::Done(Step::Build, tag.clone()));
                step!(Step::Login, uri.clone(), self.login(tool).await);
                (report.progress)(Progress::Done(Step::Login, "logged in".to_owned()));
                step!(
                    Step::Push,
                    tag.clone(),
                    run_tool(tool, &["push", &tag], None).await
                );
                (report.progress)(Progress::Done(Step::Push, "pushed".to_owned()));
                tag
            }
        };

        let role_arn = match &request.execution_role_arn {
            Some(arn) => {
                (report.progress)(Progress::Started(Step::Role, arn.clone()));
                (report.progress)(Progress::Done(Step::Role, "given".to_owned()));
                arn.clone()
            }
            None => {
                let new_role = step!(
                    Step::Role,
                    names.role.clone(),
                    self.ensure_role(
                        names,
                        request.remote_browser,
                        request.api_key_store.as_ref()
                    )
                    .await
                );
                report.done(Step::Role, new_role, &names.role);
                self.role_arn(names)
            }
        };

        let (runtime_id, runtime_arn, new_runtime) = step!(
            Step::Runtime,
            names.runtime.clone(),
            self.put_runtime(names, &image, &role_arn, &request.runtime_env())
                .await
        );
        report.done(Step::Runtime, new_runtime, &names.runtime);
        step!(
            Step::Ready,
            names.runtime.clone(),
            self.wait_ready(&runtime_id).await
        );
        (report.progress)(Progress::Done(Step::Ready, "READY".to_owned()));
        Ok(Deployed {
            runtime_arn,
            runtime_id,
            image,
            role_arn,
            created: new_runtime,
        })
    }
}
