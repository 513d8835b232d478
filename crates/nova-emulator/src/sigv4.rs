//! Checking a SigV4 signature the way AWS does: recompute it from the request as received.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, Method, Uri};
use sha2::{Digest, Sha256};

use crate::error::ServiceError;

/// A signing key the emulator knows. `Debug` shows the id and the principal, never the secret
/// or the session token.
#[derive(Clone)]
pub struct AccessKey {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token the key requires, for temporary credentials.
    pub session_token: Option<String>,
    /// The principal the key belongs to (for STS), e.g. `arn:aws:iam::123456789012:user/dev`.
    pub arn: String,
}

impl AccessKey {
    /// This key as the credentials a client signs with (with its session token, for issued
    /// keys).
    pub fn credentials(&self) -> nova_act_core::auth::Credentials {
        use nova_act_core::auth::{AwsCredentials, Secret, Source};
        AwsCredentials::new(
            &self.access_key_id,
            self.secret_access_key.as_str(),
            self.session_token.clone().map(Secret::new),
            Source::Code,
        )
        .into()
    }
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("access_key_id", &self.access_key_id)
            .field("arn", &self.arn)
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "****"),
            )
            .finish_non_exhaustive()
    }
}

/// How far a request's time may be from the emulator's.
const MAX_SKEW: Duration = Duration::from_secs(5 * 60);

struct Parsed<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse(authorization: &str) -> Option<Parsed<'_>> {
    let rest = authorization.strip_prefix("AWS4-HMAC-SHA256 ")?;
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let (key, value) = part.trim().split_once('=')?;
        match key {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed = Some(value),
            "Signature" => signature = Some(value),
            _ => {}
        }
    }
    let scope: Vec<&str> = credential?.split('/').collect();
    let [access_key_id, date, region, service, terminator] = scope[..] else {
        return None;
    };
    (terminator == "aws4_request").then_some(())?;
    Some(Parsed {
        access_key_id,
        date,
        region,
        service,
        signed_headers: signed?.split(';').collect(),
        signature: signature?,
    })
}

/// Parses `x-amz-date` (`YYYYMMDDTHHMMSSZ`).
fn amz_date(value: &str) -> Option<SystemTime> {
    if value.len() != 16 || !value.ends_with('Z') || value.as_bytes()[8] != b'T' {
        return None;
    }
    let n = |range: std::ops::Range<usize>| value.get(range)?.parse::<u32>().ok();
    let date = time::Date::from_calendar_date(
        i32::try_from(n(0..4)?).ok()?,
        time::Month::try_from(u8::try_from(n(4..6)?).ok()?).ok()?,
        u8::try_from(n(6..8)?).ok()?,
    )
    .ok()?;
    let at = date
        .with_hms(
            u8::try_from(n(9..11)?).ok()?,
            u8::try_from(n(11..13)?).ok()?,
            u8::try_from(n(13..15)?).ok()?,
        )
        .ok()?
        .assume_utc();
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(at.unix_timestamp()).ok()?))
}

/// Constant-time equality of two strings.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// What verification keeps between requests: derived signing keys (one per access key, day,
/// region and service, as AWS derives them) and how often the general path was needed.
#[derive(Default)]
pub(crate) struct Cache {
    signing_keys: Mutex<HashMap<String, Vec<u8>>>,
    general: AtomicU64,
}

/// Derived keys are secrets: only the counter is shown.
impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("general", &self.general())
            .finish_non_exhaustive()
    }
}

impl Cache {
    /// Signatures checked by aws-sigv4's general canonicalization rather than the fast path.
    pub(crate) fn general(&self) -> u64 {
        self.general.load(Ordering::Relaxed)
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 15)]));
    }
    out
}

/// Characters that canonicalization leaves alone in a path (and `/`).
fn plain_path(path: &str) -> bool {
    path.starts_with('/')
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~/".contains(&b))
        && !path.contains("//")
        && !path
            .split('/')
            .any(|segment| segment == "." || segment == "..")
}

