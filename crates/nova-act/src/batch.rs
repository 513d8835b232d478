//! Many tasks at once, each in its own browser and session of one workflow run; and the
//! shortest way to run one act from Rust.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::StreamExt;
use nova_act_core::runtime::{
    ActError, ActRequest, ActResult, Run, Shutdown, Traces, UrlPolicy, WorkflowError,
};
use nova_browser::{Browser, BrowserBuilder, BrowserError};

use crate::NovaAct;

/// One task of a [`Batch`]: what to do, and where the browser starts.
///
/// ```
/// use nova_act::Task;
/// use nova_act::runtime::ActRequest;
///
/// let task = Task::new("Find the price of the red apple", "https://shop.example/")
///     .id("apple")
///     .request(ActRequest::new("Find the price of the red apple").max_steps(10));
/// assert_eq!(task.id_str(), "apple");
/// ```
#[derive(Clone, Debug)]
pub struct Task {
    id: Option<String>,
    request: ActRequest,
    starting_page: String,
}

impl Task {
    /// `task`, in words, starting at `starting_page`.
    pub fn new(task: impl Into<String>, starting_page: impl Into<String>) -> Self {
        Self {
            id: None,
            request: ActRequest::new(task.into()),
            starting_page: starting_page.into(),
        }
    }

    nova_auth::setters! {
        /// Names the task in its outcome (by default its position, from 1).
        id(id: impl Into<String>) => id = Some(id.into());
        /// The whole act request (steps, timeout, schema) instead of the task alone.
        request(request: ActRequest) => request = request;
    }

    /// Its id, if one was given.
    pub fn id_str(&self) -> &str {
        self.id.as_deref().unwrap_or_default()
    }
}

/// Why a task of a batch has no result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TaskError {
    /// The batch was interrupted before this task started.
    #[error("interrupted by {reason} before the task started")]
    NotStarted {
        /// What interrupted it, such as `SIGINT`.
        reason: String,
    },
    /// Its browser could not be started.
    #[error("the task's browser could not start")]
    Browser(#[source] BrowserError),
    /// No remote browser session could be had for it (see [`Batch::remote`]).
    #[cfg(feature = "agentcore")]
    #[error("the task's remote browser session could not be had")]
    RemoteSession(#[source] nova_agentcore::SessionError),
    /// Its session could not be opened, or its act did not succeed.
    #[error(transparent)]
    Act(#[from] ActError),
    /// The workflow run could not be started or finished (credentials, the definition, the
    /// service), or the program was interrupted.
    #[error(transparent)]
    Run(Box<WorkflowError<BatchFailed>>),
}

impl TaskError {
    /// A short, stable name: the act's error type ([`ActError::code`]), `NotStarted` or
    /// `BrowserError`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotStarted { .. } => "NotStarted",
            Self::Browser(_) => "BrowserError",
            #[cfg(feature = "agentcore")]
            Self::RemoteSession(_) => "BrowserError",
            Self::Act(err) => err.code(),
            Self::Run(_) => "WorkflowRunError",
        }
    }
}

/// How one task ended.
#[derive(Debug)]
#[non_exhaustive]
pub struct TaskOutcome {
    /// The task's id: its own, or its position from 1.
    pub id: String,
    /// Its session, once one was opened.
    pub session_id: Option<String>,
    /// The act's HTML trace, when the batch writes traces.
    pub trace: Option<PathBuf>,
    /// The act's result, or why there is none.
    pub result: Result<ActResult, TaskError>,
}

/// Some tasks of a batch did not succeed (the run is marked FAILED).
#[derive(Debug, thiserror::Error)]
#[error("{failed} of {total} tasks did not succeed")]
#[non_exhaustive]
pub struct BatchFailed {
    /// How many did not succeed.
    pub failed: usize,
    /// How many tasks there were.
    pub total: usize,
}

type Launcher = Arc<dyn Fn() -> BrowserBuilder + Send + Sync>;

/// How far a [`Batch`] is, readable while it runs: for progress displays. Take it with
/// [`Batch::progress`] before [`Batch::run`]; the steps are the client's
/// ([`Client::steps_taken`](crate::Client::steps_taken)).
#[derive(Clone, Debug, Default)]
pub struct BatchProgress(Arc<Counts>);

#[derive(Debug, Default)]
struct Counts {
    running: AtomicUsize,
    finished: AtomicUsize,
    failed: AtomicUsize,
}

