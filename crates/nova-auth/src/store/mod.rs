//! API keys kept where production keeps secrets: AWS Secrets Manager, SSM Parameter Store and
//! AgentCore Identity, read with the AWS credentials of the standard chain.
//!
//! Each store is one signed call (`call`), made with the AWS SDK's signer and HTTPS connector
//! rather than the stores' SDK crates: the Systems Manager crate alone takes minutes to build, for
//! one operation (docs/architecture.md weighs it).

mod call;
mod identity;
mod parameter;
mod secret;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

pub(crate) use crate::aws::quietly;
use crate::cache::CachedProvider;
use crate::clock::{Clock, SystemClock};
use crate::credentials::{ApiKey, AuthMode, AwsCredentials, Credentials};
use crate::env::{self, Env};
use crate::error::{AuthError, CredentialsError};
use crate::provider::CredentialProvider;
use crate::secret::Secret;
use crate::source::Source;

/// A refused key is read again at most this often: a rotated key is picked up at the next
/// refusal, a wrong one is not re-read on every request.
pub const REREAD_AFTER_REFUSAL: Duration = Duration::from_secs(60);

/// The API key, read from a store with AWS credentials.
///
/// - [`ApiKeyStore::secrets_manager`]: a secret whose string is the key, or a JSON object whose
///   `NOVA_ACT_API_KEY` member is. A secret ARN's region wins over the configured one.
/// - [`ApiKeyStore::parameter`]: an SSM parameter, read with decryption (a `SecureString`; a
///   plain `String` works, with a warning).
/// - [`ApiKeyStore::agentcore_identity`]: an API-key credential provider of AgentCore
///   Identity's token vault, read with a workload access token.
///
/// The key is read once and kept. When the service refuses it (HTTP 401 or 403), the store is
/// read again, once for every caller and at most once per [`REREAD_AFTER_REFUSAL`]: a rotated
/// key is picked up without a restart; an unchanged one is reported as refused.
///
/// `NOVA_ACT_API_KEY_SECRET_ID`, `NOVA_ACT_API_KEY_PARAMETER` or
/// `NOVA_ACT_API_KEY_AGENTCORE_PROVIDER` select one without code ([`crate::Auth`] does).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), nova_auth::AuthError> {
/// use nova_auth::{ApiKeyStore, Auth, AuthMode, CredentialProvider};
///
/// let store = ApiKeyStore::secrets_manager("prod/nova-act-key");
/// assert_eq!(store.mode(), Some(AuthMode::ApiKey));
/// assert_eq!(store.to_string(), "Secrets Manager secret prod/nova-act-key");
/// // Auth::builder().provider(store).build().await? reads it with the AWS credential chain.
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct ApiKeyStore {
    place: Place,
    env: Option<Env>,
    region: Option<String>,
    profile: Option<(String, &'static str)>,
    clock: Option<Arc<dyn Clock>>,
    state: Arc<tokio::sync::Mutex<Latest>>,
}

/// Which store, and the name in it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Place {
    Secret(String),
    Parameter(String),
    Identity {
        provider: String,
        token: Option<Secret>,
    },
}

/// The key last read, when a refusal last made it read again, and the AWS credentials that read.
#[derive(Debug, Default)]
struct Latest {
    key: Option<ApiKey>,
    reread_at: Option<SystemTime>,
    aws: Option<CachedProvider>,
}

/// A permission a store read needs, as an IAM policy statement names it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StorePermission {
    /// The IAM action, such as `secretsmanager:GetSecretValue`.
    pub action: &'static str,
    /// The resource ARN, with `*` or `?` where the name has a suffix the store adds.
    pub resource: String,
}

impl ApiKeyStore {
    /// The key in an AWS Secrets Manager secret (name or ARN).
    pub fn secrets_manager(secret_id: impl Into<String>) -> Self {
        Self::at(Place::Secret(secret_id.into()))
    }

    /// The key in an SSM Parameter Store parameter (name or ARN).
    pub fn parameter(name: impl Into<String>) -> Self {
        Self::at(Place::Parameter(name.into()))
    }

    /// The key in an AgentCore Identity API-key credential provider. The workload access token
    /// is [given](ApiKeyStore::workload_access_token) (inside AgentCore Runtime it arrives with
    /// each invocation), else `NOVA_ACT_WORKLOAD_ACCESS_TOKEN`, else one is asked for with
    /// `GetWorkloadAccessTokenForUserId` for `NOVA_ACT_WORKLOAD_NAME` and `NOVA_ACT_USER_ID`.
    pub fn agentcore_identity(provider: impl Into<String>) -> Self {
        Self::at(Place::Identity {
            provider: provider.into(),
            token: None,
        })
    }

