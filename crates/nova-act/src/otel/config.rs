//! Where telemetry goes and as whom: the builder, and the standard `OTEL_*` variables read from
//! an environment it is handed (the process's unless a test injects one).

use std::collections::HashMap;

use nova_auth::{CredentialProvider, Env, SharedProvider};
use opentelemetry::KeyValue;
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::SdkTracerProvider;

use super::export::{Exporter, Notices, Signing};
use super::{DEFAULT_ENDPOINT, Providers, Telemetry, TelemetryError};

const ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
const TRACES_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
const METRICS_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT";
const HEADERS: &str = "OTEL_EXPORTER_OTLP_HEADERS";
const PROTOCOL: &str = "OTEL_EXPORTER_OTLP_PROTOCOL";
const TRACES_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";
const SERVICE_NAME: &str = "OTEL_SERVICE_NAME";
const RESOURCE_ATTRIBUTES: &str = "OTEL_RESOURCE_ATTRIBUTES";
const SDK_DISABLED: &str = "OTEL_SDK_DISABLED";
const TRACES_EXPORTER: &str = "OTEL_TRACES_EXPORTER";
const METRICS_EXPORTER: &str = "OTEL_METRICS_EXPORTER";

/// The service name when neither code nor the environment names one.
const DEFAULT_SERVICE_NAME: &str = "nova-act";

/// Settings of [`Telemetry`]; code wins over the variables, which win over the defaults.
#[derive(Debug, Default)]
pub struct TelemetryBuilder {
    env: Option<Env>,
    endpoint: Option<String>,
    service_name: Option<String>,
    cloudwatch: Option<(String, SharedProvider)>,
}

impl TelemetryBuilder {
    pub(super) fn new() -> Self {
        Self::default()
    }

    /// Reads the `OTEL_*` variables from `env` instead of the process (for tests).
    pub fn env(mut self, env: Env) -> Self {
        self.env = Some(env);
        self
    }

    /// The collector's base URL, as `OTEL_EXPORTER_OTLP_ENDPOINT` would name it (`/v1/traces`
    /// and `/v1/metrics` are appended); wins over every variable. Default
    /// [`DEFAULT_ENDPOINT`](super::DEFAULT_ENDPOINT).
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// The `service.name` resource attribute; wins over `OTEL_SERVICE_NAME`. Default
    /// `nova-act`.
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Spans to CloudWatch (X-Ray's OTLP endpoint, `https://xray.REGION.amazonaws.com/v1/traces`),
    /// each request signed with SigV4 as `xray` with the AWS credentials `provider` gives.
    /// Metrics are not sent there. Turn on CloudWatch Transaction Search to see the spans.
    pub fn cloudwatch(
        mut self,
        region: impl Into<String>,
        provider: impl CredentialProvider + 'static,
    ) -> Self {
        self.cloudwatch = Some((region.into(), SharedProvider::new(provider)));
        self
    }

    /// The exporters. Needs a Tokio runtime (their requests run on it). Under
    /// `OTEL_SDK_DISABLED=true` the telemetry is built disabled: its layer exports nothing.
    pub fn build(self) -> Result<Telemetry, TelemetryError> {
        let env = self.env.clone().unwrap_or_else(Env::process);
        let set = |name: &str| set(&env, name);
        let is = |name: &str, value: &str| {
            set(name).is_some_and(|v| v.trim().eq_ignore_ascii_case(value))
        };
        if is(SDK_DISABLED, "true") {
            return Ok(Telemetry { providers: None });
        }
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| TelemetryError::NoRuntime)?;
        let resource = self.resource(&env);
        let headers = headers(set(HEADERS).as_deref().unwrap_or(""));
        let grpc = set(TRACES_PROTOCOL)
            .or_else(|| set(PROTOCOL))
            .is_some_and(|p| p.trim() == "grpc");
        let notices = Notices::new(grpc);
        let traces = match is(TRACES_EXPORTER, "none") {
            true => None,
            false => {
                let (url, origin) = self.endpoint_of(&env, TRACES_ENDPOINT, "/v1/traces")?;
                let signing = match &self.cloudwatch {
                    Some((region, provider)) => {
                        // Signed requests carry a session token: the cleartext rule of
                        // every call with credentials.
                        nova_act_core::endpoint::transport(&url, env.allows_http()).map_err(
                            |err| TelemetryError::Endpoint {
                                url: url.clone(),
                                origin: origin.clone(),
                                reason: err.to_string(),
                            },
                        )?;
                        Some(Signing {
                            region: region.clone(),
                            provider: provider.clone(),
                        })
                    }
                    None => None,
                };
                let exporter = Exporter::new(runtime.clone(), &url, signing, notices.clone())?;
                let spans = opentelemetry_otlp::SpanExporter::builder()
                    .with_http()
                    .with_http_client(exporter)
                    .with_protocol(Protocol::HttpBinary)
                    .with_endpoint(url.clone())
                    .with_headers(headers.clone())
                    .build()
                    .map_err(|err| TelemetryError::Exporter(Box::new(err)))?;
                let provider = SdkTracerProvider::builder()
                    .with_batch_exporter(spans)
                    .with_resource(resource.clone())
                    .build();
                Some((provider, url))
            }
        };
        let metrics = match is(METRICS_EXPORTER, "none") || self.cloudwatch.is_some() {
            true => None,
            false => {
                let (url, _) = self.endpoint_of(&env, METRICS_ENDPOINT, "/v1/metrics")?;
                let exporter = Exporter::new(runtime, &url, None, notices)?;
                let metrics = opentelemetry_otlp::MetricExporter::builder()
                    .with_http()
                    .with_http_client(exporter)
                    .with_protocol(Protocol::HttpBinary)
                    .with_endpoint(url.clone())
                    .with_headers(headers)
                    .build()
                    .map_err(|err| TelemetryError::Exporter(Box::new(err)))?;
                let provider = SdkMeterProvider::builder()
                    .with_reader(PeriodicReader::builder(metrics).build())
                    .with_resource(resource)
                    .build();
                Some((provider, url))
            }
        };
        let providers =
            (traces.is_some() || metrics.is_some()).then_some(Providers { traces, metrics });
        Ok(Telemetry { providers })
    }

