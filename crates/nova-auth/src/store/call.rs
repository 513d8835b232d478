//! One signed AWS call over the AWS SDK's own HTTPS connector and SigV4 signer: all that reading
//! a key from a store takes, with the timeouts and the cleartext rule of every credential call.

use std::time::{Duration, SystemTime};

use aws_smithy_runtime_api::client::http::HttpConnector;
use zeroize::Zeroize;

use crate::credentials::AwsCredentials;
use crate::env::Env;
use crate::error::CredentialsError;

/// Time allowed to connect to a store.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time allowed for a whole read, answer included.
pub(crate) const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a store's calls go, and which setting said so (for errors).
#[derive(Clone, Debug)]
pub(crate) struct Endpoint {
    pub(crate) url: String,
    pub(crate) from: &'static str,
}

impl Endpoint {
    /// The store's own variable, else `AWS_ENDPOINT_URL`, else the public endpoint of `prefix`
    /// in `region`. Plain HTTP beyond this machine is refused: the answer carries the key.
    pub(crate) fn resolve(
        store: &'static str,
        env: &Env,
        variable: &'static str,
        prefix: &str,
        region: &str,
    ) -> Result<Self, CredentialsError> {
        let found = [variable, "AWS_ENDPOINT_URL"]
            .into_iter()
            .find_map(|var| env.get(var).map(|url| (url, var)));
        let Some((url, from)) = found else {
            return Ok(Self {
                url: format!("https://{prefix}.{region}.amazonaws.com"),
                from: "the default endpoint",
            });
        };
        crate::aws::refuse_cleartext_at(
            store,
            env,
            (from, &url),
            crate::aws::Cleartext {
                what: "the API key",
                doing: "read the API key",
                because: "the answer would carry the key",
            },
        )?;
        Ok(Self {
            url: url.trim_end_matches('/').to_owned(),
            from,
        })
    }
}

/// A request to a store.
pub(crate) struct Call<'a> {
    /// The SigV4 signing name (`secretsmanager`, `ssm`, `bedrock-agentcore`).
    pub(crate) service: &'static str,
    pub(crate) region: &'a str,
    pub(crate) endpoint: &'a Endpoint,
    pub(crate) path: &'static str,
    /// `X-Amz-Target` of an AWS JSON 1.1 call; `None` for a REST-JSON one.
    pub(crate) target: Option<&'static str>,
    pub(crate) body: serde_json::Value,
}

/// A store's answer: its status and JSON body, or its error's name and message.
pub(crate) enum Answer {
    Ok(serde_json::Value),
    Refused { name: String, message: String },
}

/// The connector every store call shares, built once.
fn connector() -> &'static aws_smithy_http_client::Connector {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    use aws_smithy_runtime_api::client::http::HttpConnectorSettings;
    static CONNECTOR: std::sync::OnceLock<aws_smithy_http_client::Connector> =
        std::sync::OnceLock::new();
    CONNECTOR.get_or_init(|| {
        aws_smithy_http_client::Connector::builder()
            .connector_settings(
                HttpConnectorSettings::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .build(),
            )
            .sleep_impl(aws_smithy_async::rt::sleep::TokioSleep::new())
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build()
    })
}

impl Call<'_> {
    /// Signs with `aws` and sends, in at most [`CALL_TIMEOUT`]; `store` names the store in
    /// errors. Runs under the same TRACE filter as every credential call.
    pub(crate) async fn send(
        self,
        aws: &AwsCredentials,
        store: &'static str,
    ) -> Result<Answer, CredentialsError> {
        let endpoint = self.endpoint.clone();
        let failed = |what: &str, err: Box<dyn std::error::Error + Send + Sync>| {
            CredentialsError::provider_with_cause(
                store,
                format!(
                    "{what} {} (from {}); check the endpoint and the network",
                    endpoint.url, endpoint.from
                ),
                err,
            )
        };
        let request = self.signed(aws).map_err(|err| {
            CredentialsError::provider_with_cause(store, "could not sign the request", err)
        })?;
        let exchange = async {
            let response = connector()
                .call(request)
                .await
                .map_err(|err| failed("could not reach", err.into()))?;
            let status = response.status().as_u16();
            let headers: Vec<(String, String)> = response
                .headers()
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
                .collect();
            let body = aws_smithy_types::byte_stream::ByteStream::new(response.into_body())
                .collect()
                .await
                .map_err(|err| failed("the answer broke off from", err.into()))?
                .into_bytes();
            Ok::<_, CredentialsError>((status, headers, body))
        };
        let (status, headers, body) =
            match tokio::time::timeout(CALL_TIMEOUT, super::quietly(exchange)).await {
                Ok(result) => result?,
                Err(_) => {
                    return Err(CredentialsError::TimedOut {
                        provider: store.into(),
                        timeout: CALL_TIMEOUT,
                    });
                }
            };
        let mut body = body.to_vec();
        let parsed = serde_json::from_slice::<serde_json::Value>(&body);
        body.zeroize();
        if (200..300).contains(&status) {
            return parsed.map(Answer::Ok).map_err(|err| {
                CredentialsError::provider_with_cause(
                    store,
                    format!("the answer of {} is not JSON", self.endpoint.url),
                    err,
                )
            });
        }
        let parsed = parsed.unwrap_or_default();
        let name = headers
            .iter()
            .find(|(k, _)| k == "x-amzn-errortype")
            .map(|(_, v)| v.clone())
            .or_else(|| parsed["__type"].as_str().map(str::to_owned))
            .map(|name| {
                // `aws.protocoltests#Name:http://…` and `namespace#Name` forms name `Name`.
                let name = name.split(':').next().unwrap_or_default();
                name.rsplit('#').next().unwrap_or_default().to_owned()
            })
            .unwrap_or_else(|| format!("HTTP {status}"));
        let message = ["message", "Message"]
            .iter()
            .find_map(|key| parsed[key].as_str())
            .unwrap_or("(no message)")
            .to_owned();
        Ok(Answer::Refused { name, message })
    }

    /// The HTTP request, signed.
    fn signed(
        &self,
        aws: &AwsCredentials,
    ) -> Result<aws_smithy_runtime_api::http::Request, Box<dyn std::error::Error + Send + Sync>>
    {
        use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
        let uri = format!("{}{}", self.endpoint.url, self.path);
        let body = serde_json::to_vec(&self.body)?;
        let content_type = if self.target.is_some() {
            "application/x-amz-json-1.1"
        } else {
            "application/json"
        };
        let host = uri
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_default()
            .to_owned();
        let mut headers = vec![("host", host), ("content-type", content_type.to_owned())];
        if let Some(target) = self.target {
            headers.push(("x-amz-target", target.to_owned()));
        }
        let identity: aws_smithy_runtime_api::client::identity::Identity =
            crate::aws::to_sdk(aws).into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(self.region)
            .name(self.service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()?
            .into();
        let signable = SignableRequest::new(
            "POST",
            &uri,
            headers.iter().map(|(k, v)| (*k, v.as_str())),
            SignableBody::Bytes(&body),
        )?;
        let (instructions, _) = sign(signable, &params)?.into_parts();
        let mut request =
            aws_smithy_runtime_api::http::Request::new(aws_smithy_types::body::SdkBody::from(body));
        request.set_method("POST")?;
        request.set_uri(uri.as_str())?;
        for (name, value) in headers {
            request.headers_mut().insert(name, value);
        }
        for (name, value) in instructions.headers() {
            request
                .headers_mut()
                .insert(name.to_owned(), value.to_owned());
        }
        Ok(request)
    }
}
