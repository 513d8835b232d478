//! `workflow deploy --local`, `invoke --local` and `undeploy --local`: the deploy tried on this
//! machine. The workflow is built natively and served on the AgentCore Runtime contract by a
//! background supervisor, which also runs the emulator as Nova Act; `invoke --local` calls it
//! as AgentCore would. With no service to ask, the supervisor records where it listens in
//! `~/.nova-act/local/NAME.json`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::Duration;

use nova_act::Env;
use nova_act::agentcore::DeployNames;
use nova_act::model::CreateWorkflowDefinitionInput;
use nova_act::runtime::Shutdown;
use serde_json::{Value, json};

/// Where a local deploy is recorded.
fn state_dir(env: &Env) -> Result<PathBuf, String> {
    env.home_dir()
        .map(|home| home.join(".nova-act").join("local"))
        .ok_or_else(|| {
            "HOME is not set; a local deploy is recorded under ~/.nova-act/local".to_owned()
        })
}

fn state_file(env: &Env, names: &DeployNames) -> Result<PathBuf, String> {
    Ok(state_dir(env)?.join(format!("{}.json", names.workflow)))
}

/// The supervisor's process id, as its record holds it.
fn supervisor(state: &Value) -> Option<rustix::process::Pid> {
    state["pid"]
        .as_u64()
        .and_then(|pid| i32::try_from(pid).ok())
        .and_then(rustix::process::Pid::from_raw)
}

/// The local deploy of `names`, when its supervisor is alive.
fn recorded(env: &Env, names: &DeployNames) -> Result<Option<Value>, String> {
    let file = state_file(env, names)?;
    let Ok(text) = std::fs::read_to_string(&file) else {
        return Ok(None);
    };
    let state: Value =
        serde_json::from_str(&text).map_err(|err| format!("{}: {err}", file.display()))?;
    let alive =
        supervisor(&state).is_some_and(|pid| rustix::process::test_kill_process(pid).is_ok());
    if alive {
        Ok(Some(state))
    } else {
        // Left by a supervisor that was killed outright.
        let _ = std::fs::remove_file(&file);
        Ok(None)
    }
}

/// The executable of the package at `dir`, built with cargo (its JSON messages name it).
pub(crate) fn executable_from(messages: &str, manifest: &Path) -> Option<PathBuf> {
    let manifest = std::fs::canonicalize(manifest).unwrap_or_else(|_| manifest.to_owned());
    messages.lines().find_map(|line| {
        let message: Value = serde_json::from_str(line).ok()?;
        if message["reason"] != "compiler-artifact" {
            return None;
        }
        let from = PathBuf::from(message["manifest_path"].as_str()?);
        let from = std::fs::canonicalize(&from).unwrap_or(from);
        if from != manifest {
            return None;
        }
        message["executable"].as_str().map(PathBuf::from)
    })
}

fn build(dir: &Path) -> Result<PathBuf, String> {
    let manifest = dir.join("Cargo.toml");
    if !manifest.is_file() {
        return Err(format!(
            "--local builds a Rust workflow with cargo, and {} has no Cargo.toml",
            dir.display()
        ));
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args([
            "build",
            "--message-format=json-render-diagnostics",
            "--manifest-path",
        ])
        .arg(&manifest)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|err| format!("could not run cargo: {err}"))?;
    if !output.status.success() {
        return Err(format!("cargo build of {} failed", dir.display()));
    }
    executable_from(&String::from_utf8_lossy(&output.stdout), &manifest)
        .ok_or_else(|| format!("cargo built no executable for {}", manifest.display()))
}

