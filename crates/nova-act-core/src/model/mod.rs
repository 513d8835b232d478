//! The typed model of the Nova Act service: one input and one output type per operation.
//!
//! Inputs serialize to their JSON body; members that travel in the path or the query string are
//! skipped by serde and placed by [`crate::Operation`]. Timestamps are RFC 3339. Call inputs and
//! tool schemas are free JSON documents. Enums keep values they do not know.

mod acts;
mod common;
mod definitions;
mod enums;
mod models;
mod runs;
mod sessions;

pub use acts::*;
pub use common::*;
pub use definitions::*;
pub use enums::*;
pub use models::*;
pub use runs::*;
pub use sessions::*;

/// Inputs with nothing required take `()` for their defaults: `client.list_models(())`,
/// `client.list_workflow_definitions(())` (the first page).
macro_rules! nothing_required {
    ($($input:ty),+) => {
        $(
            /// Nothing to give: the defaults.
            impl From<()> for $input {
                fn from((): ()) -> Self {
                    Self::default()
                }
            }
        )+
    };
}

nothing_required!(ListWorkflowDefinitionsInput, ListModelsInput);

/// RFC 3339 timestamps, as the service sends them.
pub type Timestamp = time::OffsetDateTime;
