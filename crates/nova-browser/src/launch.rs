//! Finding, starting and stopping the browser process.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use nova_auth::Env;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStderr, Command};

use crate::error::BrowserError;

/// Executable names looked up on `PATH`, in order.
const NAMES: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
];

/// Install locations looked at after `PATH`.
const LOCATIONS: &[&str] = &[
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/snap/bin/chromium",
    "/opt/google/chrome/chrome",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Google\Chrome\Application\chrome.exe",
];

/// Flags every launch gets: no first-run UI, no calls home, no GPU, no crash uploads.
pub(crate) const BASE_ARGS: &[&str] = &[
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-breakpad",
    "--disable-crash-reporter",
    "--disable-dev-shm-usage",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
    "--password-store=basic",
    "--use-mock-keychain",
    "--mute-audio",
];

/// Where the browser executable is: `explicit`, else `CHROME_PATH`, else the usual places.
///
/// A path given in code or by `CHROME_PATH` that is not a file is an error, not a reason to look
/// elsewhere: the user asked for that browser.
pub(crate) fn find_executable(explicit: Option<&Path>, env: &Env) -> Result<PathBuf, BrowserError> {
    find_in(explicit, env, LOCATIONS)
}

fn find_in(
    explicit: Option<&Path>,
    env: &Env,
    locations: &[&str],
) -> Result<PathBuf, BrowserError> {
    if let Some(path) = explicit {
        return usable(path, "BrowserBuilder::executable");
    }
    if let Some(path) = env.get("CHROME_PATH") {
        return usable(Path::new(&path), "CHROME_PATH");
    }
    let mut looked = vec!["CHROME_PATH (not set)".to_owned()];
    // `which` skips files that are not executable and knows Windows' extensions (PATHEXT).
    if let Some(path) = env.get("PATH") {
        let cwd = std::env::current_dir().unwrap_or_default();
        for name in NAMES {
            if let Ok(found) = which::which_in(name, Some(&path), &cwd) {
                return Ok(found);
            }
        }
    }
    looked.push(format!("{} on PATH", NAMES.join(", ")));
    for location in locations {
        if Path::new(location).is_file() {
            return Ok(PathBuf::from(location));
        }
    }
    looked.extend(locations.iter().map(|l| (*l).to_owned()));
    Err(BrowserError::NotFound { looked })
}

fn usable(path: &Path, origin: &'static str) -> Result<PathBuf, BrowserError> {
    if path.is_file() {
        Ok(path.to_owned())
    } else {
        Err(BrowserError::BadExecutable {
            origin,
            path: path.to_owned(),
        })
    }
}

/// The last lines the browser printed, for error messages.
#[derive(Clone, Debug, Default)]
struct Tail(Arc<Mutex<VecDeque<String>>>);

impl Tail {
    const LINES: usize = 20;

