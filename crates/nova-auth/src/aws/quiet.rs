//! Credential calls through aws-config, without the request dumps that would log a token.
//!
//! aws-smithy's orchestrator logs every request it sends, headers included, at TRACE. SigV4's
//! own headers are marked sensitive there, but the SSO portal's bearer token
//! (`x-amz-sso_bearer_token`) and the container endpoint's authorization token are not, so a
//! TRACE log of credential resolution would hold them. Each credential call runs under a
//! subscriber that forwards everything to the current one except those dumps.

use std::future::Future;

use tracing::instrument::WithSubscriber;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Level, Metadata, Subscriber};
use tracing_core::span::Current;

/// The module whose TRACE events dump requests.
const ORCHESTRATOR: &str = "aws_smithy_runtime::client::orchestrator";

fn dumps_requests(metadata: &Metadata<'_>) -> bool {
    metadata.is_event() && *metadata.level() == Level::TRACE && metadata.target() == ORCHESTRATOR
}

/// The current subscriber, minus the orchestrator's TRACE events.
struct WithoutRequestDumps(Dispatch);

impl Subscriber for WithoutRequestDumps {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if dumps_requests(metadata) {
            Interest::never()
        } else {
            self.0.register_callsite(metadata)
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        !dumps_requests(metadata) && self.0.enabled(metadata)
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        self.0.new_span(span)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        self.0.record(span, values);
    }

    fn record_follows_from(&self, span: &Id, follows: &Id) {
        self.0.record_follows_from(span, follows);
    }

    // Another subscriber may have made the callsite "always" interesting: checked again here.
    fn event(&self, event: &Event<'_>) {
        if !dumps_requests(event.metadata()) {
            self.0.event(event);
        }
    }

    fn enter(&self, span: &Id) {
        self.0.enter(span);
    }

    fn exit(&self, span: &Id) {
        self.0.exit(span);
    }

    fn clone_span(&self, id: &Id) -> Id {
        self.0.clone_span(id)
    }

    fn try_close(&self, id: Id) -> bool {
        self.0.try_close(id)
    }

    fn current_span(&self) -> Current {
        self.0.current_span()
    }
}

/// Runs `call` so that nothing it logs dumps a request. Without a subscriber there is nothing
/// to filter, and `call` runs as it is.
pub(crate) async fn quietly<F: Future>(call: F) -> F::Output {
    let current = tracing::dispatcher::get_default(Clone::clone);
    if current.is::<tracing::subscriber::NoSubscriber>() {
        return call.await;
    }
    call.with_subscriber(Dispatch::new(WithoutRequestDumps(current)))
        .await
}
