//! A real browser for Amazon Nova Act: an [`Actuator`](nova_act_core::runtime::Actuator) over the
//! Chrome DevTools Protocol, so an act can drive a page end to end.
//!
//! [`Browser`] launches Chrome or Chromium (headless by default, its own temporary profile, a
//! 1600 × 900 window), answers `takeObservation` with a JPEG screenshot and the page's facts,
//! and performs every browser action the service plans: clicks, hovers, scrolls, typing,
//! navigation and waits. Boxes arrive normalised to 0..1000 and are mapped to viewport pixels.
//!
//! ```no_run
//! # async fn example(client: nova_act_core::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use nova_browser::Browser;
//! use nova_act_core::runtime::Workflow;
//!
//! let browser = Browser::builder().starting_page("https://example.com").launch().await?;
//! let answer = Workflow::new(&client)
//!     .run(|run| async move {
//!         let mut session = run.session(browser).await?;
//!         session.act("Read the page's heading").await
//!     })
//!     .await?;
//! println!("{:?}", answer.value);
//! # Ok(()) }
//! ```
//!
//! The DevTools client is this crate's own: a few hundred lines over one WebSocket, with
//! messages kept as JSON so a newer Chromium's new events or fields never break it. A generated
//! binding of the whole protocol (`chromiumoxide`: 151 crates and 111,000 generated lines, about
//! two minutes of a clean build here) would cost every build for the twenty commands used.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod browser;
mod builder;
mod cdp;
mod channel;
mod error;
#[cfg(feature = "host")]
mod host;
mod launch;
mod page;
mod proxy;
mod remote;
#[cfg(feature = "s3")]
mod s3;
mod scripts;
mod state;

pub use browser::Browser;
pub use builder::{BrowserBuilder, DEFAULT_WINDOW};
pub use error::BrowserError;
#[cfg(feature = "host")]
pub use host::{DevTools, HostedBrowser};
pub use page::{MouseButton, Page, Settle};
pub use proxy::Proxy;
pub use remote::Remote;
#[cfg(feature = "s3")]
pub use s3::S3StateStore;
pub use state::{
    BrowserState, Cookie, FileStateStore, OriginStorage, StateError, StateStore, StorageItem,
};

/// The code in this crate's README, compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadMe;
