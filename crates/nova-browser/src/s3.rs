//! Browser state in Amazon S3, encrypted at rest with SSE-KMS: for workflows that run on many
//! machines (AgentCore Runtime, ECS) and share one signed-in state. Feature `s3`.

use std::fmt;
use std::time::SystemTime;

use async_trait::async_trait;
use nova_auth::{CredentialProvider, SharedProvider};
use sha2::Digest as _;

use crate::state::{BrowserState, StateError, StateStore};

/// State kept as one S3 object, written with `x-amz-server-side-encryption: aws:kms` and the
/// KMS key named. Signed with the AWS credentials of `credentials`, in `region`;
/// `AWS_ENDPOINT_URL_S3` (or `endpoint_url`) moves it.
///
/// ```no_run
/// # async fn demo(auth: &nova_auth::Auth) -> Result<(), Box<dyn std::error::Error>> {
/// use nova_browser::{S3StateStore, StateStore};
///
/// let store = S3StateStore::new(auth.provider().clone(), "us-east-1", "my-bucket", "nova/shop.json")
///     .kms_key("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab");
/// let saved = store.load().await?;
/// # drop(saved); Ok(()) }
/// ```
#[derive(Clone)]
pub struct S3StateStore {
    credentials: SharedProvider,
    region: String,
    bucket: String,
    key: String,
    kms_key: Option<String>,
    endpoint: Option<String>,
}

impl fmt::Debug for S3StateStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3StateStore")
            .field("bucket", &self.bucket)
            .field("key", &self.key)
            .field("kms_key", &self.kms_key)
            .finish_non_exhaustive()
    }
}

impl S3StateStore {
    /// Object `key` of `bucket` in `region`, read and written with `credentials`.
    pub fn new(
        credentials: impl CredentialProvider + 'static,
        region: impl Into<String>,
        bucket: impl Into<String>,
        key: impl Into<String>,
    ) -> Self {
        Self {
            credentials: SharedProvider::new(credentials),
            region: region.into(),
            bucket: bucket.into(),
            key: key.into(),
            kms_key: None,
            endpoint: std::env::var("AWS_ENDPOINT_URL_S3")
                .ok()
                .filter(|v| !v.is_empty()),
        }
    }

    /// The KMS key the object is encrypted with (else the account's `aws/s3` key).
    #[must_use]
    pub fn kms_key(mut self, key: impl Into<String>) -> Self {
        self.kms_key = Some(key.into());
        self
    }

    /// Sends requests to `url` instead of `https://s3.REGION.amazonaws.com` (path-style).
    #[must_use]
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    fn url(&self) -> String {
        let base = self
            .endpoint
            .clone()
            .unwrap_or_else(|| format!("https://s3.{}.amazonaws.com", self.region));
        format!(
            "{}/{}/{}",
            base.trim_end_matches('/'),
            self.bucket,
            self.key
        )
    }

    fn failed(&self, message: String) -> StateError {
        StateError::Remote {
            location: format!("s3://{}/{}", self.bucket, self.key),
            message,
        }
    }

    /// A signed request, its body hashed as S3 requires.
    async fn send(
        &self,
        method: http::Method,
        body: Vec<u8>,
        headers: &[(&str, String)],
    ) -> Result<reqwest::Response, StateError> {
        // Characters that need no escaping in a path: signed the same whether a signer escapes
        // once (as S3 does) or twice (as other services do).
        let plain = |text: &str| {
            !text.is_empty()
                && text
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/._-~".contains(&b))
        };
        if !plain(&self.key) || !plain(&self.bucket) {
            return Err(self.failed(
                "use a bucket and key of letters, digits and `/ . _ - ~` only".to_owned(),
            ));
        }
        let credentials = self
            .credentials
            .credentials()
            .await
            .map_err(|err| self.failed(nova_auth::Report(&err).to_string()))?;
        let aws = credentials
            .as_aws()
            .ok_or_else(|| self.failed("S3 takes AWS credentials, not an API key".into()))?;
        let hash: String = sha2::Sha256::digest(&body)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut request = http::Request::builder()
            .method(method)
            .uri(self.url())
            .header("x-amz-content-sha256", hash);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let mut request = request
            .body(body)
            .map_err(|err| self.failed(err.to_string()))?;
        nova_act_core::sign_request_for(&mut request, aws, &self.region, "s3", SystemTime::now())
            .map_err(|err| self.failed(err.to_string()))?;
        let client = nova_act_core::tls::http_client()
            .connect_timeout(std::time::Duration::from_secs(5))
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|err| self.failed(err.to_string()))?;
        let request = reqwest::Request::try_from(request.map(reqwest::Body::from))
            .map_err(|err| self.failed(err.to_string()))?;
        client
            .execute(request)
            .await
            .map_err(|err| self.failed(format!("S3 did not answer: {err}")))
    }
}

#[async_trait]
impl StateStore for S3StateStore {
    async fn load(&self) -> Result<Option<BrowserState>, StateError> {
        let answer = self.send(http::Method::GET, Vec::new(), &[]).await?;
        let status = answer.status();
        let body = answer
            .bytes()
            .await
            .map_err(|err| self.failed(err.to_string()))?;
        match status.as_u16() {
            404 => Ok(None),
            200 => serde_json::from_slice(&body)
                .map(Some)
                .map_err(|err| self.failed(format!("not a browser state file: {err}"))),
            403 => Err(self.failed(format!(
                "access denied; the AWS identity needs s3:GetObject on arn:aws:s3:::{}/{} and \
                 kms:Decrypt on the object's KMS key",
                self.bucket, self.key
            ))),
            _ => Err(self.failed(format!("S3 answered HTTP {status}"))),
        }
    }

    async fn save(&self, state: &BrowserState) -> Result<(), StateError> {
        let body = serde_json::to_vec(state).map_err(|err| self.failed(err.to_string()))?;
        let mut headers = vec![
            ("content-type", "application/json".to_owned()),
            ("x-amz-server-side-encryption", "aws:kms".to_owned()),
        ];
        if let Some(key) = &self.kms_key {
            headers.push(("x-amz-server-side-encryption-aws-kms-key-id", key.clone()));
        }
        let answer = self.send(http::Method::PUT, body, &headers).await?;
        match answer.status().as_u16() {
            200 => Ok(()),
            403 => Err(self.failed(format!(
                "access denied; the AWS identity needs s3:PutObject on arn:aws:s3:::{}/{} and \
                 kms:GenerateDataKey on {}",
                self.bucket,
                self.key,
                self.kms_key.as_deref().unwrap_or("the bucket's KMS key")
            ))),
            other => Err(self.failed(format!("S3 answered HTTP {other}"))),
        }
    }
}
