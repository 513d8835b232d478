//! What the benchmarks share: the two credential chains, signing both ways, and clients of the
//! emulator for our SDK, `aws-sdk-novaact` and raw `reqwest` (the unsigned floor).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

pub mod browsers;

use std::sync::Mutex;
use std::time::SystemTime;

use aws_credential_types::provider::ProvideCredentials;
pub use aws_smithy_runtime_api::client::identity::Identity;
use nova_act_core::Client;
use nova_act_core::model::*;
use nova_auth::{AuthMode, AwsCredentials, CredentialProvider, Env, Source};
use nova_emulator::{Emulator, RunningEmulator};

pub const ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// nova-auth's default chain, built and resolved fresh.
pub async fn resolve_ours() -> bool {
    nova_auth::DefaultChain::new().credentials().await.is_ok()
}

/// aws-config's `DefaultCredentialsChain`, built and resolved fresh.
pub async fn resolve_aws_config() -> bool {
    aws_config::default_provider::credentials::DefaultCredentialsChain::builder()
        .build()
        .await
        .provide_credentials()
        .await
        .is_ok()
}

/// A request like InvokeActStep's, with a body of `size` bytes.
pub fn request(size: usize) -> http::Request<Vec<u8>> {
    let body = format!(
        r#"{{"callResults":[{{"callId":"o","content":[{{"text":"{}"}}]}}]}}"#,
        "x".repeat(size)
    );
    http::Request::put("https://nova-act.us-east-1.amazonaws.com/workflow-definitions/flow/workflow-runs/0f8fad5b-d9cb-469f-a165-70867728950e/sessions/0f8fad5b-d9cb-469f-a165-70867728950e/acts/0f8fad5b-d9cb-469f-a165-70867728950e/invoke-step/")
        .header("content-type", "application/json")
        .header("user-agent", "bench")
        .body(body.into_bytes())
        .unwrap()
}

pub fn credentials() -> AwsCredentials {
    AwsCredentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None, Source::Code)
}

/// Signs with nova-act-core.
pub fn sign_ours(req: &mut http::Request<Vec<u8>>, creds: &AwsCredentials, now: SystemTime) {
    nova_act_core::sign_request(req, creds, "us-east-1", now).unwrap();
}

/// Signs by calling aws-sigv4 directly: the reference.
pub fn sign_direct(req: &mut http::Request<Vec<u8>>, identity: &Identity, now: SystemTime) {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;
    let params = v4::SigningParams::builder()
        .identity(identity)
        .region("us-east-1")
        .name("nova-act")
        .time(now)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let uri = req.uri().to_string();
    let headers: Vec<(&str, &str)> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str(), v.to_str().unwrap()))
        .collect();
    let signable = SignableRequest::new(
        req.method().as_str(),
        &uri,
        headers.into_iter(),
        SignableBody::Bytes(req.body()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(req);
}

/// The identity aws-sigv4 signs with, for [`sign_direct`].
pub fn identity() -> Identity {
    aws_credential_types::Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None, None, "bench")
        .into()
}

/// A 200 KB observation, as a screenshot makes it.
pub fn observation(size: usize) -> String {
    serde_json::json!({
        "activeURL": "https://example.com/",
        "screenshotBase64": format!("data:image/jpeg;base64,{}", "A".repeat(size)),
        "browserDimensions": {"width": 1600, "height": 900},
        "userAgent": "bench",
        "timestamp_ms": 0,
    })
    .to_string()
}

/// The CreateWorkflowRun body nova-act-core sends (idempotency token and client info included), for
/// the floors: the service does the same work for every side.
pub fn create_run_body() -> Vec<u8> {
    format!(
        r#"{{"clientInfo":{{"compatibilityVersion":1,"sdkVersion":"nova-act-rust/0.1.0"}},"clientToken":"{}","modelId":"nova-act-latest"}}"#,
        uuid::Uuid::new_v4()
    )
    .into_bytes()
}

/// An act in progress on the emulator, and the id of its last step.
pub struct OpenAct {
    pub run: String,
    pub session: String,
    pub act: String,
    pub last_step: Mutex<Option<String>>,
}

/// nova-act-core's client for `emulator`, with its generated key.
pub fn nova_act_client(emulator: &RunningEmulator) -> Client {
    // Round trips are measured back to back: no pacing at the step quota (the governor's own
    // cost is a row of its own).
    paced_client(emulator, 0.0)
}

/// A client for `emulator` whose steps are paced at `step_rate` (0: not paced), as an
/// application's would be.
pub fn paced_client(emulator: &RunningEmulator, step_rate: f64) -> Client {
    Client::builder()
        .credentials_provider(emulator.access_key().credentials(), AuthMode::Iam)
        .endpoint_url(emulator.url())
        .env(Env::empty())
        .step_rate(step_rate)
        .build()
        .unwrap()
}

/// aws-sdk-novaact's client for `emulator`.
pub fn sdk_client(emulator: &RunningEmulator) -> aws_sdk_novaact::Client {
    nova_test_support::aws_sdk(emulator, &emulator.access_key().secret_access_key, true)
}

pub use nova_test_support::define;