    fn at(place: Place) -> Self {
        Self {
            place,
            env: None,
            region: None,
            profile: None,
            clock: None,
            state: Arc::default(),
        }
    }

    /// The store the environment names, if one does: `Ok(None)` when none is set; two at once
    /// are an error naming both.
    pub fn from_env(env: &Env) -> Result<Option<Self>, AuthError> {
        let set: Vec<(&'static str, String)> = env::API_KEY_STORES
            .iter()
            .filter_map(|var| env.get(var).map(|value| (*var, value)))
            .collect();
        match set.as_slice() {
            [] => Ok(None),
            [(var, value)] => {
                let store = match *var {
                    env::API_KEY_SECRET_ID => Self::secrets_manager(value),
                    env::API_KEY_PARAMETER => Self::parameter(value),
                    _ => Self::agentcore_identity(value),
                };
                Ok(Some(store.env(env.clone())))
            }
            [(first, _), (second, _), ..] => Err(AuthError::TwoStores { first, second }),
        }
    }

    crate::setters! {
        /// Reads `env` instead of the process environment (the AWS credentials, region and
        /// endpoint variables).
        env(env: Env) => env = Some(env);
        /// Reads the store in this region, unless a secret or parameter ARN names its own.
        region(region: impl Into<String>) => region = Some(region.into());
        /// Reads with the credentials of this AWS profile.
        profile_name(name: impl Into<String>) => profile = Some((name.into(), "code"));
        /// Uses `clock` to space re-reads after a refusal.
        clock(clock: impl Clock + 'static) => clock = Some(Arc::new(clock));
    }

    /// [`ApiKeyStore::profile_name`] chosen by `origin` (`--profile`).
    #[doc(hidden)]
    #[must_use]
    pub fn profile_name_from(mut self, name: impl Into<String>, origin: &'static str) -> Self {
        self.profile = Some((name.into(), origin));
        self
    }

    /// Uses this workload access token for AgentCore Identity (the one the current AgentCore
    /// Runtime invocation carries). No effect on the other stores.
    #[must_use]
    pub fn workload_access_token(mut self, token: impl Into<Secret>) -> Self {
        if let Place::Identity { token: slot, .. } = &mut self.place {
            *slot = Some(token.into());
        }
        self
    }

    /// The store named the way `nova-act workflow deploy --api-key-from` names it:
    /// `secrets-manager:ID`, `parameter:NAME` or `agentcore-identity:PROVIDER`.
    ///
    /// ```
    /// use nova_auth::ApiKeyStore;
    ///
    /// let store = ApiKeyStore::parse("parameter:/prod/nova-act/key").unwrap();
    /// assert_eq!(store.variable(), "NOVA_ACT_API_KEY_PARAMETER");
    /// assert_eq!(store.id(), "/prod/nova-act/key");
    /// assert!(ApiKeyStore::parse("vault:key").is_err());
    /// ```
    pub fn parse(spec: &str) -> Result<Self, String> {
        let (kind, name) = spec.split_once(':').unwrap_or((spec, ""));
        if name.is_empty() {
            return Err(format!(
                "`{spec}` names no store; use secrets-manager:ID, parameter:NAME or \
                 agentcore-identity:PROVIDER"
            ));
        }
        match kind {
            "secrets-manager" => Ok(Self::secrets_manager(name)),
            "parameter" => Ok(Self::parameter(name)),
            "agentcore-identity" => Ok(Self::agentcore_identity(name)),
            other => Err(format!(
                "`{other}` is not a store; use secrets-manager:ID, parameter:NAME or \
                 agentcore-identity:PROVIDER"
            )),
        }
    }

    /// The secret id, parameter name or AgentCore Identity provider: the value of
    /// [`ApiKeyStore::variable`].
    pub fn id(&self) -> &str {
        self.label().1
    }

    /// The variable that selects this kind of store.
    pub fn variable(&self) -> &'static str {
        match self.place {
            Place::Secret(_) => env::API_KEY_SECRET_ID,
            Place::Parameter(_) => env::API_KEY_PARAMETER,
            Place::Identity { .. } => env::API_KEY_AGENTCORE_PROVIDER,
        }
    }

    /// The permissions a read needs, for an identity in `account` reading in `region`.
    pub fn permissions(&self, region: &str, account: &str) -> Vec<StorePermission> {
        let region = self.arn_region().unwrap_or(region);
        match &self.place {
            Place::Secret(id) => secret::permissions(id, region, account),
            Place::Parameter(name) => parameter::permissions(name, region, account),
            Place::Identity { provider, .. } => {
                let workload = self.env_or_process().get(env::WORKLOAD_NAME);
                identity::permissions(provider, workload.as_deref(), region, account)
            }
        }
    }

    /// [`ApiKeyStore::permissions`] as IAM policy statements, one per action with its
    /// resources, for a role's policy or `nova-act permissions --for api-key-store`.
    ///
    /// ```
    /// let store = nova_auth::ApiKeyStore::secrets_manager("prod/key");
    /// let statements = store.policy_statements("us-east-1", "123456789012");
    /// assert_eq!(statements[0]["Sid"], "ApiKeySecretsmanagerGetSecretValue");
    /// assert_eq!(statements[0]["Action"][0], "secretsmanager:GetSecretValue");
    /// ```
    pub fn policy_statements(&self, region: &str, account: &str) -> Vec<serde_json::Value> {
        let mut grants: Vec<(&str, Vec<String>)> = Vec::new();
        for permission in self.permissions(region, account) {
            match grants
                .iter_mut()
                .find(|(action, _)| *action == permission.action)
            {
                Some((_, resources)) => resources.push(permission.resource),
                None => grants.push((permission.action, vec![permission.resource])),
            }
        }
        grants
            .into_iter()
            .map(|(action, resources)| {
                let words: String = action
                    .split([':', '-'])
                    .map(|word| {
                        let mut chars = word.chars();
                        chars.next().map_or_else(String::new, |first| {
                            first.to_ascii_uppercase().to_string() + chars.as_str()
                        })
                    })
                    .collect();
                serde_json::json!({
                    "Sid": format!("ApiKey{words}"),
                    "Effect": "Allow",
                    "Action": [action],
                    "Resource": resources,
                })
            })
            .collect()
    }

    fn env_or_process(&self) -> Env {
        self.env.clone().unwrap_or_default()
    }

    fn clock_or_system(&self) -> Arc<dyn Clock> {
        self.clock.clone().unwrap_or_else(|| Arc::new(SystemClock))
    }

    /// The region an ARN names.
    fn arn_region(&self) -> Option<&str> {
        let name = match &self.place {
            Place::Secret(name) | Place::Parameter(name) => name,
            Place::Identity { .. } => return None,
        };
        let mut parts = name.strip_prefix("arn:")?.split(':');
        parts.nth(2).filter(|region| !region.is_empty())
    }

    /// What holds the key, and its name there: one wording for `Display` and the key's source.
    fn label(&self) -> (&'static str, &str) {
        match &self.place {
            Place::Secret(id) => ("Secrets Manager secret", id),
            Place::Parameter(name) => ("Parameter Store parameter", name),
            Place::Identity { provider, .. } => ("AgentCore Identity provider", provider),
        }
    }

    /// The store's name in errors and logs.
    fn store(&self) -> &'static str {
        match self.place {
            Place::Secret(_) => "Secrets Manager",
            Place::Parameter(_) => "Parameter Store",
            Place::Identity { .. } => "AgentCore Identity",
        }
    }

