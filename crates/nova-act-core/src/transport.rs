//! Building, signing and reading one HTTP exchange.

use std::time::{Duration, SystemTime};

use http::header::{CONTENT_TYPE, HeaderName, HeaderValue, USER_AGENT};
use nova_auth::{AwsCredentials, Credentials};
use serde::Deserialize;

use crate::endpoint::Endpoint;
use crate::error::{Error, ErrorMeta};
use crate::model::{
    InternalServerExceptionReason, ValidationExceptionField, ValidationExceptionReason,
};
use crate::operation::{Operation, encode, render_uri};

/// SigV4 signing name of the AWS service.
pub const SIGNING_NAME: &str = "nova-act";

/// `User-Agent` of every request.
pub const USER_AGENT_VALUE: &str = concat!("nova-act-rust/", env!("CARGO_PKG_VERSION"));

/// The method, path and body of an operation, built once per call and sent on every attempt.
#[derive(Clone, Debug)]
pub(crate) struct Prepared {
    pub(crate) method: http::Method,
    /// Base URL plus path and query, exactly as sent (and signed).
    pub(crate) url: String,
    pub(crate) body: Option<bytes::Bytes>,
}

/// Lays out `input` for `endpoint`: the AWS binding, or the API-key service's (`/agent` prefix,
/// no trailing slash, always `PUT` with a JSON body).
pub(crate) fn prepare<O: Operation>(input: &O, endpoint: &Endpoint) -> Result<Prepared, Error> {
    let path = render_uri(O::URI, &input.labels());
    let body = || {
        serde_json::to_vec(input).map_err(|err| Error::Encode {
            operation: O::NAME,
            message: err.to_string(),
        })
    };
    match endpoint {
        Endpoint::Aws { url, .. } => {
            let mut full = format!("{}{path}", url.trim_end_matches('/'));
            let query = input.query();
            for (i, (name, value)) in query.iter().enumerate() {
                full.push(if i == 0 { '?' } else { '&' });
                full.push_str(&format!("{}={}", encode(name), encode(value)));
            }
            let method =
                http::Method::from_bytes(O::METHOD.as_bytes()).unwrap_or(http::Method::POST);
            let body = if O::HAS_BODY {
                Some(body()?.into())
            } else {
                None
            };
            Ok(Prepared {
                method,
                url: full,
                body,
            })
        }
        Endpoint::ApiKey { url } => Ok(Prepared {
            method: http::Method::PUT,
            url: format!(
                "{}/agent{}",
                url.trim_end_matches('/'),
                path.trim_end_matches('/')
            ),
            body: Some(body()?.into()),
        }),
    }
}

/// The request for one attempt, with credentials applied (signed with `cache`'s identity for
/// AWS credentials).
fn request(
    prepared: &Prepared,
    credentials: &Credentials,
    (region, now): (&str, SystemTime),
    client_source: &str,
    cache: &SigningCache,
) -> Result<http::Request<bytes::Bytes>, Error> {
    // `Bytes` clones share the buffer: every attempt sends the same body without copying it.
    let body = prepared.body.clone().unwrap_or_default();
    let mut builder = http::Request::builder()
        .method(prepared.method.clone())
        .uri(&prepared.url)
        .header(USER_AGENT, USER_AGENT_VALUE);
    if prepared.body.is_some() {
        builder = builder.header(CONTENT_TYPE, "application/json");
    }
    let mut req = builder.body(body).map_err(|err| {
        Error::Endpoint(crate::endpoint::EndpointError(format!(
            "cannot build a request for {}: {err}",
            prepared.url
        )))
    })?;
    match credentials {
        Credentials::ApiKey(key) => {
            let value = |v: String| {
                let mut header = HeaderValue::from_str(&v).map_err(|_| {
                    Error::Credentials(nova_auth::CredentialsError::provider(
                        "api key",
                        "the API key contains characters that cannot be sent in a header",
                    ))
                })?;
                header.set_sensitive(true);
                Ok::<_, Error>(header)
            };
            let headers = req.headers_mut();
            headers.insert(
                http::header::AUTHORIZATION,
                value(format!("Bearer {}", key.key().expose()))?,
            );
            headers.insert(
                HeaderName::from_static("x-api-key"),
                value(key.key().expose().to_owned())?,
            );
            headers.insert(
                HeaderName::from_static("x-client-source"),
                HeaderValue::from_str(client_source).unwrap_or(HeaderValue::from_static("sdk")),
            );
        }
        Credentials::Aws(aws) => {
            sign_with(&mut req, &cache.identity(aws), (region, SIGNING_NAME), now)?;
        }
        _ => {
            return Err(Error::Credentials(nova_auth::CredentialsError::provider(
                "credentials",
                "these credentials are of a kind this version of nova-act-core cannot send",
            )));
        }
    }
    Ok(req)
}