    fn push(&self, line: String) {
        let mut lines = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if lines.len() == Self::LINES {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    fn text(&self) -> String {
        let lines = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if lines.is_empty() {
            "(nothing)".to_owned()
        } else {
            lines.iter().cloned().collect::<Vec<_>>().join("\n")
        }
    }
}

/// How the SDK reaches a launched browser's DevTools.
#[derive(Debug)]
pub(crate) enum Wire {
    /// `--remote-debugging-pipe`: our end of the browser's descriptors 3 (commands in) and 4
    /// (answers out). No TCP port is opened, so no other local process can take the browser over.
    #[cfg(unix)]
    Pipe {
        to_browser: std::os::fd::OwnedFd,
        from_browser: std::os::fd::OwnedFd,
    },
    /// `--remote-debugging-port`: the WebSocket address the browser printed (where there are no
    /// pipes to hand over).
    WebSocket(String),
}

/// Whether launched browsers are driven over a pipe here.
pub(crate) const PIPE: bool = cfg!(unix);

/// A running browser process. Dropping it kills the browser and every process it started.
#[derive(Debug)]
pub(crate) struct Process {
    child: Child,
    path: PathBuf,
    /// The browser's last lines of output.
    tail: Tail,
    /// Set once stopped and reaped: its process group id may be reused after that.
    stopped: bool,
    // Declared after `child` so the folders are removed after the browser is killed.
    profile: Option<tempfile::TempDir>,
    /// The browser's TMPDIR, so its own scratch files (`org.chromium.Chromium.*`) go with it.
    scratch: Option<tempfile::TempDir>,
}

impl Process {
    /// Starts `path` with `args`. Over a pipe it returns at once (the first DevTools answer
    /// shows the browser is up); otherwise it waits (up to `timeout`) for the WebSocket address.
    pub(crate) async fn start(
        path: PathBuf,
        args: Vec<String>,
        profile: Option<tempfile::TempDir>,
        timeout: Duration,
    ) -> Result<(Self, Wire), BrowserError> {
        let scratch = private_dir("nova-browser-tmp-")?;
        let mut command = private_files(&path);
        command
            .args(&args)
            .env("TMPDIR", scratch.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // Its own process group, so that stopping it stops its renderers and helpers too.
        #[cfg(unix)]
        command.process_group(0);
        #[cfg(unix)]
        let ours = if args.iter().any(|a| a == "--remote-debugging-pipe") {
            Some(hand_over_pipes(&mut command)?)
        } else {
            None
        };
        tracing::debug!(path = %path.display(), ?args, "starting the browser");
        let spawned = command.spawn();
        // The browser's ends of the pipes are held by the command: closed here, so that our
        // end reads "closed" as soon as the browser exits.
        drop(command);
        let mut child = spawned.map_err(|source| BrowserError::Spawn {
            path: path.clone(),
            source,
        })?;
        let stderr = child.stderr.take();
        let mut process = Self {
            child,
            path,
            tail: Tail::default(),
            stopped: false,
            profile,
            scratch: Some(scratch),
        };
        let Some(stderr) = stderr else {
            return Err(process.failed(Some("its output could not be read")).await);
        };
        #[cfg(unix)]
        if let Some((to_browser, from_browser)) = ours {
            tokio::spawn(drain(BufReader::new(stderr).lines(), process.tail.clone()));
            return Ok((
                process,
                Wire::Pipe {
                    to_browser,
                    from_browser,
                },
            ));
        }
        let tail = process.tail.clone();
        match tokio::time::timeout(timeout, devtools_url(stderr, tail)).await {
            Ok(Some(url)) => Ok((process, Wire::WebSocket(url))),
            Ok(None) => Err(process.failed(None).await),
            Err(_) => {
                let reason = format!(
                    "it did not report a DevTools address within {}",
                    humantime::format_duration(timeout)
                );
                Err(process.failed(Some(&reason)).await)
            }
        }
    }

    /// Stops a browser that failed to start; `reason` is `None` when it exited by itself.
    pub(crate) async fn failed(&mut self, reason: Option<&str>) -> BrowserError {
        let tail = self.tail.clone();
        self.kill();
        let status = self.child.wait().await;
        self.stopped = true;
        let reason = match (reason, status) {
            (Some(reason), _) => reason.to_owned(),
            (None, Ok(status)) => format!("it exited ({status})"),
            (None, Err(_)) => "it exited".to_owned(),
        };
        BrowserError::Start {
            path: self.path.clone(),
            reason,
            output: tail.text(),
        }
    }

    /// The browser's process id.
    pub(crate) fn id(&self) -> Option<u32> {
        self.child.id()
    }

    /// Waits up to `grace` for the browser to exit by itself, then kills it.
    pub(crate) async fn stop(&mut self, grace: Duration) {
        if tokio::time::timeout(grace, self.child.wait())
            .await
            .is_err()
        {
            tracing::debug!("the browser did not exit; killing it");
        }
        self.kill();
        let _ = self.child.wait().await;
        self.stopped = true;
        // Nothing writes to the folders any more: remove them now rather than at drop.
        for dir in [self.profile.take(), self.scratch.take()]
            .into_iter()
            .flatten()
        {
            let path = dir.path().to_owned();
            if let Err(err) = dir.close() {
                tracing::warn!(path = %path.display(), error = %err, "could not remove a browser folder");
            }
        }
    }

    /// Kills the browser's whole process group (without waiting).
    fn kill(&mut self) {
        #[cfg(unix)]
        if let Some(pid) = self
            .child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .and_then(rustix::process::Pid::from_raw)
        {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
        let _ = self.child.start_kill();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        self.kill();
        // Reap it now if it is already gone; otherwise Tokio reaps it in the background.
        let _ = self.child.try_wait();
    }
}

/// A new temporary folder only its owner may enter (0700 on Unix).
pub(crate) fn private_dir(prefix: &str) -> Result<tempfile::TempDir, BrowserError> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o700));
    }
    builder.tempdir().map_err(BrowserError::Profile)
}

