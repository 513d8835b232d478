//! The AWS calls AgentCore work needs (the AgentCore data and control planes, ECR, IAM, STS),
//! signed by nova-act-core's SigV4 signer and sent with reqwest.
//!
//! Why by hand: the crate makes 21 calls of five services, and the AWS SDK crates of those
//! services generate every operation they have; they were 150 of the 450 CPU-seconds of a new
//! user's first build (docs/performance.md). The wire formats here are the services' own
//! (restJson1, awsJson1.1, awsQuery), checked against wiremock fakes and the emulator.

// Without feature `deploy` only the session API's restJson1 calls are made.
#![cfg_attr(not(feature = "deploy"), allow(dead_code))]

use std::time::{Duration, SystemTime};

use nova_act_core::{Retry, RetryConfig};
use nova_auth::{Auth, CredentialProvider};

use crate::error::{RuntimeError, SessionError, SigningError};

/// How a service frames its errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// restJson1 and awsJson1.1: `x-amzn-ErrorType` or `__type`, and `message`.
    Json,
    /// awsQuery: `<Error><Code>` and `<Message>` in XML.
    Query,
}

/// One service at one endpoint, and how requests to it are signed.
#[derive(Clone, Debug)]
pub(crate) struct Service {
    endpoint: String,
    signing_name: &'static str,
    signing_region: String,
    protocol: Protocol,
}

