//! Where requests go: the AWS endpoint rules, the nova.amazon.com service, custom endpoints.

use std::fmt;

/// The regions where Nova Act is offered today.
pub const SUPPORTED_REGIONS: &[&str] = &["us-east-1"];

/// The nova.amazon.com service that takes API keys.
pub const API_KEY_ENDPOINT: &str = "https://api.nova.amazon.com";

/// The inputs of the AWS endpoint rules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EndpointParams {
    /// `AWS::Region`.
    pub region: Option<String>,
    /// `AWS::UseFIPS`.
    pub use_fips: bool,
    /// `AWS::UseDualStack`.
    pub use_dual_stack: bool,
    /// `SDK::Endpoint`: a custom endpoint.
    pub endpoint: Option<String>,
}

/// The endpoint rules refused the parameters.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EndpointError(pub String);

/// A partition's DNS facts (from the AWS SDKs' partition metadata).
struct Partition {
    dns_suffix: &'static str,
    dual_stack_dns_suffix: &'static str,
    supports_fips: bool,
    supports_dual_stack: bool,
}

/// The partition of `region` by its name, falling back to `aws` as the AWS SDKs do.
fn partition(region: &str) -> Partition {
    let part = |dns, dual, fips, dual_stack| Partition {
        dns_suffix: dns,
        dual_stack_dns_suffix: dual,
        supports_fips: fips,
        supports_dual_stack: dual_stack,
    };
    let shape = |prefix: &str| {
        region.strip_prefix(prefix).is_some_and(|rest| {
            let mut parts = rest.split('-');
            matches!(
                (parts.next(), parts.next(), parts.next()),
                (Some(word), Some(number), None)
                    if !word.is_empty()
                        && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                        && !number.is_empty()
                        && number.chars().all(|c| c.is_ascii_digit())
            )
        })
    };
    if shape("cn-") {
        part(
            "amazonaws.com.cn",
            "api.amazonwebservices.com.cn",
            true,
            true,
        )
    } else if shape("us-gov-") {
        part("amazonaws.com", "api.aws", true, true)
    } else if shape("us-iso-") {
        part("c2s.ic.gov", "c2s.ic.gov", true, false)
    } else if shape("us-isob-") {
        part("sc2s.sgov.gov", "sc2s.sgov.gov", true, false)
    } else if shape("eu-isoe-") {
        part("cloud.adc-e.uk", "cloud.adc-e.uk", true, false)
    } else if shape("us-isof-") {
        part("csp.hci.ic.gov", "csp.hci.ic.gov", true, false)
    } else if shape("eusc-de-") {
        part("amazonaws.eu", "amazonaws.eu", true, false)
    } else {
        part("amazonaws.com", "api.aws", true, true)
    }
}

/// Resolves the AWS endpoint exactly as the service's endpoint rule set does.
///
/// ```
/// use nova_act_core::endpoint::{resolve, EndpointParams};
///
/// let params = EndpointParams { region: Some("us-east-1".into()), ..Default::default() };
/// assert_eq!(resolve(&params).unwrap(), "https://nova-act.us-east-1.amazonaws.com");
/// ```
pub fn resolve(params: &EndpointParams) -> Result<String, EndpointError> {
    let fail = |message: &str| Err(EndpointError(message.to_owned()));
    if let Some(endpoint) = &params.endpoint {
        if params.use_fips {
            return fail("Invalid Configuration: FIPS and custom endpoint are not supported");
        }
        if params.use_dual_stack {
            return fail("Invalid Configuration: Dualstack and custom endpoint are not supported");
        }
        return Ok(endpoint.clone());
    }
    let Some(region) = &params.region else {
        return fail("Invalid Configuration: Missing Region");
    };
    let p = partition(region);
    match (params.use_fips, params.use_dual_stack) {
        (true, true) if p.supports_fips && p.supports_dual_stack => Ok(format!(
            "https://nova-act-fips.{region}.{}",
            p.dual_stack_dns_suffix
        )),
        (true, true) => {
            fail("FIPS and DualStack are enabled, but this partition does not support one or both")
        }
        (true, false) if p.supports_fips => {
            Ok(format!("https://nova-act-fips.{region}.{}", p.dns_suffix))
        }
        (true, false) => fail("FIPS is enabled but this partition does not support FIPS"),
        (false, true) if p.supports_dual_stack => Ok(format!(
            "https://nova-act.{region}.{}",
            p.dual_stack_dns_suffix
        )),
        (false, true) => fail("DualStack is enabled but this partition does not support DualStack"),
        (false, false) => Ok(format!("https://nova-act.{region}.{}", p.dns_suffix)),
    }
}

/// Which service a client talks to, and at what base URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// The AWS Nova Act service (SigV4).
    Aws {
        /// The base URL, without a trailing slash.
        url: String,
        /// Set by code or environment rather than resolved from the region.
        custom: bool,
    },
    /// The nova.amazon.com service (API key); paths get the `/agent` prefix.
    ApiKey {
        /// The base URL, without a trailing slash.
        url: String,
    },
}

impl Endpoint {
    /// The base URL.
    pub fn url(&self) -> &str {
        match self {
            Self::Aws { url, .. } | Self::ApiKey { url } => url,
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.url())
    }
}