/// The canonical query string when every name and value needs no encoding; `None` otherwise.
fn plain_query(query: &str) -> Option<String> {
    if query.is_empty() {
        return Some(String::new());
    }
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for pair in query.split('&') {
        let plain = |t: &str| {
            t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
        };
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name.is_empty() || !plain(name) || !plain(value) {
            return None;
        }
        pairs.push((name, value));
    }
    pairs.sort_unstable();
    let pairs: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
    Some(pairs.join("&"))
}

/// The signature of a request whose path, query and signed headers canonicalize to themselves
/// (every request the SDKs send), computed with a cached signing key; `None` for anything
/// else, which the general path checks.
fn fast_signature(
    cache: &Cache,
    key: &AccessKey,
    request: &Received<'_>,
    parsed: &Parsed<'_>,
    (amz_date, when): (&str, SystemTime),
) -> Option<String> {
    let path = request.uri.path();
    // Signed header names as canonicalization leaves them: lowercase, sorted, each once.
    let canonical_names = parsed
        .signed_headers
        .iter()
        .all(|name| !name.bytes().any(|b| b.is_ascii_uppercase()))
        && parsed.signed_headers.windows(2).all(|w| w[0] < w[1]);
    if !plain_path(path)
        || !canonical_names
        || !parsed.signed_headers.contains(&"host")
        || !parsed.signed_headers.contains(&"x-amz-date")
    {
        return None;
    }
    let query = plain_query(request.uri.query().unwrap_or(""))?;
    let mut canonical = format!("{}\n{path}\n{query}\n", request.method.as_str());
    for name in &parsed.signed_headers {
        let mut values = request.headers.get_all(*name).iter();
        let value = values.next()?.to_str().ok()?;
        if values.next().is_some() || value.trim() != value || value.contains("  ") {
            return None;
        }
        canonical.push_str(name);
        canonical.push(':');
        canonical.push_str(value);
        canonical.push('\n');
    }
    canonical.push('\n');
    canonical.push_str(&parsed.signed_headers.join(";"));
    canonical.push('\n');
    canonical.push_str(&hex(&Sha256::digest(request.body)));
    let scope = format!(
        "{}/{}/{}/aws4_request",
        parsed.date, parsed.region, parsed.service
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let cache_key = format!("{}/{scope}", key.access_key_id);
    let mut signing_keys = cache
        .signing_keys
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let signing_key = signing_keys.entry(cache_key).or_insert_with(|| {
        aws_sigv4::sign::v4::generate_signing_key(
            &key.secret_access_key,
            when,
            parsed.region,
            parsed.service,
        )
        .as_ref()
        .to_vec()
    });
    Some(aws_sigv4::sign::v4::calculate_signature(
        signing_key,
        string_to_sign.as_bytes(),
    ))
}

/// A request as received.
pub(crate) struct Received<'a> {
    pub(crate) method: &'a Method,
    pub(crate) uri: &'a Uri,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

/// Verifies the request's SigV4 signature for `service` in `region`; returns the key used.
/// `find` looks the access key id up (and may refuse it, say as expired).
pub(crate) fn verify<K: std::ops::Deref<Target = AccessKey>>(
    find: impl FnOnce(&str) -> Result<Option<K>, ServiceError>,
    cache: &Cache,
    request: &Received<'_>,
    (service, region): (&str, &str),
    now: SystemTime,
) -> Result<K, ServiceError> {
    let Received {
        method,
        uri,
        headers,
        body,
    } = *request;
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;

    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(authorization) = header("authorization") else {
        return Err(ServiceError::auth(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ));
    };
    let parsed = parse(authorization).ok_or_else(|| {
        ServiceError::auth(
            "IncompleteSignatureException",
            "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' (AWS4-HMAC-SHA256)",
        )
    })?;
    let Some(key) = find(parsed.access_key_id)? else {
        return Err(ServiceError::auth(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ));
    };
    if parsed.service != service || parsed.region != region {
        return Err(ServiceError::auth(
            "InvalidSignatureException",
            format!(
                "Credential should be scoped to a valid region and service: expected {region}/{service}, got {}/{}",
                parsed.region, parsed.service
            ),
        ));
    }
    let Some(when) = header("x-amz-date").and_then(amz_date) else {
        return Err(ServiceError::auth(
            "IncompleteSignatureException",
            "the request has no valid X-Amz-Date header",
        ));
    };
    if !header("x-amz-date").is_some_and(|d| d.starts_with(parsed.date)) {
        return Err(ServiceError::auth(
            "InvalidSignatureException",
            "the credential scope date does not match X-Amz-Date",
        ));
    }
    let skew = now.duration_since(when).unwrap_or_else(|e| e.duration());
    if skew > MAX_SKEW {
        return Err(ServiceError::auth(
            "InvalidSignatureException",
            "Signature expired: the request time is more than 5 minutes from the server's time",
        ));
    }
    if let Some(required) = &key.session_token
        && header("x-amz-security-token") != Some(required.as_str())
    {
        return Err(ServiceError::auth(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ));
    }
    let amz_date = header("x-amz-date").unwrap_or_default();
    if fast_signature(cache, &key, request, &parsed, (amz_date, when))
        .is_some_and(|expected| same(&expected, parsed.signature))
    {
        return Ok(key);
    }
    // Anything the fast path does not cover, or a signature it refused: aws-sigv4 decides.
    cache.general.fetch_add(1, Ordering::Relaxed);
    let host = header("host").unwrap_or("localhost");
    let path_and_query = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let url = format!("http://{host}{path_and_query}");
    let mut signed: Vec<(&str, &str)> = Vec::new();
    for name in &parsed.signed_headers {
        if matches!(*name, "x-amz-date" | "x-amz-security-token") {
            continue;
        }
        let Some(value) = header(name) else {
            return Err(ServiceError::auth(
                "InvalidSignatureException",
                format!("signed header {name} is missing from the request"),
            ));
        };
        signed.push((name, value));
    }
    let identity = aws_credential_types::Credentials::new(
        &key.access_key_id,
        &key.secret_access_key,
        header("x-amz-security-token").map(str::to_owned),
        None,
        "nova-emulator",
    )
    .into();
    let bad_request = |what: String| ServiceError::auth("InvalidSignatureException", what);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(when)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| bad_request(e.to_string()))?
        .into();
    let signable = SignableRequest::new(
        method.as_str(),
        &url,
        signed.into_iter(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| bad_request(format!("cannot read the request for signing: {e}")))?;
    let (_, expected) = sign(signable, &params)
        .map_err(|e| bad_request(e.to_string()))?
        .into_parts();
    if same(&expected, parsed.signature) {
        Ok(key)
    } else {
        Err(ServiceError::auth(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_and_queries_that_canonicalize_to_themselves_take_the_fast_path() {
        for path in [
            "/",
            "/models",
            "/a/b-c_d.e~f/",
            "/workflow-definitions/x/invoke-step/",
        ] {
            assert!(plain_path(path), "{path}");
        }
        for path in [
            "", "a", "/a%20b", "/a b", "//a", "/a/./b", "/a/../b", "/a/..",
        ] {
            assert!(!plain_path(path), "{path}");
        }
        assert_eq!(plain_query("").as_deref(), Some(""));
        assert_eq!(plain_query("b=2&a=1&a=0").as_deref(), Some("a=0&a=1&b=2"));
        assert_eq!(plain_query("flag").as_deref(), Some("flag="));
        for query in ["a=%2F", "a=b+c", "a&&b", "=1", "a=b c"] {
            assert_eq!(plain_query(query), None, "{query}");
        }
    }

    #[test]
    fn hex_is_lowercase_two_digits_a_byte() {
        assert_eq!(hex(&[0, 15, 16, 255]), "000f10ff");
    }
}
