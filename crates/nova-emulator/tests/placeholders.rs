//! Secret placeholders and one-time codes against the emulator: the page gets the values, the
//! service gets only placeholders — in every call result it receives, echoed raw, URL-encoded or
//! JSON-escaped — and neither the trace nor the trajectory holds a value.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use nova_act_core::model::{Call, CallResult};
use nova_act_core::runtime::*;
use nova_emulator::{ActView, Clock, Emulator, ManualClock, Planner, ScriptedPlanner};
use serde_json::{Value, json};
use support::*;

const USER: &str = "ada@example.com";
const PASSWORD: &str = "p@ss \"word\" & more";
/// RFC 6238's SHA-1 test seed, base32.
const SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// A sign-in page that shows what was typed back: in its address (a GET form) and its DOM.
#[derive(Debug, Default)]
struct SignIn {
    typed: Vec<String>,
}

#[async_trait]
impl Actuator for SignIn {
    async fn browser(&mut self, action: BrowserAction) -> Result<Value, CallError> {
        match action {
            BrowserAction::Type { value, .. } => {
                self.typed.push(value);
                Ok(Value::Null)
            }
            BrowserAction::TakeObservation => {
                let query: String = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(self.typed.iter().map(|v| ("f", v.as_str())))
                    .finish();
                let mut observed =
                    Observation::blank(format!("https://shop.example/login?{query}"));
                let inputs: Vec<String> = self
                    .typed
                    .iter()
                    .map(|v| format!("<input value=\"{v}\">"))
                    .collect();
                observed.simplified_dom = Some(inputs.join(""));
                Ok(json!(observed))
            }
            _ => Ok(Value::Null),
        }
    }

    async fn current_url(&mut self) -> Option<String> {
        Some("https://shop.example/login".to_owned())
    }
}

/// The scripted planner, recording every call result the service received.
struct Recording(ScriptedPlanner, Arc<Mutex<Vec<String>>>);

impl Planner for Recording {
    fn plan(&self, act: &ActView, step: usize, results: &[CallResult]) -> Vec<Call> {
        let mut seen = self.1.lock().unwrap();
        seen.push(act.task.clone());
        seen.extend(results.iter().map(|r| serde_json::to_string(r).unwrap()));
        self.0.plan(act, step, results)
    }
}

fn sign_in_script() -> ScriptedPlanner {
    ScriptedPlanner::new().script(
        "Sign in",
        vec![
            vec![
                (
                    "agentType",
                    json!(["{{secret:user}}", "<bbox>1,1,2,2</bbox>"]),
                ),
                (
                    "agentType",
                    json!(["{{secret:password}}", "<bbox>3,3,4,4</bbox>"]),
                ),
                (
                    "agentType",
                    json!(["{{totp:shop}}", "<bbox>5,5,6,6</bbox>"]),
                ),
                ("takeObservation", json!([])),
            ],
            vec![("return", json!(["signed in"]))],
        ],
    )
}

#[tokio::test]
async fn the_page_gets_the_values_and_the_service_only_placeholders() {
    let received = Arc::new(Mutex::new(Vec::new()));
    let emulator = Emulator::builder()
        .planner(Recording(sign_in_script(), received.clone()))
        .start()
        .await
        .unwrap();
    let client = iam(&emulator, emulator.access_key());
    define(&client, "acts").await;
    // 10 s into a period: the code is typed at once.
    let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_234_567_890));
    let code = Totp::parse(SEED).unwrap().code_at(clock.now());
    let logs = tempfile::tempdir().unwrap();
    let path = logs.path().to_owned();
    let (logs_text, _guard) = nova_test_support::Logs::capture();

    let (result, typed) = Workflow::new(&client)
        .definition("acts")
        .run(|run| async move {
            let mut session = run.session(SignIn::default()).await?;
            let mut values = SecretValues::new();
            values.secret("user", USER).unwrap();
            values.secret("password", PASSWORD).unwrap();
            values.totp("shop", SEED).unwrap();
            values.clock(clock);
            session.secrets(values).logs_dir(&path).unwrap();
            let result = session
                .act("Sign in as {{secret:user}} with {{secret:password}} and code {{totp:shop}}")
                .await?;
            Ok::<_, ActError>((result, session.actuator().typed.clone()))
        })
        .await
        .unwrap();
    assert_eq!(result.value, Some(json!("signed in")));
    assert_eq!(
        typed,
        vec![USER.to_owned(), PASSWORD.to_owned(), code.clone()]
    );

    // What the service received: the task as written, the page's echoes as placeholders.
    let received = received.lock().unwrap().join("\n");
    assert!(received.contains("{{secret:password}}"), "{received}");
    assert!(received.contains("{{totp:shop}}"), "{received}");
    let files = result.trace.unwrap();
    let mut everything = vec![received];
    for file in [&files.json, &files.html, files.trajectory.as_ref().unwrap()] {
        everything.push(std::fs::read_to_string(file).unwrap());
    }
    everything.push(logs_text.text());
    for text in &everything {
        for value in [USER, PASSWORD, code.as_str(), SEED] {
            for form in forms(value) {
                assert!(!text.contains(&form), "`{form}` reached:\n{text}");
            }
        }
    }
}

