//! Errors as the service sends them: `x-amzn-ErrorType`, a JSON body, a request id.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A refused request.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceError {
    /// The HTTP status.
    pub status: u16,
    /// The error name, e.g. `ValidationException`.
    pub name: &'static str,
    /// The body: `message` and the modelled fields.
    pub body: Value,
}

impl ServiceError {
    fn new(status: u16, name: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            name,
            body: json!({ "message": message.into() }),
        }
    }

    fn with(mut self, key: &str, value: Value) -> Self {
        self.body[key] = value;
        self
    }

    /// 400 `ValidationException` with reason `FieldValidationFailed` for `field`.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::new(400, "ValidationException", format!("{field}: {message}"))
            .with("reason", json!("FieldValidationFailed"))
            .with("fieldList", json!([{ "name": field, "message": message }]))
    }

    /// 429 `ThrottlingException`: `operation`'s request rate is above the caller's quota. No
    /// `Retry-After`, as the service sends none by default.
    pub fn throttled(operation: &str) -> Self {
        Self::new(
            429,
            "ThrottlingException",
            format!(
                "Rate exceeded for {operation}: the account's quota of requests per second is used up"
            ),
        )
    }

    /// 400 `ValidationException` with reason `InvalidStatus`.
    pub fn invalid_status(message: impl Into<String>) -> Self {
        Self::new(400, "ValidationException", message).with("reason", json!("InvalidStatus"))
    }

    /// 400 `ValidationException` for a body that is not the operation's JSON.
    pub fn bad_body(message: impl Into<String>) -> Self {
        Self::new(400, "ValidationException", message)
            .with("reason", json!("FieldValidationFailed"))
    }

    /// 404 `ResourceNotFoundException`.
    pub fn not_found(resource_type: &str, resource_id: &str) -> Self {
        Self::new(
            404,
            "ResourceNotFoundException",
            format!("{resource_type} {resource_id} was not found"),
        )
        .with("resourceId", json!(resource_id))
        .with("resourceType", json!(resource_type))
    }

    /// 409 `ConflictException`.
    pub fn conflict(resource_type: &str, resource_id: &str, message: impl Into<String>) -> Self {
        Self::new(409, "ConflictException", message)
            .with("resourceId", json!(resource_id))
            .with("resourceType", json!(resource_type))
    }

    /// 403 `AccessDeniedException` naming the action and the resource.
    pub fn access_denied(action: &str, resource: &str) -> Self {
        Self::new(
            403,
            "AccessDeniedException",
            format!("User is not authorized to perform: {action} on resource: {resource}"),
        )
    }

    /// 403 with an authentication error name (`UnrecognizedClientException`, …).
    pub fn auth(name: &'static str, message: impl Into<String>) -> Self {
        Self::new(403, name, message)
    }

    /// Any status and error name (the SSO portal's errors).
    pub(crate) fn other(status: u16, name: &'static str, message: impl Into<String>) -> Self {
        Self::new(status, name, message)
    }

    /// 401/403 from the API-key service.
    pub fn api_key(status: u16, message: impl Into<String>) -> Self {
        Self::new(status, "UnauthorizedException", message)
    }

    /// 404 for a path no operation has.
    pub fn unknown_operation(method: &str, path: &str) -> Self {
        Self::new(
            404,
            "UnknownOperationException",
            format!("no operation at {method} {path}"),
        )
    }

    /// 413 for a body over the limit.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            413,
            "ValidationException",
            format!("the body is larger than {limit} bytes"),
        )
    }

    /// Turns the error into the HTTP answer.
    pub(crate) fn into_response_with(self, request_id: &str, api_key_service: bool) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(self.body)).into_response();
        let headers = response.headers_mut();
        if let Ok(name) = HeaderValue::from_str(self.name) {
            headers.insert("x-amzn-ErrorType", name);
        }
        set_request_id(&mut response, request_id, api_key_service);
        response
    }
}

/// Names the request in the answer's header: `x-amz-rid` on the API-key service,
/// `x-amzn-RequestId` on the AWS one.
pub(crate) fn set_request_id(response: &mut Response, request_id: &str, api_key_service: bool) {
    if let Ok(id) = HeaderValue::from_str(request_id) {
        let name = if api_key_service {
            "x-amz-rid"
        } else {
            "x-amzn-RequestId"
        };
        response.headers_mut().insert(name, id);
    }
}
