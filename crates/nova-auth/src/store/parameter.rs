//! SSM Parameter Store `GetParameter`, with decryption.

use serde_json::json;

use super::call::Answer;
use super::{Reader, Service, StorePermission};
use crate::error::CredentialsError;
use crate::secret::Secret;

const SSM: Service = Service {
    signing_name: "ssm",
    endpoint_variable: "AWS_ENDPOINT_URL_SSM",
    host_prefix: "ssm",
};

pub(super) fn permissions(name: &str, region: &str, account: &str) -> Vec<StorePermission> {
    // `/a/b` is `parameter/a/b`; a name without a leading slash gets one.
    let resource = if name.starts_with("arn:") {
        name.to_owned()
    } else {
        format!(
            "arn:aws:ssm:{region}:{account}:parameter/{}",
            name.trim_start_matches('/')
        )
    };
    vec![
        StorePermission {
            action: "ssm:GetParameter",
            resource,
        },
        StorePermission {
            action: "kms:Decrypt",
            resource: format!("arn:aws:kms:{region}:{account}:key/*"),
        },
    ]
}

pub(super) async fn read(reader: &Reader<'_>, name: &str) -> Result<Secret, CredentialsError> {
    let store = reader.store;
    let endpoint = reader.endpoint(&SSM)?;
    let body = json!({ "Name": name, "WithDecryption": true });
    let answer = match reader
        .send(&SSM, &endpoint, ("/", Some("AmazonSSM.GetParameter")), body)
        .await?
    {
        Answer::Ok(answer) => answer,
        Answer::Refused {
            name: error,
            message,
            ..
        } => {
            let mut needed = permissions(name, reader.region, reader.account());
            return Err(match error.as_str() {
                "AccessDeniedException" => {
                    // KMS refusals come back as AccessDenied too, naming the key.
                    let which = usize::from(message.to_ascii_lowercase().contains("kms"));
                    reader.denied(needed.swap_remove(which), message)
                }
                "InvalidKeyId" => reader.denied(needed.swap_remove(1), message),
                "ParameterNotFound" => CredentialsError::provider(
                    store,
                    format!(
                        "parameter {name} does not exist in {}; check {} and the region",
                        reader.region,
                        crate::env::API_KEY_PARAMETER
                    ),
                ),
                _ => CredentialsError::provider(
                    store,
                    format!("reading parameter {name} failed ({error}): {message}"),
                ),
            });
        }
    };
    let parameter = &answer["Parameter"];
    let Some(value) = parameter["Value"].as_str() else {
        return Err(CredentialsError::provider(
            store,
            format!("parameter {name} has no value"),
        ));
    };
    let kind = parameter["Type"].as_str().unwrap_or("SecureString");
    if kind != "SecureString" {
        tracing::warn!(
            parameter = name,
            kind,
            "the API key is in a plain {kind} parameter, which anyone who may read the parameter sees \
             in the console; store it as a SecureString"
        );
    }
    Ok(Secret::new(value))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_parameter_path_is_its_resource() {
        let p = super::permissions("/a/b", "us-east-1", "123456789012");
        assert_eq!(
            p[0].resource,
            "arn:aws:ssm:us-east-1:123456789012:parameter/a/b"
        );
        assert_eq!(p[1].action, "kms:Decrypt");
        let p = super::permissions("key", "us-east-1", "123456789012");
        assert_eq!(
            p[0].resource,
            "arn:aws:ssm:us-east-1:123456789012:parameter/key"
        );
    }
}
