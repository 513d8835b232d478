//! OpenTelemetry export of what acts did: the runtime's spans (`nova_act.workflow_run` →
//! `nova_act.session` → `nova_act.act` → `nova_act.step` → calls and actions) and metrics
//! (`nova_act.acts`, `nova_act.steps`, `nova_act.step.duration`, `nova_act.steps.throttled`),
//! sent over OTLP/HTTP (protobuf) to a collector, or to CloudWatch signed with SigV4.
//!
//! [`Telemetry`] builds the exporters; [`Telemetry::layer`] joins them to your own `tracing`
//! subscriber, with a filter of their own (your log level does not change what is exported);
//! [`Telemetry::shutdown`] flushes, for at most five seconds.
//!
//! ```no_run
//! use tracing_subscriber::layer::SubscriberExt;
//! use tracing_subscriber::util::SubscriberInitExt;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let telemetry = nova_act::otel::Telemetry::builder()
//!     .service_name("checkout-bot")
//!     .build()?;
//! tracing_subscriber::registry().with(telemetry.layer()).init();
//! // ... run workflows ...
//! telemetry.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The standard variables are honoured: `OTEL_EXPORTER_OTLP_ENDPOINT` (the base; `/v1/traces`
//! and `/v1/metrics` are appended), `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` and
//! `…_METRICS_ENDPOINT` (used as given), `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_SERVICE_NAME`,
//! `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_EXPORTER=none`, `OTEL_METRICS_EXPORTER=none` and
//! `OTEL_SDK_DISABLED=true`. `OTEL_EXPORTER_OTLP_PROTOCOL=grpc` is answered with a warning:
//! only HTTP is built in.

mod config;
mod export;

use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::registry::LookupSpan;

pub use config::TelemetryBuilder;

/// The `tracing` target of the runtime's metric events (TRACE level): turn it off in a
/// formatting layer that shows TRACE (`nova_act::metrics=off`), as the `nova-act` command does.
pub use nova_act_core::telemetry::METRICS_TARGET;

/// The longest [`Telemetry::shutdown`] waits for the last spans and metrics to leave.
pub const SHUTDOWN_LIMIT: Duration = Duration::from_secs(5);

/// The default collector: OTLP/HTTP on this machine.
pub const DEFAULT_ENDPOINT: &str = "http://localhost:4318";

/// Exporters of the runtime's spans and metrics. Built with [`Telemetry::builder`]; joined to a
/// subscriber with [`layer`](Self::layer); flushed with [`shutdown`](Self::shutdown).
#[derive(Debug)]
pub struct Telemetry {
    /// `None` when `OTEL_SDK_DISABLED=true` (or both exporters are `none`).
    providers: Option<Providers>,
}

#[derive(Debug)]
struct Providers {
    traces: Option<(SdkTracerProvider, String)>,
    metrics: Option<(SdkMeterProvider, String)>,
}

