//! wiremock in one line: the fakes of AWS services and nova.amazon.com that tests stand up.

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Respond};

/// Answers every `verb` request to `at` on `server` with `response`.
pub async fn mount(
    server: &MockServer,
    verb: &str,
    at: impl AsRef<str>,
    response: impl Respond + 'static,
) {
    Mock::given(method(verb))
        .and(path(at.as_ref()))
        .respond_with(response)
        .mount(server)
        .await;
}

/// [`mount`], and checks when `server` is dropped that exactly `times` such requests came.
pub async fn mount_expecting(
    server: &MockServer,
    verb: &str,
    at: impl AsRef<str>,
    response: impl Respond + 'static,
    times: u64,
) {
    Mock::given(method(verb))
        .and(path(at.as_ref()))
        .respond_with(response)
        .expect(times)
        .mount(server)
        .await;
}
