//! Many acts at once, each on a remote browser session of its own.

use std::future::Future;
use std::sync::Arc;

use futures_util::StreamExt;
use nova_act_core::runtime::Shutdown;
use nova_browser::{Browser, BrowserBuilder};

use crate::error::SessionError;
use crate::options::SessionOptions;
use crate::sessions::{BrowserSessions, guard};

/// The sessions running at once unless [`BrowserPool::concurrency`] says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// Runs jobs concurrently, each on a fresh AgentCore Browser session: at most
/// [`concurrency`](Self::concurrency) sessions run at once, a session that cannot be started or
/// attached is replaced by another (up to [`start_attempts`](Self::start_attempts) in all), a
/// job whose browser fails fails alone, and every session is stopped when its job ends —
/// returned, failed, panicked or interrupted by the [`Shutdown`].
///
/// A fresh session per job keeps jobs apart: no cookies, tabs or logins carry from one to the
/// next.
///
/// ```no_run
/// # async fn example(client: nova_act_core::Client, sessions: nova_agentcore::BrowserSessions)
/// # -> Result<(), Box<dyn std::error::Error>> {
/// use nova_act_core::runtime::Workflow;
/// use nova_agentcore::BrowserPool;
///
/// let pool = BrowserPool::new(&sessions).concurrency(10);
/// let cities = ["Paris", "Lima", "Osaka"];
/// let answers = pool
///     .run(cities, |city, browser| {
///         let client = client.clone();
///         async move {
///             Workflow::new(&client)
///                 .definition("weather")
///                 .run(|run| async move {
///                     let mut session = run.session(browser).await?;
///                     session.act(format!("Find today's weather in {city}")).await
///                 })
///                 .await
///         }
///     })
///     .await;
/// for answer in answers {
///     println!("{:?}", answer.map(|result| result.value));
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
#[must_use]
pub struct BrowserPool {
    sessions: BrowserSessions,
    options: SessionOptions,
    concurrency: usize,
    attempts: u32,
    builder: Arc<dyn Fn() -> BrowserBuilder + Send + Sync>,
    shutdown: Option<Shutdown>,
}

impl std::fmt::Debug for BrowserPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserPool")
            .field("options", &self.options)
            .field("concurrency", &self.concurrency)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// Why one job of a [`BrowserPool`] has no result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError<E> {
    /// No session could be had for it (every attempt failed), or it was interrupted; the error
    /// is the last one.
    #[error(transparent)]
    Session(SessionError),
    /// The job itself failed; its session was stopped.
    #[error(transparent)]
    Job(E),
}

impl BrowserPool {
    /// A pool of sessions from `sessions`, with default [`SessionOptions`].
    pub fn new(sessions: &BrowserSessions) -> Self {
        Self {
            sessions: sessions.clone(),
            options: SessionOptions::new(),
            concurrency: DEFAULT_CONCURRENCY,
            attempts: 2,
            builder: Arc::new(Browser::builder),
            shutdown: None,
        }
    }

    nova_auth::setters! {
        /// How many sessions run at once (at least 1). Mind the account's session quota.
        concurrency(sessions: usize) => concurrency = sessions.max(1);
        /// The settings every session starts with.
        session_options(options: SessionOptions) => options = options;
        /// The actuator settings each job's browser is attached with (default
        /// [`Browser::builder`]).
        browser(builder: impl Fn() -> BrowserBuilder + Send + Sync + 'static)
            => builder = Arc::new(builder);
        /// How many sessions a job may go through before it fails for want of one (at least 1,
        /// default 2): a session that cannot be started or attached is stopped and replaced.
        start_attempts(attempts: u32) => attempts = attempts.max(1);
        /// Ends every running job when `shutdown` is triggered (Ctrl-C or SIGTERM with
        /// [`Shutdown::on_signals`]), stopping its session; jobs not yet begun do not start.
        shutdown(shutdown: &Shutdown) => shutdown = Some(shutdown.clone());
    }

    /// Runs `work` on every job, each with a browser attached to its own session, at most
    /// [`concurrency`](Self::concurrency) at once. The results come in the jobs' order.
    pub async fn run<J, F, Fut, T, E>(
        &self,
        jobs: impl IntoIterator<Item = J>,
        work: F,
    ) -> Vec<Result<T, PoolError<E>>>
    where
        F: Fn(J, Browser) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        futures_util::stream::iter(jobs)
            .map(|job| self.run_one(|browser| work(job, browser)))
            .buffered(self.concurrency)
            .collect()
            .await
    }

    /// Runs one job on a fresh session, as [`run`](Self::run) runs each: sessions are started
    /// until one attaches (at most [`start_attempts`](Self::start_attempts)), `work` runs once
    /// on its browser, and the session is stopped after. For callers that schedule jobs
    /// themselves; [`concurrency`](Self::concurrency) does not apply.
    ///
    /// ```no_run
    /// # async fn example(sessions: nova_agentcore::BrowserSessions) {
    /// use nova_act_core::runtime::Actuator;
    /// use nova_agentcore::BrowserPool;
    ///
    /// let pool = BrowserPool::new(&sessions)
    ///     .browser(|| nova_browser::Browser::builder().starting_page("https://example.com/"));
    /// let url = pool
    ///     .run_one(|mut browser| async move {
    ///         let url = browser.current_url().await;
    ///         browser.close().await;
    ///         Ok::<_, std::convert::Infallible>(url)
    ///     })
    ///     .await;
    /// # }
    /// ```
    pub async fn run_one<F, Fut, T, E>(&self, work: F) -> Result<T, PoolError<E>>
    where
        F: FnOnce(Browser) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut work = Some(work);
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Some(shutdown) = &self.shutdown
                && shutdown.is_triggered()
            {
                return Err(PoolError::Session(SessionError::Interrupted {
                    session_id: "(none started)".to_owned(),
                    reason: shutdown.reason().unwrap_or("a shutdown").to_owned(),
                }));
            }
            let err = match self.sessions.start(self.options.clone()).await {
                Err(err) => err,
                Ok(session) => {
                    let builder = (self.builder)();
                    let work = &mut work;
                    let attached = session.clone();
                    let outcome = guard(session, self.shutdown.as_ref(), async move {
                        let browser = attached.connect(builder).await?;
                        // Taken only once a browser is attached: a failed attach leaves it
                        // for the next session.
                        match work.take() {
                            Some(work) => Ok(work(browser).await),
                            None => unreachable!("work runs on the first attached session only"),
                        }
                    })
                    .await;
                    match outcome {
                        Ok(Ok(Ok(value))) => return Ok(value),
                        Ok(Ok(Err(err))) => return Err(PoolError::Job(err)),
                        Ok(Err(err)) => err,
                        // Interrupted, or the stop after the job failed.
                        Err(err) => return Err(PoolError::Session(err)),
                    }
                }
            };
            // The session could not be had: it is replaced while attempts remain, unless a
            // new one would fail the same way.
            let hopeless = matches!(
                err,
                SessionError::Interrupted { .. }
                    | SessionError::InvalidOptions { .. }
                    | SessionError::AccessDenied { .. }
                    | SessionError::QuotaExceeded { .. }
            );
            if hopeless || attempt >= self.attempts {
                return Err(PoolError::Session(err));
            }
            tracing::warn!(
                attempt,
                error = %nova_auth::Report(&err),
                "a remote browser session could not be had; replacing it"
            );
        }
    }
}
