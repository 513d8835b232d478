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

impl Partition {
    /// A partition with dual-stack (IPv6) endpoints under a suffix of their own.
    const fn dual_stack(dns_suffix: &'static str, dual_stack_dns_suffix: &'static str) -> Self {
        Self {
            dns_suffix,
            dual_stack_dns_suffix,
            supports_fips: true,
            supports_dual_stack: true,
        }
    }

    /// An isolated partition: FIPS endpoints, no dual stack.
    const fn isolated(dns_suffix: &'static str) -> Self {
        Self {
            dns_suffix,
            dual_stack_dns_suffix: dns_suffix,
            supports_fips: true,
            supports_dual_stack: false,
        }
    }
}

/// The partitions other than `aws`, by the prefix of their regions' names.
const PARTITIONS: [(&str, Partition); 7] = [
    (
        "cn-",
        Partition::dual_stack("amazonaws.com.cn", "api.amazonwebservices.com.cn"),
    ),
    ("us-gov-", Partition::dual_stack("amazonaws.com", "api.aws")),
    ("us-iso-", Partition::isolated("c2s.ic.gov")),
    ("us-isob-", Partition::isolated("sc2s.sgov.gov")),
    ("eu-isoe-", Partition::isolated("cloud.adc-e.uk")),
    ("us-isof-", Partition::isolated("csp.hci.ic.gov")),
    ("eusc-de-", Partition::isolated("amazonaws.eu")),
];

/// Every region whose name has no partition's shape.
const AWS: Partition = Partition::dual_stack("amazonaws.com", "api.aws");

/// The partition of `region` by its name, falling back to `aws` as the AWS SDKs do.
fn partition(region: &str) -> &'static Partition {
    // `<prefix><word>-<number>`, e.g. `us-gov-` `west` `-1`.
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
    PARTITIONS
        .iter()
        .find(|(prefix, _)| shape(prefix))
        .map_or(&AWS, |(_, partition)| partition)
}

/// The environment variable that lets credentials travel over plain HTTP beyond loopback
/// (`1` or `true`), for test rigs on other hosts.
pub const ALLOW_HTTP_VAR: &str = nova_auth::Env::ALLOW_HTTP;

/// How credentials reach an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// `https://`.
    Tls,
    /// `http://` to this machine: 127.0.0.0/8, `::1` or `localhost` (the emulator).
    Loopback,
    /// `http://` to another host, allowed explicitly: anyone on the path can read the credentials.
    Cleartext,
}

