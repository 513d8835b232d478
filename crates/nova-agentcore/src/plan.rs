//! What deploying a workflow to AgentCore Runtime creates, named and scoped: the runtime, the
//! execution role, the image repository, and the IAM policies of the deploying user and of the
//! role. Pure functions: the CLI's `workflow deploy` calls AWS with them.

use nova_act_core::iam::{PolicyScope, Tier, policy};
use serde_json::{Value, json};

use crate::error::RuntimeError;
use crate::iam::BROWSER_ACTIONS;

/// The prefix of every execution role and image repository a deploy creates, so one policy
/// (`role/nova-act-*`, `repository/nova-act/*`) covers them all and nothing else.
pub const NAME_PREFIX: &str = "nova-act";
/// The tag that records which workflow a runtime serves.
pub const WORKFLOW_TAG: &str = "nova-act-workflow-definition-v1";

/// The names of what a deploy of one workflow creates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeployNames {
    /// The workflow (and its Nova Act workflow definition).
    pub workflow: String,
    /// The AgentCore runtime: the workflow's name with `-` as `_`
    /// (`[a-zA-Z][a-zA-Z0-9_]{0,47}`).
    pub runtime: String,
    /// The execution role: `nova-act-<workflow>-role` (IAM allows 64 characters).
    pub role: String,
    /// The ECR repository: `nova-act/<workflow, lower case>`.
    pub repository: String,
}

impl DeployNames {
    /// The names for `workflow`, or why the runtime's or IAM's name rules cannot hold it:
    /// checked before any AWS call.
    ///
    /// ```
    /// let names = nova_agentcore::DeployNames::new("price-watch")?;
    /// assert_eq!(names.runtime, "price_watch");
    /// assert_eq!(names.role, "nova-act-price-watch-role");
    /// assert_eq!(names.repository, "nova-act/price-watch");
    /// assert!(nova_agentcore::DeployNames::new("9lives").is_err());
    /// # Ok::<(), nova_agentcore::RuntimeError>(())
    /// ```
    pub fn new(workflow: &str) -> Result<Self, RuntimeError> {
        let refuse = |why: &str| RuntimeError::InvalidDeployment {
            message: format!("the workflow name `{workflow}` cannot be deployed: {why}"),
        };
        if workflow.is_empty()
            || !workflow
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(refuse(
                "use letters, digits, `-` and `_` (a Nova Act workflow definition name)",
            ));
        }
        if !workflow.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(refuse(
                "an AgentCore runtime name must start with a letter ([a-zA-Z][a-zA-Z0-9_]{0,47})",
            ));
        }
        if workflow.len() > 48 {
            return Err(refuse(
                "an AgentCore runtime name holds 48 characters at most",
            ));
        }
        let role = format!("{NAME_PREFIX}-{workflow}-role");
        if role.len() > 64 {
            return Err(refuse(&format!(
                "the execution role `{role}` would pass IAM's 64-character limit"
            )));
        }
        Ok(Self {
            workflow: workflow.to_owned(),
            runtime: workflow.replace('-', "_"),
            role,
            repository: format!("{NAME_PREFIX}/{}", workflow.to_ascii_lowercase()),
        })
    }
}

fn or_any(value: Option<&str>) -> &str {
    value.unwrap_or("*")
}

/// The actions a deploy, an invoke and an undeploy call on AgentCore Runtime.
pub const RUNTIME_ACTIONS: [&str; 6] = [
    "bedrock-agentcore:CreateAgentRuntime",
    "bedrock-agentcore:UpdateAgentRuntime",
    "bedrock-agentcore:GetAgentRuntime",
    "bedrock-agentcore:ListAgentRuntimes",
    "bedrock-agentcore:DeleteAgentRuntime",
    "bedrock-agentcore:InvokeAgentRuntime",
];

/// The image repository actions of a build's push (and of an undeploy's delete).
pub const REPOSITORY_ACTIONS: [&str; 9] = [
    "ecr:CreateRepository",
    "ecr:DescribeRepositories",
    "ecr:DeleteRepository",
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
    "ecr:BatchGetImage",
];

/// The execution role actions of a deploy (and of an undeploy's delete).
pub const ROLE_ACTIONS: [&str; 6] = [
    "iam:CreateRole",
    "iam:GetRole",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:DeleteRole",
];

