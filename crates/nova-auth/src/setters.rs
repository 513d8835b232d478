//! Builder methods declared rather than written out: the SDK's builders have some sixty
//! settings that only store their argument, and each written by hand was the same five lines.

/// Builder methods that store their argument: each its documentation, name, parameter and the
/// field it sets, with the conversion if any. Every one is `#[must_use]`. Plumbing of the SDK's
/// crates, hidden from the documentation.
///
/// ```
/// #[derive(Default)]
/// struct Settings {
///     name: Option<String>,
///     verbose: bool,
/// }
///
/// impl Settings {
///     nova_auth::setters! {
///         /// Names it.
///         name(name: impl Into<String>) => name = Some(name.into());
///         /// Says more.
///         verbose(on: bool) => verbose = on;
///     }
/// }
///
/// let settings = Settings::default().name("nightly").verbose(true);
/// assert_eq!(settings.name.as_deref(), Some("nightly"));
/// assert!(settings.verbose);
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! setters {
    ($( $(#[$attr:meta])* $name:ident($($arg:ident: $ty:ty),+) => $field:ident = $value:expr; )*) => {$(
        $(#[$attr])*
        #[must_use]
        pub fn $name(mut self, $($arg: $ty),+) -> Self {
            self.$field = $value;
            self
        }
    )*};
}