/// Whether the host is this machine: an address in 127.0.0.0/8, `::1` (or an IPv4-mapped
/// loopback address), or the name `localhost` itself. Names that merely start with those, such
/// as `127.0.0.1.example.com` or `localhost.example.com`, are other hosts.
fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Checks that credentials may be sent to `url`, before anything is: over TLS, or over plain
/// HTTP only to this machine unless `allow_http`. A URL must be absolute `http(s)` with a host,
/// and may not hold a user name or password (credentials never go in URLs).
///
/// ```
/// use nova_act_core::endpoint::{transport, Transport};
///
/// assert_eq!(transport("https://nova-act.us-east-1.amazonaws.com", false), Ok(Transport::Tls));
/// assert_eq!(transport("http://127.0.0.1:8080", false), Ok(Transport::Loopback));
/// assert!(transport("http://10.0.0.5:8080", false).is_err());
/// assert_eq!(transport("http://10.0.0.5:8080", true), Ok(Transport::Cleartext));
/// ```
pub fn transport(url: &str, allow_http: bool) -> Result<Transport, EndpointError> {
    let parsed = url::Url::parse(url).ok().filter(|u| {
        matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
    });
    let (Some(parsed), Some(host)) = (parsed.as_ref(), parsed.as_ref().and_then(url::Url::host))
    else {
        return Err(EndpointError(format!(
            "`{url}` is not an absolute http(s) URL with a host, such as http://127.0.0.1:8080"
        )));
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(EndpointError(format!(
            "the endpoint `{}://…@{host}` has a user name or password in it; credentials never go \
             in URLs: remove that part",
            parsed.scheme()
        )));
    }
    if parsed.scheme() == "https" {
        return Ok(Transport::Tls);
    }
    if is_loopback(&host) {
        return Ok(Transport::Loopback);
    }
    if allow_http {
        return Ok(Transport::Cleartext);
    }
    let mut secure = parsed.clone();
    let _ = secure.set_scheme("https");
    Err(EndpointError(format!(
        "refusing to send credentials in cleartext to `{url}`: plain http:// is only for this \
         machine (127.0.0.1, ::1, localhost); use `{}`, or, for a test rig you trust on another \
         host, allow it with ClientBuilder::allow_http(true) or {ALLOW_HTTP_VAR}=1",
        secure.as_str().trim_end_matches('/')
    )))
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

#[cfg(test)]
mod tests {
    use super::{Transport, transport};

    #[test]
    fn credentials_go_over_tls_or_to_this_machine_only() {
        use Transport::{Loopback, Tls};
        let table: &[(&str, Option<Transport>)] = &[
            ("https://nova-act.us-east-1.amazonaws.com", Some(Tls)),
            ("https://10.0.0.5:8443/", Some(Tls)),
            ("HTTPS://Example.COM", Some(Tls)),
            ("http://127.0.0.1:8080", Some(Loopback)),
            ("http://127.1.2.3", Some(Loopback)),
            ("http://localhost:8080", Some(Loopback)),
            ("http://LOCALHOST", Some(Loopback)),
            ("http://[::1]:8080", Some(Loopback)),
            ("http://[::ffff:127.0.0.1]", Some(Loopback)),
            // Another host, however it looks.
            ("http://10.0.0.5:8080", None),
            ("http://0.0.0.0:8080", None),
            ("http://[::]:8080", None),
            ("http://nova-act.us-east-1.amazonaws.com", None),
            ("http://127.0.0.1.evil.example", None),
            ("http://localhost.evil.example", None),
            ("http://evil.example/127.0.0.1", None),
            ("http://evil.example?host=localhost", None),
            ("http://128.0.0.1", None),
            // Credentials never go in URLs, whatever the scheme or host.
            ("http://user@127.0.0.1:8080", None),
            ("https://user:pass@nova-act.us-east-1.amazonaws.com", None),
            ("http://:pass@localhost", None),
            // Not an endpoint at all.
            ("localhost:8080", None),
            ("ftp://127.0.0.1", None),
            ("http://", None),
            ("", None),
        ];
        for (url, expected) in table {
            assert_eq!(transport(url, false).ok(), *expected, "{url}");
        }
    }

    #[test]
    fn the_opt_in_allows_cleartext_but_never_userinfo() {
        assert_eq!(
            transport("http://10.0.0.5:8080", true),
            Ok(Transport::Cleartext)
        );
        assert_eq!(
            transport("http://127.0.0.1:8080", true),
            Ok(Transport::Loopback)
        );
        assert!(transport("http://user:pw@10.0.0.5", true).is_err());
    }

    #[test]
    fn errors_name_the_endpoint_and_the_fix_without_userinfo() {
        let err = transport("http://10.0.0.5:8080/base", false).unwrap_err();
        insta::assert_snapshot!(err, @"refusing to send credentials in cleartext to `http://10.0.0.5:8080/base`: plain http:// is only for this machine (127.0.0.1, ::1, localhost); use `https://10.0.0.5:8080/base`, or, for a test rig you trust on another host, allow it with ClientBuilder::allow_http(true) or NOVA_ACT_ALLOW_HTTP=1");
        let err = transport("https://alice:s3cret@example.com", false).unwrap_err();
        assert!(!err.to_string().contains("s3cret"), "{err}");
        assert!(!err.to_string().contains("alice"), "{err}");
    }
}
