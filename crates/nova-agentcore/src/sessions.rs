//! Starting, attaching to and stopping remote browser sessions with `aws-sdk-bedrockagentcore`,
//! on the credentials and region nova-auth settled.

use std::time::SystemTime;

use aws_sdk_bedrockagentcore::types::ViewPort;
use nova_auth::{Auth, CredentialProvider, Env};
use nova_browser::{Browser, BrowserBuilder, Remote};

use crate::error::AgentCoreError;
use crate::options::SessionOptions;
use crate::stream::{SIGNING_NAME, automation_url, data_plane, sign_handshake};

/// The variable the AWS SDKs read for this service's endpoint.
pub const ENDPOINT_VAR: &str = "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE";

/// Remote browser sessions on Amazon Bedrock AgentCore Browser, under the credentials and
/// region of an [`Auth`] (IAM mode).
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use nova_agentcore::{BrowserSessions, SessionOptions};
///
/// let auth = nova_auth::Auth::builder().mode(nova_auth::AuthMode::Iam).build().await?;
/// let sessions = BrowserSessions::builder(&auth).build()?;
/// let session = sessions.start(SessionOptions::new()).await?;
/// let browser = session.connect(nova_browser::Browser::builder()).await?;
/// // … run acts on `browser` …
/// session.stop().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct BrowserSessions {
    client: aws_sdk_bedrockagentcore::Client,
    auth: Auth,
    endpoint: String,
}

/// Settings for [`BrowserSessions`].
#[derive(Debug)]
#[must_use]
pub struct BrowserSessionsBuilder {
    auth: Auth,
    env: Option<Env>,
    endpoint: Option<String>,
    allow_http: bool,
}

impl BrowserSessions {
    /// Sessions under `auth`'s credentials and region.
    pub fn builder(auth: &Auth) -> BrowserSessionsBuilder {
        BrowserSessionsBuilder {
            auth: auth.clone(),
            env: None,
            endpoint: None,
            allow_http: false,
        }
    }

    /// The data-plane endpoint calls and streams go to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Starts a session with `options` (checked first: nothing is sent when they break a limit).
    pub async fn start(&self, options: SessionOptions) -> Result<RemoteSession, AgentCoreError> {
        options.check()?;
        let (width, height) = options.viewport;
        let viewport = ViewPort::builder()
            .width(i32::try_from(width).unwrap_or(i32::MAX))
            .height(i32::try_from(height).unwrap_or(i32::MAX))
            .build()
            .map_err(|err| AgentCoreError::InvalidOptions {
                message: err.to_string(),
            })?;
        let started = self
            .client
            .start_browser_session()
            .browser_identifier(&options.browser)
            .name(options.name_or_generated())
            .session_timeout_seconds(i32::try_from(options.timeout.as_secs()).unwrap_or(i32::MAX))
            .view_port(viewport)
            .client_token(uuid::Uuid::new_v4().to_string())
            .send()
            .await
            .map_err(|err| AgentCoreError::from_sdk("StartBrowserSession", err))?;
        let session = RemoteSession {
            sessions: self.clone(),
            browser: started.browser_identifier().to_owned(),
            id: started.session_id().to_owned(),
            viewport: options.viewport,
        };
        tracing::info!(session_id = %session.id, browser = %session.browser, "remote browser session started");
        Ok(session)
    }
}

impl BrowserSessionsBuilder {
    /// Reads `AWS_ENDPOINT_URL_BEDROCK_AGENTCORE`, `AWS_ENDPOINT_URL` and
    /// `NOVA_ACT_ALLOW_HTTP` from `env` instead of the process.
    pub fn env(mut self, env: Env) -> Self {
        self.env = Some(env);
        self
    }

    /// Sends the calls and the stream to `url` instead of the region's data plane.
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Allows `http://` beyond this machine (for a test rig you trust; credentials would travel
    /// in cleartext).
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// The client, once the endpoint passes the cleartext rule of every Nova Act call.
    pub fn build(self) -> Result<BrowserSessions, AgentCoreError> {
        let env = self.env.unwrap_or_else(Env::process);
        let region = self.auth.region().name().to_owned();
        let endpoint = self
            .endpoint
            .or_else(|| env.get(ENDPOINT_VAR))
            .or_else(|| env.get("AWS_ENDPOINT_URL"))
            .unwrap_or_else(|| data_plane(&region));
        nova_act_core::endpoint::transport(&endpoint, self.allow_http || env.allows_http())
            .map_err(|err| AgentCoreError::InvalidOptions {
                message: err.to_string(),
            })?;
        let config = aws_sdk_bedrockagentcore::Config::builder()
            .behavior_version(aws_sdk_bedrockagentcore::config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new(region))
            .credentials_provider(nova_auth::IntoAwsProvider::new(self.auth.clone()).into_shared())
            .endpoint_url(endpoint.trim_end_matches('/'))
            .build();
        Ok(BrowserSessions {
            client: aws_sdk_bedrockagentcore::Client::from_conf(config),
            auth: self.auth,
            endpoint: endpoint.trim_end_matches('/').to_owned(),
        })
    }
}

/// A started remote browser session. Stop it with [`RemoteSession::stop`] when done; the
/// service also ends it at its timeout.
#[derive(Clone, Debug)]
pub struct RemoteSession {
    sessions: BrowserSessions,
    browser: String,
    id: String,
    viewport: (u32, u32),
}

impl RemoteSession {
    /// The session's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The browser it runs on.
    pub fn browser_identifier(&self) -> &str {
        &self.browser
    }

    /// The automation stream's URL.
    pub fn automation_url(&self) -> Result<String, AgentCoreError> {
        automation_url(&self.sessions.endpoint, &self.browser, &self.id)
    }

    /// Attaches `builder`'s actuator settings to the session's browser, over the automation
    /// stream, signed now with the current credentials (so a reconnect signs again). The
    /// session's viewport becomes the window size.
    pub async fn connect(&self, builder: BrowserBuilder) -> Result<Browser, AgentCoreError> {
        let url = self.automation_url()?;
        let credentials = self.sessions.auth.credentials().await?;
        let Some(aws) = credentials.as_aws() else {
            return Err(AgentCoreError::Signing {
                message: "remote browsers need AWS credentials (IAM mode), not an API key"
                    .to_owned(),
            });
        };
        let region = self.sessions.auth.region().name().to_owned();
        let mut remote = Remote::new(&url)?.existing_page(true);
        for (name, value) in sign_handshake(&url, aws, &region, SystemTime::now())? {
            remote = remote.header(name, value);
        }
        tracing::debug!(session_id = %self.id, service = SIGNING_NAME, "connecting to the automation stream");
        Ok(builder
            .window_size(self.viewport.0, self.viewport.1)
            .connect(remote)
            .await?)
    }

    /// Stops the session (and with it the remote browser).
    pub async fn stop(&self) -> Result<(), AgentCoreError> {
        self.sessions
            .client
            .stop_browser_session()
            .browser_identifier(&self.browser)
            .session_id(&self.id)
            .client_token(uuid::Uuid::new_v4().to_string())
            .send()
            .await
            .map_err(|err| AgentCoreError::from_sdk("StopBrowserSession", err))?;
        tracing::info!(session_id = %self.id, "remote browser session stopped");
        Ok(())
    }
}
