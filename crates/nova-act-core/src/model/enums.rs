//! The service's string enums. Each keeps values it does not know in `Unknown`, so a new status
//! on the service never breaks an old client.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this version of the SDK does not know.
            Unknown(String),
        }

        impl $name {
            /// Every value this version knows, in the model's order.
            pub const KNOWN: &'static [&'static str] = &[$($wire),+];

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Unknown(value) => value,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($wire => Self::$variant,)+
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
                Ok(Self::from(value.as_ref()))
            }
        }
    };
}

string_enum! {
    /// The state of a workflow run.
    WorkflowRunStatus {
        /// Running.
        Running = "RUNNING",
        /// Finished successfully.
        Succeeded = "SUCCEEDED",
        /// Finished with an error.
        Failed = "FAILED",
        /// Ran out of time.
        TimedOut = "TIMED_OUT",
        /// Being deleted.
        Deleting = "DELETING",
    }
}

string_enum! {
    /// The state of an act.
    ActStatus {
        /// The service is working.
        Running = "RUNNING",
        /// Waiting for the client to run calls.
        PendingClientAction = "PENDING_CLIENT_ACTION",
        /// Waiting for a person.
        PendingHumanAction = "PENDING_HUMAN_ACTION",
        /// Finished successfully.
        Succeeded = "SUCCEEDED",
        /// Finished with an error.
        Failed = "FAILED",
        /// Ran out of time.
        TimedOut = "TIMED_OUT",
    }
}

string_enum! {
    /// The state of a workflow definition.
    WorkflowDefinitionStatus {
        /// Usable.
        Active = "ACTIVE",
        /// Being deleted.
        Deleting = "DELETING",
    }
}

string_enum! {
    /// The lifecycle of a model.
    ModelStatus {
        /// Current.
        Active = "ACTIVE",
        /// Still served, superseded.
        Legacy = "LEGACY",
        /// Going away.
        Deprecated = "DEPRECATED",
        /// Early access.
        Preview = "PREVIEW",
    }
}

string_enum! {
    /// The order of a listing.
    SortOrder {
        /// Oldest first.
        Ascending = "Ascending",
        /// Newest first.
        Descending = "Descending",
    }
}

string_enum! {
    /// Why the service refused a request as invalid.
    ValidationExceptionReason {
        /// A field broke a rule.
        FieldValidationFailed = "FieldValidationFailed",
        /// The resource is in a state that does not allow the change.
        InvalidStatus = "InvalidStatus",
        /// A guardrail stopped the request.
        GuardrailIntervened = "GuardrailIntervened",
    }
}

string_enum! {
    /// Why the service failed internally.
    InternalServerExceptionReason {
        /// The model produced something unusable.
        InvalidModelGeneration = "InvalidModelGeneration",
        /// The request was too large for the model.
        RequestTokenLimitExceeded = "RequestTokenLimitExceeded",
    }
}

string_enum! {
    /// Where traces are stored.
    TraceLocationType {
        /// Amazon S3.
        S3 = "S3",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_are_kept() {
        let status: WorkflowRunStatus = serde_json::from_str("\"PAUSED\"").unwrap();
        assert_eq!(status, WorkflowRunStatus::Unknown("PAUSED".to_owned()));
        assert_eq!(serde_json::to_string(&status).unwrap(), "\"PAUSED\"");
        let known: ActStatus = serde_json::from_str("\"PENDING_CLIENT_ACTION\"").unwrap();
        assert_eq!(known, ActStatus::PendingClientAction);
    }
}
