//! Raw requests of any shape against a running emulator: unsigned garbage gets a 4xx, and signed
//! or API-key requests with any body reach the handlers and get a 4xx or a success — never a 5xx,
//! never a dropped connection. The service keeps serving afterwards.

use std::sync::OnceLock;
use std::time::SystemTime;

use nova_emulator::{Emulator, Quotas, RunningEmulator};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use support::{api_key, define, iam, open_act};

mod support;

/// One emulator and one runtime for every case: a case that broke the service would break the
/// cases after it, which is part of what is being tested.
struct Shared {
    runtime: tokio::runtime::Runtime,
    emulator: RunningEmulator,
    http: reqwest::Client,
    /// Every operation's method and path but the deletes (which would end the resources
    /// early), with ids that exist: `flow` (IAM) and `default` (API key), each with a run, a
    /// session and an act.
    routes: Vec<(&'static str, String)>,
}

fn routes(
    prefix: &str,
    def: &str,
    (run, session, act): (String, String, String),
) -> Vec<(&'static str, String)> {
    let d = format!("{prefix}/workflow-definitions/{def}");
    let r = format!("{d}/workflow-runs/{run}");
    let s = format!("{r}/sessions/{session}");
    vec![
        ("PUT", format!("{s}/acts")),
        ("PUT", format!("{r}/sessions")),
        ("PUT", format!("{prefix}/workflow-definitions")),
        ("PUT", format!("{d}/workflow-runs")),
        ("GET", d.clone()),
        ("GET", r.clone()),
        ("PUT", format!("{s}/acts/{act}/invoke-step/")),
        ("POST", format!("{d}/acts")),
        ("POST", format!("{prefix}/models")),
        ("POST", r.clone()),
        ("POST", format!("{prefix}/workflow-definitions")),
        ("POST", format!("{d}/workflow-runs")),
        ("PUT", format!("{s}/acts/{act}")),
        ("PUT", r),
    ]
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        // Opted out of the rate quotas: hundreds of generated requests in a burst check routing
        // and validation, not the quota (tests/quotas.rs does).
        let emulator = runtime
            .block_on(Emulator::builder().quotas(Quotas::unlimited()).start())
            .unwrap();
        let routes = runtime.block_on(async {
            let iam = iam(&emulator, emulator.access_key());
            define(&iam, "flow").await;
            let mut all = routes("", "flow", open_act(&iam, "flow").await);
            let api_key = api_key(&emulator, emulator.api_key());
            all.extend(routes(
                "/agent",
                "default",
                open_act(&api_key, "default").await,
            ));
            all
        });
        Shared {
            runtime,
            emulator,
            http: nova_act_core::tls::http_client().build().unwrap(),
            routes,
        }
    })
}

/// Paths of every operation (with made-up ids), the API-key service, STS, and nonsense.
fn path() -> impl Strategy<Value = String> {
    let known = prop::sample::select(vec![
        "/",
        "/models",
        "/models?clientCompatibilityVersion=1",
        "/workflow-definitions",
        "/workflow-definitions/flow",
        "/workflow-definitions/flow/workflow-runs",
        "/workflow-definitions/flow/workflow-runs/r1",
        "/workflow-definitions/flow/workflow-runs/r1/sessions",
        "/workflow-definitions/flow/workflow-runs/r1/sessions/s1/acts",
        "/workflow-definitions/flow/workflow-runs/r1/sessions/s1/acts/a1",
        "/workflow-definitions/flow/workflow-runs/r1/sessions/s1/acts/a1/invoke-step",
        "/workflow-definitions/flow/workflow-runs/r1/acts",
        "/agent/workflow-definitions/default/workflow-runs",
        "/agent/workflow-definitions/default/workflow-runs/r1/sessions",
        "/agent/workflow-definitions/default/workflow-runs/r1/sessions/s1/acts/a1/invoke-step",
    ]);
    let suffix = "[a-zA-Z0-9/%?=&._~-]{0,30}";
    prop_oneof![
        known.clone().prop_map(str::to_owned),
        (known, suffix).prop_map(|(p, s)| format!("{p}{s}")),
        "/[a-zA-Z0-9/%?=&._~-]{0,60}",
    ]
}

fn method() -> impl Strategy<Value = reqwest::Method> {
    prop::sample::select(vec![
        "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD",
    ])
    .prop_map(|m| reqwest::Method::from_bytes(m.as_bytes()).unwrap())
}

