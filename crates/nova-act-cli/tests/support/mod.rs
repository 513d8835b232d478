//! What the `nova-act` command's tests share: running it as a user does, with a temporary HOME
//! and only the environment a case sets, and the fixture secrets that must never be printed.
#![allow(unused_imports, dead_code, unreachable_pub)]

use std::path::Path;
use std::process::Command;

pub use nova_test_support::keys::{
    ACCESS_KEY_ID as AKID, API_KEY as KEY, SECRET_ACCESS_KEY as SECRET,
};

/// Runs `nova-act args` with exactly `vars` (and a temporary HOME); returns
/// `exit N\n--- stdout\n…\n--- stderr\n…` with the HOME path scrubbed.
pub fn run(home: &Path, args: &[&str], vars: &[(&str, &str)]) -> String {
    run_keeping(home, args, vars, &[KEY, SECRET])
}

/// [`run`], asserting that none of `secrets` reaches the output.
pub fn run_keeping(home: &Path, args: &[&str], vars: &[(&str, &str)], secrets: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_nova-act"))
        .args(args)
        .env_clear()
        .env("HOME", home)
        // Never reach a real metadata service from a test.
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(vars.iter().copied())
        .output()
        .unwrap();
    let text = format!(
        "exit {}\n--- stdout\n{}--- stderr\n{}",
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = text.replace(&home.display().to_string(), "[HOME]");
    for secret in secrets {
        assert!(
            !text.contains(*secret),
            "a secret reached the output:\n{text}"
        );
    }
    text
}

/// An emulator with `planner` and the test's API key that records every request it receives.
pub async fn recording(planner: nova_emulator::ScriptedPlanner) -> nova_emulator::RunningEmulator {
    nova_emulator::Emulator::builder()
        .planner(planner)
        .api_key(KEY)
        .record_requests()
        .start()
        .await
        .unwrap()
}

/// "Sign in" on [`nova_test_support::act::Site`]'s form: the password's placeholder typed into
/// its name field (as fractions of 1000 of the 1600×900 viewport; Enter submits it), then the
/// page observed, then "signed in".
pub fn sign_in_planner() -> nova_emulator::ScriptedPlanner {
    use serde_json::json;
    nova_emulator::ScriptedPlanner::new().script(
        "Sign in",
        vec![
            vec![
                (
                    "agentType",
                    json!(["{{secret:password}}", "<bbox>62,111,312,166</bbox>", {"pressEnter": true}]),
                ),
                ("waitForPageToSettle", json!([])),
                ("takeObservation", json!([])),
            ],
            vec![("return", json!(["signed in"]))],
        ],
    )
}

/// Whether the command found no browser, on a machine where none is required.
pub fn browser_missing(out: &str) -> bool {
    out.contains("no Chrome or Chromium found")
        && std::env::var_os("NOVA_BROWSER_REQUIRED").is_none()
}

/// `nova-act --endpoint-url EMULATOR [global…] run "Sign in with {{secret:password}}"
/// --starting-page FORM --secret password=SITE_PASS [more…]` with `password` in `SITE_PASS` and
/// `vars`, asserting that the password never reaches the output and that the command succeeded;
/// `None` when no browser is installed (and none is required).
pub async fn sign_in(
    (emulator, form): (&str, &str),
    password: &'static str,
    (global, more): (Vec<String>, Vec<String>),
    vars: Vec<(&'static str, String)>,
) -> Option<String> {
    let home = home();
    let mut args = vec!["--endpoint-url".to_owned(), emulator.to_owned()];
    args.extend(global);
    args.extend(
        [
            "run",
            "Sign in with {{secret:password}}",
            "--starting-page",
            form,
            "--secret",
            "password=SITE_PASS",
        ]
        .map(str::to_owned),
    );
    args.extend(more);
    let out = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut all = vec![("NOVA_ACT_API_KEY", KEY), ("SITE_PASS", password)];
        all.extend(vars.iter().map(|(k, v)| (*k, v.as_str())));
        run_keeping(home.path(), &args, &all, &[password])
    })
    .await
    .unwrap();
    if browser_missing(&out) {
        return None;
    }
    assert!(out.starts_with("exit 0"), "{out}");
    Some(out)
}

/// The stdout part of what [`run`] returns.
pub fn stdout_of(out: &str) -> &str {
    let stdout = out.split("--- stdout\n").nth(1).unwrap_or_default();
    stdout.split("--- stderr\n").next().unwrap_or_default()
}

pub fn home() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

pub async fn run_async(
    home: &Path,
    args: &'static [&'static str],
    vars: Vec<(&'static str, String)>,
) -> String {
    let home = home.to_owned();
    tokio::task::spawn_blocking(move || {
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run(&home, args, &vars)
    })
    .await
    .unwrap()
}

/// `text` with every UUID replaced by `[uuid]`.
pub fn regex_lite(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let candidate = rest.get(..36).filter(|c| {
            c.len() == 36
                && c.char_indices().all(|(i, ch)| {
                    if [8, 13, 18, 23].contains(&i) {
                        ch == '-'
                    } else {
                        ch.is_ascii_hexdigit()
                    }
                })
        });
        match candidate {
            Some(_) => {
                out.push_str("[uuid]");
                rest = &rest[36..];
            }
            None => {
                let ch = rest.chars().next().unwrap();
                out.push(ch);
                rest = &rest[ch.len_utf8()..];
            }
        }
    }
    out
}

/// `value` as a page, JSON, a URL or base64 may carry it: raw, JSON-escaped, URL-encoded (`+`
/// and `%20` for a space) and base64-encoded at each of the three alignments (the characters
/// that depend on the value alone).
pub fn forms(value: &str) -> Vec<String> {
    let json = serde_json::to_string(value).unwrap();
    let url: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let mut forms = vec![
        value.to_owned(),
        json[1..json.len() - 1].to_owned(),
        url.clone(),
        url.replace('+', "%20"),
    ];
    for offset in 0..3usize {
        let mut bytes = vec![0u8; offset];
        bytes.extend_from_slice(value.as_bytes());
        let encoded = data_encoding::BASE64.encode(&bytes);
        let first = (8 * offset).div_ceil(6);
        let last = (8 * bytes.len()) / 6;
        if last > first + 4 {
            forms.push(encoded[first..last].to_owned());
        }
    }
    forms
}
