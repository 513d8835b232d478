//! The emulator's state and the semantics of each operation: what every resource shares here,
//! each resource's operations (their state and their `Serve` impl) in a file of its own.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use nova_act_core::auth::Clock;
use nova_act_core::limits::{ACT_TIMEOUT, RUN_TIMEOUT};
use nova_act_core::model::*;
use serde_json::Value;
use time::OffsetDateTime;

use crate::error::ServiceError;
use crate::planner::ActView;

/// The model the emulator offers.
pub const MODEL_ID: &str = "nova-act-v1.0";
/// The alias the AWS SDKs and this SDK send by default; it resolves to [`MODEL_ID`].
pub const MODEL_ALIAS: &str = "nova-act-latest";
/// The alias the Python SDK sends with an API key; the emulator resolves it to [`MODEL_ID`] too.
pub const MODEL_PREVIEW_ALIAS: &str = "nova-act-preview";
/// Every alias accepted, on either side (IAM and API key), each resolving to [`MODEL_ID`].
pub const MODEL_ALIASES: &[&str] = &[MODEL_ALIAS, MODEL_PREVIEW_ALIAS];

struct Definition {
    created_at: OffsetDateTime,
    description: Option<String>,
    export_config: Option<WorkflowExportConfig>,
    client_token: Option<String>,
}

struct RunRecord {
    definition: String,
    status: WorkflowRunStatus,
    started_at: OffsetDateTime,
    ended_at: Option<OffsetDateTime>,
    model_id: String,
    log_group_name: Option<String>,
    seq: u64,
}

struct SessionRecord {
    run_id: String,
    seq: u64,
}

struct ActRecord {
    definition: String,
    run_id: String,
    session_id: String,
    status: ActStatus,
    started_at: OffsetDateTime,
    ended_at: Option<OffsetDateTime>,
    view: ActView,
    steps: usize,
    last_step: Option<String>,
    seq: u64,
    error: Option<ActFailure>,
}

/// An act as the emulator last saw it: what it was asked, and how it ended.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ActState {
    /// The act.
    pub act_id: String,
    /// Its task and the tools declared with it.
    pub view: ActView,
    /// Its status.
    pub status: ActStatus,
    /// The error UpdateAct recorded, if any.
    pub error: Option<ActFailure>,
    /// How many steps it took.
    pub steps: usize,
}

/// Everything the emulator knows.
pub(crate) struct Store {
    /// The time runs and acts start, end and time out by.
    clock: Arc<dyn Clock>,
    /// The soonest a running run or act times out; nothing expires before it.
    next_timeout: Option<OffsetDateTime>,
    definitions: BTreeMap<String, Definition>,
    runs: HashMap<String, RunRecord>,
    sessions: HashMap<String, SessionRecord>,
    acts: HashMap<String, ActRecord>,
    /// Creates already answered, by operation, parent and client token.
    tokens: HashMap<(String, String, String), Value>,
    seq: u64,
    /// How many of each resource were ever created (for tests).
    pub(crate) created: Created,
}

/// Counts of resources created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Created {
    /// Workflow definitions.
    pub definitions: usize,
    /// Workflow runs.
    pub runs: usize,
    /// Sessions.
    pub sessions: usize,
    /// Acts.
    pub acts: usize,
}

fn id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A record looked up by `id`, if it belongs under the path's parent; the service's
/// `ResourceNotFoundException` for `kind` otherwise. `R` is a shared or a mutable reference.
fn found<R>(
    record: Option<R>,
    belongs: impl FnOnce(&R) -> bool,
    kind: &str,
    id: &str,
) -> Result<R, ServiceError> {
    record
        .filter(belongs)
        .ok_or_else(|| ServiceError::not_found(kind, id))
}

fn finished_run(status: &WorkflowRunStatus) -> bool {
    !matches!(status, WorkflowRunStatus::Running)
}

fn finished_act(status: &ActStatus) -> bool {
    matches!(
        status,
        ActStatus::Succeeded | ActStatus::Failed | ActStatus::TimedOut
    )
}

/// What a listing asks for: where to continue, how many, in which order.
struct Paging<'a> {
    token: Option<&'a str>,
    max: Option<i32>,
    order: Option<&'a SortOrder>,
}

/// The paging members of a List* input.
macro_rules! paging {
    ($input:expr) => {
        $crate::store::Paging {
            token: $input.next_token.as_deref(),
            max: $input.max_results,
            order: $input.sort_order.as_ref(),
        }
    };
}

