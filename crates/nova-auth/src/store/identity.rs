//! AgentCore Identity: `GetResourceApiKey` with a workload access token, which the runtime hands
//! each invocation, or `GetWorkloadAccessTokenForUserId` issues outside it.

use serde_json::json;

use super::call::{Answer, Endpoint};
use super::{Reader, Service, StorePermission};
use crate::env;
use crate::error::CredentialsError;
use crate::secret::Secret;

const AGENTCORE: Service = Service {
    signing_name: "bedrock-agentcore",
    endpoint_variable: "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE",
    host_prefix: "bedrock-agentcore",
};

pub(super) fn permissions(
    provider: &str,
    workload: Option<&str>,
    region: &str,
    account: &str,
) -> Vec<StorePermission> {
    let arn = |resource: String| format!("arn:aws:bedrock-agentcore:{region}:{account}:{resource}");
    let workload_arn = arn(format!(
        "workload-identity-directory/default/workload-identity/{}",
        workload.unwrap_or("*")
    ));
    vec![
        StorePermission {
            action: "bedrock-agentcore:GetResourceApiKey",
            resource: arn(format!(
                "token-vault/default/apikeycredentialprovider/{provider}"
            )),
        },
        StorePermission {
            action: "bedrock-agentcore:GetResourceApiKey",
            resource: workload_arn.clone(),
        },
        StorePermission {
            action: "secretsmanager:GetSecretValue",
            resource: format!(
                "arn:aws:secretsmanager:{region}:{account}:secret:bedrock-agentcore-identity!default/apikey/{provider}-*"
            ),
        },
        StorePermission {
            action: "bedrock-agentcore:GetWorkloadAccessTokenForUserId",
            resource: workload_arn,
        },
    ]
}

pub(super) async fn read(
    reader: &Reader<'_>,
    provider: &str,
    token: Option<&Secret>,
) -> Result<Secret, CredentialsError> {
    let store = reader.store;
    let endpoint = reader.endpoint(&AGENTCORE)?;
    let workload = reader.env.get(env::WORKLOAD_NAME);
    let needed = permissions(
        provider,
        workload.as_deref(),
        reader.region,
        reader.account(),
    );
    let token = match token
        .cloned()
        .or_else(|| reader.env.get(env::WORKLOAD_ACCESS_TOKEN).map(Secret::new))
    {
        Some(token) => token,
        None => issue_token(reader, &endpoint, workload.as_deref(), &needed[3]).await?,
    };
    let body = json!({
        "resourceCredentialProviderName": provider,
        "workloadIdentityToken": token.expose(),
    });
    let answer = match reader
        .send(&AGENTCORE, &endpoint, ("/identities/api-key", None), body)
        .await?
    {
        Answer::Ok(answer) => answer,
        Answer::Refused { name, message, .. } => {
            return Err(match name.as_str() {
                "AccessDeniedException" => reader.denied(needed[0].clone(), message),
                "ResourceNotFoundException" => CredentialsError::provider(
                    store,
                    format!(
                        "API-key credential provider {provider} does not exist in {}'s token \
                         vault; check {}",
                        reader.region,
                        env::API_KEY_AGENTCORE_PROVIDER
                    ),
                ),
                _ => CredentialsError::provider(
                    store,
                    format!("reading the key of provider {provider} failed ({name}): {message}"),
                ),
            });
        }
    };
    let Some(key) = answer["apiKey"].as_str() else {
        return Err(CredentialsError::provider(
            store,
            format!("provider {provider} answered without a key"),
        ));
    };
    Ok(Secret::new(key))
}

/// A workload access token for the workload and user the environment names.
async fn issue_token(
    reader: &Reader<'_>,
    endpoint: &Endpoint,
    workload: Option<&str>,
    permission: &StorePermission,
) -> Result<Secret, CredentialsError> {
    let store = reader.store;
    let (Some(workload), Some(user)) = (workload, reader.env.get(env::USER_ID)) else {
        return Err(CredentialsError::provider(
            store,
            format!(
                "no workload access token: inside AgentCore Runtime it arrives with each \
                 invocation; outside it, set {} and {} to have one issued",
                env::WORKLOAD_NAME,
                env::USER_ID
            ),
        ));
    };
    let body = json!({ "workloadName": workload, "userId": user });
    let path = ("/identities/GetWorkloadAccessTokenForUserId", None);
    match reader.send(&AGENTCORE, endpoint, path, body).await? {
        Answer::Ok(answer) => answer["workloadAccessToken"]
            .as_str()
            .map(Secret::new)
            .ok_or_else(|| {
                CredentialsError::provider(
                    store,
                    "the workload access token is missing from the answer",
                )
            }),
        Answer::Refused { name, message, .. } if name == "AccessDeniedException" => {
            Err(reader.denied(permission.clone(), message))
        }
        Answer::Refused { name, message, .. } => Err(CredentialsError::provider(
            store,
            format!("no workload access token for workload {workload} ({name}): {message}"),
        )),
    }
}
