//! The environment variables the providers read, injectable so behaviour can be tested.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// `NOVA_ACT_API_KEY`: the nova.amazon.com API key.
pub const API_KEY: &str = "NOVA_ACT_API_KEY";
/// `NOVA_ACT_AUTH`: forces the auth mode, `api-key` or `iam`.
pub const AUTH_MODE: &str = "NOVA_ACT_AUTH";
/// `NOVA_ACT_API_KEY_SECRET_ID`: the AWS Secrets Manager secret (name or ARN) holding the key.
pub const API_KEY_SECRET_ID: &str = "NOVA_ACT_API_KEY_SECRET_ID";
/// `NOVA_ACT_API_KEY_PARAMETER`: the SSM Parameter Store parameter holding the key.
pub const API_KEY_PARAMETER: &str = "NOVA_ACT_API_KEY_PARAMETER";
/// `NOVA_ACT_API_KEY_AGENTCORE_PROVIDER`: the AgentCore Identity API-key credential provider
/// holding the key.
pub const API_KEY_AGENTCORE_PROVIDER: &str = "NOVA_ACT_API_KEY_AGENTCORE_PROVIDER";
/// The variables that name a store holding the API key, in the order they are listed.
pub const API_KEY_STORES: [&str; 3] = [
    API_KEY_SECRET_ID,
    API_KEY_PARAMETER,
    API_KEY_AGENTCORE_PROVIDER,
];
/// `NOVA_ACT_WORKLOAD_NAME`: the AgentCore workload identity that asks for a workload access
/// token outside AgentCore Runtime.
pub const WORKLOAD_NAME: &str = "NOVA_ACT_WORKLOAD_NAME";
/// `NOVA_ACT_USER_ID`: the user the workload access token is issued for, outside the runtime.
pub const USER_ID: &str = "NOVA_ACT_USER_ID";
/// `NOVA_ACT_WORKLOAD_ACCESS_TOKEN`: the workload access token of the current AgentCore Runtime
/// invocation (the runtime's handler sets it for each invocation's workflow).
pub const WORKLOAD_ACCESS_TOKEN: &str = "NOVA_ACT_WORKLOAD_ACCESS_TOKEN";
/// `AWS_ACCESS_KEY_ID`.
pub const ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
/// `AWS_SECRET_ACCESS_KEY`.
pub const SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
/// `AWS_SESSION_TOKEN`.
pub const SESSION_TOKEN: &str = "AWS_SESSION_TOKEN";
/// `AWS_ACCOUNT_ID`.
pub const ACCOUNT_ID: &str = "AWS_ACCOUNT_ID";
/// `AWS_PROFILE`.
pub const PROFILE: &str = "AWS_PROFILE";
/// `AWS_REGION`.
pub const REGION: &str = "AWS_REGION";
/// `AWS_DEFAULT_REGION`.
pub const DEFAULT_REGION: &str = "AWS_DEFAULT_REGION";
/// `AWS_CONFIG_FILE`.
pub const CONFIG_FILE: &str = "AWS_CONFIG_FILE";
/// `AWS_SHARED_CREDENTIALS_FILE`.
pub const SHARED_CREDENTIALS_FILE: &str = "AWS_SHARED_CREDENTIALS_FILE";

/// Where providers read environment variables from: the process, or a fixed set given in code.
///
/// Blank values count as unset everywhere in this crate. `Debug` prints variable names only,
/// never values, because values hold secrets.
///
/// ```
/// use nova_auth::Env;
///
/// let env = Env::from_vars([("AWS_REGION", "us-east-1"), ("AWS_PROFILE", "  ")]);
/// assert_eq!(env.get("AWS_REGION").as_deref(), Some("us-east-1"));
/// assert_eq!(env.get("AWS_PROFILE"), None);
/// ```
#[derive(Clone, Default)]
pub struct Env {
    fixed: Option<Arc<HashMap<String, String>>>,
}

impl Env {
    /// The process environment, read at each lookup.
    pub fn process() -> Self {
        Self { fixed: None }
    }

