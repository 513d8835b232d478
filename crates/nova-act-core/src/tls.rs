//! The TLS every HTTPS and `wss://` connection of the SDK uses: rustls with the `ring` provider,
//! certificates checked by the platform's verifier.
//!
//! Why `ring`: the `aws-lc-rs` provider, reqwest's and the AWS SDK's default, builds its C
//! library with CMake in a 37-second build script at the head of a new user's first build;
//! `ring` builds in a few seconds. The provider is handed to each client explicitly, never
//! installed process-wide, so an application that installs its own is not overruled.
//! Plumbing between this SDK's crates: not part of the public API.

use std::sync::Arc;

/// A rustls client configuration with `ring` and the platform's verifier, offering `alpn`.
pub fn client_config(alpn: &[&[u8]]) -> Result<rustls::ClientConfig, String> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| err.to_string())?
        .with_platform_verifier()
        .map_err(|err| err.to_string())?
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

/// A reqwest client builder on [`client_config`] (HTTP/2 and HTTP/1.1 offered): start every
/// reqwest client of the SDK here, since reqwest is built without a provider of its own.
pub fn http_client() -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder();
    match client_config(&[b"h2", b"http/1.1"]) {
        Ok(config) => builder.tls_backend_preconfigured(config),
        // Without the platform's roots no HTTPS can be verified; plain HTTP to an emulator
        // still works, and an HTTPS call fails with reqwest's own error.
        Err(err) => {
            tracing::warn!(error = %err, "the platform's certificate verifier is unavailable");
            builder
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn clients_build_without_a_process_wide_provider() {
        assert!(rustls::crypto::CryptoProvider::get_default().is_none());
        super::http_client().build().unwrap();
        let config = super::client_config(&[b"h2"]).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"h2".to_vec()]);
        assert!(rustls::crypto::CryptoProvider::get_default().is_none());
    }
}