/// An emulator with the `bench` definition, without the service's rate quotas: the rows measure
/// round trips back to back, far beyond 5 steps a second.
pub async fn emulator(open: bool) -> RunningEmulator {
    let builder = Emulator::builder().quotas(nova_emulator::Quotas::unlimited());
    let builder = if open {
        builder.without_authentication()
    } else {
        builder
    };
    let emulator = builder.start().await.unwrap();
    let client = if open {
        None
    } else {
        Some(nova_act_client(&emulator))
    };
    match client {
        Some(client) => nova_test_support::define(&client, "bench").await,
        None => {
            nova_act_core::tls::http_client()
                .build()
                .unwrap()
                .put(format!("{}/workflow-definitions", emulator.url()))
                .body(r#"{"name":"bench"}"#)
                .send()
                .await
                .unwrap();
        }
    }
    emulator
}

/// Opens a run, a session and an act with nova-act-core's client.
pub async fn open_act(client: &Client) -> OpenAct {
    let (run, session, act) = nova_test_support::open_act(client, "bench", "bench").await;
    OpenAct {
        run,
        session,
        act,
        last_step: Mutex::new(None),
    }
}

impl OpenAct {
    /// One InvokeActStep through nova-act-core, chained to the previous step.
    pub async fn step(&self, client: &Client, text: &str) {
        let previous = self.last_step.lock().unwrap().clone();
        let out = client
            .invoke_act_step(InvokeActStepInput {
                workflow_definition_name: "bench".into(),
                workflow_run_id: self.run.clone(),
                session_id: self.session.clone(),
                act_id: self.act.clone(),
                call_results: vec![CallResult::text("o", text)],
                previous_step_id: previous,
            })
            .await
            .unwrap();
        *self.last_step.lock().unwrap() = Some(out.step_id);
    }

    /// One InvokeActStep through aws-sdk-novaact.
    pub async fn step_sdk(&self, sdk: &aws_sdk_novaact::Client, text: &str) {
        let previous = self.last_step.lock().unwrap().clone();
        let result = aws_sdk_novaact::types::CallResult::builder()
            .call_id("o")
            .content(aws_sdk_novaact::types::CallResultContent::Text(
                text.to_owned(),
            ))
            .build()
            .unwrap();
        let out = sdk
            .invoke_act_step()
            .workflow_definition_name("bench")
            .workflow_run_id(&self.run)
            .session_id(&self.session)
            .act_id(&self.act)
            .call_results(result)
            .set_previous_step_id(previous)
            .send()
            .await
            .unwrap();
        *self.last_step.lock().unwrap() = Some(out.step_id().to_owned());
    }

    /// The floor's InvokeActStep: its URL and JSON body, chained to the previous step.
    fn floor_step(&self, base: &str, text: &str) -> (String, Vec<u8>) {
        let previous = self.last_step.lock().unwrap().clone();
        let mut body =
            serde_json::json!({"callResults": [{"callId": "o", "content": [{"text": text}]}]});
        if let Some(previous) = previous {
            body["previousStepId"] = previous.into();
        }
        let url = format!(
            "{base}/workflow-definitions/bench/workflow-runs/{}/sessions/{}/acts/{}/invoke-step/",
            self.run, self.session, self.act
        );
        (url, serde_json::to_vec(&body).unwrap())
    }

    fn chain(&self, answer: &[u8]) {
        let answer: serde_json::Value = serde_json::from_slice(answer).unwrap();
        *self.last_step.lock().unwrap() = answer["stepId"].as_str().map(str::to_owned);
    }

    /// One InvokeActStep as raw JSON with no signing, to an open emulator: the floor.
    pub async fn step_floor(&self, http: &reqwest::Client, base: &str, text: &str) {
        let (url, body) = self.floor_step(base, text);
        self.chain(&answer(http.put(url).body(body)).await);
    }

    /// One InvokeActStep as raw JSON signed with aws-sigv4 directly: the signed floor.
    pub async fn step_signed_floor(&self, floor: &SignedFloor, base: &str, text: &str) {
        let (url, body) = self.floor_step(base, text);
        let answer = floor.send("PUT", url, body).await;
        self.chain(&answer);
    }
}

/// Raw `reqwest` with each request signed by calling aws-sigv4 directly: the same protocol work
/// as any SigV4 client (payload hash, HMAC chain, server-side verification) and nothing else.
pub struct SignedFloor {
    http: reqwest::Client,
    identity: Identity,
}

impl SignedFloor {
    /// A signed floor with `emulator`'s key.
    pub fn new(emulator: &RunningEmulator) -> Self {
        let key = emulator.access_key();
        Self {
            http: nova_act_core::tls::http_client().build().unwrap(),
            identity: aws_credential_types::Credentials::new(
                &key.access_key_id,
                &key.secret_access_key,
                None,
                None,
                "bench",
            )
            .into(),
        }
    }

    /// Signs and sends one request; returns the answer's body. It takes every shortcut the SDK
    /// takes: the signed `http::Request` becomes reqwest's without parsing the URL again, and a
    /// request without a body has no `content-type` (one header less to sign and to verify: a
    /// profile showed the floor hashing more than the SDK for ListModels before this).
    pub async fn send(&self, method: &str, url: String, body: Vec<u8>) -> bytes::Bytes {
        let mut signed = http::Request::builder().method(method).uri(&url);
        if !body.is_empty() {
            signed = signed.header("content-type", "application/json");
        }
        let mut signed = signed.body(body).unwrap();
        sign_direct(&mut signed, &self.identity, SystemTime::now());
        let request = reqwest::Request::try_from(signed).unwrap();
        let response = self.http.execute(request).await.unwrap();
        response.bytes().await.unwrap()
    }
}

/// Sends `request` and reads the whole answer.
pub async fn answer(request: reqwest::RequestBuilder) -> bytes::Bytes {
    request.send().await.unwrap().bytes().await.unwrap()
}
