//! Saved browser state on a real Chromium: a signed-in session's cookies and localStorage,
//! saved in Playwright's storageState format to a private file, restore the sign-in in a new
//! browser; a file others may read is refused.

mod support;

use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use nova_browser::{Browser, BrowserState, FileStateStore, StateStore};
use support::launch;

/// `/login` signs the visitor in (a cookie, and a localStorage item); `/home` greets a
/// signed-in visitor.
async fn shop() -> String {
    let app = axum::Router::new()
        .route(
            "/login",
            get(|| async {
                (
                    [(header::SET_COOKIE, "session=s3cr3t-cookie; Path=/; HttpOnly")],
                    Html("<!doctype html><title>Signed in</title><script>localStorage.setItem('theme', 'dark')</script><p>signed in</p>"),
                )
            }),
        )
        .route(
            "/home",
            get(|headers: axum::http::HeaderMap| async move {
                let signed_in = headers
                    .get(header::COOKIE)
                    .and_then(|c| c.to_str().ok())
                    .is_some_and(|c| c.contains("session=s3cr3t-cookie"));
                let body = if signed_in { "Welcome back" } else { "Please sign in" };
                Html(format!("<!doctype html><title>Home</title><p id=\"who\">{body}</p>")).into_response()
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_sign_in_is_restored_in_a_new_browser() {
    let site = shop().await;
    let Some(mut first) = launch(Browser::builder().starting_page(format!("{site}/login"))).await
    else {
        return;
    };
    let state = first.state(true).await.unwrap();
    first.close().await;
    assert!(
        state
            .cookies
            .iter()
            .any(|c| c.name == "session" && c.http_only)
    );
    assert_eq!(state.origins[0].local_storage[0].name, "theme");
    assert!(
        !format!("{state:?}").contains("s3cr3t"),
        "Debug shows names only"
    );

    let folder = tempfile::tempdir().unwrap();
    let store = FileStateStore::new(folder.path().join("private/state.json")).unwrap();
    store.save(&state).await.unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(store.path()), 0o600);
        assert_eq!(mode(&folder.path().join("private")), 0o700);
    }
    // Playwright's storageState shape, field for field.
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.path()).unwrap()).unwrap();
    let cookie = &written["cookies"][0];
    for field in [
        "name", "value", "domain", "path", "expires", "httpOnly", "secure", "sameSite",
    ] {
        assert!(cookie.get(field).is_some(), "{field} in {cookie}");
    }
    assert_eq!(written["origins"][0]["localStorage"][0]["value"], "dark");

    let Some(mut second) = launch(Browser::builder().starting_page(format!("{site}/home"))).await
    else {
        return;
    };
    let who = "document.getElementById('who').textContent";
    assert_eq!(second.page().evaluate(who).await.unwrap(), "Please sign in");
    let loaded: BrowserState = store.load().await.unwrap().unwrap();
    assert_eq!(loaded, state);
    second.restore_state(&loaded).await.unwrap();
    assert_eq!(second.page().evaluate(who).await.unwrap(), "Welcome back");
    assert_eq!(
        second
            .page()
            .evaluate("localStorage.getItem('theme')")
            .await
            .unwrap(),
        "dark"
    );
    second.close().await;

    // A file others may read is refused, before anything is read from it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = FileStateStore::new(store.path()).unwrap_err().to_string();
        assert!(err.contains("mode is 644"), "{err}");
    }
}
