//! The automation stream: a session's DevTools WebSocket, and the SigV4 headers of its handshake.

use std::time::SystemTime;

use nova_auth::AwsCredentials;

use crate::error::SessionError;

/// The service name the stream and the session API are signed for.
pub const SIGNING_NAME: &str = "bedrock-agentcore";

/// The data plane's endpoint in `region`.
pub fn data_plane(region: &str) -> String {
    format!("https://bedrock-agentcore.{region}.amazonaws.com")
}

/// The automation stream of session `session_id` of browser `browser`, on the data plane at
/// `endpoint`: `wss://HOST/browser-streams/{browser}/sessions/{session}/automation` (`ws://` for
/// an `http://` endpoint, such as an emulator on this machine). The SDKs build it this way
/// rather than reading the session's `streamEndpoint`.
///
/// ```
/// let url = nova_agentcore::automation_url(
///     "https://bedrock-agentcore.us-east-1.amazonaws.com",
///     "aws.browser.v1",
///     "01JABCDEF",
/// )?;
/// assert_eq!(
///     url,
///     "wss://bedrock-agentcore.us-east-1.amazonaws.com/browser-streams/aws.browser.v1/sessions/01JABCDEF/automation"
/// );
/// # Ok::<(), nova_agentcore::SessionError>(())
/// ```
pub fn automation_url(
    endpoint: &str,
    browser: &str,
    session_id: &str,
) -> Result<String, SessionError> {
    let invalid = |message: String| SessionError::InvalidOptions { message };
    let parsed = url::Url::parse(endpoint).map_err(|err| {
        invalid(format!(
            "the AgentCore endpoint `{endpoint}` is not a URL ({err})"
        ))
    })?;
    let scheme = match parsed.scheme() {
        "https" => "wss",
        "http" => "ws",
        other => {
            return Err(invalid(format!(
                "the AgentCore endpoint `{endpoint}` has scheme `{other}`; it must be https:// \
                 (or http:// on this machine)"
            )));
        }
    };
    let host = parsed
        .host_str()
        .ok_or_else(|| invalid(format!("the AgentCore endpoint `{endpoint}` has no host")))?;
    let id_ok = |id: &str| {
        !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    if !id_ok(browser) || !id_ok(session_id) {
        return Err(invalid(format!(
            "`{browser}` / `{session_id}` are not a browser identifier and session id"
        )));
    }
    let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
    Ok(format!(
        "{scheme}://{host}{port}/browser-streams/{browser}/sessions/{session_id}/automation"
    ))
}

/// The headers that authenticate the handshake of the automation stream at `url`, signed at
/// `now` for `region` with `aws`: SigV4 over `GET` of the URL's `https://` form with only
/// `host` signed, besides the date and the session token the signer adds, as the AWS SDKs do.
/// Signatures are time-bound: sign right before each connect.
///
/// ```
/// use std::time::SystemTime;
/// use nova_auth::{AwsCredentials, Source};
///
/// let aws = AwsCredentials::new("AKIDEXAMPLE", "secret", Some("token".into()), Source::Code);
/// let url = "wss://bedrock-agentcore.us-east-1.amazonaws.com/browser-streams/aws.browser.v1/sessions/S1/automation";
/// let headers = nova_agentcore::sign_handshake(url, &aws, "us-east-1", SystemTime::now())?;
/// let names: Vec<&str> = headers.iter().map(|(name, _)| name.as_str()).collect();
/// assert_eq!(names, ["host", "x-amz-date", "authorization", "x-amz-security-token"]);
/// # Ok::<(), nova_agentcore::SessionError>(())
/// ```
pub fn sign_handshake(
    url: &str,
    aws: &AwsCredentials,
    region: &str,
    now: SystemTime,
) -> Result<Vec<(String, String)>, SessionError> {
    let failed = |message: String, source: Option<nova_auth::BoxError>| {
        SessionError::Signing(crate::error::SigningError { message, source })
    };
    let parsed = url::Url::parse(url)
        .map_err(|err| failed(format!("`{url}` is not a URL"), Some(Box::new(err))))?;
    let host = match (parsed.host_str(), parsed.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => return Err(failed(format!("`{url}` has no host"), None)),
    };
    let mut request = http::Request::get(format!("https://{host}{}", parsed.path()))
        .header(http::header::HOST, &host)
        .body(Vec::new())
        .map_err(|err| {
            failed(
                "the handshake cannot be built".to_owned(),
                Some(Box::new(err)),
            )
        })?;
    nova_act_core::sign_request_for(&mut request, aws, region, SIGNING_NAME, now).map_err(
        |err| match err {
            nova_act_core::Error::Signing { message } => failed(message, None),
            other => failed(
                "the handshake cannot be signed".to_owned(),
                Some(Box::new(other)),
            ),
        },
    )?;
    let headers = request
        .headers()
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use nova_auth::{AwsCredentials, Source};

    use super::*;

    #[test]
    fn urls_follow_the_endpoint() {
        assert_eq!(
            automation_url("http://127.0.0.1:8080", "aws.browser.v1", "s-1").unwrap(),
            "ws://127.0.0.1:8080/browser-streams/aws.browser.v1/sessions/s-1/automation"
        );
        assert!(automation_url("ftp://x", "b", "s").is_err());
        assert!(automation_url("https://x", "b/../c", "s").is_err());
        assert_eq!(
            data_plane("eu-west-1"),
            "https://bedrock-agentcore.eu-west-1.amazonaws.com"
        );
    }

    #[test]
    fn the_handshake_signs_host_date_and_token_only() {
        let aws = AwsCredentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            Some("session-token".into()),
            Source::Code,
        );
        let at = UNIX_EPOCH + Duration::from_secs(1_764_633_600); // 2025-12-02T00:00:00Z
        let url = "ws://127.0.0.1:8080/browser-streams/aws.browser.v1/sessions/s-1/automation";
        let headers = sign_handshake(url, &aws, "us-east-1", at).unwrap();
        let text: Vec<String> = headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        // The signature was checked against an independent SigV4 computation (Python's hashlib
        // and hmac over the canonical request GET / path / host;x-amz-date;x-amz-security-token /
        // the empty body's hash).
        insta::assert_snapshot!(text.join("\n"), @r"
            host: 127.0.0.1:8080
            x-amz-date: 20251202T000000Z
            authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20251202/us-east-1/bedrock-agentcore/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=795b228e2e9b46463339e29392275791d9a14680c67ff756c9d35f724c675b8c
            x-amz-security-token: session-token
        ");
    }
}