/// One page of `records` in the order of `key` (oldest first unless `paging` says descending),
/// each shown as its `summary`, after the opaque token and of at most `max` items; and the token
/// of the next page, if there is one.
fn listing<'a, R: 'a, K: Ord, T>(
    records: impl Iterator<Item = (&'a String, &'a R)>,
    key: impl Fn(&String, &R) -> K,
    summary: impl Fn(&String, &R) -> T,
    paging: Paging<'_>,
) -> Result<(Vec<T>, Option<String>), ServiceError> {
    let mut records: Vec<(&String, &R)> = records.collect();
    records.sort_by_key(|(id, record)| key(id, record));
    if matches!(paging.order, Some(SortOrder::Descending)) {
        records.reverse();
    }
    let start = match paging.token {
        None => 0,
        Some(token) => token
            .strip_prefix("page-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= records.len())
            .ok_or_else(|| {
                ServiceError::field("nextToken", "is not a token this service issued")
            })?,
    };
    let size = usize::try_from(paging.max.unwrap_or(100))
        .unwrap_or(100)
        .clamp(1, 100);
    let end = (start + size).min(records.len());
    let next = (end < records.len()).then(|| format!("page-{end}"));
    let items = records[start..end]
        .iter()
        .map(|(id, record)| summary(id, record))
        .collect();
    Ok((items, next))
}

impl Store {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            next_timeout: None,
            definitions: BTreeMap::new(),
            runs: HashMap::new(),
            sessions: HashMap::new(),
            acts: HashMap::new(),
            tokens: HashMap::new(),
            seq: 0,
            created: Created::default(),
        }
    }

    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::from(self.clock.now())
    }

    /// Notes that something running times out at `at`.
    fn times_out_at(&mut self, at: OffsetDateTime) {
        self.next_timeout = Some(self.next_timeout.map_or(at, |next| next.min(at)));
    }

    /// Ends, TIMED_OUT, every run that has run for [`RUN_TIMEOUT`] and every act that has run
    /// for [`ACT_TIMEOUT`] (or whose run timed out), as the service does. Called before every
    /// look at the store; costs nothing until the soonest timeout has passed.
    pub(crate) fn expire(&mut self) {
        let now = self.now();
        if self.next_timeout.is_none_or(|next| now < next) {
            return;
        }
        let mut ended_runs = HashMap::new();
        for (id, run) in &mut self.runs {
            let deadline = run.started_at + RUN_TIMEOUT;
            if !finished_run(&run.status) && deadline <= now {
                run.status = WorkflowRunStatus::TimedOut;
                run.ended_at = Some(deadline);
            }
            if run.status == WorkflowRunStatus::TimedOut {
                ended_runs.insert(id.clone(), run.ended_at.unwrap_or(deadline));
            }
        }
        for act in self.acts.values_mut().filter(|a| !finished_act(&a.status)) {
            // Its own day, or its run's end when that came first.
            let own = act.started_at + ACT_TIMEOUT;
            let deadline = ended_runs
                .get(&act.run_id)
                .map_or(own, |run_ended| own.min(*run_ended));
            if deadline <= now {
                act.status = ActStatus::TimedOut;
                act.ended_at = Some(deadline);
                act.error = Some(ActFailure {
                    message: format!(
                        "the act did not finish within {}",
                        if deadline == own {
                            "24 hours"
                        } else {
                            "its workflow run's 1 week"
                        }
                    ),
                    error_type: Some("ActTimeoutError".to_owned()),
                });
            }
        }
        let running_runs = self
            .runs
            .values()
            .filter(|r| !finished_run(&r.status))
            .map(|r| r.started_at + RUN_TIMEOUT);
        let running_acts = self
            .acts
            .values()
            .filter(|a| !finished_act(&a.status))
            .map(|a| a.started_at + ACT_TIMEOUT);
        self.next_timeout = running_runs.chain(running_acts).min();
    }

    /// A new timed record's id, place in the listings and start, its timeout scheduled.
    fn start(&mut self, timeout: std::time::Duration) -> (String, u64, Timestamp) {
        let started_at = self.now();
        self.times_out_at(started_at + timeout);
        (id(), self.next_seq(), started_at)
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// A create made once per idempotency token: the answer already given for `token` under
    /// `parent`, or `create`'s, remembered for the next attempt with that token.
    fn idempotent<T: serde::Serialize + serde::de::DeserializeOwned>(
        &mut self,
        op: &str,
        parent: &str,
        token: Option<&String>,
        create: impl FnOnce(&mut Self) -> Result<T, ServiceError>,
    ) -> Result<T, ServiceError> {
        let key = token.map(|token| (op.to_owned(), parent.to_owned(), token.clone()));
        if let Some(given) = key.as_ref().and_then(|key| self.tokens.get(key))
            && let Ok(answer) = serde_json::from_value(given.clone())
        {
            return Ok(answer);
        }
        let answer = create(self)?;
        if let (Some(key), Ok(value)) = (key, serde_json::to_value(&answer)) {
            self.tokens.insert(key, value);
        }
        Ok(answer)
    }
}

// After the macros above, which the resources' files use.
/// The operations the store answers on its own: each input and the store method that serves
/// it, taking the input by value or (`&`) by reference.
macro_rules! served_by_store {
    ($($input:ty => $method:ident($($by:tt)?);)*) => {$(
        impl Serve for $input {
            fn serve(self, shared: &Shared) -> Result<Self::Output, ServiceError> {
                shared.store().$method($($by)? self)
            }
        }
    )*};
}

mod acts;
mod definitions;
mod runs;
