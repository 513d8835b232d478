//! Why AgentCore work failed, said so that a person knows what to do: one type for browser
//! sessions ([`SessionError`]), one for workflows on AgentCore Runtime ([`RuntimeError`]).

/// The failure of an AgentCore Browser call: starting, attaching to or stopping a session.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// Settings the service would refuse; nothing was sent.
    #[error("invalid remote browser settings: {message}")]
    InvalidOptions {
        /// What is wrong and what is allowed.
        message: String,
    },
    /// IAM refused the call.
    #[error(
        "AgentCore refused {action}: {message}. Allow `bedrock-agentcore:{action}` on \
         arn:aws:bedrock-agentcore:REGION:ACCOUNT:browser/* in the caller's IAM policy"
    )]
    AccessDenied {
        /// The action refused, such as `StartBrowserSession`.
        action: &'static str,
        /// The service's message.
        message: String,
    },
    /// Too many sessions at once.
    #[error(
        "AgentCore refused {action}: {message}. The account's quota of browser sessions is used \
         up: stop sessions you no longer need, lower the concurrency, or request a quota increase"
    )]
    QuotaExceeded {
        /// The action refused.
        action: &'static str,
        /// The service's message.
        message: String,
    },
    /// Any other refusal by the service.
    #[error("AgentCore {action} failed: {message} ({code})")]
    Service {
        /// The action.
        action: &'static str,
        /// The error's name, such as `ValidationException`.
        code: String,
        /// The service's message.
        message: String,
    },
    /// The service could not be reached, or its answer not read.
    #[error("AgentCore {action} did not complete; check the network and the region")]
    Unreachable {
        /// The action.
        action: &'static str,
        /// Why.
        #[source]
        source: nova_auth::BoxError,
    },
    /// The program was asked to stop; the session was stopped.
    #[error("interrupted by {reason}; remote browser session {session_id} was stopped")]
    Interrupted {
        /// The session.
        session_id: String,
        /// What asked to stop, such as `SIGINT`.
        reason: String,
    },
    /// A call or the automation stream's handshake could not be signed.
    #[error(transparent)]
    Signing(#[from] SigningError),
    /// The credentials for the call could not be had.
    #[error(transparent)]
    Credentials(#[from] nova_auth::CredentialsError),
    /// The remote browser could not be attached.
    #[error(transparent)]
    Browser(#[from] nova_browser::BrowserError),
}

/// The failure of work with AgentCore Runtime: a deploy's step, an invocation, a lookup or an
/// undeploy.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// A deployment the runtime's or IAM's rules cannot hold; nothing was sent.
    #[error("{message}")]
    InvalidDeployment {
        /// What is wrong and what is allowed.
        message: String,
    },
    /// IAM refused a call.
    #[error("AWS refused {action}: {message}. The caller's IAM policy must allow it")]
    AccessDenied {
        /// The action refused, with its service: `iam:CreateRole`, `ecr:CreateRepository`, …
        action: &'static str,
        /// The service's message.
        message: String,
    },
    /// The runtime did not become READY.
    #[error("the runtime is {status}: {reason}")]
    RuntimeFailed {
        /// `CREATE_FAILED` or `UPDATE_FAILED`.
        status: String,
        /// The service's reason.
        reason: String,
    },
    /// The container tool (`docker`, `podman`) failed.
    #[error("`{command}` failed: {output}")]
    Tool {
        /// The tool and its subcommand.
        command: String,
        /// Its last lines of output, or what became of it.
        output: String,
        /// Why it could not be run or read, when it could not.
        #[source]
        source: Option<std::io::Error>,
    },
    /// A Nova Act call failed.
    #[error(transparent)]
    NovaAct(Box<nova_act_core::Error>),
    /// Any other refusal by a service.
    #[error("AWS {action} failed: {message} ({code})")]
    Service {
        /// The action.
        action: &'static str,
        /// The error's name, such as `ValidationException`.
        code: String,
        /// The service's message.
        message: String,
    },
    /// A service could not be reached, or its answer not read.
    #[error("AWS {action} did not complete; check the network and the region")]
    Unreachable {
        /// The action.
        action: &'static str,
        /// Why.
        #[source]
        source: nova_auth::BoxError,
    },
    /// A runtime served on this machine did not answer.
    #[error("the runtime at {url} did not answer; check that it is still running")]
    LocalUnreachable {
        /// Where it was asked.
        url: String,
        /// Why.
        #[source]
        source: nova_auth::BoxError,
    },
    /// A call could not be signed.
    #[error(transparent)]
    Signing(#[from] SigningError),
    /// The credentials for the call could not be had.
    #[error(transparent)]
    Credentials(#[from] nova_auth::CredentialsError),
}

/// A request that could not be signed: credentials of the wrong kind, or a request the signer
/// cannot take.
#[derive(Debug, thiserror::Error)]
#[error("an AWS request could not be signed: {message}")]
pub struct SigningError {
    /// What could not be done.
    pub message: String,
    /// Why, when another error said so.
    #[source]
    pub source: Option<nova_auth::BoxError>,
}