/// The DNS suffix of a region's partition.
fn dns_suffix(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

impl Service {
    /// `endpoint` when given (signed for `region`), else `https://{host}.{region}.{suffix}`.
    pub(crate) fn regional(
        host: &str,
        signing_name: &'static str,
        region: &str,
        protocol: Protocol,
        endpoint: Option<String>,
    ) -> Self {
        Self {
            endpoint: endpoint
                .unwrap_or_else(|| format!("https://{host}.{region}.{}", dns_suffix(region)))
                .trim_end_matches('/')
                .to_owned(),
            signing_name,
            signing_region: region.to_owned(),
            protocol,
        }
    }

    /// IAM: one global endpoint per partition, signed for its home region, as the AWS SDKs
    /// resolve it; `endpoint`, when given, is signed for `region` (as the SDKs do too).
    pub(crate) fn iam(region: &str, endpoint: Option<String>) -> Self {
        let (url, home) = if region.starts_with("cn-") {
            ("https://iam.cn-north-1.amazonaws.com.cn", "cn-north-1")
        } else if region.starts_with("us-gov-") {
            ("https://iam.us-gov.amazonaws.com", "us-gov-west-1")
        } else {
            ("https://iam.amazonaws.com", "us-east-1")
        };
        let (endpoint, signing_region) = match endpoint {
            Some(url) => (url, region),
            None => (url.to_owned(), home),
        };
        Self {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            signing_name: "iam",
            signing_region: signing_region.to_owned(),
            protocol: Protocol::Query,
        }
    }
}

/// A request to one operation.
#[derive(Debug)]
pub(crate) struct Call {
    method: http::Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    retry: Retry,
    timeout: Option<Duration>,
}

impl Call {
    /// `method` of `path` (with its query, already encoded), with no body.
    pub(crate) fn new(method: http::Method, path: String, retry: Retry) -> Self {
        Self {
            method,
            path,
            headers: Vec::new(),
            body: Vec::new(),
            retry,
            timeout: Some(nova_act_core::DEFAULT_ATTEMPT_TIMEOUT),
        }
    }

    /// A restJson1 call: `body` as JSON.
    pub(crate) fn rest_json(
        method: http::Method,
        path: String,
        body: &serde_json::Value,
        retry: Retry,
    ) -> Self {
        Self::new(method, path, retry)
            .header("content-type", "application/json")
            .body(body.to_string().into_bytes())
    }

    /// An awsJson1.1 call of `target` (`Service_Version.Operation`).
    pub(crate) fn json_1_1(target: &str, body: &serde_json::Value, retry: Retry) -> Self {
        Self::new(http::Method::POST, "/".to_owned(), retry)
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", target)
            .body(body.to_string().into_bytes())
    }

    /// An awsQuery call of `action` at API `version`, with `params`.
    pub(crate) fn query(
        action: &str,
        version: &str,
        params: &[(&str, &str)],
        retry: Retry,
    ) -> Self {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("Action", action)
            .append_pair("Version", version);
        for (name, value) in params {
            form.append_pair(name, value);
        }
        Self::new(http::Method::POST, "/".to_owned(), retry)
            .header(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .body(form.finish().into_bytes())
    }

    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub(crate) fn body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    /// No limit on the whole answer (a stream read as it arrives); connecting is still bounded.
    pub(crate) fn streaming(mut self) -> Self {
        self.timeout = None;
        self
    }
}

/// Percent-encodes `text` for one path segment or query value: everything but RFC 3986's
/// unreserved characters, as the AWS SDKs encode labels.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Why a call failed, before it is said for a person (each caller names its action).
#[derive(Debug)]
pub(crate) enum Failure {
    /// The service answered with an error.
    Service {
        status: u16,
        code: String,
        message: String,
    },
    /// No answer, or one that could not be read.
    Unreachable(nova_auth::BoxError),
    /// The credentials could not be had.
    Credentials(nova_auth::CredentialsError),
    /// The request could not be signed or built.
    Unsigned(SigningError),
}

impl Failure {
    /// The service's error code, when it answered.
    pub(crate) fn code(&self) -> Option<&str> {
        match self {
            Self::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// A session's error, for `action` (`StartBrowserSession`): the permission or quota named
    /// when the service refused for one of those.
    pub(crate) fn into_session_error(self, action: &'static str) -> SessionError {
        match self {
            Self::Service { code, message, .. } => match code.as_str() {
                "AccessDeniedException" => SessionError::AccessDenied { action, message },
                "ServiceQuotaExceededException" => SessionError::QuotaExceeded { action, message },
                _ => SessionError::Service {
                    action,
                    code,
                    message,
                },
            },
            Self::Unreachable(source) => SessionError::Unreachable { action, source },
            Self::Credentials(err) => SessionError::Credentials(err),
            Self::Unsigned(err) => SessionError::Signing(err),
        }
    }

    /// A runtime error, for `action` with its service (`iam:CreateRole`): a refusal names
    /// the action; anything else is said as the service said it.
    pub(crate) fn into_runtime_error(self, action: &'static str) -> RuntimeError {
        let short = action.split_once(':').map_or(action, |(_, name)| name);
        match self {
            Self::Service { code, message, .. } => match code.as_str() {
                "AccessDenied" | "AccessDeniedException" => {
                    RuntimeError::AccessDenied { action, message }
                }
                _ => RuntimeError::Service {
                    action: short,
                    code,
                    message,
                },
            },
            Self::Unreachable(source) => RuntimeError::Unreachable {
                action: short,
                source,
            },
            Self::Credentials(err) => RuntimeError::Credentials(err),
            Self::Unsigned(err) => RuntimeError::Signing(err),
        }
    }
}

/// The error codes of throttled requests, which were not processed: always safe to repeat.
const THROTTLED: [&str; 6] = [
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
];

/// An attempt that did not succeed: why, the wait the service asked for, and whether the
/// request cannot have reached it (then repeating it is safe for every call).
struct Missed {
    failure: Failure,
    retry_after: Option<Duration>,
    unsent: bool,
}

/// Signed calls under an [`Auth`]'s credentials, with the AWS SDKs' standard retries.
#[derive(Clone, Debug)]
pub(crate) struct AwsClient {
    http: reqwest::Client,
    auth: Auth,
    retry: RetryConfig,
}

impl AwsClient {
    /// A client for `auth`, retrying as `AWS_MAX_ATTEMPTS` / `max_attempts` say (default 3).
    pub(crate) fn new(auth: &Auth) -> Result<Self, Failure> {
        let http = nova_act_core::tls::http_client()
            .connect_timeout(nova_act_core::DEFAULT_CONNECT_TIMEOUT)
            .user_agent(nova_act_core::USER_AGENT_VALUE)
            .build()
            .map_err(|err| Failure::Unreachable(Box::new(err)))?;
        let mut retry = RetryConfig::default();
        if let Some(max) = auth
            .sdk_settings()
            .max_attempts
            .as_ref()
            .and_then(|s| s.value.trim().parse::<u32>().ok())
            .filter(|max| *max > 0)
        {
            retry.max_attempts = max;
        }
        Ok(Self {
            http,
            auth: auth.clone(),
            retry,
        })
    }

    /// Sends `call` to `service` (signed anew for every attempt) and returns the successful
    /// answer, its body unread.
    pub(crate) async fn send(
        &self,
        service: &Service,
        call: &Call,
    ) -> Result<reqwest::Response, Failure> {
        let mut attempt = 1;
        loop {
            let outcome = self.attempt(service, call).await?;
            let Missed {
                failure,
                retry_after,
                unsent,
            } = match outcome {
                Ok(response) => return Ok(response),
                Err(missed) => missed,
            };
            let again = unsent
                || match &failure {
                    Failure::Service { status, code, .. } => {
                        *status == 429
                            || THROTTLED.contains(&code.as_str())
                            || (call.retry != Retry::OnlyIfUnsent
                                && matches!(status, 500 | 502 | 503 | 504))
                    }
                    Failure::Unreachable(_) => call.retry != Retry::OnlyIfUnsent,
                    Failure::Credentials(_) | Failure::Unsigned(_) => false,
                };
            if !again || attempt >= self.retry.max_attempts {
                return Err(failure);
            }
            let wait = self.retry.delay(attempt, retry_after);
            tracing::debug!(path = %call.path, attempt, ?wait, "retrying an AWS call");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// Sends `call` to `service` and reads the answer: the JSON document of a success (`null`
    /// for an empty body).
    pub(crate) async fn json(
        &self,
        service: &Service,
        call: &Call,
    ) -> Result<serde_json::Value, Failure> {
        let body = self.text(service, call).await?;
        if body.trim().is_empty() {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_str(&body).map_err(|err| Failure::Unreachable(Box::new(err)))
    }

    /// Sends `call` to `service` and reads the whole answer as text.
    pub(crate) async fn text(&self, service: &Service, call: &Call) -> Result<String, Failure> {
        let response = self.send(service, call).await?;
        response
            .text()
            .await
            .map_err(|err| Failure::Unreachable(Box::new(err)))
    }

    /// One attempt: `Err` only when nothing can be sent; otherwise the answer, or why it was
    /// missed.
    async fn attempt(
        &self,
        service: &Service,
        call: &Call,
    ) -> Result<Result<reqwest::Response, Missed>, Failure> {
        let request = self.signed(service, call).await?;
        let response = match self.http.execute(request).await {
            Ok(response) => response,
            Err(err) => {
                return Ok(Err(Missed {
                    // A refused connection cannot have reached the service.
                    unsent: err.is_connect(),
                    failure: Failure::Unreachable(Box::new(err)),
                    retry_after: None,
                }));
            }
        };
        let status = response.status().as_u16();
        if response.status().is_success() {
            return Ok(Ok(response));
        }
        let retry_after = nova_act_core::retry_after(response.headers());
        let header_code = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await.unwrap_or_default();
        let (code, message) = match service.protocol {
            Protocol::Json => json_error(header_code.as_deref(), &body),
            Protocol::Query => (
                xml_text(&body, "Code").unwrap_or_default(),
                xml_text(&body, "Message").unwrap_or_default(),
            ),
        };
        let code = if code.is_empty() {
            format!("HTTP {status}")
        } else {
            code
        };
        let message = if message.is_empty() {
            "the service gave no message".to_owned()
        } else {
            message
        };
        Ok(Err(Missed {
            failure: Failure::Service {
                status,
                code,
                message,
            },
            retry_after,
            unsent: false,
        }))
    }

    /// The request of `call`, signed now with the current credentials.
    async fn signed(&self, service: &Service, call: &Call) -> Result<reqwest::Request, Failure> {
        let credentials = self
            .auth
            .credentials()
            .await
            .map_err(Failure::Credentials)?;
        let Some(aws) = credentials.as_aws() else {
            return Err(Failure::Unsigned(SigningError {
                message: "AgentCore takes AWS credentials (IAM mode), not an API key".to_owned(),
                source: None,
            }));
        };
        let unusable = |err: nova_auth::BoxError| {
            Failure::Unsigned(SigningError {
                message: "the request cannot be built or signed".to_owned(),
                source: Some(err),
            })
        };
        let mut builder = http::Request::builder()
            .method(call.method.clone())
            .uri(format!("{}{}", service.endpoint, call.path));
        for (name, value) in &call.headers {
            builder = builder.header(*name, value);
        }
        let mut request = builder
            .body(call.body.clone())
            .map_err(|err| unusable(Box::new(err)))?;
        nova_act_core::sign_request_for(
            &mut request,
            aws,
            &service.signing_region,
            service.signing_name,
            SystemTime::now(),
        )
        .map_err(|err| unusable(Box::new(err)))?;
        let mut request =
            reqwest::Request::try_from(request).map_err(|err| unusable(Box::new(err)))?;
        *request.timeout_mut() = call.timeout;
        Ok(request)
    }
}

/// The code and message of a JSON error: the code from `x-amzn-ErrorType`, else `__type` or
/// `code` (without a namespace or a `:` suffix), the message from `message` or `Message`.
fn json_error(header: Option<&str>, body: &str) -> (String, String) {
    let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let field = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| value.get(*name)?.as_str())
            .map(str::to_owned)
    };
    let raw = header
        .map(str::to_owned)
        .or_else(|| field(&["__type", "code"]))
        .unwrap_or_default();
    let code = raw.split(':').next().unwrap_or_default();
    let code = code.rsplit('#').next().unwrap_or_default().to_owned();
    let message = field(&["message", "Message"]).unwrap_or_default();
    (code, message)
}

/// The text of the first `<tag>` element of `xml`, its entities decoded: all that is read of an
/// awsQuery answer here (an error's code and message, STS's account).
pub(crate) fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&format!("</{tag}>"))?;
    Some(unescape(&xml[start..end]))
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .map(|hex| u32::from_str_radix(hex, 16))
                .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_elements_are_read_with_their_entities() {
        let body = "<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code>\
                    <Message>The role &quot;a&amp;b&quot; &lt;x&gt; &#65;&#x42; &bogus; &amp</Message>\
                    </Error></ErrorResponse>";
        assert_eq!(xml_text(body, "Code").as_deref(), Some("NoSuchEntity"));
        assert_eq!(
            xml_text(body, "Message").as_deref(),
            Some("The role \"a&b\" <x> AB &bogus; &amp")
        );
        assert_eq!(xml_text(body, "Account"), None);
    }

    #[test]
    fn json_errors_name_their_code_without_namespace_or_suffix() {
        assert_eq!(
            json_error(
                Some("AccessDeniedException:http://internal.amazon.com/"),
                r#"{"message":"no"}"#
            ),
            ("AccessDeniedException".to_owned(), "no".to_owned())
        );
        assert_eq!(
            json_error(
                None,
                r#"{"__type":"com.amazonaws.ecr#RepositoryNotFoundException","Message":"gone"}"#
            ),
            ("RepositoryNotFoundException".to_owned(), "gone".to_owned())
        );
        assert_eq!(json_error(None, "not json"), (String::new(), String::new()));
    }

    #[test]
    fn labels_keep_only_unreserved_characters() {
        assert_eq!(
            encode("arn:aws:bedrock-agentcore:us-east-1:1:runtime/a_b~c d"),
            "arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A1%3Aruntime%2Fa_b~c%20d"
        );
    }

    #[test]
    fn iam_is_global_per_partition_and_an_override_signs_for_the_region() {
        let iam = Service::iam("eu-west-1", None);
        assert_eq!(
            (iam.endpoint.as_str(), iam.signing_region.as_str()),
            ("https://iam.amazonaws.com", "us-east-1")
        );
        let china = Service::iam("cn-northwest-1", None);
        assert_eq!(china.signing_region, "cn-north-1");
        let local = Service::iam("eu-west-1", Some("http://127.0.0.1:9/".to_owned()));
        assert_eq!(
            (local.endpoint.as_str(), local.signing_region.as_str()),
            ("http://127.0.0.1:9", "eu-west-1")
        );
        let ecr = Service::regional("api.ecr", "ecr", "cn-north-1", Protocol::Json, None);
        assert_eq!(ecr.endpoint, "https://api.ecr.cn-north-1.amazonaws.com.cn");
    }
}
