//! What the CLI adds to a library error: the `nova-act` command that fixes it. The libraries
//! say what is wrong in their own terms; only the CLI knows its commands.

use std::error::Error;

use nova_act::agentcore::RuntimeError;
use nova_act::iam::Tier;
use nova_act::runtime::WorkflowError;

/// The hint for the first error in `err`'s chain that a command fixes.
pub(crate) fn for_error(err: &(dyn Error + 'static)) -> Option<String> {
    let mut next = Some(err);
    while let Some(cause) = next {
        if let Some(hint) = for_layer(cause) {
            return Some(hint);
        }
        next = cause.source();
    }
    None
}

fn for_layer(err: &(dyn Error + 'static)) -> Option<String> {
    if let Some(nova_act::Error::AccessDenied { action, .. }) = err.downcast_ref() {
        let tier = Tier::needed_for(action).unwrap_or_default();
        return Some(format!(
            "`nova-act permissions --for {}` prints a policy that allows it",
            tier.as_str()
        ));
    }
    // `AuthError` shows its credentials error transparently: the chain skips it.
    let credentials = match err.downcast_ref() {
        Some(nova_act::AuthError::Credentials(inner)) => Some(inner),
        _ => err.downcast_ref(),
    };
    if let Some(nova_act::CredentialsError::StoreDenied { .. }) = credentials {
        return Some(
            "`nova-act permissions --for api-key-store` prints a policy that allows it".into(),
        );
    }
    if let Some(RuntimeError::AccessDenied { .. }) = err.downcast_ref() {
        return Some("`nova-act permissions --for deploy` prints a policy that allows it".into());
    }
    None
}

/// The hint for a workflow run's error: its definition missing, or its service error's (which
/// `WorkflowError` shows transparently, so the chain skips it).
pub(crate) fn for_workflow<E>(err: &WorkflowError<E>) -> Option<String> {
    match err {
        WorkflowError::Service(service) => for_error(service),
        WorkflowError::DefinitionMissing => {
            Some("`nova-act workflow create NAME` creates one".to_owned())
        }
        WorkflowError::DefinitionNotFound { name, region, .. } => Some(format!(
            "`nova-act workflow create {name} --region {region}` creates it; `nova-act workflow \
             list` lists those that exist"
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_deep_in_the_chain_gets_its_command() {
        let err = nova_act::agentcore::DeployError {
            step: nova_act::agentcore::Step::Role,
            created: Vec::new(),
            source: RuntimeError::AccessDenied {
                action: "iam:CreateRole",
                message: "not authorized".to_owned(),
            },
        };
        assert_eq!(
            for_error(&err).as_deref(),
            Some("`nova-act permissions --for deploy` prints a policy that allows it")
        );
        assert_eq!(for_error(&std::io::Error::other("disk full")), None);
    }

    #[test]
    fn a_missing_definition_is_created_with_workflow_create() {
        let err = WorkflowError::<std::io::Error>::DefinitionMissing;
        let hint = for_workflow(&err).unwrap();
        assert!(hint.contains("nova-act workflow create NAME"), "{hint}");
        assert!(!err.to_string().contains("nova-act "), "{err}");
    }
}
