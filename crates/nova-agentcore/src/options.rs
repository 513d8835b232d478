//! What a remote browser session is started with, checked against the service's limits before
//! any call.

use std::time::Duration;

use crate::error::SessionError;

/// The AWS-managed browser.
pub const DEFAULT_BROWSER: &str = "aws.browser.v1";
/// How long a session lives unless told otherwise (the service's default).
pub const DEFAULT_SESSION_TIMEOUT: Duration = Duration::from_secs(3600);
/// The longest session the service allows.
pub const MAX_SESSION_TIMEOUT: Duration = Duration::from_secs(28_800);
/// The viewport unless told otherwise: Nova Act's screen.
pub const DEFAULT_VIEWPORT: (u32, u32) = (1600, 900);
/// The widths the service takes.
pub const VIEWPORT_WIDTHS: std::ops::RangeInclusive<u32> = 800..=1920;
/// The heights the service takes.
pub const VIEWPORT_HEIGHTS: std::ops::RangeInclusive<u32> = 600..=1080;

/// A remote browser session's settings.
///
/// ```
/// use std::time::Duration;
/// use nova_agentcore::SessionOptions;
///
/// let options = SessionOptions::new()
///     .timeout(Duration::from_secs(900))
///     .viewport(1280, 800)
///     .name("price-watch");
/// assert!(options.check().is_ok());
/// assert!(SessionOptions::new().viewport(4000, 800).check().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionOptions {
    pub(crate) browser: String,
    pub(crate) timeout: Duration,
    pub(crate) viewport: (u32, u32),
    pub(crate) name: Option<String>,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionOptions {
    /// The AWS-managed browser, one hour, 1600 × 900, a generated name.
    pub fn new() -> Self {
        Self {
            browser: DEFAULT_BROWSER.to_owned(),
            timeout: DEFAULT_SESSION_TIMEOUT,
            viewport: DEFAULT_VIEWPORT,
            name: None,
        }
    }

    nova_auth::setters! {
        /// A custom browser (its identifier from the control plane's CreateBrowser).
        browser(identifier: impl Into<String>) => browser = identifier.into();
        /// How long the session may live: 1 s to 8 h (whole seconds).
        timeout(timeout: Duration) => timeout = timeout;
        /// The viewport: width 800..=1920, height 600..=1080.
        viewport(width: u32, height: u32) => viewport = (width, height);
        /// The session's name, 1..=100 characters (otherwise `nova-act-` and 8 random characters).
        name(name: impl Into<String>) => name = Some(name.into());
    }

    /// The browser identifier.
    pub fn browser_identifier(&self) -> &str {
        &self.browser
    }

    /// The viewport.
    pub fn viewport_size(&self) -> (u32, u32) {
        self.viewport
    }

    /// Whether the service would take these settings; checked by every start.
    pub fn check(&self) -> Result<(), SessionError> {
        let invalid = |message: String| Err(SessionError::InvalidOptions { message });
        let valid_id = |id: &str| {
            !id.is_empty()
                && id.len() <= 100
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        };
        if !valid_id(&self.browser) {
            return invalid(format!(
                "the browser identifier `{}` is not one the service takes (letters, digits, `.`, \
                 `_` and `-`, at most 100); the AWS-managed browser is `{DEFAULT_BROWSER}`",
                self.browser
            ));
        }
        let seconds = self.timeout.as_secs();
        if !(1..=MAX_SESSION_TIMEOUT.as_secs()).contains(&seconds)
            || self.timeout.subsec_nanos() != 0
        {
            return invalid(format!(
                "a session timeout is 1 to 28800 whole seconds (it is {}); the default is 3600",
                humantime_ish(self.timeout)
            ));
        }
        let (width, height) = self.viewport;
        if !VIEWPORT_WIDTHS.contains(&width) || !VIEWPORT_HEIGHTS.contains(&height) {
            return invalid(format!(
                "the viewport {width} × {height} is outside the service's range (width 800 to \
                 1920, height 600 to 1080); the default is 1600 × 900"
            ));
        }
        if let Some(name) = &self.name
            && !(1..=100).contains(&name.chars().count())
        {
            return invalid("a session name is 1 to 100 characters".to_owned());
        }
        Ok(())
    }

    /// The name sent: the one given, or a generated one.
    pub(crate) fn name_or_generated(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            let id = uuid::Uuid::new_v4().simple().to_string();
            format!("nova-act-{}", &id[..8])
        })
    }
}

fn humantime_ish(duration: Duration) -> String {
    format!("{:.3} s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_the_services() {
        let ok = SessionOptions::new();
        assert!(ok.check().is_ok());
        assert!(ok.clone().viewport(800, 600).check().is_ok());
        assert!(ok.clone().viewport(1920, 1080).check().is_ok());
        assert!(ok.clone().viewport(799, 600).check().is_err());
        assert!(ok.clone().viewport(1920, 1081).check().is_err());
        assert!(
            ok.clone()
                .timeout(Duration::from_secs(28_800))
                .check()
                .is_ok()
        );
        assert!(
            ok.clone()
                .timeout(Duration::from_secs(28_801))
                .check()
                .is_err()
        );
        assert!(ok.clone().timeout(Duration::ZERO).check().is_err());
        assert!(
            ok.clone()
                .timeout(Duration::from_millis(1500))
                .check()
                .is_err()
        );
        assert!(ok.clone().browser("").check().is_err());
        assert!(ok.clone().browser("my browser").check().is_err());
        assert!(ok.clone().name("").check().is_err());
        let err = ok.viewport(4000, 800).check().unwrap_err().to_string();
        assert!(err.contains("4000 × 800"), "{err}");
        let generated = SessionOptions::new().name_or_generated();
        assert!(
            generated.starts_with("nova-act-") && generated.len() == 17,
            "{generated}"
        );
    }
}