    /// Reads the key now: AWS credentials from the chain, then the store's call.
    async fn read(&self, latest: &mut Latest) -> Result<ApiKey, CredentialsError> {
        let env = self.env_or_process();
        let aws = latest
            .aws
            .get_or_insert_with(|| {
                CachedProvider::new(self.aws_chain(&env)).with_clock(self.clock_or_system())
            })
            .clone();
        let store = self.store();
        let region = match (self.arn_region(), &self.region) {
            (Some(region), _) => region.to_owned(),
            (None, Some(region)) => region.clone(),
            (None, None) => {
                let profile = self.profile.as_ref().map(|(name, _)| name.as_str());
                crate::Region::resolve(None, &env, profile)
                    .await
                    .name()
                    .to_owned()
            }
        };
        let credentials = aws.credentials().await.map_err(|err| {
            CredentialsError::provider_with_cause(
                store,
                format!(
                    "no AWS credentials to read the API key with; {} needs AWS credentials from \
                     the standard places (environment, profile, role)",
                    self.variable()
                ),
                err,
            )
        })?;
        let Some(aws) = credentials.as_aws() else {
            return Err(CredentialsError::provider(
                store,
                "the AWS credential chain handed out an API key",
            ));
        };
        let reader = Reader {
            store,
            env: &env,
            region: &region,
            aws,
        };
        let raw = match &self.place {
            Place::Secret(id) => secret::read(&reader, id).await?,
            Place::Parameter(name) => parameter::read(&reader, name).await?,
            Place::Identity { provider, token } => {
                identity::read(&reader, provider, token.as_ref()).await?
            }
        };
        let (kind, name) = self.label();
        let source = Source::KeyStore {
            store: kind.into(),
            name: name.to_owned(),
        };
        let key = crate::api_key::check_key(raw.expose(), self.variable(), source)?;
        tracing::debug!(store, source = %key.source(), "API key read from its store");
        Ok(key)
    }

