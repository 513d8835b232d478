//! Attaching to a Chromium started outside the SDK with `--remote-debugging-port`: an act runs
//! on it exactly as on a launched browser; closing detaches, closing only the tab it opened and
//! never the browser; a refused or malformed endpoint is a typed error.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use nova_browser::{Browser, BrowserError, Remote};
use nova_test_support::act;
use serde_json::json;
use support::service;

/// A headless Chromium started here, listening on a DevTools port, and its endpoint.
struct Outside {
    child: Child,
    _profile: tempfile::TempDir,
    endpoint: String,
}

impl Drop for Outside {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts Chromium the way a user would, or `None` when there is none (and CI does not insist).
async fn outside() -> Option<Outside> {
    let executable = std::env::var_os("CHROME_PATH")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            ["chromium", "chromium-browser", "google-chrome"]
                .iter()
                .find_map(|name| {
                    std::env::split_paths(&std::env::var_os("PATH")?)
                        .map(|dir| dir.join(name))
                        .find(|path| path.is_file())
                })
        });
    let Some(executable) = executable else {
        assert!(
            std::env::var_os("NOVA_BROWSER_REQUIRED").is_none(),
            "no Chromium to start"
        );
        return None;
    };
    let profile = tempfile::tempdir().unwrap();
    let child = Command::new(executable)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("about:blank")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let port_file = profile.path().join("DevToolsActivePort");
    // Owned from here, so that the browser is killed and waited for whatever happens next.
    let mut outside = Outside {
        child,
        _profile: profile,
        endpoint: String::new(),
    };
    // Chromium writes its port and browser path there once DevTools listens.
    for _ in 0..300 {
        if let Ok(text) = std::fs::read_to_string(&port_file)
            && let [port, path, ..] = text.lines().collect::<Vec<_>>()[..]
        {
            outside.endpoint = format!("ws://127.0.0.1:{port}{path}");
            return Some(outside);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("Chromium never wrote {}", port_file.display());
}

/// The ids of the page tabs open in the browser at `endpoint`.
async fn tabs(endpoint: &str) -> Vec<String> {
    let browser = Browser::builder()
        .connect(Remote::new(endpoint).unwrap().existing_page(true))
        .await
        .unwrap();
    let targets = browser
        .page()
        .call("Target.getTargets", json!({}))
        .await
        .unwrap();
    targets["targetInfos"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["type"] == "page")
        .map(|t| t["targetId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_act_runs_on_a_chromium_started_elsewhere_and_closing_detaches() {
    let Some(mut outside) = outside().await else {
        return;
    };
    let site = act::Site::start().await;
    let before = tabs(&outside.endpoint).await;

    // A new tab, the act every browser passes alike on it, then detach.
    let browser = Browser::builder()
        .starting_page(site.url("/form"))
        .connect(Remote::new(&outside.endpoint).unwrap())
        .await
        .unwrap();
    assert!(browser.is_attached());
    assert_eq!((browser.pid(), browser.user_data_dir()), (None, None));
    // Another DevTools client looks at the tabs meanwhile, as a user's own tools may. When it
    // detaches, Chromium (156 and later) drops the viewport our session set on the tab, and
    // the page falls back to the window's size: the act must still see, and click in, the
    // viewport it asked for.
    assert_eq!(tabs(&outside.endpoint).await.len(), before.len() + 1);
    let (_emulator, client) = service(act::FormPlanner).await;
    act::check_form_act(&client, None, browser, &site).await;
    // The browser runs on, without the tab we opened.
    assert!(
        outside.child.try_wait().unwrap().is_none(),
        "the browser was stopped"
    );
    assert_eq!(tabs(&outside.endpoint).await, before);

    // The existing tab: used, and left open on detach.
    let mut browser = Browser::builder()
        .connect(Remote::new(&outside.endpoint).unwrap().existing_page(true))
        .await
        .unwrap();
    browser
        .page()
        .goto(&site.url("/next"), Default::default())
        .await
        .unwrap();
    browser.close().await;
    assert!(outside.child.try_wait().unwrap().is_none());
    assert_eq!(tabs(&outside.endpoint).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attached_browser_never_requests_a_blocked_url_and_leaves_other_tabs_alone() {
    let Some(outside) = outside().await else {
        return;
    };
    let site = act::Site::start().await;
    let refused = Browser::builder()
        .url_policy(act::blocking_policy(&site))
        .starting_page(site.url("/secret/start"))
        .connect(Remote::new(&outside.endpoint).unwrap())
        .await
        .expect_err("a blocked starting page is refused");
    assert!(
        matches!(refused, BrowserError::StartingPageBlocked { .. }),
        "{refused}"
    );
    assert_eq!(site.requests(), Vec::<String>::new());

    let browser = Browser::builder()
        .url_policy(act::blocking_policy(&site))
        .starting_page(site.url("/probe"))
        .connect(Remote::new(&outside.endpoint).unwrap())
        .await
        .unwrap();
    // A tab someone else opens in the same browser is not ours to police.
    let mut other = Browser::builder()
        .connect(Remote::new(&outside.endpoint).unwrap())
        .await
        .unwrap();
    other
        .page()
        .call(
            "Target.createTarget",
            json!({ "url": site.url("/secret/elsewhere") }),
        )
        .await
        .unwrap();
    site.wait_for("/secret/elsewhere").await;
    other.close().await;
    act::check_blocking(browser, &site).await;
}

#[tokio::test]
async fn malformed_or_refused_endpoints_are_typed_errors() {
    for bad in [
        "http://127.0.0.1:9222/devtools",
        "ws://",
        "not a url",
        "ws://user:pw@host/x",
    ] {
        let err = Remote::new(bad).unwrap_err();
        assert!(
            matches!(err, BrowserError::InvalidRemote { .. }),
            "{bad}: {err}"
        );
        assert!(!err.to_string().contains("pw@"), "{err}");
    }
    // A server that refuses the upgrade with an AWS-style error: its status and words.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buffer = vec![0; 4096];
        let _ = socket.read(&mut buffer).await;
        let body = r#"{"__type":"AccessDeniedException","message":"signature expired"}"#;
        let answer = format!(
            "HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(answer.as_bytes()).await.unwrap();
    });
    let remote = Remote::new(&format!("ws://{addr}/automation"))
        .unwrap()
        .header(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=secret-signature",
        );
    let err = Browser::builder().connect(remote).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("HTTP 403 Forbidden"), "{text}");
    assert!(
        text.contains("AccessDeniedException") && text.contains("signature expired"),
        "{text}"
    );
    assert!(!text.contains("secret-signature"), "{text}");
}
