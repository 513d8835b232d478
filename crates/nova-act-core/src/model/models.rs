//! ListModels: which models this client may use.

use serde::{Deserialize, Serialize};

use super::ModelStatus;

/// Input of ListModels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListModelsInput {
    /// The client's protocol version (query).
    // Members in the URI or the query are not in the body; the emulator reads them back in.
    #[serde(skip_serializing)]
    pub client_compatibility_version: i32,
}

impl Default for ListModelsInput {
    fn default() -> Self {
        Self {
            client_compatibility_version: crate::COMPATIBILITY_VERSION,
        }
    }
}

/// Output of ListModels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListModelsOutput {
    /// The models.
    pub model_summaries: Vec<ModelSummary>,
    /// Names such as `nova-act-latest` and what they point at.
    pub model_aliases: Vec<ModelAlias>,
    /// What this client version may use.
    pub compatibility_information: CompatibilityInformation,
}

/// A model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelSummary {
    /// Its id.
    pub model_id: String,
    /// Its lifecycle.
    pub model_lifecycle: ModelLifecycle,
    /// The oldest client protocol version it serves.
    pub minimum_compatibility_version: i32,
}

/// A model's lifecycle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelLifecycle {
    /// Its state.
    pub status: ModelStatus,
}

/// A model alias.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelAlias {
    /// The alias.
    pub alias_name: String,
    /// The newest model it points at.
    pub latest_model_id: String,
    /// The model it resolves to for this client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_model_id: Option<String>,
}

/// What a client version may use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompatibilityInformation {
    /// The version asked about.
    pub client_compatibility_version: i32,
    /// The models it may use.
    pub supported_model_ids: Vec<String>,
    /// A note from the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}
