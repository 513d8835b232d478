//! Checking a request's SigV4 signature from the outside, with the AWS SDK's own signer: a
//! second implementation, so a test of ours never checks our signer against itself.

use std::time::{Duration, SystemTime};

/// Parses `x-amz-date` (`YYYYMMDDTHHMMSSZ`).
fn amz_date(value: &str) -> SystemTime {
    let n = |range: std::ops::Range<usize>| value[range].parse::<u32>().unwrap();
    let date = time::Date::from_calendar_date(
        n(0..4) as i32,
        time::Month::try_from(n(4..6) as u8).unwrap(),
        n(6..8) as u8,
    )
    .unwrap();
    let at = date
        .with_hms(n(9..11) as u8, n(11..13) as u8, n(13..15) as u8)
        .unwrap()
        .assume_utc();
    SystemTime::UNIX_EPOCH + Duration::from_secs(at.unix_timestamp() as u64)
}

/// Recomputes the SigV4 signature of a request a wiremock fake received, the way an AWS service
/// does, and checks it against the one sent: same key, scope (`service`, `region`), signed
/// headers and body. Panics naming what differs.
pub fn verify_sigv4(request: &wiremock::Request, secret: &str, region: &str, service: &str) {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;

    let header = |name: &str| {
        request
            .headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    let authorization = header("authorization");
    let (scope, rest) = authorization
        .strip_prefix("AWS4-HMAC-SHA256 Credential=")
        .unwrap()
        .split_once(", SignedHeaders=")
        .unwrap();
    let (signed_headers, _) = rest.split_once(", Signature=").unwrap();
    let parts: Vec<&str> = scope.split('/').collect();
    assert_eq!(parts[2], region, "scope region");
    assert_eq!(parts[3], service, "scope service");
    let when = amz_date(&header("x-amz-date"));
    let token = request
        .headers
        .get("x-amz-security-token")
        .map(|v| v.to_str().unwrap().to_owned());
    let identity =
        aws_credential_types::Credentials::new(parts[0], secret, token, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(when)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let names: Vec<&str> = signed_headers.split(';').collect();
    let headers: Vec<(String, String)> = names
        .iter()
        .filter(|name| !matches!(**name, "x-amz-date" | "x-amz-security-token"))
        .map(|name| ((*name).to_owned(), header(name)))
        .collect();
    let url = request.url.to_string();
    let signable = SignableRequest::new(
        request.method.as_str(),
        &url,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(&request.body),
    )
    .unwrap();
    let (_, signature) = sign(signable, &params).unwrap().into_parts();
    assert!(
        authorization.ends_with(&format!("Signature={signature}")),
        "the signature does not verify for {} {url}",
        request.method
    );
}
