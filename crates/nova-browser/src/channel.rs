//! The channels a DevTools connection runs over: a WebSocket (an attached browser, `ws://` or
//! `wss://` with handshake headers) or the pipe of a launched browser.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::cdp::{FromBrowser, ToBrowser};
use crate::error::BrowserError;

/// Opens the WebSocket `url` (`ws://127.0.0.1:…/devtools/browser/…`, or a `wss://` one,
/// verified by the platform's certificate store), sending `headers` with the handshake.
pub(crate) async fn websocket(
    url: &str,
    headers: &[(String, nova_auth::Secret)],
    timeout: Duration,
) -> Result<(ToBrowser, FromBrowser), BrowserError> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
    // The URL as shown in errors: its query may carry a signature.
    let shown = url.split('?').next().unwrap_or(url).to_owned();
    let failed = |reason: String| BrowserError::Connect {
        url: shown.clone(),
        reason,
    };
    let mut request = url
        .into_client_request()
        .map_err(|err| failed(err.to_string()))?;
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| failed(format!("`{name}` is not a header name")))?;
        let mut value = HeaderValue::from_str(value.expose())
            .map_err(|_| failed(format!("the value of header `{name}` cannot be sent")))?;
        value.set_sensitive(true);
        request.headers_mut().insert(name, value);
    }
    let connector = if url.starts_with("wss:") {
        Some(tokio_tungstenite::Connector::Rustls(std::sync::Arc::new(
            tls_config().map_err(failed)?,
        )))
    } else {
        None
    };
    let connect = tokio_tungstenite::connect_async_tls_with_config(request, None, false, connector);
    let (socket, _) = tokio::time::timeout(timeout, connect)
        .await
        .map_err(|_| failed("timed out".to_owned()))?
        .map_err(|err| failed(handshake_refusal(err)))?;
    let (sink, stream) = socket.split();
    let to_browser: ToBrowser = Box::pin(
        sink.with(|text: String| std::future::ready(Ok(Message::text(text))))
            .sink_map_err(|err: tokio_tungstenite::tungstenite::Error| err.to_string()),
    );
    let from_browser: FromBrowser = Box::pin(
        stream
            .take_while(|message| std::future::ready(!matches!(message, Ok(Message::Close(_)))))
            .filter_map(|message| {
                std::future::ready(match message {
                    Ok(Message::Text(text)) => Some(Ok(text.as_str().to_owned())),
                    Ok(_) => None,
                    Err(err) => Some(Err(err.to_string())),
                })
            }),
    );
    Ok((to_browser, from_browser))
}

/// Talks to a browser started with `--remote-debugging-pipe`: messages are JSON texts, each
/// ended by a NUL byte, written to the browser's descriptor 3 and read from its descriptor 4.
#[cfg(unix)]
pub(crate) fn pipe(
    to_browser: std::os::fd::OwnedFd,
    from_browser: std::os::fd::OwnedFd,
) -> Result<(ToBrowser, FromBrowser), BrowserError> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::unix::pipe;
    let writer = pipe::Sender::from_owned_fd(to_browser).map_err(BrowserError::Pipe)?;
    let reader = pipe::Receiver::from_owned_fd(from_browser).map_err(BrowserError::Pipe)?;
    let to_browser: ToBrowser = Box::pin(futures_util::sink::unfold(
        writer,
        |mut writer, text: String| async move {
            let mut framed = text.into_bytes();
            framed.push(0);
            writer
                .write_all(&framed)
                .await
                .map_err(|err| err.to_string())?;
            Ok::<_, String>(writer)
        },
    ));
    let from_browser: FromBrowser = Box::pin(futures_util::stream::unfold(
        BufReader::new(reader),
        |mut reader| async move {
            let mut message = Vec::new();
            match reader.read_until(0, &mut message).await {
                // The browser closed its end: it exited.
                Ok(0) => None,
                Ok(_) => {
                    if message.last() == Some(&0) {
                        message.pop();
                    }
                    Some((Ok(String::from_utf8_lossy(&message).into_owned()), reader))
                }
                Err(err) => Some((Err(err.to_string()), reader)),
            }
        },
    ));
    Ok((to_browser, from_browser))
}

/// TLS for `wss://`: the SDK's one configuration, without ALPN (a WebSocket handshake is
/// HTTP/1.1).
fn tls_config() -> Result<rustls::ClientConfig, String> {
    nova_act_core::tls::client_config(&[])
}

/// Why a handshake failed, with the server's own words when it answered with an HTTP error
/// (an AWS service puts the error's name and message in the body).
fn handshake_refusal(err: tokio_tungstenite::tungstenite::Error) -> String {
    use tokio_tungstenite::tungstenite::Error;
    match err {
        Error::Http(response) => {
            let status = response.status();
            let body = response
                .body()
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            let body: String = body.trim().chars().take(500).collect();
            // An AWS service names the error in a header, and may leave it out of the body.
            let name = response
                .headers()
                .get("x-amzn-errortype")
                .and_then(|v| v.to_str().ok())
                .map(|v| v.split(':').next().unwrap_or(v))
                .filter(|name| !body.contains(name))
                .map(|name| format!(" {name}"))
                .unwrap_or_default();
            if body.is_empty() {
                format!("the server refused the handshake with HTTP {status}{name}")
            } else {
                format!("the server refused the handshake with HTTP {status}{name}: {body}")
            }
        }
        other => other.to_string(),
    }
}
