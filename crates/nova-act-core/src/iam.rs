//! Least-privilege IAM policies for what this SDK calls.

use serde_json::{Value, json};

/// The actions the workflow runtime calls: run, sessions, acts and steps.
pub const RUNTIME_ACTIONS: &[&str] = &[
    "nova-act:CreateWorkflowRun",
    "nova-act:UpdateWorkflowRun",
    "nova-act:CreateSession",
    "nova-act:CreateAct",
    "nova-act:InvokeActStep",
    "nova-act:UpdateAct",
];

/// The read-only actions: getting and listing.
pub const READ_ACTIONS: &[&str] = &[
    "nova-act:GetWorkflowDefinition",
    "nova-act:ListWorkflowDefinitions",
    "nova-act:GetWorkflowRun",
    "nova-act:ListWorkflowRuns",
    "nova-act:ListSessions",
    "nova-act:ListActs",
];

/// What a policy is for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyScope {
    /// Only this workflow definition (every definition when `None`).
    pub workflow: Option<String>,
    /// Only reads.
    pub read_only: bool,
    /// The region in ARNs (`*` when `None`).
    pub region: Option<String>,
    /// The account in ARNs (`*` when `None`).
    pub account: Option<String>,
    /// The partition (`aws` when `None`).
    pub partition: Option<String>,
}

/// A policy document (`Version` 2012-10-17) allowing what the SDK calls within `scope`:
/// running workflows (or only reading them), and listing models.
///
/// ```
/// use nova_act_core::iam::{PolicyScope, policy};
///
/// let doc = policy(&PolicyScope { workflow: Some("nightly".into()), ..Default::default() });
/// assert_eq!(doc["Version"], "2012-10-17");
/// assert!(doc.to_string().contains("workflow-definition/nightly"));
/// ```
pub fn policy(scope: &PolicyScope) -> Value {
    let partition = scope.partition.as_deref().unwrap_or("aws");
    let region = scope.region.as_deref().unwrap_or("*");
    let account = scope.account.as_deref().unwrap_or("*");
    let base = format!("arn:{partition}:nova-act:{region}:{account}");
    let definition = scope.workflow.as_deref().unwrap_or("*");
    let resources = json!([
        format!("{base}:workflow-definition/{definition}"),
        format!("{base}:workflow-definition/{definition}/workflow-run/*"),
        format!("{base}:workflow-run/*"),
    ]);
    let mut actions: Vec<&str> = Vec::new();
    if !scope.read_only {
        actions.extend(RUNTIME_ACTIONS);
    }
    actions.extend(READ_ACTIONS);
    if scope.workflow.is_some() {
        // Listing definitions cannot be scoped to one definition.
        actions.retain(|a| *a != "nova-act:ListWorkflowDefinitions");
    }
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": if scope.read_only { "NovaActReadWorkflows" } else { "NovaActRunWorkflows" },
                "Effect": "Allow",
                "Action": actions,
                "Resource": resources,
            },
            {
                "Sid": "NovaActListModels",
                "Effect": "Allow",
                "Action": ["nova-act:ListModels"],
                "Resource": "*",
            },
        ],
    })
}
