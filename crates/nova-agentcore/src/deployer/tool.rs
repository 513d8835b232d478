//! The container tool (docker or podman) a build runs: found on PATH, run with its arguments.

use std::path::{Path, PathBuf};

use nova_auth::Env;
use tokio::io::AsyncWriteExt;

use crate::error::RuntimeError;

/// Finds `docker`, then `podman`, on `PATH` (from `env`).
pub fn container_tool(env: &Env) -> Option<PathBuf> {
    let path = env.get("PATH")?;
    ["docker", "podman"].iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
    })
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    path.is_file()
}

/// Runs the container tool; its last lines of output explain a failure. `input` goes to its
/// standard input (a password, never an argument: arguments show in `ps`).
pub(super) async fn run_tool(
    tool: &Path,
    args: &[&str],
    input: Option<&str>,
) -> Result<(), RuntimeError> {
    let mut command = tokio::process::Command::new(tool);
    command
        .args(args)
        .stdin(if input.is_some() {
            std::process::Stdio::piped()
        } else {
            std::process::Stdio::null()
        })
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let shown = format!("{} {}", tool.display(), args.first().unwrap_or(&""));
    let mut child = command.spawn().map_err(|err| RuntimeError::Tool {
        command: shown.clone(),
        output: "it could not be started".to_owned(),
        source: Some(err),
    })?;
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        let _ = stdin.write_all(text.as_bytes()).await;
    }
    let output = child
        .wait_with_output()
        .await
        .map_err(|err| RuntimeError::Tool {
            command: shown.clone(),
            output: "its output could not be read".to_owned(),
            source: Some(err),
        })?;
    if output.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = text.lines().rev().take(10).collect();
    Err(RuntimeError::Tool {
        command: shown,
        output: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        source: None,
    })
}
