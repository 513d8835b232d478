//! The progress line `run --tasks` draws on a terminal: tasks done, failed and running, and the
//! rate of steps against the quota the client paces them at.

use std::collections::VecDeque;
use std::io::Write;
use std::time::Duration;

use nova_act::{BatchProgress, Client};
use tokio::time::Instant;

/// How often the line is redrawn.
const EVERY: Duration = Duration::from_millis(250);
/// The steps of the last this long make the rate.
const WINDOW: Duration = Duration::from_secs(5);
/// Characters of the bar.
const WIDTH: usize = 20;

/// What the line shows at one moment.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Shown {
    total: usize,
    finished: usize,
    failed: usize,
    running: usize,
    /// Steps per second over the last [`WINDOW`].
    rate: f64,
    /// The governor's pace, when steps are paced.
    quota: Option<f64>,
}

fn line(shown: &Shown) -> String {
    let filled = (shown.finished * WIDTH)
        .checked_div(shown.total)
        .unwrap_or(WIDTH);
    let quota = shown
        .quota
        .map(|quota| format!(" of {quota}/s"))
        .unwrap_or_default();
    format!(
        "[{}{}] {}/{} done · {} failed · {} running · {:.1} steps/s{quota}",
        "#".repeat(filled),
        "-".repeat(WIDTH - filled),
        shown.finished,
        shown.total,
        shown.failed,
        shown.running,
        shown.rate,
    )
}

/// Steps seen over the last [`WINDOW`], for a rate that follows the batch as it goes.
#[derive(Debug, Default)]
struct Rate(VecDeque<(Instant, u64)>);

impl Rate {
    fn sample(&mut self, at: Instant, steps: u64) -> f64 {
        self.0.push_back((at, steps));
        while self
            .0
            .front()
            .is_some_and(|(then, _)| at.duration_since(*then) > WINDOW)
        {
            self.0.pop_front();
        }
        match self.0.front() {
            Some((then, before)) if at > *then => {
                (steps - before) as f64 / at.duration_since(*then).as_secs_f64()
            }
            _ => 0.0,
        }
    }
}

/// The line being redrawn on stderr, until [`finish`](Self::finish).
pub(crate) struct Drawer {
    task: tokio::task::JoinHandle<()>,
    progress: BatchProgress,
    total: usize,
}

impl Drawer {
    /// Draws `progress` of `total` tasks, with `client`'s steps, every [`EVERY`].
    pub(crate) fn start(progress: BatchProgress, client: Client, total: usize) -> Self {
        let watched = progress.clone();
        let task = tokio::spawn(async move {
            let mut rate = Rate::default();
            let mut ticks = tokio::time::interval(EVERY);
            loop {
                ticks.tick().await;
                let shown = Shown {
                    total,
                    finished: watched.finished(),
                    failed: watched.failed(),
                    running: watched.running(),
                    rate: rate.sample(Instant::now(), client.steps_taken()),
                    quota: client.step_rate(),
                };
                let mut stderr = std::io::stderr().lock();
                let _ = write!(stderr, "\r\x1b[2K{}", line(&shown));
                let _ = stderr.flush();
            }
        });
        Self {
            task,
            progress,
            total,
        }
    }

    /// Stops drawing, and leaves a last line of the totals.
    pub(crate) async fn finish(self) {
        self.task.abort();
        let _ = self.task.await;
        eprintln!(
            "\r\x1b[2K{}/{} done, {} failed",
            self.progress.finished(),
            self.total,
            self.progress.failed()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_counts_the_bar_and_the_rate_against_the_quota() {
        let shown = Shown {
            total: 40,
            finished: 18,
            failed: 1,
            running: 8,
            rate: 4.93,
            quota: Some(5.0),
        };
        let unpaced = Shown {
            quota: None,
            finished: 0,
            total: 0,
            ..shown
        };
        insta::assert_snapshot!(format!("{}\n{}", line(&shown), line(&unpaced)), @r"
        [#########-----------] 18/40 done · 1 failed · 8 running · 4.9 steps/s of 5/s
        [####################] 0/0 done · 1 failed · 8 running · 4.9 steps/s
        ");
    }

    #[test]
    fn the_rate_is_the_steps_of_the_last_five_seconds() {
        let start = Instant::now();
        let mut rate = Rate::default();
        assert_eq!(rate.sample(start, 0), 0.0);
        assert_eq!(rate.sample(start + Duration::from_secs(2), 10), 5.0);
        // Ten seconds in, the samples before second 5 are gone: 30 steps in 4 s.
        rate.sample(start + Duration::from_secs(6), 20);
        assert_eq!(rate.sample(start + Duration::from_secs(10), 50), 7.5);
    }
}