/// How a client reaches the service: its HTTP client, endpoint, region, clock and the
/// identity it signs with. An attempt goes through it one way: sign, send, read, decode.
#[derive(Debug)]
pub(crate) struct Wire {
    pub(crate) http: reqwest::Client,
    pub(crate) endpoint: Endpoint,
    pub(crate) region: String,
    pub(crate) clock: std::sync::Arc<dyn nova_auth::Clock>,
    pub(crate) client_source: String,
    pub(crate) attempt_timeout: Option<Duration>,
    /// The signing identity of the credentials last signed with.
    pub(crate) signing: SigningCache,
}

impl Wire {
    /// One attempt of `prepared` with `credentials`: the typed output, or the typed error and
    /// whether the request cannot have reached the service (a request that could not be built
    /// was not sent, and is not worth repeating either).
    pub(crate) async fn attempt<O: Operation>(
        &self,
        prepared: &Prepared,
        credentials: &Credentials,
        attempt: u32,
    ) -> (Result<O::Output, Error>, bool) {
        let request = match self.request::<O>(prepared, credentials) {
            Ok(request) => request,
            Err(err) => return (Err(err), false),
        };
        let started = std::time::Instant::now();
        let sent = self.exchange(request).await;
        let latency_ms = started.elapsed().as_millis() as u64;
        self.decode::<O>(sent, credentials, attempt, latency_ms)
    }

    /// The request for `prepared` with `credentials` applied, as it would be sent now.
    pub(crate) fn sign(
        &self,
        prepared: &Prepared,
        credentials: &Credentials,
    ) -> Result<http::Request<bytes::Bytes>, Error> {
        request(
            prepared,
            credentials,
            (&self.region, self.clock.now()),
            &self.client_source,
            &self.signing,
        )
    }

    /// The request of an attempt, credentials applied, ready for the HTTP client.
    fn request<O: Operation>(
        &self,
        prepared: &Prepared,
        credentials: &Credentials,
    ) -> Result<reqwest::Request, Error> {
        #[allow(unused_mut)]
        let mut request = self.sign(prepared, credentials)?;
        #[cfg(feature = "otel")]
        crate::telemetry::inject(request.headers_mut());
        reqwest::Request::try_from(request).map_err(|err| Error::Encode {
            operation: O::NAME,
            message: format!("the HTTP request is not valid ({err})"),
        })
    }

    /// Sends `request` and reads the whole answer, within the attempt timeout.
    async fn exchange(&self, request: reqwest::Request) -> Sent {
        let exchange = async {
            let mut response = self.http.execute(request).await?;
            let status = response.status().as_u16();
            let headers = std::mem::take(response.headers_mut());
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, headers, body))
        };
        match self.attempt_timeout {
            Some(limit) => match tokio::time::timeout(limit, exchange).await {
                Ok(result) => Sent::Done(result),
                Err(_) => Sent::TimedOut(limit),
            },
            None => Sent::Done(exchange.await),
        }
    }

    /// What an exchange amounts to: the typed output, or the typed error and whether the
    /// request cannot have reached the service.
    fn decode<O: Operation>(
        &self,
        sent: Sent,
        credentials: &Credentials,
        attempt: u32,
        latency_ms: u64,
    ) -> (Result<O::Output, Error>, bool) {
        let (status, headers, body) = match sent {
            Sent::TimedOut(limit) => {
                tracing::debug!(attempt, latency_ms, "attempt timed out");
                let err = Error::Timeout {
                    operation: O::NAME,
                    after: limit,
                };
                return (Err(err), false);
            }
            Sent::Done(Err(err)) => {
                tracing::debug!(attempt, latency_ms, error = %err, "attempt failed to send");
                // A refused connection cannot have reached the service.
                let unsent = err.is_connect();
                let err = Error::Transport {
                    operation: O::NAME,
                    endpoint: self.endpoint.url().to_owned(),
                    source: Box::new(err),
                };
                return (Err(err), unsent);
            }
            Sent::Done(Ok(answer)) => answer,
        };
        let request_id = request_id(&headers);
        if let Some(id) = &request_id {
            tracing::Span::current().record("aws.request_id", id.as_str());
        }
        tracing::debug!(
            attempt,
            status,
            request_id = request_id.as_deref().unwrap_or("-"),
            latency_ms,
            "answer"
        );
        if (200..300).contains(&status) {
            let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
                b"{}"
            } else {
                &body
            };
            let output = serde_json::from_slice(body).map_err(|err| Error::InvalidResponse {
                operation: O::NAME,
                status,
                request_id,
                message: format!("{err} (the body was {} bytes)", body.len()),
            });
            return (output, false);
        }
        let key_source = credentials
            .as_api_key()
            .map(|key| describe_key_source(key.source()));
        let err = service_error(O::NAME, status, &headers, &body, key_source.as_deref());
        (Err(err), false)
    }
}

