//! Every way a call can fail, each said so that a person knows what to do.

use std::fmt;
use std::time::Duration;

use nova_auth::CredentialsError;

use crate::endpoint::EndpointError;
use crate::model::{
    InternalServerExceptionReason, ValidationExceptionField, ValidationExceptionReason,
};
use crate::validate::ValidationError;

/// Facts every service error carries.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorMeta {
    /// The operation, e.g. `CreateWorkflowRun`.
    pub operation: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// The error name, e.g. `AccessDeniedException`.
    pub name: String,
    /// The request id (`x-amzn-RequestId`, or `x-amz-rid` from the API-key service).
    pub request_id: Option<String>,
}

impl fmt::Display for ErrorMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, HTTP {}", self.name, self.status)?;
        match &self.request_id {
            Some(id) => write!(f, ", request id {id}"),
            None => f.write_str(", no request id"),
        }
    }
}

/// A failed Nova Act call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input breaks the service model's rules; nothing was sent.
    #[error(transparent)]
    InvalidInput(#[from] ValidationError),

    /// Credentials could not be had.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),

    /// The auth mode could not be settled (conflicting settings, nothing configured, …).
    #[error(transparent)]
    Auth(#[from] nova_auth::AuthError),

    /// The operation exists only on the AWS service, and this client uses an API key.
    #[error(
        "{operation} is only offered by the AWS Nova Act service, which needs IAM credentials; \
         this client uses an API key. Configure AWS credentials and set NOVA_ACT_AUTH=iam (or \
         remove NOVA_ACT_API_KEY)"
    )]
    NeedsIam {
        /// The operation.
        operation: &'static str,
    },

    /// A shared AWS setting (environment variable or profile key) has a value the client
    /// cannot use.
    #[error("{origin} is `{value}`; expected {expected}")]
    Setting {
        /// Where the value was written, such as `AWS_MAX_ATTEMPTS`.
        origin: String,
        /// The value.
        value: String,
        /// What it may be.
        expected: &'static str,
    },

    /// The endpoint settings contradict each other, or would send credentials in cleartext.
    #[error(transparent)]
    Endpoint(#[from] EndpointError),

    /// The API key was refused by nova.amazon.com.
    #[error(
        "{operation}: the API key from {key_source} was refused ({meta}): {message}. Check the key \
         at https://nova.amazon.com/act, or create a new one there"
    )]
    ApiKeyRejected {
        /// The operation.
        operation: &'static str,
        /// Where the key came from.
        key_source: String,
        /// The service's message.
        message: String,
        /// Status, name, request id.
        meta: ErrorMeta,
    },

    /// IAM refused the call.
    #[error(
        "{}: access denied to {action} ({meta}): {message}. Allow `{action}` for these credentials \
         in IAM (it is in the SDK's `{}` policy tier)",
        meta.operation,
        crate::iam::Tier::needed_for(action).unwrap_or_default()
    )]
    AccessDenied {
        /// The refused IAM action, `nova-act:<Operation>`.
        action: String,
        /// The service's message.
        message: String,
        /// Status, name, request id.
        meta: ErrorMeta,
    },

    /// The service found the request invalid.
    #[error("{}: the service refused the request as invalid ({reason}; {meta}): {message}{}",
        meta.operation, fields_text(fields))]
    Validation {
        /// Why.
        reason: ValidationExceptionReason,
        /// The members at fault.
        fields: Vec<ValidationExceptionField>,
        /// The service's message.
        message: String,
        /// Status, name, request id.
        meta: ErrorMeta,
    },

    /// A named resource does not exist.
    #[error("{}: {resource_type} `{resource_id}` was not found ({meta}): {message}", meta.operation)]
    ResourceNotFound {
        /// The resource.
        resource_id: String,
        /// Its kind.
        resource_type: String,
        /// The service's message.
        message: String,
        /// Status, name, request id.
        meta: ErrorMeta,
    },

    /// The request conflicts with the resource's state or another request.
    #[error("{}: conflict on {resource_type} `{resource_id}` ({meta}): {message}", meta.operation)]
    Conflict {
        /// The resource.
        resource_id: String,
        /// Its kind.
        resource_type: String,
        /// The service's message.
        message: String,
        /// Status, name, request id.
        meta: ErrorMeta,
    },

    /// A quota is used up.
    #[error(
        "{}: quota {quota_code} of {service_code} exceeded for {resource_type} `{resource_id}` \
         ({meta}): {message}. Free resources or request a quota increase",
        meta.operation
    )]
    ServiceQuotaExceeded {
        /// The resource.
        resource_id: String,
        /// Its kind.
        resource_type: String,
        /// The service.
        service_code: String,
        /// The quota.
        quota_code: String,
        /// The service's message.
        message: String,
        /// Status, name, request id.
        meta: ErrorMeta,
    },

    /// Too many requests, after every retry.
    #[error("{}: throttled ({meta}): {message}. Slow down, or raise the retry limit", meta.operation)]
    Throttling {
        /// How long the service asked to wait.
        retry_after: Option<Duration>,
        /// The service's message.
        message: String,
        /// Status, name, request id.
        meta: ErrorMeta,
    },

    /// The service failed, after every retry.
    #[error("{}: the service failed ({meta}{}): {message}", meta.operation,
        reason.as_ref().map(|r| format!(", {r}")).unwrap_or_default())]
    InternalServer {
        /// Why, when the service says.
        reason: Option<InternalServerExceptionReason>,
        /// How long the service asked to wait.
        retry_after: Option<Duration>,
        /// The service's message.
        message: String,
        /// Status, name, request id.
        meta: ErrorMeta,
    },

    /// An error the service model does not describe.
    #[error("{}: the service answered with an error ({meta}): {message}", meta.operation)]
    Service {
        /// The service's message, if any.
        message: String,
        /// Status, name, request id.
        meta: ErrorMeta,
    },

    /// The input could not be written as the request's JSON body; nothing was sent.
    #[error("{operation}: the request could not be encoded: {message}")]
    Encode {
        /// The operation.
        operation: &'static str,
        /// What failed.
        message: String,
    },

    /// The request could not be signed with SigV4; nothing was sent.
    #[error(
        "the request could not be signed with SigV4: {message}; check that the credentials are well formed"
    )]
    Signing {
        /// What failed.
        message: String,
    },

    /// The service could not be reached, or the connection broke.
    #[error(
        "{operation}: could not reach Nova Act at {endpoint}; check the network and the endpoint"
    )]
    Transport {
        /// The operation.
        operation: &'static str,
        /// The base URL.
        endpoint: String,
        /// What failed: the HTTP client's error, boxed so that its version is not part of this
        /// crate's interface. [`nova_auth::Report`] prints it with its causes.
        #[source]
        source: nova_auth::BoxError,
    },

    /// No answer in time.
    #[error("{operation}: no answer from Nova Act within {} (attempt timeout); raise it or check the network",
        humantime::format_duration(*after))]
    Timeout {
        /// The operation.
        operation: &'static str,
        /// The time allowed per attempt.
        after: Duration,
    },

    /// The answer could not be understood.
    #[error("{operation}: the service's answer could not be read (HTTP {status}{}): {message}",
        request_id.as_ref().map(|id| format!(", request id {id}")).unwrap_or_default())]
    InvalidResponse {
        /// The operation.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// The request id.
        request_id: Option<String>,
        /// What was wrong with it.
        message: String,
    },
}

