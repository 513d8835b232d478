//! A real headless Chromium driven through the runtime against the emulator: pages served on
//! 127.0.0.1, a planner that decides from what the browser observed, and the page's state read
//! back afterwards.

mod support;

use nova_act_core::model::{Call, CallResult};
use nova_act_core::runtime::{Actuator, BrowserAction, Workflow};
use nova_browser::{Browser, BrowserError};
use nova_emulator::{ActView, Planner};
use serde_json::{Value, json};
use support::{Reader, bbox, launch, service, site, text_of};

fn action(name: &str, input: Value) -> BrowserAction {
    // Decoded exactly as the runtime decodes the service's calls.
    BrowserAction::decode(name, &input).unwrap().unwrap()
}

/// The act every browser passes alike (attach.rs and nova-agentcore's emulated.rs run it on
/// an attached and a remote browser).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shared_act_passes_on_a_launched_browser() {
    let site = nova_test_support::act::Site::start().await;
    let Some(browser) = launch(Browser::builder().starting_page(site.url("/form"))).await else {
        return;
    };
    let (_emulator, client) = service(nova_test_support::act::FormPlanner).await;
    nova_test_support::act::check_form_act(&client, None, browser, &site).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_act_fills_a_form_follows_a_link_and_returns_what_the_page_shows() {
    let site = site().await;
    let Some(browser) = site.browser("/form").await else {
        return;
    };
    let (_emulator, client) = service(Reader(Box::new(|step, seen| {
        let seen = seen.expect("every step follows an observation");
        match step {
            0 => vec![
                ("think", json!(["The form wants a name and an email."])),
                (
                    "agentType",
                    json!(["Ada Lovelace", bbox(seen, "placeholder=\"Name\"")]),
                ),
                (
                    "agentType",
                    json!(["ada@example.com", bbox(seen, "placeholder=\"Email\"")]),
                ),
                ("agentClick", json!([bbox(seen, ">Submit<")])),
                ("takeObservation", json!([])),
            ],
            1 => vec![
                ("agentClick", json!([bbox(seen, ">Next page<")])),
                ("waitForPageToSettle", json!([])),
                ("takeObservation", json!([])),
            ],
            _ => vec![(
                "return",
                json!([format!(
                    "{} at {}",
                    text_of(seen, "h1"),
                    seen["activeURL"].as_str().unwrap()
                )]),
            )],
        }
    })))
    .await;

    let result = Workflow::new(&client)
        .run(|run| async move {
            let mut session = run.session(browser).await?;
            let result = session.act("Sign up as Ada, then go on").await?;
            let url = session.actuator().page().url().await.unwrap();
            Ok::<_, nova_act_core::runtime::ActError>((result, url))
        })
        .await
        .unwrap();

    let (result, url) = result;
    assert_eq!(
        result.value,
        Some(json!(format!("Second page at {}", site.url("/next"))))
    );
    assert_eq!(result.steps, 3);
    assert_eq!(url, site.url("/next"));
    let submissions = site.submissions.lock().unwrap().clone();
    assert_eq!(submissions.len(), 1, "{submissions:?}");
    // The name field held "old text": typing replaced it.
    assert_eq!(submissions[0]["name"], "Ada Lovelace");
    assert_eq!(submissions[0]["email"], "ada@example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_act_scrolls_the_page_and_a_box_within_it() {
    let site = site().await;
    let Some(browser) = site.browser("/list").await else {
        return;
    };
    let (_emulator, client) = service(Reader(Box::new(|step, seen| {
        let seen = seen.expect("observed");
        match step {
            0 => vec![
                ("agentScroll", json!(["down"])),
                ("agentScroll", json!(["down", bbox(seen, ">Line 1<")])),
                ("agentScroll", json!(["down", bbox(seen, ">Line 2<")])),
                ("takeObservation", json!([])),
            ],
            _ => vec![("return", json!([seen["browserDimensions"]["scrollTop"]]))],
        }
    })))
    .await;

    let (result, box_top, page_top) = Workflow::new(&client)
        .run(|run| async move {
            let mut session = run.session(browser).await?;
            let result = session.act("Scroll the list").await?;
            let page = session.actuator().page().clone();
            let box_top = page
                .evaluate("document.getElementById('box').scrollTop")
                .await
                .unwrap();
            let page_top = page.evaluate("scrollY").await.unwrap();
            Ok::<_, nova_act_core::runtime::ActError>((result, box_top, page_top))
        })
        .await
        .unwrap();

    // Three quarters of the 900 px viewport, and twice three quarters of the 200 px box.
    assert_eq!(page_top, json!(675));
    assert!(
        box_top.as_f64().unwrap() >= 2.0 * 140.0,
        "box scrolled to {box_top}"
    );
    assert_eq!(result.value, Some(json!(675)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clicks_hover_dialogs_and_enter_reach_the_page() {
    let site = site().await;
    let Some(mut browser) = launch(Browser::builder().starting_page(site.url("/events"))).await
    else {
        return;
    };
    // Buttons at known pixels of the 1600 × 900 viewport, as 0..1000 boxes.
    let to_box = |left: f64, top: f64, width: f64, height: f64| {
        format!(
            "<bbox>{},{},{},{}</bbox>",
            left / 1.6,
            top / 0.9,
            (left + width) / 1.6,
            (top + height) / 0.9
        )
    };
    let press = to_box(100.0, 100.0, 200.0, 60.0);
    let hover = to_box(400.0, 100.0, 200.0, 60.0);
    let alert = to_box(700.0, 100.0, 200.0, 60.0);
    let search = to_box(100.0, 300.0, 300.0, 40.0);
    for (name, input) in [
        ("agentClick", json!([press])),
        ("agentClick", json!([press, {"clickType": "double"}])),
        ("agentClick", json!([press, {"clickType": "right"}])),
        ("agentHover", json!([hover])),
        ("agentClick", json!([alert])),
    ] {
        browser.browser(action(name, input)).await.unwrap();
    }
    let log = browser.page().evaluate("log").await.unwrap();
    // A double click is two clicks and a dblclick, as in a real browser.
    assert_eq!(
        log,
        json!([
            "click",
            "click",
            "click",
            "dblclick",
            "contextmenu",
            "hover",
            "after alert"
        ])
    );

    browser
        .browser(action(
            "agentType",
            json!(["rust sdk", search, {"pressEnter": true}]),
        ))
        .await
        .unwrap();
    assert_eq!(
        browser.page().url().await.unwrap(),
        site.url("/submitted?q=rust+sdk")
    );
    assert_eq!(site.submissions.lock().unwrap()[0]["q"], "rust sdk");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_that_opens_a_new_tab_is_followed() {
    let site = site().await;
    let Some(mut browser) = launch(Browser::builder().starting_page(site.url("/events"))).await
    else {
        return;
    };
    let first = browser.page().target_id().to_owned();
    // The "New tab" link: 200 × 60 px at (1000, 100) of the 1600 × 900 viewport.
    browser
        .browser(action(
            "agentClick",
            json!(["<bbox>625,111.1,750,177.8</bbox>"]),
        ))
        .await
        .unwrap();
    assert_ne!(
        browser.page().target_id(),
        first,
        "the actuator moved to the new tab"
    );
    assert_eq!(browser.page().url().await.unwrap(), site.url("/next"));
    let observed = browser
        .browser(BrowserAction::TakeObservation)
        .await
        .unwrap();
    assert_eq!(observed["activeURL"], site.url("/next"));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_observation_is_a_jpeg_of_the_viewport_with_the_page_facts() {
    let site = site().await;
    let Some(mut browser) = launch(Browser::builder().starting_page(site.url("/list"))).await
    else {
        return;
    };
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let observed = browser
        .browser(BrowserAction::TakeObservation)
        .await
        .unwrap();
    let screenshot = observed["screenshotBase64"].as_str().unwrap();
    // "/9j/" is the base64 of a JPEG's first bytes, FF D8 FF.
    assert!(screenshot.starts_with("data:image/jpeg;base64,/9j/"));
    assert!(screenshot.len() > 2_000, "{} bytes", screenshot.len());
    assert_eq!(observed["activeURL"], site.url("/list"));
    assert!(observed["userAgent"].as_str().unwrap().contains("Chrome/"));
    assert!(observed["timestamp_ms"].as_u64().unwrap() >= before);
    assert!(
        observed.get("simplifiedDOM").is_none(),
        "only when asked for"
    );
    let dims = &observed["browserDimensions"];
    assert_eq!(
        (dims["windowWidth"].clone(), dims["windowHeight"].clone()),
        (json!(1600), json!(900))
    );
    assert_eq!(
        (dims["scrollTop"].clone(), dims["scrollLeft"].clone()),
        (json!(0), json!(0))
    );
    assert!(dims["scrollHeight"].as_u64().unwrap() > 900);

    // The screenshot really is 1600 × 900: read the JPEG's frame header via the page itself.
    let size = browser
        .page()
        .evaluate(&format!(
            "new Promise(r => {{ const i = new Image(); i.onload = () => r([i.width, i.height]); i.src = {}; }})",
            json!(screenshot)
        ))
        .await
        .unwrap();
    assert_eq!(size, json!([1600, 900]));
    browser.close().await;
}

/// Smaller looks, for a step over the service's size limit: each has fewer bytes than the one
/// before, the screenshot is scaled down (the viewport the agent reasons in stays the same),
/// and the last drops the simplified DOM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smaller_observations_shrink_the_screenshot_then_drop_the_dom() {
    let site = site().await;
    let Some(mut browser) = launch(
        Browser::builder()
            .starting_page(site.url("/list"))
            .simplified_dom(true),
    )
    .await
    else {
        return;
    };
    let full = browser
        .browser(BrowserAction::TakeObservation)
        .await
        .unwrap();
    let image_size = |observed: &Value| {
        let screenshot = observed["screenshotBase64"].as_str().unwrap().to_owned();
        (screenshot.len(), screenshot)
    };
    let mut last = image_size(&full).0;
    for attempt in 1..=3 {
        let smaller = browser.smaller_observation(attempt).await.unwrap().unwrap();
        let (bytes, screenshot) = image_size(&smaller);
        assert!(
            bytes < last,
            "attempt {attempt}: {bytes} bytes, not under {last}"
        );
        last = bytes;
        assert_eq!(smaller["browserDimensions"]["windowWidth"], json!(1600));
        assert_eq!(smaller.get("simplifiedDOM").is_some(), attempt < 3);
        if attempt == 2 {
            let size = browser
                .page()
                .evaluate(&format!(
                    "new Promise(r => {{ const i = new Image(); i.onload = () => r([i.width, i.height]); i.src = {}; }})",
                    json!(screenshot)
                ))
                .await
                .unwrap();
            assert_eq!(size, json!([800, 450]));
        }
    }
    assert!(browser.smaller_observation(4).await.is_none());
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_call_errors_the_agent_can_read() {
    let Some(mut browser) = launch(Browser::builder()).await else {
        return;
    };
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let err = browser
        .browser(action("goToUrl", json!([url])))
        .await
        .unwrap_err();
    assert_eq!(err.kind, "NavigationError");
    assert!(err.message.contains("ERR_CONNECTION_REFUSED"), "{err}");

    let err = browser
        .page()
        .evaluate("(() => { throw new Error('boom') })()")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BrowserError::Script(m) if m.contains("boom")),
        "{err}"
    );
    // The browser still works afterwards.
    browser
        .browser(action("goToUrl", json!(["data:text/html,<h1>fine</h1>"])))
        .await
        .unwrap();
    assert_eq!(support::heading(&browser).await, json!("fine"));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_process_outlives_the_browser_whether_closed_dropped_or_panicked() {
    // Closed.
    let Some(mut browser) = launch(Browser::builder()).await else {
        return;
    };
    let profile = browser.user_data_dir().unwrap().to_owned();
    assert!(!support::processes_mentioning(&profile).is_empty());
    browser.close().await;
    assert_eq!(support::gone(&profile).await, Vec::<u32>::new());
    assert!(!profile.exists(), "the temporary profile is removed");

    // Dropped.
    let browser = launch(Browser::builder()).await.unwrap();
    let profile = browser.user_data_dir().unwrap().to_owned();
    drop(browser);
    assert_eq!(support::gone(&profile).await, Vec::<u32>::new());
    assert!(!profile.exists());

    // A workflow body that panics while holding the browser.
    let (_emulator, client) = service(nova_emulator::ScriptedPlanner::new()).await;
    let browser = launch(Browser::builder()).await.unwrap();
    let profile = browser.user_data_dir().unwrap().to_owned();
    let outcome = Workflow::new(&client)
        .run(|run| async move {
            let _session = run.session(browser).await?;
            if !run.id().is_empty() {
                panic!("the workflow broke");
            }
            Ok::<(), nova_act_core::runtime::ActError>(())
        })
        .await;
    assert!(matches!(
        outcome,
        Err(nova_act_core::runtime::WorkflowError::Panicked(_))
    ));
    assert_eq!(support::gone(&profile).await, Vec::<u32>::new());
    assert!(!profile.exists());
}

#[tokio::test]
async fn a_bad_headless_setting_is_refused_before_starting() {
    let err = Browser::builder()
        .env(nova_auth::Env::from_vars([("NOVA_ACT_HEADLESS", "maybe")]))
        .launch()
        .await
        .unwrap_err();
    insta::assert_snapshot!(err, @r#"NOVA_ACT_HEADLESS is "maybe"; use true or false"#);
}

/// A launched browser is driven over a pipe: while an act runs, no process of the browser's
/// process group listens on a TCP port another local process could attach to.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_an_act_runs_the_browser_listens_on_no_tcp_port() {
    use std::sync::{Arc, Mutex};

    // The scan finds a listening socket where there is one: this test's own.
    let control = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = format!(":{:04X}", control.local_addr().unwrap().port());
    let ours = support::listening_sockets(&[std::process::id()]);
    assert!(
        ours.iter().any(|socket| socket.ends_with(&port)),
        "the scan sees this process's listener {port}: {ours:?}"
    );
    drop(control);

    let site = site().await;
    let Some(browser) = launch(Browser::builder().starting_page(site.url("/form"))).await else {
        return;
    };
    let group = browser.pid().unwrap();
    /// Mid-act: how many processes the group had, and the sockets they listened on.
    type Seen = Option<(usize, Vec<String>)>;
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let record = Arc::clone(&seen);
    let (_emulator, client) = service(Reader(Box::new(move |step, _| {
        if step == 0 {
            // Mid-act: the browser has a page open and answers over its pipe.
            let processes = support::process_group(group);
            *record.lock().unwrap() =
                Some((processes.len(), support::listening_sockets(&processes)));
            return vec![("takeObservation", json!([]))];
        }
        vec![("return", json!(["done"]))]
    })))
    .await;
    Workflow::new(&client)
        .run(|run| async move {
            let mut session = run.session(browser).await?;
            session.act("Look at the form").await?;
            session.actuator().close().await;
            Ok::<_, nova_act_core::runtime::ActError>(())
        })
        .await
        .unwrap();
    let (processes, listening) = seen.lock().unwrap().clone().expect("the act ran");
    assert!(processes >= 2, "the browser and its helpers: {processes}");
    assert_eq!(listening, Vec::<String>::new(), "listening TCP sockets");
}

/// The folders the SDK creates for a browser (its profile and its scratch TMPDIR) are the
/// user's alone: 0700, and everything the browser writes in them at most 0600 (or 0700).
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browsers_folders_and_files_are_private() {
    use std::os::unix::fs::PermissionsExt;

    fn open_to_others(dir: &std::path::Path, found: &mut Vec<String>) {
        let mode = std::fs::metadata(dir).unwrap().permissions().mode();
        if mode & 0o077 != 0 {
            found.push(format!("{:o} {}", mode & 0o777, dir.display()));
        }
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
                continue; // removed meanwhile
            };
            if meta.is_dir() {
                open_to_others(&entry.path(), found);
            } else if !meta.file_type().is_symlink() && meta.permissions().mode() & 0o077 != 0 {
                found.push(format!(
                    "{:o} {}",
                    meta.permissions().mode() & 0o777,
                    entry.path().display()
                ));
            }
        }
    }

    let site = site().await;
    let Some(mut browser) = launch(Browser::builder().starting_page(site.url("/form"))).await
    else {
        return;
    };
    browser
        .page()
        .goto(&site.url("/next"), nova_browser::Settle::default())
        .await
        .unwrap();
    let profile = browser.user_data_dir().unwrap().to_owned();
    let environ = std::fs::read(format!("/proc/{}/environ", browser.pid().unwrap())).unwrap();
    let scratch = environ
        .split(|b| *b == 0)
        .find_map(|var| var.strip_prefix(b"TMPDIR="))
        .map(|dir| std::path::PathBuf::from(String::from_utf8_lossy(dir).into_owned()))
        .expect("the browser's TMPDIR");
    let mut found = Vec::new();
    open_to_others(&profile, &mut found);
    open_to_others(&scratch, &mut found);
    browser.close().await;
    assert_eq!(found, Vec::<String>::new(), "open to other users");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn structured_answers_and_guardrails_on_a_real_page() {
    use nova_act_core::runtime::{ActError, UrlPolicy};

    let site = site().await;
    let Some(browser) = site.browser("/submitted?name=Ada").await else {
        return;
    };
    // The first act reads the heading as JSON; the second follows the link.
    struct ByTask;
    impl Planner for ByTask {
        fn plan(&self, act: &ActView, step: usize, results: &[CallResult]) -> Vec<Call> {
            let seen = support::observation(results).expect("an observation");
            let calls = if act.task.starts_with("Read the heading") {
                vec![(
                    "return",
                    json!([json!({"heading": text_of(&seen, "h1")}).to_string()]),
                )]
            } else {
                vec![
                    ("agentClick", json!([bbox(&seen, ">Next page<")])),
                    ("return", json!(["followed"])),
                ]
            };
            calls
                .into_iter()
                .enumerate()
                .map(|(i, (name, input))| nova_emulator::call(step, i, name, input))
                .collect()
        }
    }
    let (_emulator, client) = service(ByTask).await;
    let blocked = site.url("/next");
    let (answer, err, url) = Workflow::new(&client)
        .run(|run| async move {
            let mut session = run.session(browser).await?;
            let answer = session
                .act_get(
                    "Read the heading",
                    json!({
                        "type": "object",
                        "properties": {"heading": {"type": "string"}},
                        "required": ["heading"]
                    }),
                )
                .await?;
            session.guardrail(UrlPolicy::new().block(&blocked).unwrap());
            let err = session.act("Follow the link").await.unwrap_err();
            let url = session.actuator().page().url().await.unwrap();
            Ok::<_, ActError>((answer.value, err, url))
        })
        .await
        .unwrap();
    assert_eq!(answer, Some(json!({"heading": "Thanks, Ada"})));
    // The click landed on the blocked page: the act stopped there, before `return`.
    assert!(
        matches!(&err, ActError::Blocked { url, .. } if *url == site.url("/next")),
        "{err:?}"
    );
    assert_eq!(url, site.url("/next"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_of_a_real_sign_in_holds_the_steps_but_not_the_password() {
    let site = site().await;
    let Some(browser) = site.browser("/login").await else {
        return;
    };
    let (_emulator, client) = service(Reader(Box::new(|step, seen| {
        let seen = seen.expect("every step follows an observation");
        match step {
            0 => vec![
                (
                    "agentType",
                    json!(["ada", bbox(seen, "placeholder=\"User\"")]),
                ),
                (
                    "agentType",
                    json!([
                        "correct horse battery",
                        bbox(seen, "placeholder=\"Password\"")
                    ]),
                ),
                ("takeObservation", json!([])),
            ],
            _ => vec![("return", json!(["signed in"]))],
        }
    })))
    .await;
    let logs = std::env::temp_dir().join(format!("nova-browser-trace-{}", std::process::id()));
    let folder = logs.clone();
    let files = Workflow::new(&client)
        .run(|run| async move {
            let mut session = run.session(browser).await?;
            session.logs_dir(&folder).unwrap();
            let result = session.act("Sign in as ada").await?;
            session.actuator().close().await;
            Ok::<_, nova_act_core::runtime::ActError>(result.trace.unwrap())
        })
        .await
        .unwrap();
    let json_text = std::fs::read_to_string(&files.json).unwrap();
    let html = std::fs::read_to_string(&files.html).unwrap();
    for text in [&json_text, &html] {
        assert!(!text.contains("correct horse battery"));
        assert!(text.contains(&site.url("/login")));
    }
    // The user name is recorded; the password's input is not; the screenshot is a JPEG.
    assert!(json_text.contains("\"ada\""));
    assert!(json_text.contains(nova_auth::REDACTED));
    assert!(html.contains("src=\"data:image/jpeg;base64,"));
    std::fs::remove_dir_all(logs).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_browsers_act_at_once_in_one_run_and_all_are_cleaned_up() {
    let site = site().await;
    let pages = ["/form", "/next", "/submitted?name=Grace", "/login"];
    let mut browsers = Vec::new();
    for page in pages {
        let Some(browser) = launch(
            Browser::builder()
                .starting_page(site.url(page))
                .simplified_dom(true),
        )
        .await
        else {
            return;
        };
        browsers.push(browser);
    }
    let profiles: Vec<_> = browsers
        .iter()
        .map(|b| b.user_data_dir().unwrap().to_owned())
        .collect();
    // Each act reads its own page's heading.
    let (emulator, client) = service(Reader(Box::new(|_, seen| {
        let seen = seen.expect("an observation");
        vec![("return", json!([text_of(seen, "h1")]))]
    })))
    .await;
    let answers = Workflow::new(&client)
        .run(|run| async move {
            let mut sessions = Vec::new();
            for browser in browsers {
                sessions.push(run.session(browser).await?);
            }
            let acts = sessions
                .iter_mut()
                .map(|session| session.act("Read the heading"));
            let answers = futures_util::future::join_all(acts).await;
            for session in &mut sessions {
                session.actuator().close().await;
            }
            let mut values = Vec::new();
            for answer in answers {
                values.push(answer?.value);
            }
            Ok::<_, nova_act_core::runtime::ActError>(values)
        })
        .await
        .unwrap();
    assert_eq!(
        answers,
        [
            Some(json!("Sign up")),
            Some(json!("Second page")),
            Some(json!("Thanks, Grace")),
            Some(json!("Sign in")),
        ]
    );
    // One run, four sessions, four acts, all succeeded; no browser and no profile is left.
    let created = emulator.created();
    assert_eq!((created.runs, created.sessions, created.acts), (1, 4, 4));
    assert!(
        emulator
            .acts()
            .iter()
            .all(|act| act.status.to_string() == "SUCCEEDED")
    );
    for profile in profiles {
        assert_eq!(support::gone(&profile).await, Vec::<u32>::new());
        assert!(!profile.exists());
    }
}

/// A field that holds a secret shows the model its placeholder: the DOM prints it instead of
/// the value, and the screenshot draws the text as discs. Typing into an iframe reaches the
/// frame's address, which is what a secret's hosts are checked against.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_holding_a_secret_is_masked_and_a_frame_has_its_own_address() {
    let site = site().await;
    let Some(mut browser) = site.browser("/form").await else {
        return;
    };
    let seen = browser
        .browser(BrowserAction::TakeObservation)
        .await
        .unwrap();
    let name = bbox(&seen, "placeholder=\"Name\"");
    let target = match action("agentClick", json!([name.clone()])) {
        BrowserAction::Click { target, .. } => target,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        browser.typing_origin(&target).await.as_deref(),
        Some(site.url("/form").as_str())
    );
    browser
        .browser(action("agentType", json!(["hunter2-secret", name])))
        .await
        .unwrap();
    browser.mark_secret("{{secret:password}}").await;
    let seen = browser
        .browser(BrowserAction::TakeObservation)
        .await
        .unwrap();
    let dom = seen["simplifiedDOM"].as_str().unwrap();
    assert!(dom.contains("value=\"{{secret:password}}\""), "{dom}");
    assert!(!dom.contains("hunter2"), "{dom}");
    let security = browser
        .page()
        .evaluate(
            "getComputedStyle(document.querySelector('[data-nova-secret]')).webkitTextSecurity",
        )
        .await
        .unwrap();
    assert_eq!(security, "disc");

    // A field inside an iframe: typing there reaches the frame's document.
    let frame = format!(
        "document.body.insertAdjacentHTML('beforeend', '<iframe src=\"{}\" style=\"position: absolute; left: 0; top: 0; width: 800px; height: 600px; border: 0\"></iframe>')",
        site.url("/events").replace("127.0.0.1", "localhost")
    );
    browser.page().evaluate(&frame).await.unwrap();
    let corner = nova_act_core::runtime::BBox::parse("<bbox>10,10,20,20</bbox>").unwrap();
    let origin = browser.typing_origin(&corner).await.unwrap();
    assert!(origin.starts_with("http://localhost:"), "{origin}");
    browser.close().await;
}
