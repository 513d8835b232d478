//! The browser options users expect, on a real headless Chromium: the user agent and window
//! size, downloads into a folder (and refused without one), a proxy that asks for credentials,
//! and pages whose certificate does not verify.

mod support;

use nova_act_core::model::{Call, CallResult};
use nova_emulator::{ActView, Planner};
use std::sync::{Arc, Mutex};

use nova_act_core::runtime::{Actuator, BrowserAction};
use nova_browser::{Browser, BrowserError, Proxy};
use serde_json::{Value, json};
use support::{launch, site};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn action(name: &str, input: Value) -> BrowserAction {
    BrowserAction::decode(name, &input).unwrap().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_agent_and_window_size_are_what_was_asked() {
    let site = site().await;
    let Some(mut browser) = launch(
        Browser::builder()
            .starting_page(site.url("/form"))
            .user_agent("NovaActTest/1.0")
            .window_size(1024, 700),
    )
    .await
    else {
        return;
    };
    let page = browser.page();
    assert_eq!(
        page.evaluate("navigator.userAgent").await.unwrap(),
        "NovaActTest/1.0"
    );
    assert_eq!(
        page.evaluate("[innerWidth, innerHeight]").await.unwrap(),
        json!([1024, 700])
    );
    let observed = browser
        .browser(BrowserAction::TakeObservation)
        .await
        .unwrap();
    assert_eq!(observed["userAgent"], "NovaActTest/1.0");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_land_in_their_folder_and_are_reported_or_are_refused() {
    let site = site().await;
    let folder = tempfile::tempdir().unwrap();
    let Some(mut browser) = launch(
        Browser::builder()
            .starting_page(site.url("/downloads"))
            .downloads_dir(folder.path().join("downloads")),
    )
    .await
    else {
        return;
    };
    // The link is at (100..400, 100..160) of a 1600 × 900 window: 0..1000 of the screenshot.
    let click = action("agentClick", json!(["<bbox>100,120,200,170</bbox>"]));
    let result = browser.browser(click).await.unwrap();
    // The agent learns the name (the page's `../report.txt`, made safe); the file is in the
    // folder, not beside it.
    assert_eq!(result, json!({"downloads": ["_report.txt"]}));
    let saved = folder
        .path()
        .join("downloads")
        .canonicalize()
        .unwrap()
        .join("_report.txt");
    assert_eq!(browser.downloads(), std::slice::from_ref(&saved));
    assert_eq!(
        std::fs::read_to_string(&saved).unwrap(),
        "quarterly numbers"
    );
    assert!(!folder.path().join("report.txt").exists());
    browser.close().await;

    // Without a folder the download is refused: nothing reported, nothing written.
    let Some(mut browser) = launch(Browser::builder().starting_page(site.url("/downloads"))).await
    else {
        return;
    };
    let profile = browser.user_data_dir().unwrap().to_owned();
    let click = action("agentClick", json!(["<bbox>100,120,200,170</bbox>"]));
    assert_eq!(browser.browser(click).await.unwrap(), Value::Null);
    assert!(browser.downloads().is_empty());
    let found = std::process::Command::new("find")
        .arg(&profile)
        .args(["-name", "*report*"])
        .output()
        .unwrap();
    assert!(
        found.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&found.stdout)
    );
    browser.close().await;

    // A folder that cannot be written is refused before a browser starts.
    let unwritable = Browser::builder().downloads_dir("/proc/no-downloads");
    let err = unwritable.launch().await.unwrap_err();
    assert!(matches!(err, BrowserError::Downloads { .. }), "{err}");
}

/// A forward proxy that wants `ada:s3cret` and answers every request itself with a page naming
/// the URL asked for; it records the authorization headers it saw.
async fn proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut buffer = vec![0; 8192];
                let Ok(n) = socket.read(&mut buffer).await else {
                    return;
                };
                let request = String::from_utf8_lossy(&buffer[..n]).into_owned();
                let target = request.split(' ').nth(1).unwrap_or_default().to_owned();
                let auth = request
                    .lines()
                    .find_map(|line| line.strip_prefix("Proxy-Authorization: "))
                    .map(str::to_owned);
                log.lock().unwrap().push(auth.clone().unwrap_or_default());
                // "ada:s3cret" in Base64.
                let answer = if auth.as_deref() == Some("Basic YWRhOnMzY3JldA==") {
                    let body = format!(
                        "<!doctype html><title>Proxied</title><h1>via proxy: {target}</h1>"
                    );
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    )
                } else {
                    "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_owned()
                };
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    (url, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_that_asks_for_credentials_gets_them_over_devtools() {
    let (server, seen) = proxy().await;
    let proxy = Proxy::new(&server).unwrap().credentials("ada", "s3cret");
    let Some(mut browser) = launch(
        Browser::builder()
            .proxy(proxy)
            .starting_page("http://shop.nova-act.test/cart"),
    )
    .await
    else {
        return;
    };
    let heading = support::heading(&browser).await;
    assert_eq!(heading, "via proxy: http://shop.nova-act.test/cart");
    // Challenged first, then answered; the password is not on the browser's command line.
    let seen = seen.lock().unwrap().clone();
    assert!(seen.iter().any(String::is_empty), "{seen:?}");
    assert!(
        seen.iter().any(|auth| auth == "Basic YWRhOnMzY3JldA=="),
        "{seen:?}"
    );
    let pid = browser.pid().unwrap();
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    assert!(!String::from_utf8_lossy(&cmdline).contains("s3cret"));
    browser.close().await;

    // A proxy without a scheme is refused, naming the fix.
    let err = Proxy::new("127.0.0.1:3128").unwrap_err();
    assert!(err.to_string().contains("it has no scheme"), "{err}");
    let err = Proxy::new("http://ada:s3cret@127.0.0.1:3128").unwrap_err();
    assert!(!err.to_string().contains("s3cret"), "{err}");
}

/// A TLS server on 127.0.0.1 with a self-signed certificate (tests/fixtures, made with
/// openssl for `localhost` and 127.0.0.1): its URL.
async fn self_signed() -> String {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let certs = vec![CertificateDer::from_pem_file(fixtures.join("self-signed.crt")).unwrap()];
    let key = PrivateKeyDer::from_pem_file(fixtures.join("self-signed.key")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return;
                };
                let mut buffer = vec![0; 4096];
                let _ = tls.read(&mut buffer).await;
                let body = "<!doctype html><title>Secure</title><h1>self-signed</h1>";
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_signed_page_opens_only_when_https_errors_are_ignored() {
    let url = self_signed().await;
    let Some(mut strict) = launch(Browser::builder()).await else {
        return;
    };
    let err = strict
        .browser(action("goToUrl", json!([url])))
        .await
        .unwrap_err();
    assert!(err.message.contains("ERR_CERT"), "{err}");
    strict.close().await;

    let mut lenient = launch(Browser::builder().ignore_https_errors(true))
        .await
        .unwrap();
    lenient
        .browser(action("goToUrl", json!([url])))
        .await
        .unwrap();
    let heading = support::heading(&lenient).await;
    assert_eq!(heading, "self-signed");
    lenient.close().await;
}

/// Types a path into the file input (first an allowed one, then one outside the allowed
/// folder), clicks the download link, then returns every result it got.
struct FilesAgent {
    allowed: String,
}

impl Planner for FilesAgent {
    fn plan(&self, _act: &ActView, step: usize, results: &[CallResult]) -> Vec<Call> {
        // The input is at (100..400, 100..160), the link at (100..400, 300..360) of 1600 × 900.
        let input = "<bbox>100,120,200,170</bbox>";
        let calls = match step {
            0 => vec![
                ("agentType", json!([self.allowed, input])),
                ("agentType", json!(["/etc/passwd", input])),
                ("agentClick", json!(["<bbox>100,340,200,390</bbox>"])),
            ],
            _ => {
                let texts: Vec<String> = results
                    .iter()
                    .filter_map(|r| r.content.first()?.text.clone())
                    .collect();
                vec![("return", json!([texts.join("\n")]))]
            }
        };
        calls
            .into_iter()
            .enumerate()
            .map(|(i, (name, input))| nova_emulator::call(step, i, name, input))
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_act_uploads_only_from_allowed_folders_and_learns_of_its_downloads() {
    let site = site().await;
    let files = tempfile::tempdir().unwrap();
    let allowed = files.path().join("outbox");
    std::fs::create_dir(&allowed).unwrap();
    std::fs::write(allowed.join("invoice.pdf"), b"%PDF").unwrap();
    let Some(browser) = launch(
        Browser::builder()
            .starting_page(site.url("/upload"))
            .allow_uploads_from(&allowed)
            .downloads_dir(files.path().join("inbox")),
    )
    .await
    else {
        return;
    };
    let (_emulator, client) = support::service(FilesAgent {
        allowed: allowed.join("invoice.pdf").display().to_string(),
    })
    .await;
    let (answer, chosen, downloads) = nova_act_core::runtime::Workflow::new(&client)
        .run(|run| async move {
            let mut session = run.session(browser).await?;
            let answer = session
                .act("Attach the invoice and fetch the report")
                .await?;
            let page = session.actuator().page();
            let chosen = page
                .evaluate("document.getElementById('chosen').textContent")
                .await
                .unwrap();
            let downloads = session.actuator().downloads().to_vec();
            session.actuator().close().await;
            Ok::<_, nova_act_core::runtime::ActError>((answer.value, chosen, downloads))
        })
        .await
        .unwrap();
    let answer = answer.unwrap();
    let lines: Vec<&str> = answer.as_str().unwrap().lines().collect();
    assert_eq!(lines[0], r#"{"uploaded":"invoice.pdf"}"#);
    assert_eq!(
        lines[1],
        "UploadRefused: /etc/passwd cannot be uploaded: uploads are allowed only from the folders the browser was given"
    );
    assert!(
        lines[2].contains(r#""downloads":["_report.txt"]"#),
        "{answer}"
    );
    // The page got the allowed file only, and the download is in its folder.
    assert_eq!(chosen, "invoice.pdf");
    assert_eq!(downloads.len(), 1);
    assert!(downloads[0].starts_with(files.path().join("inbox").canonicalize().unwrap()));
}