fn fields_text(fields: &[ValidationExceptionField]) -> String {
    fields
        .iter()
        .map(|f| format!("; `{}`: {}", f.name, f.message))
        .collect()
}

impl Error {
    /// The service's status, name and request id, for errors that came from the service.
    pub fn meta(&self) -> Option<&ErrorMeta> {
        match self {
            Self::ApiKeyRejected { meta, .. }
            | Self::AccessDenied { meta, .. }
            | Self::Validation { meta, .. }
            | Self::ResourceNotFound { meta, .. }
            | Self::Conflict { meta, .. }
            | Self::ServiceQuotaExceeded { meta, .. }
            | Self::Throttling { meta, .. }
            | Self::InternalServer { meta, .. }
            | Self::Service { meta, .. } => Some(meta),
            _ => None,
        }
    }

    /// The error's type for telemetry (`error.type`): the service's exception name, or the
    /// client-side kind; never the message, which may quote input.
    pub(crate) fn kind(&self) -> &str {
        if let Some(meta) = self.meta() {
            return &meta.name;
        }
        match self {
            Self::InvalidInput(_) => "InvalidInput",
            Self::Credentials(_) => "Credentials",
            Self::Auth(_) => "Auth",
            Self::NeedsIam { .. } => "NeedsIam",
            Self::Setting { .. } => "Setting",
            Self::Endpoint(_) => "Endpoint",
            Self::Encode { .. } => "Encode",
            Self::Signing { .. } => "Signing",
            Self::Transport { .. } => "Transport",
            Self::Timeout { .. } => "Timeout",
            Self::InvalidResponse { .. } => "InvalidResponse",
            // The service's answers, which `meta` named above.
            _ => "Service",
        }
    }