/// How an exchange ended.
enum Sent {
    /// The answer (status, headers, body), or the HTTP client's failure.
    Done(Result<(u16, http::HeaderMap, bytes::Bytes), reqwest::Error>),
    /// No whole answer within the attempt timeout.
    TimedOut(Duration),
}

fn describe_key_source(source: &nova_auth::Source) -> String {
    match source {
        nova_auth::Source::Environment => "NOVA_ACT_API_KEY".to_owned(),
        other => other.to_string(),
    }
}

/// Signs `req` with SigV4 for `nova-act` in `region` at `now`, over the exact bytes and path it
/// carries: adds `Authorization`, `X-Amz-Date` and, for temporary credentials,
/// `X-Amz-Security-Token`. The client does this for every attempt; it is public for requests you
/// send yourself.
///
/// ```
/// use std::time::SystemTime;
/// use nova_auth::{AwsCredentials, Source};
///
/// let aws = AwsCredentials::new("AKIDEXAMPLE", "secret", None, Source::Code);
/// let mut req = http::Request::post("https://nova-act.us-east-1.amazonaws.com/models?clientCompatibilityVersion=1")
///     .body(Vec::new())
///     .unwrap();
/// nova_act_core::sign_request(&mut req, &aws, "us-east-1", SystemTime::now()).unwrap();
/// assert!(req.headers()["authorization"].to_str().unwrap().starts_with("AWS4-HMAC-SHA256"));
/// ```
pub fn sign_request<B: AsRef<[u8]>>(
    req: &mut http::Request<B>,
    aws: &AwsCredentials,
    region: &str,
    now: SystemTime,
) -> Result<(), Error> {
    sign_with(req, &identity_of(aws), (region, SIGNING_NAME), now)
}

/// [`sign_request`] for another AWS service, signed as `service` (such as
/// `bedrock-agentcore`): the one SigV4 signer of the SDK, for the other AWS calls its crates
/// make by hand, such as a WebSocket handshake.
pub fn sign_request_for<B: AsRef<[u8]>>(
    req: &mut http::Request<B>,
    aws: &AwsCredentials,
    region: &str,
    service: &str,
    now: SystemTime,
) -> Result<(), Error> {
    sign_with(req, &identity_of(aws), (region, service), now)
}

/// Signs `req` for `service` in `region`, the scope of the signature.
fn sign_with<B: AsRef<[u8]>>(
    req: &mut http::Request<B>,
    identity: &Identity,
    (region, service): (&str, &str),
    now: SystemTime,
) -> Result<(), Error> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;

    let signing_failed = |message: String| Error::Signing { message };
    let params = v4::SigningParams::builder()
        .identity(identity)
        .region(region)
        .name(service)
        .time(now)
        .settings(SigningSettings::default())
        .build()
        .map_err(|err| signing_failed(err.to_string()))?
        .into();
    let uri = req.uri().to_string();
    let headers: Vec<(&str, &str)> = req
        .headers()
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        .collect();
    let signable = SignableRequest::new(
        req.method().as_str(),
        &uri,
        headers.into_iter(),
        SignableBody::Bytes(req.body().as_ref()),
    )
    .map_err(|err| signing_failed(format!("the request cannot be read for signing: {err}")))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|err| signing_failed(err.to_string()))?
        .into_parts();
    instructions.apply_to_request_http1x(req);
    Ok(())
}

type Identity = aws_smithy_runtime_api::client::identity::Identity;

/// What signing needs of `aws`, built anew.
fn identity_of(aws: &AwsCredentials) -> Identity {
    aws_credential_types::Credentials::new(
        aws.access_key_id(),
        aws.secret_access_key().expose(),
        aws.session_token().map(|t| t.expose().to_owned()),
        aws.expiry(),
        "nova-auth",
    )
    .into()
}

/// The signing identity of the credentials a client last signed with, part of its shared
/// state: rebuilt only when the provider hands out new credentials.
#[derive(Default)]
pub(crate) struct SigningCache(std::sync::Mutex<Option<(AwsCredentials, Identity)>>);

/// Holds secrets: shows nothing of them.
impl std::fmt::Debug for SigningCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningCache").finish_non_exhaustive()
    }
}