    /// No variables at all: for tests and programs that must not read the process environment.
    ///
    /// ```
    /// assert_eq!(nova_auth::Env::empty().get("HOME"), None);
    /// ```
    pub fn empty() -> Self {
        Self::from_vars(std::iter::empty::<(String, String)>())
    }

    /// A fixed set of variables; nothing is read from the process.
    pub fn from_vars<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        let map = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        Self {
            fixed: Some(Arc::new(map)),
        }
    }

    /// This environment with `vars` set over it: they win, and everything else reads as it did
    /// (the process environment is read once, now). For values handed over at run time, such
    /// as those an AgentCore Runtime invocation carries, without changing the process's own
    /// environment, which other threads may be reading.
    ///
    /// ```
    /// use nova_auth::Env;
    ///
    /// let base = Env::from_vars([("AWS_REGION", "us-east-1"), ("AWS_PROFILE", "dev")]);
    /// let env = base.with_vars([("AWS_REGION", "eu-west-1")]);
    /// assert_eq!(env.get("AWS_REGION").as_deref(), Some("eu-west-1"));
    /// assert_eq!(env.get("AWS_PROFILE").as_deref(), Some("dev"));
    /// assert_eq!(base.get("AWS_REGION").as_deref(), Some("us-east-1"));
    /// ```
    pub fn with_vars<K, V>(&self, vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        let mut map: HashMap<String, String> = match &self.fixed {
            Some(map) => (**map).clone(),
            None => std::env::vars().collect(),
        };
        map.extend(vars.into_iter().map(|(k, v)| (k.into(), v.into())));
        Self {
            fixed: Some(Arc::new(map)),
        }
    }

    /// Whether this reads the real process environment.
    pub fn is_process(&self) -> bool {
        self.fixed.is_none()
    }

    /// The value of `name` with surrounding whitespace removed, or `None` when unset or blank.
    pub fn get(&self, name: &str) -> Option<String> {
        let value = match &self.fixed {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        }?;
        let trimmed = value.trim();
        if trimmed.is_empty() {
            None
        } else if trimmed.len() == value.len() {
            Some(value)
        } else {
            Some(trimmed.to_owned())
        }
    }

    /// The variable that lets credentials travel over plain HTTP to hosts beyond this machine.
    pub const ALLOW_HTTP: &'static str = "NOVA_ACT_ALLOW_HTTP";

    /// Whether [`Env::ALLOW_HTTP`] is `1` or `true`: the one reading of it, for the Nova Act
    /// client and the credential sources alike.
    ///
    /// ```
    /// use nova_auth::Env;
    ///
    /// assert!(Env::from_vars([("NOVA_ACT_ALLOW_HTTP", "1")]).allows_http());
    /// assert!(!Env::from_vars([("NOVA_ACT_ALLOW_HTTP", "yes")]).allows_http());
    /// ```
    pub fn allows_http(&self) -> bool {
        self.get(Self::ALLOW_HTTP)
            .is_some_and(|value| matches!(value.as_str(), "1" | "true"))
    }

    /// Whether `name` is set to something other than blanks.
    pub fn is_set(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The user's home folder: `HOME`, else `USERPROFILE` (Windows).
    pub fn home_dir(&self) -> Option<PathBuf> {
        self.get("HOME")
            .or_else(|| self.get("USERPROFILE"))
            .map(PathBuf::from)
    }

    /// Expands a leading `~/` against [`Env::home_dir`], as the AWS SDKs do for file settings.
    pub fn expand_home(&self, path: &str) -> PathBuf {
        match (path.strip_prefix("~/"), self.home_dir()) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(path),
        }
    }

    /// All variables as a map (for handing to the AWS SDK's own loaders).
    #[cfg(feature = "aws")]
    pub(crate) fn to_map(&self) -> HashMap<String, String> {
        match &self.fixed {
            Some(map) => (**map).clone(),
            None => std::env::vars().collect(),
        }
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.fixed {
            None => f.write_str("Env::Process"),
            Some(map) => {
                let mut names: Vec<&str> = map.keys().map(String::as_str).collect();
                names.sort_unstable();
                f.debug_struct("Env::Fixed").field("names", &names).finish()
            }
        }
    }
}