    /// The HTTP status of the service's answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::InvalidResponse { status, .. } => Some(*status),
            other => other.meta().map(|m| m.status),
        }
    }

    /// Whether the named resource does not exist (`ResourceNotFoundException`).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::ResourceNotFound { .. })
    }

    /// Whether IAM refused the call (`AccessDeniedException`); `nova-act permissions` prints a
    /// policy that allows it.
    pub fn is_access_denied(&self) -> bool {
        matches!(self, Self::AccessDenied { .. })
    }

    /// Whether the failure is transient, so the same request may succeed later: throttling, a
    /// 500/502/503/504 from the service, a broken connection or a timeout. The client already
    /// retried these as far as was safe (InvokeActStep only when it cannot have been sent).
    pub fn is_retryable(&self) -> bool {
        // The client's own rule, for an operation that may run twice.
        crate::retry::retryable(self, crate::Retry::Safe, false).is_some()
    }

    /// Whether InvokeActStep was refused because the act has taken all the steps the service
    /// allows ([`MAX_STEPS_PER_ACT`](crate::limits::MAX_STEPS_PER_ACT)): the model's
    /// `ServiceQuotaExceededException`, or a `ValidationException` naming the `steps` field (as
    /// the emulator words it). Both end an act the same way.
    pub(crate) fn is_step_limit(&self) -> bool {
        match self {
            Self::ServiceQuotaExceeded { meta, .. } => meta.operation == "InvokeActStep",
            Self::Validation { fields, meta, .. } => {
                meta.operation == "InvokeActStep" && fields.iter().any(|f| f.name == "steps")
            }
            _ => false,
        }
    }

    /// The request id, when the service gave one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::InvalidResponse { request_id, .. } => request_id.as_deref(),
            other => other.meta().and_then(|m| m.request_id.as_deref()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(status: u16, name: &str) -> ErrorMeta {
        ErrorMeta {
            operation: "GetWorkflowRun",
            status,
            name: name.to_owned(),
            request_id: Some("r-1".to_owned()),
        }
    }

    #[test]
    fn both_refusals_of_a_step_past_the_limit_are_the_step_limit() {
        let step = |name: &str| ErrorMeta {
            operation: "InvokeActStep",
            ..meta(400, name)
        };
        let quota = |meta: ErrorMeta| Error::ServiceQuotaExceeded {
            resource_id: "act-1".into(),
            resource_type: "Act".into(),
            service_code: "nova-act".into(),
            quota_code: "steps".into(),
            message: "too many steps".into(),
            meta,
        };
        let validation = |meta: ErrorMeta, field: &str| Error::Validation {
            reason: ValidationExceptionReason::FieldValidationFailed,
            fields: vec![ValidationExceptionField {
                name: field.into(),
                message: "an act takes at most 200 steps".into(),
            }],
            message: "steps: an act takes at most 200 steps".into(),
            meta,
        };
        assert!(quota(step("ServiceQuotaExceededException")).is_step_limit());
        assert!(validation(step("ValidationException"), "steps").is_step_limit());
        // Another operation's quota, or another field, is not the step limit.
        assert!(!quota(meta(402, "ServiceQuotaExceededException")).is_step_limit());
        assert!(!validation(step("ValidationException"), "callResults").is_step_limit());
    }

    #[test]
    fn accessors_classify_each_kind() {
        let not_found = Error::ResourceNotFound {
            resource_id: "x".into(),
            resource_type: "WorkflowRun".into(),
            message: "gone".into(),
            meta: meta(404, "ResourceNotFoundException"),
        };
        assert!(not_found.is_not_found() && !not_found.is_retryable());
        assert_eq!(
            (not_found.status(), not_found.request_id()),
            (Some(404), Some("r-1"))
        );
        let denied = Error::AccessDenied {
            action: "nova-act:GetWorkflowRun".into(),
            message: "no".into(),
            meta: meta(403, "AccessDeniedException"),
        };
        assert!(denied.is_access_denied() && !denied.is_not_found());
        let throttled = Error::Throttling {
            retry_after: None,
            message: "slow".into(),
            meta: meta(429, "ThrottlingException"),
        };
        assert!(throttled.is_retryable());
        let server = |status| Error::InternalServer {
            reason: None,
            retry_after: None,
            message: "x".into(),
            meta: meta(status, "InternalServerException"),
        };
        assert!(server(503).is_retryable());
        assert!(!server(501).is_retryable());
        let timeout = Error::Timeout {
            operation: "GetWorkflowRun",
            after: Duration::from_secs(1),
        };
        assert!(timeout.is_retryable() && timeout.status().is_none());
        let encode = Error::Encode {
            operation: "CreateAct",
            message: "bad".into(),
        };
        assert!(!encode.is_retryable() && encode.status().is_none());
    }
}