/// What the deploying user needs (`nova-act permissions --for deploy`): the `manage` tier of
/// Nova Act (the definition is created), the image repositories `nova-act/*`, the execution
/// roles `nova-act-*` (and passing them to AgentCore only), and the runtime actions.
pub fn deploy_policy(region: Option<&str>, account: Option<&str>) -> Value {
    let manage = policy(&PolicyScope {
        tier: Tier::Manage,
        workflow: None,
        region: region.map(str::to_owned),
        account: account.map(str::to_owned),
        partition: None,
    });
    let (r, a) = (or_any(region), or_any(account));
    let mut statements = manage["Statement"].as_array().cloned().unwrap_or_default();
    statements.extend([
        json!({
            "Sid": "NovaActDeployRepositories",
            "Effect": "Allow",
            "Action": REPOSITORY_ACTIONS,
            "Resource": [format!("arn:aws:ecr:{r}:{a}:repository/{NAME_PREFIX}/*")],
        }),
        json!({
            "Sid": "NovaActDeployRegistryLogin",
            "Effect": "Allow",
            "Action": ["ecr:GetAuthorizationToken"],
            "Resource": ["*"],
        }),
        json!({
            "Sid": "NovaActDeployExecutionRoles",
            "Effect": "Allow",
            "Action": ROLE_ACTIONS,
            "Resource": [format!("arn:aws:iam::{a}:role/{NAME_PREFIX}-*")],
        }),
        json!({
            "Sid": "NovaActDeployPassRole",
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": [format!("arn:aws:iam::{a}:role/{NAME_PREFIX}-*")],
            "Condition": {"StringEquals": {"iam:PassedToService": "bedrock-agentcore.amazonaws.com"}},
        }),
        json!({
            "Sid": "NovaActDeployRuntimes",
            "Effect": "Allow",
            "Action": RUNTIME_ACTIONS,
            "Resource": [
                format!("arn:aws:bedrock-agentcore:{r}:{a}:runtime/*"),
                format!("arn:aws:bedrock-agentcore:{r}:{a}:*"),
            ],
        }),
    ]);
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// The execution role's trust policy: AgentCore, for this account's runtimes in `region` only.
pub fn execution_trust_policy(region: &str, account: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AgentCoreRuntime",
            "Effect": "Allow",
            "Principal": {"Service": "bedrock-agentcore.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account},
                "ArnLike": {"aws:SourceArn": format!("arn:aws:bedrock-agentcore:{region}:{account}:*")},
            },
        }],
    })
}

