//! The stores production keeps an API key in: Secrets Manager `GetSecretValue`, SSM
//! `GetParameter` and AgentCore Identity `GetResourceApiKey` / `GetWorkloadAccessTokenForUserId`,
//! each SigV4-checked and held to the caller's policy as the services hold it.
//!
//! `kms:Decrypt` is not emulated: every value reads as decrypted.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};
use std::time::SystemTime;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::server::Shared;
use crate::sigv4;

/// What the stores hold; changed at run time by the emulator's test hooks.
#[derive(Debug, Default)]
pub(crate) struct KeyStores {
    secrets: RwLock<HashMap<String, String>>,
    parameters: RwLock<HashMap<String, String>>,
    identity_keys: RwLock<HashMap<String, String>>,
    /// Workload access tokens issued, with the workload they were issued for.
    tokens: RwLock<HashMap<String, String>>,
}

/// The stores by name, for the builder and the hooks.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    Secret,
    Parameter,
    IdentityApiKey,
}

impl KeyStores {
    pub(crate) fn set(&self, kind: Kind, name: &str, value: &str) {
        let map = match kind {
            Kind::Secret => &self.secrets,
            Kind::Parameter => &self.parameters,
            Kind::IdentityApiKey => &self.identity_keys,
        };
        map.write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_owned(), value.to_owned());
    }

    fn get(map: &RwLock<HashMap<String, String>>, name: &str) -> Option<String> {
        map.read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }
}

/// Which call a request is, if it is one of the stores': by `X-Amz-Target` for the AWS JSON
/// services, by path for AgentCore Identity.
pub(crate) fn route(method: &Method, uri: &Uri, headers: &HeaderMap) -> Option<Call> {
    if method != Method::POST {
        return None;
    }
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok());
    match (uri.path(), target) {
        ("/", Some("secretsmanager.GetSecretValue")) => Some(Call::GetSecretValue),
        ("/", Some("AmazonSSM.GetParameter")) => Some(Call::GetParameter),
        ("/identities/api-key", _) => Some(Call::GetResourceApiKey),
        ("/identities/GetWorkloadAccessTokenForUserId", _) => Some(Call::GetWorkloadAccessToken),
        _ => None,
    }
}

/// A store call, named as the service names it.
#[derive(Clone, Copy, Debug)]
#[allow(clippy::enum_variant_names)]
pub(crate) enum Call {
    GetSecretValue,
    GetParameter,
    GetResourceApiKey,
    GetWorkloadAccessToken,
}

impl Call {
    /// The SigV4 signing name, and whether the protocol is AWS JSON 1.1 (else REST-JSON).
    fn service(self) -> (&'static str, bool) {
        match self {
            Self::GetSecretValue => ("secretsmanager", true),
            Self::GetParameter => ("ssm", true),
            Self::GetResourceApiKey | Self::GetWorkloadAccessToken => ("bedrock-agentcore", false),
        }
    }
}

/// A refusal in the store's error shape.
struct Refusal {
    status: u16,
    name: &'static str,
    message: String,
}

fn refuse(status: u16, name: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        name,
        message: message.into(),
    }
}

/// Answers a store call.
pub(crate) fn serve(
    shared: &Shared,
    call: Call,
    request: &sigv4::Received<'_>,
    request_id: &str,
) -> Response {
    let (service, json_1_1) = call.service();
    let outcome = answer(shared, call, request, service);
    let content_type = if json_1_1 {
        "application/x-amz-json-1.1"
    } else {
        "application/json"
    };
    let (status, body, name) = match outcome {
        Ok(body) => (200, body, None),
        Err(refusal) => {
            // AWS JSON 1.1 names the error in `__type` too; REST-JSON in the header alone.
            let mut body = json!({ "message": refusal.message });
            if json_1_1 {
                body["__type"] = json!(refusal.name);
            }
            (refusal.status, body, Some(refusal.name))
        }
    };
    let mut response = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [("content-type", content_type)],
        body.to_string(),
    )
        .into_response();
    let headers = response.headers_mut();
    if let Some(name) = name.and_then(|name| HeaderValue::from_str(name).ok()) {
        headers.insert("x-amzn-ErrorType", name);
    }
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-RequestId", id);
    }
    tracing::debug!(?call, status, "key store request");
    response
}