    /// The chain that reads the store: the standard one, with the profile given.
    fn aws_chain(&self, env: &Env) -> crate::DefaultChain {
        let mut chain = crate::DefaultChain::builder().env(env.clone());
        if let Some((name, origin)) = &self.profile {
            chain = chain.profile_name_from(name.clone(), origin);
        }
        chain.build()
    }
}

/// The store and the name in it, as the key's [`Source`] shows them: `Secrets Manager secret
/// prod/key`.
impl std::fmt::Display for ApiKeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, name) = self.label();
        write!(f, "{kind} {name}")
    }
}

/// What every store's call needs.
pub(crate) struct Reader<'a> {
    pub(crate) store: &'static str,
    pub(crate) env: &'a Env,
    pub(crate) region: &'a str,
    pub(crate) aws: &'a AwsCredentials,
}

/// Where a store's service is: its signing name, its endpoint variable, its host prefix.
pub(crate) struct Service {
    pub(crate) signing_name: &'static str,
    pub(crate) endpoint_variable: &'static str,
    pub(crate) host_prefix: &'static str,
}

impl Reader<'_> {
    /// The endpoint of `service` for this read.
    pub(crate) fn endpoint(&self, service: &Service) -> Result<call::Endpoint, CredentialsError> {
        call::Endpoint::resolve(
            self.store,
            self.env,
            service.endpoint_variable,
            service.host_prefix,
            self.region,
        )
    }

    /// One signed call to `service` at `endpoint`: AWS JSON 1.1 with `target`, else REST-JSON.
    pub(crate) async fn send(
        &self,
        service: &Service,
        endpoint: &call::Endpoint,
        (path, target): (&'static str, Option<&'static str>),
        body: serde_json::Value,
    ) -> Result<call::Answer, CredentialsError> {
        let call = call::Call {
            service: service.signing_name,
            region: self.region,
            endpoint,
            path,
            target,
            body,
        };
        call.send(self.aws, self.store).await
    }

    /// The account of the AWS credentials, or a placeholder for the ARNs errors show.
    pub(crate) fn account(&self) -> &str {
        self.aws.account_id().unwrap_or("ACCOUNT")
    }

    /// A refusal whose cause is a missing permission.
    pub(crate) fn denied(&self, permission: StorePermission, message: String) -> CredentialsError {
        CredentialsError::StoreDenied {
            store: self.store,
            action: permission.action,
            resource: permission.resource,
            message,
        }
    }
}

#[async_trait]
impl CredentialProvider for ApiKeyStore {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let mut latest = self.state.lock().await;
        if let Some(key) = &latest.key {
            return Ok(key.clone().into());
        }
        let key = self.read(&mut latest).await?;
        latest.key = Some(key.clone());
        Ok(key.into())
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Owned(self.to_string())
    }

    fn mode(&self) -> Option<AuthMode> {
        Some(AuthMode::ApiKey)
    }

    /// Reads again, once for every caller that holds the refused key, and at most once per
    /// [`REREAD_AFTER_REFUSAL`].
    async fn refused(&self, refused: &Credentials) -> Option<Credentials> {
        let refused = refused.as_api_key()?;
        let mut latest = self.state.lock().await;
        if let Some(key) = latest
            .key
            .as_ref()
            .filter(|key| key.key().expose() != refused.key().expose())
        {
            // Another caller already read the new key.
            return Some(key.clone().into());
        }
        let now = self.clock_or_system().now();
        if latest
            .reread_at
            .is_some_and(|at| now < at + REREAD_AFTER_REFUSAL)
        {
            return None;
        }
        latest.reread_at = Some(now);
        match self.read(&mut latest).await {
            Ok(key) if key.key().expose() != refused.key().expose() => {
                tracing::info!(store = %self, "the API key was refused; read again, it had changed");
                latest.key = Some(key.clone());
                Some(key.into())
            }
            Ok(_) => {
                tracing::warn!(store = %self, "the API key was refused; read again, it is unchanged");
                None
            }
            Err(err) => {
                tracing::warn!(store = %self, error = %err, "the API key was refused; reading it again failed");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_carry_their_region() {
        let store = ApiKeyStore::secrets_manager(
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/key-AbCdEf",
        );
        assert_eq!(store.arn_region(), Some("eu-west-1"));
        assert_eq!(ApiKeyStore::parameter("/prod/key").arn_region(), None);
    }

    #[test]
    fn two_store_variables_are_a_conflict_naming_both() {
        let env = Env::from_vars([(env::API_KEY_SECRET_ID, "a"), (env::API_KEY_PARAMETER, "b")]);
        let err = ApiKeyStore::from_env(&env).unwrap_err().to_string();
        assert!(
            err.contains(env::API_KEY_SECRET_ID) && err.contains(env::API_KEY_PARAMETER),
            "{err}"
        );
    }
}
