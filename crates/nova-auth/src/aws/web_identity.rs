//! `AssumeRoleWithWebIdentity` from a token file (EKS IRSA, GitHub Actions OIDC and the like).

use std::borrow::Cow;
use std::sync::OnceLock;

use async_trait::async_trait;
use aws_config::web_identity_token::{StaticConfiguration, WebIdentityTokenCredentialsProvider};

use super::provider_config;
use crate::credentials::Credentials;
use crate::env::{self, Env};
use crate::error::CredentialsError;
use crate::provider::CredentialProvider;
use crate::source::Source;

const NAME: &str = "web identity";
const TOKEN_FILE: &str = "AWS_WEB_IDENTITY_TOKEN_FILE";
const ROLE_ARN: &str = "AWS_ROLE_ARN";
const SESSION_NAME: &str = "AWS_ROLE_SESSION_NAME";

/// Credentials for `AWS_ROLE_ARN`, assumed with the token in `AWS_WEB_IDENTITY_TOKEN_FILE`
/// through STS (`aws-config` makes the call). `AWS_ROLE_SESSION_NAME` names the session.
#[derive(Debug)]
pub struct WebIdentityProvider {
    env: Env,
    delegate: OnceLock<WebIdentityTokenCredentialsProvider>,
}

impl WebIdentityProvider {
    /// Reads the process environment.
    pub fn new() -> Self {
        Self::with_env(Env::process())
    }

    /// Reads `env`.
    pub fn with_env(env: Env) -> Self {
        Self {
            env,
            delegate: OnceLock::new(),
        }
    }
}

#[async_trait]
impl CredentialProvider for WebIdentityProvider {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let (token_file, role_arn) = match (self.env.get(TOKEN_FILE), self.env.get(ROLE_ARN)) {
            (Some(file), Some(role)) => (file, role),
            (None, None) => {
                return Err(CredentialsError::not_configured(
                    NAME,
                    format!("{TOKEN_FILE} and {ROLE_ARN} are not set"),
                ));
            }
            (Some(_), None) => {
                return Err(CredentialsError::provider(
                    NAME,
                    format!("{TOKEN_FILE} is set but {ROLE_ARN} is not; set the role to assume"),
                ));
            }
            (None, Some(_)) => {
                return Err(CredentialsError::provider(
                    NAME,
                    format!("{ROLE_ARN} is set but {TOKEN_FILE} is not; set the token file"),
                ));
            }
        };
        let token_path = self.env.expand_home(&token_file);
        if let Err(err) = std::fs::metadata(&token_path) {
            return Err(CredentialsError::provider_with_cause(
                NAME,
                format!(
                    "{TOKEN_FILE} points at {}, which cannot be read; fix the path or unset \
                     {TOKEN_FILE}",
                    token_path.display()
                ),
                err,
            ));
        }
        super::refuse_cleartext(NAME, &self.env)?;
        let source = Source::WebIdentity {
            role_arn: role_arn.clone(),
        };
        let delegate = self.delegate.get_or_init(|| {
            let region = self
                .env
                .get(env::REGION)
                .or_else(|| self.env.get(env::DEFAULT_REGION))
                .unwrap_or_else(|| crate::region::DEFAULT_REGION.to_owned());
            let session_name = self
                .env
                .get(SESSION_NAME)
                .unwrap_or_else(|| "nova-act-rust".to_owned());
            WebIdentityTokenCredentialsProvider::builder()
                .static_configuration(StaticConfiguration {
                    web_identity_token_file: token_path,
                    role_arn,
                    session_name,
                })
                .configure(&provider_config(&region))
                .build()
        });
        super::delegated(delegate, source, NAME, || {
            format!(
                "the web identity token was not exchanged for credentials; check {ROLE_ARN}, and \
                 that the role trusts the identity provider that issued the token"
            )
        })
        .await
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(NAME)
    }

    fn mode(&self) -> Option<crate::AuthMode> {
        Some(crate::AuthMode::Iam)
    }
}
