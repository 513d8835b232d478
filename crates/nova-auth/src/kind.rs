//! A provider of your own held to the one kind of credentials its client was built for.

use std::borrow::Cow;
use std::sync::OnceLock;

use async_trait::async_trait;

use crate::credentials::{AuthMode, Credentials};
use crate::error::CredentialsError;
use crate::provider::{CredentialProvider, SharedProvider};
use crate::source::Source;

/// Hands out what `inner` loads, as long as it is of one kind: the mode chosen, or else the
/// kind of its first load. A later load of the other kind is an error naming both, since the
/// client signs (or not) for the kind it was built for. Credentials labelled only "code" are labelled with the provider's name instead, so
/// that [`Identity`](crate::Identity) and `auth status` say where they came from.
#[derive(Debug)]
pub(crate) struct OneKind {
    inner: SharedProvider,
    mode: OnceLock<AuthMode>,
}

impl OneKind {
    /// `inner` held to `mode`, or to the kind of its first load when `None`.
    pub(crate) fn new(inner: SharedProvider, mode: Option<AuthMode>) -> Self {
        let held = OnceLock::new();
        if let Some(mode) = mode {
            let _ = held.set(mode);
        }
        Self { inner, mode: held }
    }
}

#[async_trait]
impl CredentialProvider for OneKind {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let credentials = self.inner.credentials().await?;
        let mode = *self.mode.get_or_init(|| credentials.mode());
        if credentials.mode() != mode {
            return Err(CredentialsError::provider(
                self.inner.name(),
                format!(
                    "handed out {} credentials, but it serves a client built for {} mode; a \
                     provider keeps to one kind",
                    credentials.mode(),
                    mode
                ),
            ));
        }
        Ok(labelled(credentials, &self.inner.name()))
    }

    fn name(&self) -> Cow<'static, str> {
        self.inner.name()
    }

    fn mode(&self) -> Option<AuthMode> {
        self.mode.get().copied().or_else(|| self.inner.mode())
    }

    async fn refused(&self, refused: &Credentials) -> Option<Credentials> {
        let name = self.inner.name();
        let fresh = self.inner.refused(refused).await?;
        (Some(fresh.mode()) == self.mode.get().copied()).then(|| labelled(fresh, &name))
    }
}

/// `credentials`, with the source `custom: NAME` when they only said "code".
fn labelled(credentials: Credentials, name: &str) -> Credentials {
    if *credentials.source() != Source::Code || name == "custom" {
        return credentials;
    }
    credentials.with_source(Source::custom(name.to_owned()))
}
