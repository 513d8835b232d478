//! A URL policy refuses blocked requests at the browser, before they leave it: a blocked
//! starting page is never opened, and neither navigations nor a page's own requests reach a
//! blocked URL, on a launched and on an attached browser (nova-agentcore's emulated.rs runs
//! the same on a remote one). The site counts what it receives.

mod support;

use nova_browser::{Browser, BrowserError};
use nova_test_support::act::{Site, blocking_policy, check_blocking};
use support::launch;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_launched_browser_never_requests_a_blocked_url() {
    let site = Site::start().await;
    let refused = Browser::builder()
        .url_policy(blocking_policy(&site))
        .starting_page(site.url("/secret/start?token=abc"))
        .launch()
        .await
        .expect_err("a blocked starting page is refused");
    assert!(
        matches!(refused, BrowserError::StartingPageBlocked { .. }),
        "{refused}"
    );
    assert!(!refused.to_string().contains("token=abc"), "{refused}");
    assert_eq!(site.requests(), Vec::<String>::new());

    let Some(browser) = launch(
        Browser::builder()
            .url_policy(blocking_policy(&site))
            .starting_page(site.url("/probe")),
    )
    .await
    else {
        return;
    };
    check_blocking(browser, &site).await;
}