impl BatchProgress {
    /// Tasks started (browser starting, or act running) and not yet finished.
    pub fn running(&self) -> usize {
        self.0.running.load(Ordering::Relaxed)
    }

    /// Tasks finished, whatever their outcome (in any order; outcomes are handed over in the
    /// tasks' order).
    pub fn finished(&self) -> usize {
        self.0.finished.load(Ordering::Relaxed)
    }

    /// Tasks finished without succeeding, those never started included.
    pub fn failed(&self) -> usize {
        self.0.failed.load(Ordering::Relaxed)
    }

    fn started(&self) {
        self.0.running.fetch_add(1, Ordering::Relaxed);
    }

    fn ended(&self, outcome: &TaskOutcome) {
        if !matches!(outcome.result, Err(TaskError::NotStarted { .. })) {
            self.0.running.fetch_sub(1, Ordering::Relaxed);
        }
        self.0.finished.fetch_add(1, Ordering::Relaxed);
        if outcome.result.is_err() {
            self.0.failed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Runs many tasks in one workflow run, `concurrency` at once, each in a fresh local browser
/// and session; the client paces every step at the account's quota (see the scaling guide).
/// Outcomes are handed over as tasks finish, in the order the tasks were given.
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use nova_act::{Batch, NovaAct, Task};
///
/// let nova = NovaAct::from_env().await?;
/// let tasks = ["apples", "pears", "plums"]
///     .map(|fruit| Task::new(format!("Find the price of {fruit}"), "https://shop.example/"));
/// Batch::new(&nova)
///     .concurrency(3)
///     .run(tasks, |outcome| match &outcome.result {
///         Ok(result) => println!("{}: {:?}", outcome.id, result.value),
///         Err(err) => println!("{}: {err}", outcome.id),
///     })
///     .await?;
/// # Ok(()) }
/// ```
#[must_use]
pub struct Batch {
    nova: NovaAct,
    concurrency: usize,
    launcher: Launcher,
    policy: Option<UrlPolicy>,
    traces: Option<Traces>,
    secrets: nova_act_core::runtime::SecretValues,
    shutdown: Option<Shutdown>,
    definition: Option<String>,
    stagger: Stagger,
    progress: BatchProgress,
    #[cfg(feature = "agentcore")]
    remote: Option<nova_agentcore::BrowserPool>,
}

/// Spaces browser starts at least `interval` apart.
#[derive(Debug, Default)]
struct Stagger {
    interval: std::time::Duration,
    /// When the next start may happen.
    next: std::sync::Mutex<Option<tokio::time::Instant>>,
}

impl Stagger {
    /// Waits for the caller's turn.
    async fn turn(&self) {
        if self.interval.is_zero() {
            return;
        }
        let now = tokio::time::Instant::now();
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let slot = next.map_or(now, |at| at.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("concurrency", &self.concurrency)
            .field("definition", &self.definition)
            .finish_non_exhaustive()
    }
}

impl Batch {
    /// Tasks on `nova`'s client, three at once, in headless browsers.
    pub fn new(nova: &NovaAct) -> Self {
        Self {
            nova: nova.clone(),
            concurrency: 3,
            launcher: Arc::new(|| Browser::builder().headless(true)),
            policy: None,
            traces: None,
            secrets: nova_act_core::runtime::SecretValues::new(),
            shutdown: None,
            definition: None,
            stagger: Stagger::default(),
            progress: BatchProgress::default(),
            #[cfg(feature = "agentcore")]
            remote: None,
        }
    }

    /// A live view of how far the batch is, to read while [`run`](Self::run) runs.
    ///
    /// ```no_run
    /// # async fn example(nova: nova_act::NovaAct, tasks: Vec<nova_act::Task>) {
    /// use nova_act::Batch;
    ///
    /// let batch = Batch::new(&nova).concurrency(8);
    /// let progress = batch.progress();
    /// tokio::spawn(async move {
    ///     loop {
    ///         tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    ///         eprintln!("{} running, {} done", progress.running(), progress.finished());
    ///     }
    /// });
    /// let _ = batch.run(tasks, |_| {}).await;
    /// # }
    /// ```
    pub fn progress(&self) -> BatchProgress {
        self.progress.clone()
    }

    /// Runs every task on a fresh session of Amazon Bedrock AgentCore Browser from `pool`
    /// instead of a local browser: the pool's session options and start attempts apply, its
    /// concurrency does not (the batch's does), and each session is stopped when its task
    /// ends. [`browser`](Self::browser) still gives the settings each is attached with.
    ///
    /// ```no_run
    /// # async fn example(nova: nova_act::NovaAct) -> Result<(), Box<dyn std::error::Error>> {
    /// use nova_act::agentcore::{BrowserPool, BrowserSessions};
    /// use nova_act::{Batch, Task};
    ///
    /// let sessions = BrowserSessions::builder(nova.auth()).build()?;
    /// let tasks = ["Lima", "Osaka"]
    ///     .map(|city| Task::new(format!("Find the weather in {city}"), "https://weather.example/"));
    /// Batch::new(&nova)
    ///     .concurrency(2)
    ///     .remote(BrowserPool::new(&sessions))
    ///     .run(tasks, |outcome| println!("{}: {:?}", outcome.id, outcome.result.is_ok()))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "agentcore")]
    pub fn remote(mut self, pool: nova_agentcore::BrowserPool) -> Self {
        self.remote = Some(pool);
        self
    }

    /// Starts the browsers at least `interval` apart, so that many Chromiums starting at once
    /// do not starve each other of CPU (default none).
    pub fn stagger(mut self, interval: std::time::Duration) -> Self {
        self.stagger.interval = interval;
        self
    }

    /// How many tasks run at once (at least 1).
    pub fn concurrency(mut self, tasks: usize) -> Self {
        self.concurrency = tasks.max(1);
        self
    }

    /// The settings of every task's browser (its starting page is the task's).
    pub fn browser(
        mut self,
        settings: impl Fn() -> BrowserBuilder + Send + Sync + 'static,
    ) -> Self {
        self.launcher = Arc::new(settings);
        self
    }

    nova_auth::setters! {
        /// A URL policy for every browser and act: blocked URLs are never requested, and a blocked
        /// page ends the act.
        url_policy(policy: UrlPolicy) => policy = Some(policy);
        /// Writes every act's trace.
        traces(traces: Traces) => traces = Some(traces);
        /// The values of the tasks' `{{secret:NAME}}` and `{{totp:NAME}}` placeholders, for
        /// every session.
        secrets(values: nova_act_core::runtime::SecretValues) => secrets = values;
        /// Stops cleanly on `shutdown`: acts in flight end FAILED, tasks not yet started are
        /// reported [`TaskError::NotStarted`], and the run is marked FAILED.
        shutdown(shutdown: Shutdown) => shutdown = Some(shutdown);
        /// The workflow definition of the run (IAM; `NOVA_ACT_WORKFLOW_DEFINITION` otherwise).
        definition(name: impl Into<String>) => definition = Some(name.into());
    }

    /// Runs `tasks`, handing each outcome to `each` in the tasks' order as soon as it and those
    /// before it are done. The run succeeds when every task did; otherwise it is marked FAILED
    /// and the answer is [`WorkflowError::Body`] with [`BatchFailed`].
    pub async fn run(
        self,
        tasks: impl IntoIterator<Item = Task>,
        mut each: impl FnMut(TaskOutcome) + Send,
    ) -> Result<(), WorkflowError<BatchFailed>> {
        let tasks: Vec<Task> = tasks.into_iter().collect();
        let mut workflow = self.nova.workflow();
        if let Some(shutdown) = &self.shutdown {
            workflow = workflow.shutdown(shutdown.clone());
        }
        if let Some(name) = &self.definition {
            workflow = workflow.definition(name.clone());
        }
        let this = &self;
        let tasks = &tasks;
        workflow
            .run(|run| async move {
                let run = &run;
                let mut outcomes = futures_util::stream::iter(tasks.iter().enumerate())
                    .map(|(index, task)| async move {
                        let outcome = this.one(run, index, task).await;
                        this.progress.ended(&outcome);
                        outcome
                    })
                    .buffered(this.concurrency);
                let mut failed = 0;
                while let Some(outcome) = outcomes.next().await {
                    failed += usize::from(outcome.result.is_err());
                    each(outcome);
                }
                match failed {
                    0 => Ok(()),
                    failed => Err(BatchFailed {
                        failed,
                        total: tasks.len(),
                    }),
                }
            })
            .await
    }

    /// Runs one task: a browser started, the run, session and act created and finished, the
    /// browser closed. The shortest way to run an act from Rust.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use nova_act::{Batch, NovaAct, Task};
    ///
    /// let nova = NovaAct::from_env().await?;
    /// let result = Batch::new(&nova).run_one(Task::new("Find the price", "https://shop.example/")).await?;
    /// println!("{:?}", result.value);
    /// # Ok(()) }
    /// ```
    pub async fn run_one(self, task: Task) -> Result<ActResult, TaskError> {
        let mut slot = None;
        let ran = self
            .run([task], |outcome| slot = Some(outcome.result))
            .await;
        match (ran, slot) {
            (Ok(()), Some(result)) | (Err(WorkflowError::Body(_)), Some(result)) => result,
            (ran, _) => Err(TaskError::Run(Box::new(ran.err().unwrap_or(
                WorkflowError::Body(BatchFailed {
                    failed: 1,
                    total: 1,
                }),
            )))),
        }
    }

    /// Runs `task` (number `index`) in its own browser and session of `run`.
    async fn one(&self, run: &Run, index: usize, task: &Task) -> TaskOutcome {
        let mut outcome = TaskOutcome {
            id: task.id.clone().unwrap_or_else(|| (index + 1).to_string()),
            session_id: None,
            trace: None,
            result: Err(TaskError::NotStarted {
                reason: String::new(),
            }),
        };
        if let Some(reason) = self.shutdown.as_ref().and_then(Shutdown::reason) {
            outcome.result = Err(TaskError::NotStarted {
                reason: reason.to_owned(),
            });
            return outcome;
        }
        self.stagger.turn().await;
        self.progress.started();
        let launcher = self.launcher.clone();
        let (page, policy) = (task.starting_page.clone(), self.policy.clone());
        let settings = move || {
            let builder = launcher().starting_page(&page);
            match &policy {
                Some(policy) => builder.url_policy(policy.clone()),
                None => builder,
            }
        };
        #[cfg(feature = "agentcore")]
        if let Some(pool) = &self.remote {
            let ran = pool
                .clone()
                .browser(settings)
                .run_one(|browser| async {
                    self.act_on(run, task, browser, &mut outcome).await;
                    Ok::<_, std::convert::Infallible>(())
                })
                .await;
            if let Err(nova_agentcore::PoolError::Session(err)) = ran {
                outcome.result = Err(TaskError::RemoteSession(err));
            }
            return outcome;
        }
        match settings().launch().await {
            Ok(browser) => self.act_on(run, task, browser, &mut outcome).await,
            Err(err) => outcome.result = Err(TaskError::Browser(err)),
        }
        outcome
    }

    /// Runs `task`'s act on `browser` in a new session of `run`, then closes the browser
    /// (awaited, so the browser and its folders are gone before the outcome is handed over),
    /// whether or not the session could be opened.
    async fn act_on(
        &self,
        run: &Run,
        task: &Task,
        mut browser: Browser,
        outcome: &mut TaskOutcome,
    ) {
        self.act_in_session(run, task, &mut browser, outcome).await;
        browser.close().await;
    }

    async fn act_in_session(
        &self,
        run: &Run,
        task: &Task,
        browser: &mut Browser,
        outcome: &mut TaskOutcome,
    ) {
        let mut session = match run.session(browser).await {
            Ok(session) => session,
            Err(err) => {
                outcome.result = Err(err.into());
                return;
            }
        };
        outcome.session_id = Some(session.id().to_owned());
        if let Some(policy) = &self.policy {
            session.guardrail(policy.clone());
        }
        if let Some(traces) = &self.traces {
            session.traces(traces.clone());
        }
        session.secrets(self.secrets.clone());
        let result = session.act(task.request.clone()).await;
        outcome.trace = session.last_trace().map(|files| files.html.clone());
        outcome.result = result.map_err(TaskError::from);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn staggered_starts_are_spaced_and_unstaggered_ones_are_not() {
        let stagger = Arc::new(Stagger {
            interval: Duration::from_millis(500),
            ..Stagger::default()
        });
        let started = tokio::time::Instant::now();
        let turns: Vec<_> = (0..4)
            .map(|_| {
                let stagger = stagger.clone();
                tokio::spawn(async move {
                    stagger.turn().await;
                    started.elapsed()
                })
            })
            .collect();
        let mut at = Vec::new();
        for turn in turns {
            at.push(turn.await.unwrap());
        }
        at.sort();
        assert_eq!(at, [0, 500, 1000, 1500].map(Duration::from_millis));
        let none = Stagger::default();
        let started = tokio::time::Instant::now();
        for _ in 0..4 {
            none.turn().await;
        }
        assert_eq!(started.elapsed(), Duration::ZERO);
    }
}