/// `workflow deploy NAME --local`.
pub(crate) async fn deploy(
    names: &DeployNames,
    dir: Option<&Path>,
    binary: Option<&Path>,
    api_key_from: Option<&str>,
) -> Result<ExitCode, String> {
    let env = Env::process();
    let binary = match (binary, dir) {
        (Some(binary), _) => binary.to_owned(),
        (None, Some(dir)) => {
            println!("  … build: cargo build {}", dir.display());
            let built = build(dir)?;
            println!("  ✓ build: {}", built.display());
            built
        }
        (None, None) => return Err("--local needs --build DIR (a Rust workflow)".to_owned()),
    };
    if let Some(old) = recorded(&env, names)? {
        stop(&old).await;
        println!("  ✓ previous local runtime: stopped");
    }
    let dir = state_dir(&env)?;
    std::fs::create_dir_all(&dir).map_err(|err| format!("{}: {err}", dir.display()))?;
    let log_path = dir.join(format!("{}.log", names.workflow));
    let log =
        std::fs::File::create(&log_path).map_err(|err| format!("{}: {err}", log_path.display()))?;
    let me = std::env::current_exe().map_err(|err| err.to_string())?;
    let mut command = std::process::Command::new(me);
    command
        .args(["workflow", "local-runtime", &names.workflow, "--binary"])
        .arg(&binary)
        .args(api_key_from.map(|spec| format!("--api-key-from={spec}")))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log);
    // Its own process group: it outlives this command, and a Ctrl-C here does not reach it.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().map_err(|err| err.to_string())?;
    let stdout = child
        .stdout
        .take()
        .ok_or("the supervisor's output is closed")?;
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        line
    })
    .await
    .map_err(|err| err.to_string())?;
    let Some(url) = line.trim().strip_prefix("ready ") else {
        let _ = child.kill();
        let _ = child.wait();
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        return Err(format!("the local runtime did not start:\n{}", log.trim()));
    };
    println!("  ✓ runtime: serving on {url} (the emulator plays Nova Act)");
    println!(
        "local runtime {} is up; log: {}\ninvoke it: nova-act workflow invoke {} --local --payload '{{\"task\": \"…\"}}'",
        names.runtime,
        log_path.display(),
        names.workflow
    );
    Ok(ExitCode::SUCCESS)
}

/// The hidden `workflow local-runtime NAME --binary PATH`: the supervisor.
pub(crate) async fn supervise(
    name: &str,
    binary: &Path,
    api_key_from: Option<&str>,
) -> Result<ExitCode, String> {
    let names = DeployNames::new(name).map_err(|err| crate::report(&err))?;
    let env = Env::process();
    let shutdown = Shutdown::on_signals();
    let store = api_key_from.map(nova_act::ApiKeyStore::parse).transpose()?;
    // With a store, the emulator holds its own API key there, as the account's store would.
    let api_key = nova_emulator::generate_api_key();
    let mut builder = nova_emulator::Emulator::builder().api_key(api_key.clone());
    if let Some(store) = &store {
        builder = match store.variable() {
            "NOVA_ACT_API_KEY_SECRET_ID" => builder.secret(store.id(), &api_key),
            "NOVA_ACT_API_KEY_PARAMETER" => builder.parameter(store.id(), &api_key),
            _ => builder.identity_api_key(store.id(), &api_key),
        };
    }
    let emulator = builder.start().await.map_err(|err| err.to_string())?;
    let key = emulator.access_key().clone();
    let client = emulator
        .client(nova_act::AuthMode::Iam)
        .build()
        .map_err(|err| crate::report(&err))?;
    client
        .create_workflow_definition(CreateWorkflowDefinitionInput {
            name: names.workflow.clone(),
            ..Default::default()
        })
        .await
        .map_err(|err| crate::report(&err))?;
    let mut runtime = tokio::process::Command::new(binary);
    runtime
        .env_clear()
        .envs(
            [
                "PATH",
                "HOME",
                "TMPDIR",
                "CHROME_PATH",
                "NOVA_ACT_HEADLESS",
                "RUST_LOG",
            ]
            .iter()
            .filter_map(|name| env.get(name).map(|value| (*name, value))),
        )
        .env("PORT", "0")
        .env("AWS_ACCESS_KEY_ID", &key.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &key.secret_access_key)
        .env("AWS_REGION", emulator.region())
        .env("AWS_ENDPOINT_URL_NOVA_ACT", emulator.url())
        .env("AWS_ENDPOINT_URL_STS", emulator.url())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(store.iter().flat_map(|store| {
            let url = emulator.url();
            [
                (store.variable(), store.id()),
                ("NOVA_ACT_API_ENDPOINT", url),
                ("AWS_ENDPOINT_URL_SECRETS_MANAGER", url),
                ("AWS_ENDPOINT_URL_SSM", url),
                ("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", url),
                // Outside AgentCore Runtime no invocation carries a workload access token:
                // the runtime asks for one as this workload.
                ("NOVA_ACT_WORKLOAD_NAME", names.runtime.as_str()),
                ("NOVA_ACT_USER_ID", "local"),
            ]
        }))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = runtime
        .spawn()
        .map_err(|err| format!("could not start {}: {err}", binary.display()))?;
    let stderr = child
        .stderr
        .take()
        .ok_or("the runtime's output is closed")?;
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stderr));
    let mut address = None;
    while let Ok(Some(line)) = lines.next_line().await {
        eprintln!("{line}");
        if let Some(at) = line.strip_prefix("listening on ") {
            address = Some(at.replace("0.0.0.0", "127.0.0.1"));
            break;
        }
    }
    let Some(address) = address else {
        emulator.shutdown().await;
        return Err(format!(
            "{} did not say where it listens (\"listening on ADDR\")",
            binary.display()
        ));
    };
    // The runtime's log goes on to ours.
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            eprintln!("{line}");
        }
    });
    let url = format!("http://{address}");
    let file = state_file(&env, &names)?;
    let state = json!({
        "workflow": names.workflow,
        "pid": std::process::id(),
        "url": url,
        "emulator": emulator.url(),
        "binary": binary,
    });
    std::fs::write(&file, state.to_string()).map_err(|err| format!("{}: {err}", file.display()))?;
    println!("ready {url}");
    let _ = std::io::stdout().flush();
    tokio::select! {
        () = shutdown.triggered() => {}
        status = child.wait() => eprintln!("the runtime exited ({status:?})"),
    }
    // The runtime finishes its workflows as FAILED on SIGTERM; it gets time for that.
    if let Some(pid) = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    }
    if tokio::time::timeout(Duration::from_secs(40), child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
    emulator.shutdown().await;
    let _ = std::fs::remove_file(&file);
    eprintln!("local runtime {} stopped", names.runtime);
    Ok(ExitCode::SUCCESS)
}

