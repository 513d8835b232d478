//! Amazon S3 objects, enough for browser state kept there: `PutObject` and `GetObject`
//! (path-style), SigV4-checked as service `s3` and held to the caller's policy. Encryption at
//! rest is not emulated: the SSE headers of a write are kept and answered with the object.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::server::Shared;
use crate::sigv4;

/// The objects, by bucket and key.
#[derive(Debug, Default)]
pub(crate) struct Objects(Mutex<HashMap<(String, String), Object>>);

#[derive(Debug, Clone)]
struct Object {
    body: Vec<u8>,
    encryption: Vec<(String, String)>,
}

/// Whether a request is signed for S3 (its credential scope names `s3`).
pub(crate) fn is_s3(headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|auth| auth.contains("/s3/aws4_request"))
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    (status, [("content-type", "application/xml")], body).into_response()
}

pub(crate) fn serve(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let now = SystemTime::now();
    let ids = &shared.identities;
    let request = sigv4::Received {
        method,
        uri,
        headers,
        body,
    };
    let caller = match sigv4::verify(
        |id| ids.find(id, now),
        &shared.sigv4,
        &request,
        ("s3", &shared.region),
        now,
    ) {
        Ok(caller) => caller,
        Err(err) => {
            let message = err.body["message"].as_str().unwrap_or("denied").to_owned();
            return error(StatusCode::FORBIDDEN, err.name, &message);
        }
    };
    let path = crate::server::decode(uri.path().trim_start_matches('/'));
    let Some((bucket, key)) = path
        .split_once('/')
        .filter(|(b, k)| !b.is_empty() && !k.is_empty())
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "expected /BUCKET/KEY",
        );
    };
    let (action, ok) = match *method {
        Method::GET => ("s3:GetObject", StatusCode::OK),
        Method::PUT => ("s3:PutObject", StatusCode::OK),
        _ => {
            return error(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "GET and PUT only",
            );
        }
    };
    let resource = format!("arn:aws:s3:::{bucket}/{key}");
    if !ids
        .policy(&caller)
        .is_none_or(|policy| policy.allows(action, &[resource]))
    {
        return error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied");
    }
    let mut objects = shared
        .objects
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let id = (bucket.to_owned(), key.to_owned());
    if *method == Method::PUT {
        let encryption = headers
            .iter()
            .filter(|(name, _)| name.as_str().starts_with("x-amz-server-side-encryption"))
            .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_owned())))
            .collect();
        objects.insert(
            id,
            Object {
                body: body.to_vec(),
                encryption,
            },
        );
        return ok.into_response();
    }
    match objects.get(&id) {
        Some(object) => {
            let mut response = (ok, object.body.clone()).into_response();
            for (name, value) in &object.encryption {
                if let (Ok(name), Ok(value)) = (
                    axum::http::HeaderName::try_from(name.as_str()),
                    axum::http::HeaderValue::try_from(value.as_str()),
                ) {
                    response.headers_mut().insert(name, value);
                }
            }
            response
        }
        None => error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        ),
    }
}