    /// A signal's URL and where it came from: code's base, CloudWatch (traces), the signal's
    /// variable as given, the base variable with `path` appended, the default.
    fn endpoint_of(
        &self,
        env: &Env,
        signal_var: &str,
        path: &str,
    ) -> Result<(String, String), TelemetryError> {
        let set = |name: &str| set(env, name);
        let (url, origin) = if let Some(base) = &self.endpoint {
            (join(base, path), "code".to_owned())
        } else if let (Some((region, _)), "/v1/traces") = (&self.cloudwatch, path) {
            let url = format!("https://xray.{region}.amazonaws.com/v1/traces");
            (url, "CloudWatch".to_owned())
        } else if let Some(url) = set(signal_var) {
            (url.trim().to_owned(), signal_var.to_owned())
        } else if let Some(base) = set(ENDPOINT) {
            (join(&base, path), ENDPOINT.to_owned())
        } else {
            (join(DEFAULT_ENDPOINT, path), "the default".to_owned())
        };
        let invalid = |reason: String| TelemetryError::Endpoint {
            url: url.clone(),
            origin: origin.clone(),
            reason,
        };
        let uri: http::Uri = url.parse().map_err(|err| invalid(format!("{err}")))?;
        match (uri.scheme_str(), uri.host()) {
            (Some("http" | "https"), Some(_)) => Ok((url, origin)),
            _ => Err(invalid(
                "it needs http:// or https:// and a host".to_owned(),
            )),
        }
    }

    /// `service.name` and `OTEL_RESOURCE_ATTRIBUTES`.
    fn resource(&self, env: &Env) -> Resource {
        let attributes = env
            .get(RESOURCE_ATTRIBUTES)
            .map(|list| pairs(&list))
            .unwrap_or_default();
        let service = self
            .service_name
            .clone()
            .or_else(|| set(env, SERVICE_NAME))
            .or_else(|| {
                attributes
                    .iter()
                    .find(|(k, _)| k == "service.name")
                    .map(|(_, v)| v.clone())
            })
            .unwrap_or_else(|| DEFAULT_SERVICE_NAME.to_owned());
        Resource::builder_empty()
            .with_attributes(
                attributes
                    .into_iter()
                    .filter(|(k, _)| k != "service.name")
                    .map(|(k, v)| KeyValue::new(k, v)),
            )
            .with_service_name(service)
            .build()
    }
}

/// A variable's value, when it is set to something other than blanks.
fn set(env: &Env, name: &str) -> Option<String> {
    env.get(name).filter(|v| !v.trim().is_empty())
}

/// `base` with `path` appended, one slash between them.
fn join(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim().trim_end_matches('/'))
}

/// `key=value,key=value` (values percent-encoded), as `OTEL_EXPORTER_OTLP_HEADERS` and
/// `OTEL_RESOURCE_ATTRIBUTES` write them; malformed members are skipped.
fn pairs(list: &str) -> Vec<(String, String)> {
    list.split(',')
        .filter_map(|member| {
            let (key, value) = member.split_once('=')?;
            let key = key.trim();
            (!key.is_empty()).then(|| (key.to_owned(), percent_decoded(value.trim())))
        })
        .collect()
}