/// Why telemetry could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TelemetryError {
    /// An endpoint that cannot be used: not an http(s) URL with a host, or, for signed export
    /// (CloudWatch), one the SDK's cleartext rule refuses.
    #[error("the OpenTelemetry endpoint `{url}` (from {origin}) cannot be used: {reason}")]
    Endpoint {
        /// The value.
        url: String,
        /// Where it came from: a variable's name, or `code`.
        origin: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Exporting needs a Tokio runtime (the exporter's requests run on it).
    #[error(
        "OpenTelemetry export needs a Tokio runtime: build the telemetry inside one (in `main` \
         under #[tokio::main], or within `Runtime::enter`)"
    )]
    NoRuntime,
    /// The OTLP exporter refused its settings (a compression that is not built in, say).
    #[error("the OTLP exporter could not be built; check the OTEL_EXPORTER_OTLP_* variables")]
    Exporter(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Telemetry {
    /// A builder reading the process's `OTEL_*` variables.
    pub fn builder() -> TelemetryBuilder {
        TelemetryBuilder::new()
    }

    /// Whether anything is exported (false under `OTEL_SDK_DISABLED=true`).
    pub fn is_enabled(&self) -> bool {
        self.providers.is_some()
    }

    /// Where spans go (`…/v1/traces`), when they are exported.
    pub fn traces_endpoint(&self) -> Option<&str> {
        let (_, url) = self.providers.as_ref()?.traces.as_ref()?;
        Some(url)
    }

    /// Where metrics go (`…/v1/metrics`), when they are exported.
    pub fn metrics_endpoint(&self) -> Option<&str> {
        let (_, url) = self.providers.as_ref()?.metrics.as_ref()?;
        Some(url)
    }

    /// The `tracing` layer that exports: spans of the `nova_act` target (warnings and errors
    /// inside them become span events) and the runtime's metric events. Its filter is its own,
    /// so add it beside a formatting layer with any level.
    pub fn layer<S>(&self) -> impl Layer<S> + Send + Sync + 'static
    where
        S: Subscriber + for<'span> LookupSpan<'span> + Send + Sync,
    {
        use tracing_subscriber::filter::filter_fn;

        // A list, never `Option`s: a `None` layer inside another layer hints "level OFF", and
        // tracing then turns every callsite of the process off, logs included. Never empty
        // either, for the same reason: `Identity` has no opinion.
        let mut layers: Vec<Box<dyn Layer<S> + Send + Sync>> = Vec::new();
        let providers = self.providers.as_ref();
        if let Some((provider, _)) = providers.and_then(|p| p.traces.as_ref()) {
            // No busy/idle timings, thread or source location: attributes nobody reads, paid
            // on every poll of an instrumented future.
            let spans = tracing_opentelemetry::layer()
                .with_tracer(provider.tracer("nova-act"))
                .with_tracked_inactivity(false)
                .with_threads(false)
                .with_location(false)
                .with_filter(filter_fn(|meta| {
                    if meta.is_span() {
                        meta.target() == nova_act_core::telemetry::TARGET
                    } else {
                        *meta.level() <= tracing::Level::WARN
                    }
                }));
            layers.push(Box::new(spans));
        }
        if let Some((provider, _)) = providers.and_then(|p| p.metrics.as_ref()) {
            let metrics = tracing_opentelemetry::MetricsLayer::new(provider.clone()).with_filter(
                filter_fn(|meta| meta.target() == nova_act_core::telemetry::METRICS_TARGET),
            );
            layers.push(Box::new(metrics));
        }
        if layers.is_empty() {
            layers.push(Box::new(tracing_subscriber::layer::Identity::new()));
        }
        layers
    }

    /// Sends what is left and stops, waiting at most [`SHUTDOWN_LIMIT`]: a collector that is
    /// down never holds up the program's exit.
    pub async fn shutdown(self) {
        let Some(providers) = self.providers else {
            return;
        };
        let (done, finished) = tokio::sync::oneshot::channel();
        // A thread of its own: the exporters block while they flush, and the requests they make
        // need this runtime free; a detached thread also never delays the runtime's own exit.
        let spawned = std::thread::Builder::new()
            .name("nova-act-otel-shutdown".into())
            .spawn(move || {
                if let Some((traces, _)) = providers.traces {
                    let _ = traces.shutdown_with_timeout(SHUTDOWN_LIMIT);
                }
                if let Some((metrics, _)) = providers.metrics {
                    let _ = metrics.shutdown_with_timeout(SHUTDOWN_LIMIT);
                }
                let _ = done.send(());
            });
        if spawned.is_ok()
            && tokio::time::timeout(SHUTDOWN_LIMIT, finished)
                .await
                .is_err()
        {
            tracing::warn!(
                target: export::NOTICE,
                "OpenTelemetry data not sent within {} s was dropped",
                SHUTDOWN_LIMIT.as_secs()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use tracing::Subscriber as _;
    use tracing::level_filters::LevelFilter;
    use tracing_subscriber::layer::SubscriberExt;

    /// Whatever is exported, the layer never turns the process's logging off.
    #[tokio::test]
    async fn the_layer_never_hints_level_off() {
        for vars in [
            vec![],
            vec![("OTEL_METRICS_EXPORTER", "none")],
            vec![("OTEL_TRACES_EXPORTER", "none")],
            vec![("OTEL_SDK_DISABLED", "true")],
        ] {
            let env = nova_auth::Env::from_vars(vars.clone());
            let telemetry = super::Telemetry::builder().env(env).build().unwrap();
            let subscriber = tracing_subscriber::registry().with(telemetry.layer());
            assert_ne!(
                subscriber.max_level_hint(),
                Some(LevelFilter::OFF),
                "{vars:?}"
            );
            telemetry.shutdown().await;
        }
    }
}