/// A value as the page, JSON or a URL may carry it.
fn forms(value: &str) -> Vec<String> {
    let json = serde_json::to_string(value).unwrap();
    let url: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    vec![
        value.to_owned(),
        json[1..json.len() - 1].to_owned(),
        url.clone(),
        url.replace('+', "%20"),
    ]
}

/// An emulator that plays the sign-in script, and a client of it with the definition `acts`.
async fn sign_in_service() -> (nova_emulator::RunningEmulator, nova_act_core::Client) {
    let emulator = Emulator::builder()
        .planner(sign_in_script())
        .start()
        .await
        .unwrap();
    let client = iam(&emulator, emulator.access_key());
    define(&client, "acts").await;
    (emulator, client)
}

#[tokio::test]
async fn a_missing_value_is_refused_before_the_act_and_a_wrong_page_before_typing() {
    let (emulator, client) = sign_in_service().await;
    let (missing, wrong, typed) = Workflow::new(&client)
        .definition("acts")
        .run(|run| async move {
            let mut session = run.session(SignIn::default()).await?;
            session.secret("user", USER).unwrap();
            let missing = session
                .act("Sign in as {{secret:user}} with {{secret:password}} and code {{totp:shop}}")
                .await
                .unwrap_err();
            // Allowed only on another host: refused before anything is typed.
            let mut values = SecretValues::new();
            values
                .secret_for_hosts("user", USER, ["bank.example".parse().unwrap()])
                .unwrap();
            values.secret("password", PASSWORD).unwrap();
            values.totp("shop", SEED).unwrap();
            session.secrets(values);
            let wrong = session
                .act("Sign in as {{secret:user}} with {{secret:password}} and code {{totp:shop}}")
                .await
                .unwrap_err();
            Ok::<_, ActError>((missing, wrong, session.actuator().typed.clone()))
        })
        .await
        .unwrap();
    assert_eq!(missing.code(), "ActInvalidInputError");
    assert!(
        nova_auth::Report(&missing)
            .to_string()
            .contains("no secret named `password`"),
        "{}",
        nova_auth::Report(&missing)
    );
    // Only the second act was created, and it FAILED with nothing typed.
    let acts = emulator.acts();
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].status.to_string(), "FAILED");
    assert_eq!(wrong.code(), "ActStateGuardrailError");
    let said = nova_auth::Report(&wrong).to_string();
    assert!(
        said.contains("refused to type the secret `user` into https://shop.example/login"),
        "{said}"
    );
    assert!(!said.contains(USER), "{said}");
    assert!(typed.is_empty(), "{typed:?}");
}

#[tokio::test]
async fn a_session_s_events_tell_what_the_act_did_without_its_secrets() {
    let (_emulator, client) = sign_in_service().await;
    let events = Workflow::new(&client)
        .definition("acts")
        .run(|run| async move {
            let mut session = run.session(SignIn::default()).await?;
            let mut events = session.events();
            session.secret("user", USER).unwrap();
            session.secret("password", PASSWORD).unwrap();
            session.totp("shop", SEED).unwrap();
            session
                .act("Sign in as {{secret:user}} with {{secret:password}} and code {{totp:shop}}")
                .await?;
            let mut seen = Vec::new();
            while let Some(event) = events.try_next() {
                seen.push(event.unwrap());
            }
            Ok::<_, ActError>(seen)
        })
        .await
        .unwrap();
    let names: Vec<String> = events
        .iter()
        .map(|e| {
            serde_json::to_value(e).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        names,
        [
            "act",
            "step",
            "action",
            "action",
            "action",
            "action",
            "step",
            "act_ended"
        ]
    );
    let ActEvent::Step { step, calls, .. } = &events[1] else {
        panic!()
    };
    assert_eq!((*step, calls.len()), (1, 4));
    let ActEvent::ActEnded {
        status,
        steps,
        error,
        ..
    } = events.last().unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (status.as_str(), *steps, error.as_deref()),
        ("SUCCEEDED", 2, None)
    );
    let text = format!("{events:?}");
    assert!(!text.contains(PASSWORD) && !text.contains(USER), "{text}");
}

/// A step that plans nothing makes the runtime observe the page itself: that observation is
/// hidden like any other.
#[tokio::test]
async fn an_observation_the_runtime_takes_itself_hides_the_secret_too() {
    let received = Arc::new(Mutex::new(Vec::new()));
    let script = ScriptedPlanner::new().script(
        "Type it",
        vec![
            vec![(
                "agentType",
                json!(["{{secret:password}}", "<bbox>1,1,2,2</bbox>"]),
            )],
            vec![],
            vec![("return", json!(["typed"]))],
        ],
    );
    let emulator = Emulator::builder()
        .planner(Recording(script, received.clone()))
        .start()
        .await
        .unwrap();
    let client = iam(&emulator, emulator.access_key());
    define(&client, "acts").await;
    Workflow::new(&client)
        .definition("acts")
        .run(|run| async move {
            let mut session = run.session(SignIn::default()).await?;
            session.secret("password", PASSWORD).unwrap();
            session.act("Type it: {{secret:password}}").await
        })
        .await
        .unwrap();
    let received = received.lock().unwrap().join("\n");
    assert!(received.contains("{{secret:password}}"), "{received}");
    for form in forms(PASSWORD) {
        assert!(!received.contains(&form), "`{form}` reached:\n{received}");
    }
}
