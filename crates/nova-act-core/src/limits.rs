//! The service's quotas and fixed limits (Nova Act user guide, "Quotas"): one definition that
//! the SDK keeps to and the emulator enforces.
//!
//! | quota | default | adjustable |
//! |---|---|---|
//! | InvokeActStep | [`STEP_RATE`] requests per second per account | yes |
//! | every other operation | [`OPERATION_RATE`] per second each | yes |
//! | steps per act | [`MAX_STEPS_PER_ACT`] | no |
//! | InvokeActStep payload | [`MAX_STEP_PAYLOAD_BYTES`] | no |
//! | tools per act | [`MAX_TOOLS_PER_ACT`] | no |
//! | tool specification payload | [`MAX_TOOL_SPECS_BYTES`] | no |
//! | act timeout | [`ACT_TIMEOUT`] | no |
//! | workflow run timeout | [`RUN_TIMEOUT`] | no |
//!
//! ```
//! use nova_act_core::limits;
//!
//! assert_eq!(limits::STEP_RATE, 5.0);
//! assert_eq!(limits::MAX_STEPS_PER_ACT, 200);
//! ```

use std::time::Duration;

/// InvokeActStep requests per second per account, by default (AWS raises it on request).
pub const STEP_RATE: f64 = 5.0;
/// Requests per second of each other operation, per account, by default.
pub const OPERATION_RATE: f64 = 100.0;
/// Steps one act may take; the next InvokeActStep is refused.
pub const MAX_STEPS_PER_ACT: u32 = 200;
/// The largest InvokeActStep request body, in bytes (5 MB).
pub const MAX_STEP_PAYLOAD_BYTES: usize = 5_000_000;
/// The most tools one act may declare.
pub const MAX_TOOLS_PER_ACT: usize = 100;
/// The largest tool specifications of one act, serialized, in bytes (350 KB).
pub const MAX_TOOL_SPECS_BYTES: usize = 350_000;
/// How long an act may run before the service ends it.
pub const ACT_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);
/// How long a workflow run may run before the service ends it.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 60 * 60);
