//! Least-privilege IAM policies for what this SDK calls, in tiers.

use std::fmt;
use std::str::FromStr;

use serde_json::{Value, json};

/// The action on no particular resource.
pub const LIST_MODELS: &str = "nova-act:ListModels";

/// How much a policy allows. Each tier includes the one below it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Tier {
    /// Get and List only, and ListModels.
    Read,
    /// Run workflows under existing definitions: `read` and the runtime's actions.
    #[default]
    Run,
    /// Also create and delete definitions and delete runs.
    Manage,
}

impl Tier {
    /// Every tier, lowest first.
    pub const ALL: [Tier; 3] = [Tier::Read, Tier::Run, Tier::Manage];

    /// Its name, as `nova-act permissions --for` takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Run => "run",
            Self::Manage => "manage",
        }
    }

    /// The tier below, if any.
    pub fn below(self) -> Option<Tier> {
        match self {
            Self::Read => None,
            Self::Run => Some(Self::Read),
            Self::Manage => Some(Self::Run),
        }
    }

    /// The `nova-act:` actions this tier allows, ListModels included: every operation declared
    /// at this tier or below ([`crate::OPERATIONS`]), the highest tier's first.
    pub fn actions(self) -> Vec<String> {
        let mut actions = Vec::new();
        for tier in Self::ALL.into_iter().rev().filter(|tier| *tier <= self) {
            actions.extend(
                crate::OPERATIONS
                    .iter()
                    .filter(|op| op.tier == tier)
                    .map(|op| format!("nova-act:{}", op.name)),
            );
        }
        actions
    }

    /// The lowest tier that allows `action` (`nova-act:Name` or just `Name`).
    pub fn needed_for(action: &str) -> Option<Tier> {
        let action = action.strip_prefix("nova-act:").unwrap_or(action);
        crate::OPERATIONS
            .iter()
            .find(|op| op.name == action)
            .map(|op| op.tier)
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Tier {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|tier| tier.as_str() == text)
            .ok_or_else(|| format!("`{text}` is not a tier; expected read, run or manage"))
    }
}

/// What a policy is for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyScope {
    /// How much it allows (default `run`).
    pub tier: Tier,
    /// Only this workflow definition (every definition when `None`).
    pub workflow: Option<String>,
    /// The region in ARNs (`*` when `None`).
    pub region: Option<String>,
    /// The account in ARNs (`*` when `None`).
    pub account: Option<String>,
    /// The partition (`aws` when `None`).
    pub partition: Option<String>,
}

impl PolicyScope {
    fn base(&self) -> String {
        format!(
            "arn:{}:nova-act:{}:{}",
            self.partition.as_deref().unwrap_or("aws"),
            self.region.as_deref().unwrap_or("*"),
            self.account.as_deref().unwrap_or("*")
        )
    }

    /// The ARN of workflow definition `name` (`*` for any), as the service forms it.
    pub fn definition_arn(&self, name: &str) -> String {
        format!("{}:workflow-definition/{name}", self.base())
    }

    /// The ARN of run `run` (`*` for any) of definition `definition`, as the service forms it:
    /// runs live under their definition.
    pub fn run_arn(&self, definition: &str, run: &str) -> String {
        format!("{}/workflow-run/{run}", self.definition_arn(definition))
    }
}

/// A policy document (`Version` 2012-10-17) allowing what the SDK calls at `scope.tier`, on the
/// definitions in scope and their runs, and ListModels (which has no resource).
///
/// ```
/// use nova_act_core::iam::{PolicyScope, Tier, policy};
///
/// let doc = policy(&PolicyScope {
///     tier: Tier::Manage,
///     workflow: Some("nightly".into()),
///     ..Default::default()
/// });
/// assert_eq!(doc["Version"], "2012-10-17");
/// assert!(doc.to_string().contains("workflow-definition/nightly/workflow-run/*"));
/// assert!(doc.to_string().contains("nova-act:CreateWorkflowDefinition"));
/// ```
pub fn policy(scope: &PolicyScope) -> Value {
    let definition = scope.workflow.as_deref().unwrap_or("*");
    let resources = json!([
        scope.definition_arn(definition),
        scope.run_arn(definition, "*"),
    ]);
    let mut actions = scope.tier.actions();
    actions.retain(|a| a != LIST_MODELS);
    if scope.workflow.is_some() {
        // Listing definitions cannot be scoped to one definition.
        actions.retain(|a| *a != "nova-act:ListWorkflowDefinitions");
    }
    let sid = match scope.tier {
        Tier::Read => "NovaActReadWorkflows",
        Tier::Run => "NovaActRunWorkflows",
        Tier::Manage => "NovaActManageWorkflows",
    };
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": sid,
                "Effect": "Allow",
                "Action": actions,
                "Resource": resources,
            },
            {
                "Sid": "NovaActListModels",
                "Effect": "Allow",
                "Action": [LIST_MODELS],
                "Resource": "*",
            },
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tier_includes_the_one_below() {
        for tier in Tier::ALL {
            if let Some(below) = tier.below() {
                let (mine, lower) = (tier.actions(), below.actions());
                assert!(lower.iter().all(|a| mine.contains(a)), "{tier} ⊇ {below}");
                assert!(mine.len() > lower.len());
            }
        }
        assert_eq!(Tier::needed_for("ListModels"), Some(Tier::Read));
        assert_eq!(Tier::needed_for("nova-act:InvokeActStep"), Some(Tier::Run));
        assert_eq!(Tier::needed_for("DeleteWorkflowRun"), Some(Tier::Manage));
        assert_eq!(Tier::needed_for("Frobnicate"), None);
        assert_eq!("manage".parse(), Ok(Tier::Manage));
        assert!("admin".parse::<Tier>().is_err());
    }
}
