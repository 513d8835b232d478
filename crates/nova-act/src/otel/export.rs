//! The OTLP exporters' HTTP client: the workspace's reqwest, on the application's Tokio runtime,
//! SigV4-signed for CloudWatch, and quiet about a collector that is down (one warning per
//! outage, spans dropped meanwhile).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use nova_auth::{CredentialProvider as _, SharedProvider};
use opentelemetry_http::{HttpClient, HttpError, Request, Response};

use super::TelemetryError;

/// The `tracing` target of the exporter's own warnings (never exported themselves).
pub(super) const NOTICE: &str = "nova_act::otel";

/// How long a collector has to accept a connection, and to answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(4);

/// CloudWatch's signing: the region and the credentials.
#[derive(Clone, Debug)]
pub(super) struct Signing {
    pub(super) region: String,
    pub(super) provider: SharedProvider,
}

#[derive(Clone, Debug)]
pub(super) struct Exporter {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
    signing: Option<Signing>,
    endpoint: Arc<str>,
    notices: Arc<Notices>,
}

/// What the exporters of one telemetry say once, traces and metrics alike.
#[derive(Debug, Default)]
pub(super) struct Notices {
    /// Whether the last export failed: the warning is said once per outage.
    down: AtomicBool,
    /// gRPC was asked for and the answer not said yet. Said at the first export, not when the
    /// telemetry is built: that happens before the application's subscriber is installed,
    /// where a warning would go nowhere.
    grpc: AtomicBool,
}

impl Notices {
    /// Notices for exporters built with `OTEL_EXPORTER_OTLP_PROTOCOL=grpc` (`grpc`) or not.
    pub(super) fn new(grpc: bool) -> Arc<Self> {
        Arc::new(Self {
            down: AtomicBool::new(false),
            grpc: AtomicBool::new(grpc),
        })
    }
}

impl Exporter {
    /// An exporter's client, saying what `notices` says once.
    pub(super) fn new(
        runtime: tokio::runtime::Handle,
        endpoint: &str,
        signing: Option<Signing>,
        notices: Arc<Notices>,
    ) -> Result<Self, TelemetryError> {
        let client = nova_act_core::tls::http_client()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|err| TelemetryError::Exporter(Box::new(err)))?;
        Ok(Self {
            client,
            runtime,
            signing,
            endpoint: endpoint.into(),
            notices,
        })
    }

    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        if self.notices.grpc.swap(false, Ordering::Relaxed) {
            tracing::warn!(
                target: NOTICE,
                endpoint = %self.endpoint,
                "OTEL_EXPORTER_OTLP_PROTOCOL=grpc: gRPC is not built in; exporting over OTLP/HTTP \
                 (protobuf) instead"
            );
        }
        let sent = self.exchange(request).await;
        match &sent {
            Ok(response) if response.status().is_success() => {
                if self.notices.down.swap(false, Ordering::Relaxed) {
                    tracing::info!(target: NOTICE, endpoint = %self.endpoint, "the OpenTelemetry collector is reachable again");
                }
            }
            failed => {
                let why = match failed {
                    Ok(response) => format!("it answered HTTP {}", response.status()),
                    Err(err) => err.to_string(),
                };
                if !self.notices.down.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        target: NOTICE,
                        endpoint = %self.endpoint,
                        error = %why,
                        "the OpenTelemetry collector cannot take spans or metrics; they are dropped \
                         until it can (is it running, and is the endpoint right?)"
                    );
                }
            }
        }
        sent
    }

    async fn exchange(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let (parts, body) = request.into_parts();
        let mut request = Request::from_parts(parts, body.to_vec());
        if let Some(signing) = &self.signing {
            let credentials = signing.provider.credentials().await?;
            let aws = credentials
                .as_aws()
                .ok_or("CloudWatch takes spans signed with AWS credentials, not an API key")?;
            nova_act_core::sign_request_for(
                &mut request,
                aws,
                &signing.region,
                "xray",
                SystemTime::now(),
            )?;
        }
        let request = reqwest::Request::try_from(request.map(reqwest::Body::from))?;
        let mut response = self.client.execute(request).await?;
        let mut answer = Response::builder().status(response.status().as_u16());
        if let Some(headers) = answer.headers_mut() {
            *headers = std::mem::take(response.headers_mut());
        }
        let body = response.bytes().await?;
        Ok(answer.body(body)?)
    }
}

#[async_trait::async_trait]
impl HttpClient for Exporter {
    /// Runs on the application's runtime: the exporters call from threads of their own, where
    /// reqwest has no reactor.
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let this = self.clone();
        self.runtime
            .spawn(async move { this.send(request).await })
            .await?
    }
}