/// The execution role's permissions: the `run` tier for this workflow's definition, pulling
/// its image, writing its logs, with `remote_browser` the AgentCore Browser actions, and with
/// `api_key_store` the reads of the store that holds the API key.
pub fn execution_role_policy(
    names: &DeployNames,
    region: &str,
    account: &str,
    remote_browser: bool,
    api_key_store: Option<&nova_auth::ApiKeyStore>,
) -> Value {
    let run = policy(&PolicyScope {
        tier: Tier::Run,
        workflow: Some(names.workflow.clone()),
        region: Some(region.to_owned()),
        account: Some(account.to_owned()),
        partition: None,
    });
    let mut statements = run["Statement"].as_array().cloned().unwrap_or_default();
    statements.extend([
        json!({
            "Sid": "PullImage",
            "Effect": "Allow",
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Resource": [format!("arn:aws:ecr:{region}:{account}:repository/{}", names.repository)],
        }),
        json!({
            "Sid": "RegistryLogin",
            "Effect": "Allow",
            "Action": ["ecr:GetAuthorizationToken"],
            "Resource": ["*"],
        }),
        json!({
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogStreams",
            ],
            "Resource": [format!(
                "arn:aws:logs:{region}:{account}:log-group:/aws/bedrock-agentcore/runtimes/*"
            )],
        }),
    ]);
    if remote_browser {
        statements.push(json!({
            "Sid": "RemoteBrowser",
            "Effect": "Allow",
            "Action": BROWSER_ACTIONS,
            "Resource": [format!("arn:aws:bedrock-agentcore:{region}:{account}:browser/*")],
        }));
    }
    if let Some(store) = api_key_store {
        statements.extend(store.policy_statements(region, account));
    }
    json!({ "Version": "2012-10-17", "Statement": statements })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_rules_of_the_runtime_and_iam() {
        let names = DeployNames::new("Shop_watch-2").unwrap();
        assert_eq!(names.runtime, "Shop_watch_2");
        assert_eq!(names.repository, "nova-act/shop_watch-2");
        let longest = "a".repeat(48);
        assert!(DeployNames::new(&longest).is_ok());
        for bad in ["", "-x", "_x", "9x", "a b", "a.b", &"a".repeat(49)] {
            assert!(DeployNames::new(bad).is_err(), "{bad:?}");
        }
        insta::assert_snapshot!(DeployNames::new("2fast").unwrap_err().to_string(), @r"the workflow name `2fast` cannot be deployed: an AgentCore runtime name must start with a letter ([a-zA-Z][a-zA-Z0-9_]{0,47})");
    }

    #[test]
    fn the_role_policy_scopes_everything_to_the_workflow() {
        let names = DeployNames::new("price-watch").unwrap();
        let policy = execution_role_policy(&names, "us-east-1", "123456789012", true, None);
        insta::assert_snapshot!(serde_json::to_string_pretty(&policy).unwrap(), @r#"
        {
          "Statement": [
            {
              "Action": [
                "nova-act:CreateWorkflowRun",
                "nova-act:UpdateWorkflowRun",
                "nova-act:CreateSession",
                "nova-act:CreateAct",
                "nova-act:InvokeActStep",
                "nova-act:UpdateAct",
                "nova-act:GetWorkflowDefinition",
                "nova-act:GetWorkflowRun",
                "nova-act:ListWorkflowRuns",
                "nova-act:ListSessions",
                "nova-act:ListActs"
              ],
              "Effect": "Allow",
              "Resource": [
                "arn:aws:nova-act:us-east-1:123456789012:workflow-definition/price-watch",
                "arn:aws:nova-act:us-east-1:123456789012:workflow-definition/price-watch/workflow-run/*"
              ],
              "Sid": "NovaActRunWorkflows"
            },
            {
              "Action": [
                "nova-act:ListModels"
              ],
              "Effect": "Allow",
              "Resource": "*",
              "Sid": "NovaActListModels"
            },
            {
              "Action": [
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer"
              ],
              "Effect": "Allow",
              "Resource": [
                "arn:aws:ecr:us-east-1:123456789012:repository/nova-act/price-watch"
              ],
              "Sid": "PullImage"
            },
            {
              "Action": [
                "ecr:GetAuthorizationToken"
              ],
              "Effect": "Allow",
              "Resource": [
                "*"
              ],
              "Sid": "RegistryLogin"
            },
            {
              "Action": [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogStreams"
              ],
              "Effect": "Allow",
              "Resource": [
                "arn:aws:logs:us-east-1:123456789012:log-group:/aws/bedrock-agentcore/runtimes/*"
              ],
              "Sid": "Logs"
            },
            {
              "Action": [
                "bedrock-agentcore:StartBrowserSession",
                "bedrock-agentcore:GetBrowserSession",
                "bedrock-agentcore:ListBrowserSessions",
                "bedrock-agentcore:StopBrowserSession",
                "bedrock-agentcore:ConnectBrowserAutomationStream"
              ],
              "Effect": "Allow",
              "Resource": [
                "arn:aws:bedrock-agentcore:us-east-1:123456789012:browser/*"
              ],
              "Sid": "RemoteBrowser"
            }
          ],
          "Version": "2012-10-17"
        }
    "#);
        let trust = execution_trust_policy("us-east-1", "123456789012");
        insta::assert_snapshot!(serde_json::to_string_pretty(&trust).unwrap(), @r#"
        {
          "Statement": [
            {
              "Action": "sts:AssumeRole",
              "Condition": {
                "ArnLike": {
                  "aws:SourceArn": "arn:aws:bedrock-agentcore:us-east-1:123456789012:*"
                },
                "StringEquals": {
                  "aws:SourceAccount": "123456789012"
                }
              },
              "Effect": "Allow",
              "Principal": {
                "Service": "bedrock-agentcore.amazonaws.com"
              },
              "Sid": "AgentCoreRuntime"
            }
          ],
          "Version": "2012-10-17"
        }
    "#);
    }
}