impl SigningCache {
    fn identity(&self, aws: &AwsCredentials) -> Identity {
        let mut slot = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((known, identity)) = slot.as_ref()
            && known.same_as(aws)
        {
            return identity.clone();
        }
        let identity = identity_of(aws);
        *slot = Some((aws.clone(), identity.clone()));
        identity
    }
}

/// The request id of a response, from either service.
pub(crate) fn request_id(headers: &http::HeaderMap) -> Option<String> {
    ["x-amzn-requestid", "x-amz-rid", "x-amz-request-id"]
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok())
        .map(str::to_owned)
}

/// `Retry-After` in seconds. Also read by nova-agentcore's AWS calls (plumbing, hidden).
#[doc(hidden)]
pub fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The body of an error answer: every member any modelled error has, all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    #[serde(alias = "Message")]
    message: Option<String>,
    code: Option<String>,
    #[serde(rename = "__type")]
    type_name: Option<String>,
    reason: Option<String>,
    field_list: Option<Vec<ValidationExceptionField>>,
    fields: Option<Vec<ValidationExceptionField>>,
    resource_id: Option<String>,
    resource_type: Option<String>,
    service_code: Option<String>,
    quota_code: Option<String>,
    throttle_type: Option<String>,
}

/// The error name: `x-amzn-ErrorType`, else body `code`, else body `__type`; namespace and any
/// `:` suffix removed.
fn error_name(headers: &http::HeaderMap, body: &ErrorBody, status: u16) -> String {
    let raw = headers
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| body.code.clone())
        .or_else(|| body.type_name.clone());
    match raw {
        Some(raw) => {
            let before_colon = raw.split(':').next().unwrap_or_default();
            before_colon
                .rsplit('#')
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned()
        }
        None => http::StatusCode::from_u16(status)
            .ok()
            .and_then(|code| code.canonical_reason())
            .map_or_else(
                || format!("HTTP {status}"),
                |reason| reason.chars().filter(char::is_ascii_alphanumeric).collect(),
            ),
    }
}

/// Turns an error answer into the matching [`Error`].
pub(crate) fn service_error(
    operation: &'static str,
    status: u16,
    headers: &http::HeaderMap,
    body: &[u8],
    api_key_source: Option<&str>,
) -> Error {
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let meta = ErrorMeta {
        operation,
        status,
        name: error_name(headers, &parsed, status),
        request_id: request_id(headers),
    };
    let message = parsed.message.clone().unwrap_or_else(|| {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        if text.is_empty() {
            "(no message)".to_owned()
        } else {
            text.chars().take(500).collect()
        }
    });
    if let Some(key_source) = api_key_source
        && (status == 401 || status == 403)
    {
        return Error::ApiKeyRejected {
            operation,
            key_source: key_source.to_owned(),
            message,
            meta,
        };
    }
    let resource = |value: &Option<String>| value.clone().unwrap_or_else(|| "?".to_owned());
    match meta.name.as_str() {
        "AccessDeniedException" => Error::AccessDenied {
            action: format!("nova-act:{operation}"),
            message,
            meta,
        },
        "ValidationException" => Error::Validation {
            reason: ValidationExceptionReason::from(
                parsed.reason.as_deref().unwrap_or("FieldValidationFailed"),
            ),
            fields: parsed.field_list.or(parsed.fields).unwrap_or_default(),
            message,
            meta,
        },
        "ResourceNotFoundException" => Error::ResourceNotFound {
            resource_id: resource(&parsed.resource_id),
            resource_type: resource(&parsed.resource_type),
            message,
            meta,
        },
        "ConflictException" => Error::Conflict {
            resource_id: resource(&parsed.resource_id),
            resource_type: resource(&parsed.resource_type),
            message,
            meta,
        },
        "ServiceQuotaExceededException" => Error::ServiceQuotaExceeded {
            resource_id: resource(&parsed.resource_id),
            resource_type: resource(&parsed.resource_type),
            service_code: resource(&parsed.service_code),
            quota_code: resource(&parsed.quota_code),
            message,
            meta,
        },
        _ if meta.name == "ThrottlingException" || status == 429 => Error::Throttling {
            retry_after: retry_after(headers),
            message: match parsed.throttle_type {
                Some(kind) => format!("{message} ({kind})"),
                None => message,
            },
            meta,
        },
        _ if meta.name == "InternalServerException" || status >= 500 => Error::InternalServer {
            reason: parsed
                .reason
                .as_deref()
                .map(InternalServerExceptionReason::from),
            retry_after: retry_after(headers),
            message,
            meta,
        },
        _ => Error::Service { message, meta },
    }
}
