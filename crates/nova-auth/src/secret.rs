//! A string that must not leak: redacted when printed, wiped from memory when dropped.

use std::fmt;

use zeroize::Zeroize;

/// The text printed in place of a secret by `Debug` and `Display`.
pub const REDACTED: &str = "** redacted **";

/// A secret string: an API key, a secret access key or a session token.
///
/// `Debug` and `Display` print [`REDACTED`]; the memory is zeroed on drop. Reading the value takes
/// an explicit [`Secret::expose`], so a secret can only reach a log or a message on purpose.
///
/// ```
/// use nova_auth::Secret;
///
/// let key = Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
/// assert_eq!(format!("{key:?}"), "** redacted **");
/// assert_eq!(key.masked(), "****EKEY");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last four characters behind a mask (`****WXYZ`), enough to tell two keys apart.
    /// Values of eight characters or fewer are masked entirely.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Masks all but the last four characters of `value` (all of it when it is eight or shorter).
pub(crate) fn mask(value: &str) -> String {
    let len = value.chars().count();
    if len <= 8 {
        return "****".to_owned();
    }
    let tail: String = value.chars().skip(len - 4).collect();
    format!("****{tail}")
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_all_but_the_last_four() {
        assert_eq!(mask("AKIAIOSFODNN7EXAMPLE"), "****MPLE");
        assert_eq!(mask("short"), "****");
        assert_eq!(mask("12345678"), "****");
        assert_eq!(mask("123456789"), "****6789");
        assert_eq!(mask("ééééééééé"), "****éééé");
    }

    #[test]
    fn never_prints_the_value() {
        let secret = Secret::new("hunter2-hunter2");
        assert_eq!(format!("{secret}"), REDACTED);
        assert_eq!(format!("{secret:?}"), REDACTED);
        assert_eq!(format!("{secret:#?}"), REDACTED);
        assert_eq!(secret.expose(), "hunter2-hunter2");
    }
}
