//! wiremock in one line: the fakes of AWS services and nova.amazon.com that tests stand up.

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Respond};

/// `response` to `verb` requests to `at`, to mount as it is or after limiting it
/// (`.expect(n)`, `.up_to_n_times(1)` for a refused first attempt).
pub fn answer(verb: &str, at: impl AsRef<str>, response: impl Respond + 'static) -> Mock {
    Mock::given(method(verb))
        .and(path(at.as_ref()))
        .respond_with(response)
}

/// Answers every `verb` request to `at` on `server` with `response`.
pub async fn mount(
    server: &MockServer,
    verb: &str,
    at: impl AsRef<str>,
    response: impl Respond + 'static,
) {
    answer(verb, at, response).mount(server).await;
}
