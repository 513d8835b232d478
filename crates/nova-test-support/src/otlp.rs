//! An OTLP/HTTP collector stand-in: takes `POST /v1/traces` and `/v1/metrics` (protobuf) on
//! 127.0.0.1, decodes the spans and metric names, and keeps every body as received (to search for
//! a secret).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use prost::Message;

/// One span as the collector received it.
#[derive(Clone, Debug)]
pub struct Span {
    /// The span's name.
    pub name: String,
    /// Its trace, in hex.
    pub trace_id: String,
    /// Its id, in hex.
    pub span_id: String,
    /// Empty for a root span.
    pub parent_span_id: String,
    /// Attributes, their values as text.
    pub attributes: BTreeMap<String, String>,
    /// `0` unset, `1` ok, `2` error.
    pub status: i32,
    /// The resource's `service.name`.
    pub service: String,
}

#[derive(Default)]
struct Received {
    spans: Vec<Span>,
    metrics: Vec<String>,
    bodies: Vec<Vec<u8>>,
    /// Requests answered 503 while "down".
    refused: usize,
    down: bool,
    /// Counts requests only (a benchmark's collector, which must not burn the CPU it measures).
    sink: bool,
    requests: usize,
}

/// The collector, serving until the test ends.
#[derive(Clone)]
pub struct Collector {
    url: String,
    received: Arc<Mutex<Received>>,
}

impl Collector {
    /// Starts the collector on a free port of 127.0.0.1.
    pub async fn start() -> Self {
        Self::start_with(Received::default()).await
    }

    /// A collector that answers every export and only counts them ([`requests`](Self::requests)),
    /// decoding nothing: for benchmarks, where a real collector runs elsewhere.
    pub async fn sink() -> Self {
        Self::start_with(Received {
            sink: true,
            ..Received::default()
        })
        .await
    }

    /// How many exports were answered.
    pub fn requests(&self) -> usize {
        self.received.lock().unwrap().requests
    }

    async fn start_with(received: Received) -> Self {
        let received = Arc::new(Mutex::new(received));
        let app = axum::Router::new()
            .route(
                "/v1/traces",
                axum::routing::post(|state, body| export(state, body, Received::spans_of)),
            )
            .route(
                "/v1/metrics",
                axum::routing::post(|state, body| export(state, body, Received::metrics_of)),
            )
            .with_state(received.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, received }
    }

    /// `http://127.0.0.1:PORT`: the base endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// While down, every request is answered 503 and counted.
    pub fn set_down(&self, down: bool) {
        self.received.lock().unwrap().down = down;
    }

    /// The spans received so far.
    pub fn spans(&self) -> Vec<Span> {
        self.received.lock().unwrap().spans.clone()
    }

    /// The names of the metrics received (each once).
    pub fn metric_names(&self) -> Vec<String> {
        let mut names = self.received.lock().unwrap().metrics.clone();
        names.sort();
        names.dedup();
        names
    }

    /// Every body received, as sent.
    pub fn bodies(&self) -> Vec<Vec<u8>> {
        self.received.lock().unwrap().bodies.clone()
    }

    /// How many requests were answered 503.
    pub fn refused(&self) -> usize {
        self.received.lock().unwrap().refused
    }
}

type Shared = axum::extract::State<Arc<Mutex<Received>>>;

impl Received {
    /// Counts an export and keeps its body; `Err` with the answer when it is not to be decoded
    /// (the collector is down, or only counts).
    fn take(&mut self, body: &[u8]) -> Result<(), axum::http::StatusCode> {
        if self.down {
            self.refused += 1;
            return Err(axum::http::StatusCode::SERVICE_UNAVAILABLE);
        }
        self.requests += 1;
        if self.sink {
            return Err(axum::http::StatusCode::OK);
        }
        self.bodies.push(body.to_vec());
        Ok(())
    }
}

/// Counts an export and, unless the collector is down or only counts, decodes it and keeps
/// what `keep` takes from it.
async fn export<R: Message + Default>(
    state: Shared,
    body: axum::body::Bytes,
    keep: fn(&mut Received, R),
) -> axum::http::StatusCode {
    let mut received = state.0.lock().unwrap();
    if let Err(status) = received.take(&body) {
        return status;
    }
    keep(&mut received, R::decode(body).expect("OTLP protobuf"));
    axum::http::StatusCode::OK
}

impl Received {
    fn spans_of(&mut self, request: ExportTraceServiceRequest) {
        for resource in request.resource_spans {
            let service = resource
                .resource
                .iter()
                .flat_map(|r| r.attributes.iter())
                .find(|kv| kv.key == "service.name")
                .map(|kv| text(kv.value.as_ref().and_then(|v| v.value.as_ref())))
                .unwrap_or_default();
            for span in resource.scope_spans.into_iter().flat_map(|s| s.spans) {
                self.spans.push(Span {
                    name: span.name,
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent_span_id: hex(&span.parent_span_id),
                    attributes: span
                        .attributes
                        .iter()
                        .map(|kv| {
                            let value = text(kv.value.as_ref().and_then(|v| v.value.as_ref()));
                            (kv.key.clone(), value)
                        })
                        .collect(),
                    status: span.status.map(|s| s.code).unwrap_or_default(),
                    service: service.clone(),
                });
            }
        }
    }

    fn metrics_of(&mut self, request: ExportMetricsServiceRequest) {
        for resource in request.resource_metrics {
            for metric in resource.scope_metrics.into_iter().flat_map(|s| s.metrics) {
                self.metrics.push(metric.name);
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn text(value: Option<&Value>) -> String {
    match value {
        Some(Value::StringValue(s)) => s.clone(),
        Some(Value::BoolValue(b)) => b.to_string(),
        Some(Value::IntValue(i)) => i.to_string(),
        Some(Value::DoubleValue(d)) => d.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}
