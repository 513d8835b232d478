//! The provider trait and a shareable handle to any provider.

use std::borrow::Cow;
use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;

use crate::credentials::{AuthMode, Credentials};
use crate::error::CredentialsError;

/// Something that hands out Nova Act credentials.
///
/// Implement it to bring credentials from anywhere (a vault, a parent process, a test). Return
/// [`CredentialsError::NotConfigured`] when your source simply is not set up, so a chain can
/// move on; any other error stops the chain.
///
/// ```
/// use async_trait::async_trait;
/// use nova_auth::{ApiKey, CredentialProvider, Credentials, CredentialsError, Source};
///
/// #[derive(Debug)]
/// struct Vault;
///
/// #[async_trait]
/// impl CredentialProvider for Vault {
///     async fn credentials(&self) -> Result<Credentials, CredentialsError> {
///         let key = "0123456789abcdef0123456789abcdef0123"; // fetched from the vault
///         Ok(ApiKey::new(key, Source::custom("vault")).into())
///     }
/// }
/// ```
#[async_trait]
pub trait CredentialProvider: Send + Sync + Debug {
    /// Current credentials. Called for every request attempt; wrap slow providers in
    /// [`crate::CachedProvider`] (the SDK does so for you).
    async fn credentials(&self) -> Result<Credentials, CredentialsError>;

    /// A short name for chain listings and logs.
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("custom")
    }

    /// The kind of credentials this provider hands out, when it knows before loading: a forced
    /// mode it cannot serve is then refused before anything loads. `None` (the default): its
    /// first load decides.
    fn mode(&self) -> Option<AuthMode> {
        None
    }

    /// The service refused `refused` (HTTP 401 or 403 on an API key): a provider whose source
    /// may have rotated the key reads it again and returns the new credentials. `None` (the
    /// default): nothing new to offer, and the refusal is reported. Providers that re-read keep
    /// it rare (the key stores re-read at most once a minute, one read for all callers), since a
    /// key that is simply wrong is refused on every request.
    async fn refused(&self, refused: &Credentials) -> Option<Credentials> {
        let _ = refused;
        None
    }
}

/// A provider behind a smart pointer is a provider.
macro_rules! through_pointer {
    ($($pointer:ident),*) => {$(
        #[async_trait]
        impl<T: CredentialProvider + ?Sized> CredentialProvider for $pointer<T> {
            async fn credentials(&self) -> Result<Credentials, CredentialsError> {
                (**self).credentials().await
            }

            fn name(&self) -> Cow<'static, str> {
                (**self).name()
            }

            fn mode(&self) -> Option<AuthMode> {
                (**self).mode()
            }

            async fn refused(&self, refused: &Credentials) -> Option<Credentials> {
                (**self).refused(refused).await
            }
        }
    )*};
}

through_pointer!(Arc, Box);

/// Credentials are their own provider: always the same value, for tests, for programs that
/// fetch credentials themselves, and for short-lived tools.
#[async_trait]
impl CredentialProvider for Credentials {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        Ok(self.clone())
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("fixed")
    }

    fn mode(&self) -> Option<AuthMode> {
        Some(Credentials::mode(self))
    }
}

/// Any provider behind a cheap-to-clone handle.
#[derive(Clone, Debug)]
pub struct SharedProvider(Arc<dyn CredentialProvider>);

impl SharedProvider {
    /// Shares `provider`. An existing `SharedProvider` is not wrapped twice.
    pub fn new(provider: impl CredentialProvider + 'static) -> Self {
        Self(Arc::new(provider))
    }
}

impl From<Arc<dyn CredentialProvider>> for SharedProvider {
    fn from(provider: Arc<dyn CredentialProvider>) -> Self {
        Self(provider)
    }
}

#[async_trait]
impl CredentialProvider for SharedProvider {
    async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        self.0.credentials().await
    }

    fn name(&self) -> Cow<'static, str> {
        self.0.name()
    }

    fn mode(&self) -> Option<AuthMode> {
        self.0.mode()
    }

    async fn refused(&self, refused: &Credentials) -> Option<Credentials> {
        self.0.refused(refused).await
    }
}
