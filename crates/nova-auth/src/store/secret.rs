//! AWS Secrets Manager `GetSecretValue`: the secret string is the key, or a JSON object whose
//! `NOVA_ACT_API_KEY` member is.

use serde_json::{Value, json};

use super::call::Answer;
use super::{Reader, Service, StorePermission};
use crate::error::CredentialsError;
use crate::secret::Secret;

const SECRETS_MANAGER: Service = Service {
    signing_name: "secretsmanager",
    endpoint_variable: "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    host_prefix: "secretsmanager",
};

/// The member of a JSON secret that holds the key.
const MEMBER: &str = crate::env::API_KEY;

pub(super) fn permissions(id: &str, region: &str, account: &str) -> Vec<StorePermission> {
    // A secret's ARN ends in `-` and six random characters; by name, the policy matches them.
    let resource = if id.starts_with("arn:") {
        id.to_owned()
    } else {
        format!("arn:aws:secretsmanager:{region}:{account}:secret:{id}-??????")
    };
    vec![StorePermission {
        action: "secretsmanager:GetSecretValue",
        resource,
    }]
}

pub(super) async fn read(reader: &Reader<'_>, id: &str) -> Result<Secret, CredentialsError> {
    let store = reader.store;
    let endpoint = reader.endpoint(&SECRETS_MANAGER)?;
    let target = ("/", Some("secretsmanager.GetSecretValue"));
    let answer = match reader
        .send(
            &SECRETS_MANAGER,
            &endpoint,
            target,
            json!({ "SecretId": id }),
        )
        .await?
    {
        Answer::Ok(answer) => answer,
        Answer::Refused { name, message, .. } => {
            let permission = |action| StorePermission {
                action,
                ..permissions(id, reader.region, reader.account()).remove(0)
            };
            return Err(match name.as_str() {
                "AccessDeniedException" => {
                    reader.denied(permission("secretsmanager:GetSecretValue"), message)
                }
                "DecryptionFailure" => reader.denied(
                    StorePermission {
                        action: "kms:Decrypt",
                        resource: "the secret's KMS key".to_owned(),
                    },
                    message,
                ),
                "ResourceNotFoundException" => CredentialsError::provider(
                    store,
                    format!(
                        "secret {id} does not exist in {} (or the AWS credentials' account); \
                         check {} and the region (a secret ARN carries its own)",
                        reader.region,
                        crate::env::API_KEY_SECRET_ID
                    ),
                ),
                _ => CredentialsError::provider(
                    store,
                    format!("reading secret {id} failed ({name}): {message}"),
                ),
            });
        }
    };
    match answer.get("SecretString").and_then(Value::as_str) {
        Some(text) => key_in(store, id, text),
        None if answer.get("SecretBinary").is_some() => Err(CredentialsError::provider(
            store,
            format!(
                "secret {id} holds only SecretBinary; store the key as the secret string (or as \
                 the `{MEMBER}` member of a JSON secret string)"
            ),
        )),
        None => Err(CredentialsError::provider(
            store,
            format!("secret {id} has no value"),
        )),
    }
}

/// The key in a secret string: the whole string, or the member of a JSON object.
fn key_in(store: &'static str, id: &str, text: &str) -> Result<Secret, CredentialsError> {
    if !text.trim_start().starts_with('{') {
        return Ok(Secret::new(text));
    }
    let Ok(Value::Object(members)) = serde_json::from_str::<Value>(text) else {
        return Err(CredentialsError::provider(
            store,
            format!(
                "secret {id} starts like a JSON object but is not one; store the key alone, or a JSON object with a `{MEMBER}` member"
            ),
        ));
    };
    match members.get(MEMBER) {
        Some(Value::String(key)) => Ok(Secret::new(key.as_str())),
        Some(_) => Err(CredentialsError::provider(
            store,
            format!("the `{MEMBER}` member of secret {id} is not a string"),
        )),
        None => {
            let names: Vec<&str> = members.keys().map(String::as_str).collect();
            Err(CredentialsError::provider(
                store,
                format!(
                    "secret {id} is a JSON object without a `{MEMBER}` member (its members: {}); \
                     add the key under `{MEMBER}`",
                    if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    }
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_secret_without_the_member_names_the_members_and_no_value() {
        let err = key_in(
            "Secrets Manager",
            "prod",
            r#"{"user":"u-value","password":"p-value"}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("user, password") || err.contains("password, user"),
            "{err}"
        );
        assert!(!err.contains("value"), "{err}");
    }

    #[test]
    fn the_key_is_the_string_or_the_member() {
        assert_eq!(key_in("s", "id", "abc").unwrap().expose(), "abc");
        let json = format!(r#"{{"{MEMBER}":"abc","other":1}}"#);
        assert_eq!(key_in("s", "id", &json).unwrap().expose(), "abc");
    }

    #[test]
    fn a_secret_by_name_is_matched_with_its_suffix() {
        let p = permissions("prod/key", "us-east-1", "123456789012");
        assert_eq!(
            p[0].resource,
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/key-??????"
        );
    }
}