fn answer(
    shared: &Shared,
    call: Call,
    request: &sigv4::Received<'_>,
    service: &str,
) -> Result<Value, Refusal> {
    let now = SystemTime::now();
    let ids = &shared.identities;
    let caller = sigv4::verify(
        |id| ids.find(id, now),
        &shared.sigv4,
        request,
        (service, &shared.region),
        now,
    )
    .map_err(|err| Refusal {
        status: err.status,
        name: err.name,
        message: err.body["message"].as_str().unwrap_or("denied").to_owned(),
    })?;
    let input: Value = serde_json::from_slice(request.body).map_err(|err| {
        refuse(
            400,
            "ValidationException",
            format!("the body is not JSON: {err}"),
        )
    })?;
    let text = |key: &str| {
        input[key]
            .as_str()
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| refuse(400, "ValidationException", format!("{key} is required")))
    };
    let (region, account) = (&shared.region, &shared.account);
    let allowed = |action: &str, resource: &str| {
        if ids
            .policy(&caller)
            .is_none_or(|policy| policy.allows(action, &[resource.to_owned()]))
        {
            Ok(())
        } else {
            Err(refuse(
                if service == "bedrock-agentcore" {
                    403
                } else {
                    400
                },
                "AccessDeniedException",
                format!(
                    "User: {} is not authorized to perform: {action} on resource: {resource} \
                     because no identity-based policy allows the {action} action",
                    caller.arn
                ),
            ))
        }
    };
    let stores = &shared.key_stores;
    match call {
        Call::GetSecretValue => {
            let id = text("SecretId")?;
            // By name, or by the ARN the emulator gives that name.
            let name = id
                .strip_prefix(&format!(
                    "arn:aws:secretsmanager:{region}:{account}:secret:"
                ))
                .and_then(|rest| rest.get(..rest.len().saturating_sub(7)))
                .unwrap_or(&id)
                .to_owned();
            let arn = secret_arn(region, account, &name);
            if id.starts_with("arn:") && id != arn {
                return Err(not_found_secret());
            }
            allowed("secretsmanager:GetSecretValue", &arn)?;
            let value = KeyStores::get(&stores.secrets, &name).ok_or_else(not_found_secret)?;
            Ok(json!({
                "ARN": arn,
                "Name": name,
                "SecretString": value,
                "VersionId": version_of(&value),
                "VersionStages": ["AWSCURRENT"],
                "CreatedDate": 1.7e9,
            }))
        }
        Call::GetParameter => {
            let name = text("Name")?;
            let arn = format!(
                "arn:aws:ssm:{region}:{account}:parameter/{}",
                name.trim_start_matches('/')
            );
            allowed("ssm:GetParameter", &arn)?;
            let value = KeyStores::get(&stores.parameters, &name).ok_or_else(|| {
                refuse(
                    400,
                    "ParameterNotFound",
                    format!("Parameter {name} not found."),
                )
            })?;
            let decrypted = input["WithDecryption"].as_bool().unwrap_or(false);
            Ok(json!({ "Parameter": {
                "Name": name,
                "Type": "SecureString",
                // Without decryption a SecureString reads as its ciphertext.
                "Value": if decrypted { value } else { format!("AQICAH{}", version_of(&value)) },
                "Version": 1,
                "ARN": arn,
                "DataType": "text",
            }}))
        }
        Call::GetWorkloadAccessToken => {
            let workload = text("workloadName")?;
            text("userId")?;
            let arn = format!(
                "arn:aws:bedrock-agentcore:{region}:{account}:workload-identity-directory/default/workload-identity/{workload}"
            );
            allowed("bedrock-agentcore:GetWorkloadAccessTokenForUserId", &arn)?;
            Ok(json!({ "workloadAccessToken": issue_token(stores, &workload) }))
        }
        Call::GetResourceApiKey => {
            let provider = text("resourceCredentialProviderName")?;
            let token = text("workloadIdentityToken")?;
            let workload = KeyStores::get(&stores.tokens, &token).ok_or_else(|| {
                refuse(
                    403,
                    "AccessDeniedException",
                    "The workload access token is not valid",
                )
            })?;
            let vault = format!("arn:aws:bedrock-agentcore:{region}:{account}:token-vault/default");
            allowed(
                "bedrock-agentcore:GetResourceApiKey",
                &format!("{vault}/apikeycredentialprovider/{provider}"),
            )?;
            allowed(
                "bedrock-agentcore:GetResourceApiKey",
                &format!(
                    "arn:aws:bedrock-agentcore:{region}:{account}:workload-identity-directory/default/workload-identity/{workload}"
                ),
            )?;
            let key = KeyStores::get(&stores.identity_keys, &provider).ok_or_else(|| {
                refuse(
                    404,
                    "ResourceNotFoundException",
                    format!("API key credential provider {provider} not found"),
                )
            })?;
            Ok(json!({ "apiKey": key }))
        }
    }
}

/// A workload access token for `workload`, as AgentCore Runtime hands one to an invocation.
pub(crate) fn issue_token(stores: &KeyStores, workload: &str) -> String {
    let token = format!("wat-{}", uuid::Uuid::new_v4().simple());
    stores
        .tokens
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(token.clone(), workload.to_owned());
    token
}

fn not_found_secret() -> Refusal {
    refuse(
        400,
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret.",
    )
}

/// A secret's ARN: its name, `-` and six characters fixed for the name, as the service adds.
pub(crate) fn secret_arn(region: &str, account: &str, name: &str) -> String {
    let digest = Sha256::digest(name.as_bytes());
    let suffix: String = digest
        .iter()
        .take(6)
        .map(|b| char::from(b'a' + b % 26))
        .collect();
    format!("arn:aws:secretsmanager:{region}:{account}:secret:{name}-{suffix}")
}

/// A version id that changes with the value.
fn version_of(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}