/// Bodies: random bytes, JSON-looking fragments, and objects with fields of the wrong types.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let field = prop::sample::select(vec![
        "modelId",
        "clientInfo",
        "clientToken",
        "name",
        "task",
        "callResults",
        "previousStepId",
        "status",
        "error",
        "toolSpecs",
        "description",
        "maxResults",
        "nextToken",
    ]);
    let value = prop_oneof![
        Just("null".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        "\\PC{0,40}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        Just(r#"[{"callId":"x","content":[{"text":"{}"}]}]"#.to_owned()),
        Just(r#"{"compatibilityVersion":1,"sdkVersion":"x"}"#.to_owned()),
        Just(r#""SUCCEEDED""#.to_owned()),
    ];
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        "\\PC{0,200}".prop_map(String::into_bytes),
        prop::collection::vec((field, value), 0..6).prop_map(|fields| {
            let inner: Vec<String> = fields
                .into_iter()
                .map(|(k, v)| format!("{}:{v}", serde_json::to_string(k).unwrap()))
                .collect();
            format!("{{{}}}", inner.join(",")).into_bytes()
        }),
    ]
}

/// Authorization headers that look almost right.
fn authorization() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof![
        "AWS4-HMAC-SHA256 [ -~]{0,120}",
        "AWS4-HMAC-SHA256 Credential=[A-Z0-9]{0,20}/[0-9]{0,8}/[a-z0-9-]{0,12}/nova-act/aws4_request, SignedHeaders=[a-z;-]{0,30}, Signature=[0-9a-f]{0,64}",
        "Bearer [ -~]{0,40}",
        "[ -~]{0,60}",
    ])
}

fn status_of(request: reqwest::RequestBuilder) -> u16 {
    let shared = shared();
    shared
        .runtime
        .block_on(request.send())
        .expect("the emulator answered")
        .status()
        .as_u16()
}

fn unsigned_or_badly_signed_request_gets_a_4xx(
    (method, path, auth, date, api_key, body): (
        reqwest::Method,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Vec<u8>,
    ),
) -> Result<(), TestCaseError> {
    let shared = shared();
    let mut request = shared
        .http
        .request(method, format!("{}{path}", shared.emulator.url()))
        .body(body);
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    if let Some(date) = date {
        request = request.header("x-amz-date", date);
    }
    if let Some(key) = api_key {
        request = request.header("x-api-key", key);
    }
    let status = status_of(request);
    prop_assert!((400..500).contains(&status), "{}", status);
    Ok(())
}

fn authenticated_request_with_any_body_gets_a_4xx_or_succeeds(
    (method, path, body, with_api_key, route): (
        reqwest::Method,
        String,
        Vec<u8>,
        bool,
        Option<prop::sample::Index>,
    ),
) -> Result<(), TestCaseError> {
    let shared = shared();
    let emulator = &shared.emulator;
    // Half the cases are real operations on resources that exist, so the body reaches decoding,
    // validation and the state machines.
    let (method, path) = match route {
        Some(index) => {
            let (method, path) = index.get(&shared.routes);
            (
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                path.clone(),
            )
        }
        None => (method, path),
    };
    let with_api_key = match route {
        Some(_) => path.starts_with("/agent/"),
        None => with_api_key,
    };
    // The API-key service lives under /agent; SigV4 everywhere else.
    let path = match (with_api_key, path.strip_prefix("/agent/")) {
        (true, None) => format!("/agent{path}"),
        (false, Some(rest)) => format!("/{rest}"),
        _ => path,
    };
    let url = format!("{}{path}", emulator.url());
    let status = if with_api_key {
        status_of(
            shared
                .http
                .request(method, url)
                .bearer_auth(emulator.api_key())
                .body(body),
        )
    } else {
        let credentials = emulator.access_key().credentials();
        let aws = credentials
            .as_aws()
            .expect("an access key is AWS credentials");
        let mut signed = http::Request::builder()
            .method(method.as_str())
            .uri(&url)
            .header("content-type", "application/json")
            .body(body.clone())
            .map_err(|err| TestCaseError::fail(err.to_string()))?;
        nova_act_core::sign_request(&mut signed, aws, emulator.region(), SystemTime::now())
            .map_err(|err| TestCaseError::fail(err.to_string()))?;
        let mut request = shared.http.request(method, url).body(body);
        for (name, value) in signed.headers() {
            request = request.header(name, value);
        }
        status_of(request)
    };
    prop_assert!(status < 500, "{}", status);
    Ok(())
}

/// Both properties, 512 cases each, on one emulator; then a valid request must still succeed.
#[test]
fn any_raw_request_gets_a_4xx_or_a_success_and_the_service_keeps_serving() {
    let config = ProptestConfig {
        cases: 512,
        ..ProptestConfig::default()
    };
    TestRunner::new(config.clone())
        .run(
            &(
                method(),
                path(),
                authorization(),
                proptest::option::of("[0-9TZ]{0,20}"),
                proptest::option::of("[ -~]{0,40}"),
                body(),
            ),
            unsigned_or_badly_signed_request_gets_a_4xx,
        )
        .unwrap();
    TestRunner::new(config)
        .run(
            &(
                method(),
                path(),
                body(),
                any::<bool>(),
                proptest::option::of(any::<prop::sample::Index>()),
            ),
            authenticated_request_with_any_body_gets_a_4xx_or_succeeds,
        )
        .unwrap();

    let shared = shared();
    let url = format!(
        "{}/agent/workflow-definitions/default/workflow-runs",
        shared.emulator.url()
    );
    let status = status_of(
        shared
            .http
            .put(url)
            .bearer_auth(shared.emulator.api_key())
            .body(r#"{"modelId":"nova-act-latest","clientInfo":{"compatibilityVersion":1}}"#),
    );
    assert_eq!(status, 201);
}