/// Stops a supervisor and waits until it is gone.
async fn stop(state: &Value) {
    let Some(pid) = supervisor(state) else {
        return;
    };
    let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    // It is not our child: all we can do is look until it is gone.
    for _ in 0..900 {
        if rustix::process::test_kill_process(pid).is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `workflow invoke NAME --local`.
pub(crate) async fn invoke(
    names: &DeployNames,
    session: &str,
    user_id: Option<&str>,
    body: Vec<u8>,
    timeout: Duration,
    json: bool,
) -> Result<ExitCode, String> {
    let env = Env::process();
    let state = recorded(&env, names)?.ok_or_else(|| {
        format!(
            "workflow {} is not deployed locally; deploy it with nova-act workflow deploy {} --local --build DIR",
            names.workflow, names.workflow
        )
    })?;
    let url = state["url"].as_str().unwrap_or_default();
    let read = async {
        let answer = nova_act::agentcore::invoke_local(url, session, user_id, body)
            .await
            .map_err(|err| crate::report(&err))?;
        eprintln!("session {session} · local runtime {url}");
        let status = answer.status();
        crate::deploy::print_answer(answer, json, session).await?;
        if (200..300).contains(&status) {
            Ok(ExitCode::SUCCESS)
        } else {
            Err(format!("the runtime answered HTTP {status}"))
        }
    };
    tokio::time::timeout(timeout, read)
        .await
        .map_err(|_| format!("no whole answer within {} s (--timeout)", timeout.as_secs()))?
}

/// `workflow undeploy NAME --local`.
pub(crate) async fn undeploy(names: &DeployNames, json: bool) -> Result<ExitCode, String> {
    let env = Env::process();
    let removed = match recorded(&env, names)? {
        Some(state) => {
            stop(&state).await;
            vec![names.runtime.clone()]
        }
        None => Vec::new(),
    };
    if json {
        println!(
            "{}",
            serde_json::json!({ "event": "undeployed", "removed": removed, "kept": [] })
        );
    } else if removed.is_empty() {
        println!("nothing of {} is deployed locally", names.workflow);
    } else {
        println!("removed: local runtime {}", names.runtime);
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_executable_is_the_one_the_package_built() {
        let dir = std::env::temp_dir();
        let manifest = dir.join("Cargo.toml");
        let messages = format!(
            "{}\n{}\n{}",
            json!({"reason": "compiler-artifact", "manifest_path": "/elsewhere/Cargo.toml", "executable": null}),
            json!({"reason": "compiler-artifact", "manifest_path": manifest, "executable": "/t/debug/flow"}),
            json!({"reason": "build-finished", "success": true}),
        );
        assert_eq!(
            executable_from(&messages, &manifest),
            Some(PathBuf::from("/t/debug/flow"))
        );
        assert_eq!(executable_from("not json", &manifest), None);
    }
}
