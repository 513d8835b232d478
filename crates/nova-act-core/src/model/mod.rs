//! The typed model of the Nova Act service: one input and one output type per operation.
//!
//! Inputs serialize to their JSON body; members that travel in the path or the query string are
//! skipped by serde and placed by [`crate::Operation`]. Timestamps are RFC 3339. Call inputs and
//! tool schemas are free JSON documents. Enums keep values they do not know.

/// The doc of a URI label member.
macro_rules! label_doc {
    (workflow_definition_name) => {
        "The definition (path)."
    };
    (workflow_run_id) => {
        "The run (path)."
    };
    (session_id) => {
        "The session (path)."
    };
    (act_id) => {
        "The act (path)."
    };
}

/// An operation's input: the labels its URI carries (strings, not in the body), for a
/// listing its page (`maxResults` and `nextToken` in the query, the body's `sortOrder`), then
/// the members written out. Members outside the body are still read back by serde, as the
/// emulator does.
macro_rules! input {
    (
        $(#[$attr:meta])*
        pub struct $name:ident [$($label:ident),*] paged { $($members:tt)* }
    ) => {
        input! {
            $(#[$attr])*
            pub struct $name [$($label),*] {
                /// Page size, 1..100 (query).
                #[serde(skip_serializing, default)]
                pub max_results: Option<i32>,
                /// Where to continue (query).
                #[serde(skip_serializing, default)]
                pub next_token: Option<String>,
                /// Order by time: of creation for definitions and sessions, of start for runs
                /// and acts.
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub sort_order: Option<SortOrder>,
                $($members)*
            }
        }
    };
    (
        $(#[$attr:meta])*
        pub struct $name:ident [$($label:ident),*] {
            $($(#[$member_attr:meta])* pub $member:ident: $type:ty,)*
        }
    ) => {
        $(#[$attr])*
        #[derive(Serialize, Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            $(
                #[doc = label_doc!($label)]
                #[serde(skip_serializing, default)]
                pub $label: String,
            )*
            $($(#[$member_attr])* pub $member: $type,)*
        }
    };
}

/// A listing's page: its items and where the next page starts.
macro_rules! page {
    ($(#[$attr:meta])* pub struct $name:ident { $items:ident: Vec<$item:ty> }) => {
        $(#[$attr])*
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            /// This page.
            pub $items: Vec<$item>,
            /// Where the next page starts, if there is one.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub next_token: Option<String>,
        }
    };
}

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