/// The command that starts `path` so that everything it writes is private to the user: on Unix
/// through `/bin/sh`, which sets the umask to 077 and then becomes the browser (`exec`, so the
/// process, its id and its group are the browser's). The browser's profile and scratch folders
/// hold cookies and pages of logged-in sites; other users of the machine get no access to them.
fn private_files(path: &Path) -> Command {
    #[cfg(unix)]
    {
        let mut command = Command::new("/bin/sh");
        command
            .arg("-c")
            .arg("umask 077 && exec \"$0\" \"$@\"")
            .arg(path);
        command
    }
    #[cfg(not(unix))]
    Command::new(path)
}

/// Two pipes for `--remote-debugging-pipe`: the browser reads commands from its descriptor 3
/// and writes answers to its descriptor 4. Returns our ends: (to the browser, from it).
#[cfg(unix)]
fn hand_over_pipes(
    command: &mut Command,
) -> Result<(std::os::fd::OwnedFd, std::os::fd::OwnedFd), BrowserError> {
    use command_fds::{CommandFdExt, FdMapping};
    let (commands_in, to_browser) = std::io::pipe().map_err(BrowserError::Pipe)?;
    let (from_browser, answers_out) = std::io::pipe().map_err(BrowserError::Pipe)?;
    command
        .fd_mappings(vec![
            FdMapping {
                parent_fd: commands_in.into(),
                child_fd: 3,
            },
            FdMapping {
                parent_fd: answers_out.into(),
                child_fd: 4,
            },
        ])
        .map_err(|err| BrowserError::Pipe(std::io::Error::other(err)))?;
    Ok((to_browser.into(), from_browser.into()))
}

type Lines = tokio::io::Lines<BufReader<ChildStderr>>;

/// Keeps reading the browser's output (a full pipe would stall it) into `tail` and the trace log.
async fn drain(mut lines: Lines, tail: Tail) {
    while let Ok(Some(line)) = lines.next_line().await {
        tracing::trace!(target: "nova_browser::chromium", "{line}");
        tail.push(line);
    }
}

/// Reads the browser's output until it names its DevTools WebSocket; then keeps draining it.
async fn devtools_url(stderr: ChildStderr, tail: Tail) -> Option<String> {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(url) = line.trim().strip_prefix("DevTools listening on ") {
            tokio::spawn(drain(lines, tail));
            return Some(url.trim().to_owned());
        }
        tracing::trace!(target: "nova_browser::chromium", "{line}");
        tail.push(line);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_found_lists_every_place_looked_at() {
        let dir = tempfile::tempdir().unwrap();
        let env = Env::from_vars([("PATH", dir.path().to_str().unwrap())]);
        let err = find_in(None, &env, &["/nonexistent/chrome"]).unwrap_err();
        insta::assert_snapshot!(err, @"no Chrome or Chromium found; looked for: CHROME_PATH (not set), chromium, chromium-browser, google-chrome, google-chrome-stable, chrome on PATH, /nonexistent/chrome. Install Chromium (Debian/Ubuntu: `apt-get install chromium`; macOS: install Google Chrome), or set CHROME_PATH to the browser's executable, or name it with BrowserBuilder::executable");
    }

    #[test]
    fn path_is_searched_in_order_of_names() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["google-chrome", "chromium-browser"] {
            executable(&dir.path().join(name));
        }
        let env = Env::from_vars([("PATH", dir.path().to_str().unwrap())]);
        let found = find_in(None, &env, &[]).unwrap();
        assert_eq!(found, dir.path().join("chromium-browser"));
    }

    #[cfg(unix)]
    #[test]
    fn a_file_that_is_not_executable_is_passed_over() {
        let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        std::fs::write(first.path().join("chromium"), "").unwrap();
        executable(&second.path().join("chromium"));
        let path = std::env::join_paths([first.path(), second.path()]).unwrap();
        let env = Env::from_vars([("PATH", path.to_str().unwrap())]);
        assert_eq!(
            find_in(None, &env, &[]).unwrap(),
            second.path().join("chromium")
        );
    }

    /// An empty file the system will run.
    fn executable(path: &Path) {
        std::fs::write(path, "").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }

    #[test]
    fn a_named_browser_that_is_missing_stops_the_search() {
        let env = Env::from_vars([("CHROME_PATH", "/nonexistent/chrome")]);
        let err = find_in(None, &env, &["/bin/sh"]).unwrap_err();
        insta::assert_snapshot!(err, @"CHROME_PATH names /nonexistent/chrome, which is not a file; point it at the Chrome or Chromium executable");
        let err = find_in(Some(Path::new("/nonexistent/chromium")), &env, &[]).unwrap_err();
        insta::assert_snapshot!(err, @"BrowserBuilder::executable names /nonexistent/chromium, which is not a file; point it at the Chrome or Chromium executable");
    }
}