fn headers(list: &str) -> HashMap<String, String> {
    pairs(list).into_iter().collect()
}

fn percent_decoded(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(builder: &TelemetryBuilder, vars: &[(&str, &str)]) -> String {
        let env = Env::from_vars(vars.iter().copied());
        builder
            .endpoint_of(&env, TRACES_ENDPOINT, "/v1/traces")
            .unwrap()
            .0
    }

    #[test]
    fn the_signal_variable_is_used_as_given_and_the_base_gets_the_path() {
        let builder = TelemetryBuilder::new();
        assert_eq!(endpoint(&builder, &[]), "http://localhost:4318/v1/traces");
        assert_eq!(
            endpoint(&builder, &[(ENDPOINT, "http://collector:4318/")]),
            "http://collector:4318/v1/traces"
        );
        assert_eq!(
            endpoint(
                &builder,
                &[
                    (ENDPOINT, "http://collector:4318"),
                    (TRACES_ENDPOINT, "http://t:9/x")
                ]
            ),
            "http://t:9/x"
        );
        let coded = TelemetryBuilder::new().endpoint("http://code:1");
        assert_eq!(
            endpoint(&coded, &[(TRACES_ENDPOINT, "http://t:9/x")]),
            "http://code:1/v1/traces"
        );
    }

    #[test]
    fn cloudwatch_takes_xrays_endpoint_unless_code_names_one() {
        let provider = nova_auth::ApiKeyProvider::new(nova_auth::Secret::from("k".repeat(36)));
        let builder = TelemetryBuilder::new().cloudwatch("eu-west-1", provider);
        assert_eq!(
            endpoint(&builder, &[(ENDPOINT, "http://collector:4318")]),
            "https://xray.eu-west-1.amazonaws.com/v1/traces"
        );
    }

    #[test]
    fn a_bad_endpoint_names_its_variable() {
        let env = Env::from_vars([(ENDPOINT, "collector:4318")]);
        let err = TelemetryBuilder::new()
            .endpoint_of(&env, TRACES_ENDPOINT, "/v1/traces")
            .unwrap_err();
        assert!(err.to_string().contains(ENDPOINT), "{err}");
    }

    #[test]
    fn lists_are_percent_decoded() {
        assert_eq!(
            pairs("a=1, b = x%20y ,bad,=z"),
            vec![("a".into(), "1".into()), ("b".into(), "x y".into())]
        );
    }

    #[tokio::test]
    async fn disabled_builds_nothing() {
        let env = Env::from_vars([(SDK_DISABLED, "TRUE")]);
        let telemetry = TelemetryBuilder::new().env(env).build().unwrap();
        assert!(!telemetry.is_enabled());
        assert_eq!(telemetry.traces_endpoint(), None);
    }

    #[tokio::test]
    async fn grpc_is_answered_with_a_warning_and_http() {
        let (logs, _capture) = nova_test_support::Logs::capture();
        let env = Env::from_vars([(PROTOCOL, "grpc"), (ENDPOINT, "http://127.0.0.1:4317")]);
        let telemetry = TelemetryBuilder::new().env(env).build().unwrap();
        assert_eq!(
            telemetry.traces_endpoint(),
            Some("http://127.0.0.1:4317/v1/traces")
        );
        // Said at the first export (the application's subscriber is installed by then).
        use tracing_subscriber::layer::SubscriberExt;
        let exporting = tracing_subscriber::registry().with(telemetry.layer());
        tracing::subscriber::with_default(exporting, || {
            drop(tracing::info_span!(target: nova_act_core::telemetry::TARGET, "nova_act.act"));
        });
        telemetry.shutdown().await;
        assert!(
            logs.text().contains("gRPC is not built in"),
            "{}",
            logs.text()
        );
    }

    #[tokio::test]
    async fn none_turns_one_signal_off() {
        let env = Env::from_vars([(METRICS_EXPORTER, "none")]);
        let telemetry = TelemetryBuilder::new().env(env).build().unwrap();
        assert!(telemetry.traces_endpoint().is_some());
        assert_eq!(telemetry.metrics_endpoint(), None);
        telemetry.shutdown().await;
    }

    #[test]
    fn without_a_runtime_the_error_says_so() {
        let err = TelemetryBuilder::new()
            .env(Env::empty())
            .build()
            .unwrap_err();
        assert!(matches!(err, TelemetryError::NoRuntime));
    }
}
