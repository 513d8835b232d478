//! Secret placeholders and one-time codes: `{{secret:NAME}}` and `{{totp:NAME}}` in a task go to
//! the service as written; when the agent types text holding one, the actuator types the value.
//! Before every step the values (and codes typed) are replaced by their placeholders wherever
//! the page echoes them — raw, URL-encoded, JSON-escaped — so the model never sees them.

mod totp;

use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

use nova_auth::Secret;

use super::guardrail::UrlPattern;
pub use totp::{FRESH_FOR_AT_LEAST, Totp, TotpAlgorithm, TotpError};

/// The values a session's placeholders stand for. `Debug` shows the names only.
///
/// ```
/// use nova_act_core::runtime::SecretValues;
///
/// let mut values = SecretValues::new();
/// values.secret("password", "correct horse battery")?;
/// values.totp("shop", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")?;
/// assert_eq!(format!("{values:?}"), r#"SecretValues { names: ["password", "shop"] }"#);
/// # Ok::<(), nova_act_core::runtime::SecretError>(())
/// ```
#[derive(Clone, Default)]
pub struct SecretValues {
    entries: BTreeMap<String, Entry>,
    clock: Option<std::sync::Arc<dyn nova_auth::Clock>>,
}

#[derive(Clone)]
struct Entry {
    value: Kept,
    /// The pages it may be typed into; `None`: the host of the session's starting page.
    hosts: Option<Vec<UrlPattern>>,
}

#[derive(Clone)]
enum Kept {
    Secret(Secret),
    Totp(Totp),
}

impl fmt::Debug for SecretValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretValues")
            .field("names", &self.entries.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A placeholder's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlaceholderKind {
    /// `{{secret:NAME}}`.
    Secret,
    /// `{{totp:NAME}}`.
    Totp,
}

impl PlaceholderKind {
    fn word(self) -> &'static str {
        match self {
            Self::Secret => "secret",
            Self::Totp => "totp",
        }
    }
}

/// Why a secret or a placeholder was refused. Names the secret, never its value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// A name outside `[A-Za-z0-9_-]{1,64}`.
    #[error("`{name}` is not a secret name; use 1 to 64 letters, digits, `_` or `-`")]
    BadName {
        /// The name.
        name: String,
    },
    /// The same name twice.
    #[error("the secret `{name}` is given twice; give each name once")]
    Duplicate {
        /// The name.
        name: String,
    },
    /// An empty value.
    #[error("the secret `{name}` is empty")]
    Empty {
        /// The name.
        name: String,
    },
    /// A TOTP seed that does not parse.
    #[error("the one-time code seed `{name}` is refused: {reason}")]
    BadSeed {
        /// The name.
        name: String,
        /// Why.
        reason: String,
    },
    /// A placeholder in the task with no value given.
    #[error(
        "the task holds {{{{{}:{name}}}}}, but no {} named `{name}` was given to the session",
        kind.word(),
        match kind { PlaceholderKind::Secret => "secret", PlaceholderKind::Totp => "one-time code seed" }
    )]
    Missing {
        /// Which kind.
        kind: PlaceholderKind,
        /// The name.
        name: String,
    },
    /// A secret about to be typed into a page it is not meant for.
    #[error(
        "refused to type the secret `{name}` into {url}: it may be typed only into {allowed}; \
         nothing was typed"
    )]
    WrongPage {
        /// The name.
        name: String,
        /// The page's URL.
        url: String,
        /// Where it may be typed.
        allowed: String,
    },
}

/// Text with its placeholders replaced, ready to type; and which secrets it holds.
pub(crate) struct Typed {
    pub(crate) text: Secret,
    pub(crate) names: Vec<String>,
    /// The one-time codes typed, to be hidden from the model like the secrets.
    pub(crate) codes: Vec<(String, String)>,
    /// How long to wait for a fresh code before typing.
    pub(crate) wait: std::time::Duration,
}

fn check_name(name: &str) -> Result<(), SecretError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(SecretError::BadName {
            name: name.to_owned(),
        })
    }
}

/// The placeholders in `text`, in order: their kind, name and byte range.
fn placeholders(text: &str) -> Vec<(PlaceholderKind, &str, std::ops::Range<usize>)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find("{{").map(|i| from + i) {
        let Some(end) = text[start..].find("}}").map(|i| start + i + 2) else {
            break;
        };
        let inner = &text[start + 2..end - 2];
        let parsed = inner.split_once(':').and_then(|(kind, name)| {
            let kind = match kind {
                "secret" => PlaceholderKind::Secret,
                "totp" => PlaceholderKind::Totp,
                _ => return None,
            };
            check_name(name).ok().map(|()| (kind, name))
        });
        match parsed {
            Some((kind, name)) => {
                found.push((kind, name, start..end));
                from = end;
            }
            None => from = start + 2,
        }
    }
    found
}

impl SecretValues {
    /// No values.
    pub fn new() -> Self {
        Self::default()
    }

    /// `{{secret:NAME}}` stands for `value`, typed only into the session's starting page's host.
    pub fn secret(
        &mut self,
        name: &str,
        value: impl Into<Secret>,
    ) -> Result<&mut Self, SecretError> {
        self.insert(name, Kept::Secret(value.into()), None)
    }

    /// `{{secret:NAME}}` stands for `value`, typed only into pages (frames included) that
    /// `hosts` match.
    pub fn secret_for_hosts(
        &mut self,
        name: &str,
        value: impl Into<Secret>,
        hosts: impl IntoIterator<Item = UrlPattern>,
    ) -> Result<&mut Self, SecretError> {
        self.insert(
            name,
            Kept::Secret(value.into()),
            Some(hosts.into_iter().collect()),
        )
    }

    /// `{{totp:NAME}}` stands for the current code of `seed` (base32, or an `otpauth://totp/`
    /// URI).
    pub fn totp(&mut self, name: &str, seed: impl Into<Secret>) -> Result<&mut Self, SecretError> {
        let seed = seed.into();
        let totp = Totp::parse(seed.expose()).map_err(|err| SecretError::BadSeed {
            name: name.to_owned(),
            reason: err.to_string(),
        })?;
        self.insert(name, Kept::Totp(totp), None)
    }

    fn insert(
        &mut self,
        name: &str,
        value: Kept,
        hosts: Option<Vec<UrlPattern>>,
    ) -> Result<&mut Self, SecretError> {
        check_name(name)?;
        if let Kept::Secret(secret) = &value
            && secret.expose().is_empty()
        {
            return Err(SecretError::Empty {
                name: name.to_owned(),
            });
        }
        if self.entries.contains_key(name) {
            return Err(SecretError::Duplicate {
                name: name.to_owned(),
            });
        }
        self.entries.insert(name.to_owned(), Entry { value, hosts });
        Ok(self)
    }

    /// Reads one-time codes at `clock`'s time (the system's by default): for tests.
    pub fn clock(&mut self, clock: impl nova_auth::Clock + 'static) -> &mut Self {
        self.clock = Some(std::sync::Arc::new(clock));
        self
    }

    /// The time codes are read at.
    pub(crate) fn now(&self) -> SystemTime {
        self.clock
            .as_ref()
            .map_or_else(SystemTime::now, |clock| clock.now())
    }

    /// `value` with [`scrub`](Self::scrub) applied to every string in it.
    pub(crate) fn scrub_value(
        &self,
        value: serde_json::Value,
        codes: &[(String, String)],
    ) -> serde_json::Value {
        use serde_json::Value;
        match value {
            // A `data:` URL (the screenshot) is pixels or bytes, not the page's text: replacing
            // inside it could only corrupt it.
            Value::String(text) if text.starts_with("data:") => Value::String(text),
            Value::String(text) => Value::String(self.scrub(&text, codes)),
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|item| self.scrub_value(item, codes))
                    .collect(),
            ),
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, self.scrub_value(v, codes)))
                    .collect(),
            ),
            other => other,
        }
    }

    /// Whether no value was given.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The first placeholder in `task` with no value, as an error.
    pub fn check_task(&self, task: &str) -> Result<(), SecretError> {
        for (kind, name, _) in placeholders(task) {
            let known = matches!(
                (self.entries.get(name).map(|e| &e.value), kind),
                (Some(Kept::Secret(_)), PlaceholderKind::Secret)
                    | (Some(Kept::Totp(_)), PlaceholderKind::Totp)
            );
            if !known {
                return Err(SecretError::Missing {
                    kind,
                    name: name.to_owned(),
                });
            }
        }
        Ok(())
    }

    /// `text` with its placeholders replaced, when it holds any known one; checks first that
    /// each may be typed into `page` (`starting` is the session's starting page, the default
    /// for secrets given without hosts).
    pub(crate) fn substitute(
        &self,
        text: &str,
        page: Option<&str>,
        starting: Option<&str>,
        now: SystemTime,
    ) -> Result<Option<Typed>, SecretError> {
        let found: Vec<_> = placeholders(text)
            .into_iter()
            .filter(|(_, name, _)| self.entries.contains_key(*name))
            .collect();
        if found.is_empty() {
            return Ok(None);
        }
        let mut out = String::with_capacity(text.len());
        let mut typed = Typed {
            text: Secret::new(""),
            names: Vec::new(),
            codes: Vec::new(),
            wait: std::time::Duration::ZERO,
        };
        let mut last = 0;
        for (kind, name, range) in found {
            let entry = &self.entries[name];
            allowed(name, entry, page, starting)?;
            out.push_str(&text[last..range.start]);
            match (&entry.value, kind) {
                (Kept::Secret(secret), PlaceholderKind::Secret) => out.push_str(secret.expose()),
                (Kept::Totp(totp), PlaceholderKind::Totp) => {
                    let (code, wait) = totp.code_to_type(now);
                    typed.wait = typed.wait.max(wait);
                    out.push_str(&code);
                    typed.codes.push((name.to_owned(), code));
                }
                // A name given as the other kind: left as written.
                _ => out.push_str(&text[range.clone()]),
            }
            typed.names.push(name.to_owned());
            last = range.end;
        }
        out.push_str(&text[last..]);
        typed.text = Secret::new(out);
        Ok(Some(typed))
    }

    /// `text` with every known value, and every code in `codes`, replaced by its placeholder:
    /// raw, URL-encoded and JSON-escaped.
    pub(crate) fn scrub(&self, text: &str, codes: &[(String, String)]) -> String {
        let mut forms: Vec<(String, String)> = Vec::new();
        let values = self
            .entries
            .iter()
            .filter_map(|(name, entry)| match &entry.value {
                Kept::Secret(secret) => Some((format!("{{{{secret:{name}}}}}"), secret.expose())),
                Kept::Totp(_) => None,
            });
        let codes = codes
            .iter()
            .map(|(name, code)| (format!("{{{{totp:{name}}}}}"), code.as_str()));
        for (placeholder, value) in values.chain(codes) {
            let json = serde_json::to_string(value).unwrap_or_default();
            let json = json[1..json.len().saturating_sub(1)].to_owned();
            // JSON-escaped twice: an observation's text inside a call result's JSON text.
            let json_twice = serde_json::to_string(&json).unwrap_or_default();
            let json_twice = json_twice[1..json_twice.len().saturating_sub(1)].to_owned();
            let url_encoded: String =
                url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
            let percent = url_encoded.replace('+', "%20");
            for form in [value.to_owned(), json, json_twice, url_encoded, percent] {
                if !form.is_empty() && !forms.iter().any(|(f, _)| *f == form) {
                    forms.push((form, placeholder.clone()));
                }
            }
        }
        // Longer forms first, so a value inside another is not half-replaced.
        forms.sort_by_key(|(form, _)| std::cmp::Reverse(form.len()));
        let mut out = text.to_owned();
        for (form, placeholder) in forms {
            if out.contains(&form) {
                out = out.replace(&form, &placeholder);
            }
        }
        out
    }
}

/// Whether secret `name` may be typed into `page`.
fn allowed(
    name: &str,
    entry: &Entry,
    page: Option<&str>,
    starting: Option<&str>,
) -> Result<(), SecretError> {
    let parsed = page.and_then(|page| url::Url::parse(page).ok());
    let starting_host = starting
        .and_then(|start| url::Url::parse(start).ok())
        .and_then(|start| start.host_str().map(str::to_owned));
    let ok = match (&entry.hosts, &parsed) {
        (_, None) => false,
        (Some(patterns), Some(url)) => patterns.iter().any(|p| p.matches(url)),
        (None, Some(url)) => starting_host.is_some() && starting_host.as_deref() == url.host_str(),
    };
    if ok {
        return Ok(());
    }
    let allowed = match (&entry.hosts, starting) {
        (Some(patterns), _) => patterns
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        (None, Some(start)) => format!(
            "the starting page's host ({})",
            starting_host.as_deref().unwrap_or(start)
        ),
        (None, None) => "the starting page's host, which is not known".to_owned(),
    };
    Err(SecretError::WrongPage {
        name: name.to_owned(),
        url: page
            .unwrap_or("a page whose address is not known")
            .to_owned(),
        allowed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_and_bad_ones_left_alone() {
        let found: Vec<_> = placeholders(
            "a {{secret:user}} b {{totp:site-1}} {{secret:}} {{other:x}} {{secret:a b}}",
        )
        .into_iter()
        .map(|(kind, name, _)| (kind, name))
        .collect();
        assert_eq!(
            found,
            vec![
                (PlaceholderKind::Secret, "user"),
                (PlaceholderKind::Totp, "site-1")
            ]
        );
    }

    #[test]
    fn a_missing_value_is_named() {
        let mut values = SecretValues::new();
        values.secret("user", "ada").unwrap();
        assert!(values.check_task("Sign in as {{secret:user}}").is_ok());
        let err = values
            .check_task("Sign in as {{secret:user}} with {{secret:password}}")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the task holds {{secret:password}}, but no secret named `password` was given to the session"
        );
        assert!(matches!(
            values.secret("user", "again").unwrap_err(),
            SecretError::Duplicate { .. }
        ));
        assert!(matches!(
            values.secret("bad name", "x").unwrap_err(),
            SecretError::BadName { .. }
        ));
    }

    #[test]
    fn values_are_typed_only_where_they_belong() {
        let mut values = SecretValues::new();
        values.secret("password", "p@ss word").unwrap();
        values
            .secret_for_hosts("token", "t0ken", ["*.bank.example".parse().unwrap()])
            .unwrap();
        let now = SystemTime::now();
        let start = Some("https://shop.example/login");
        let typed = values
            .substitute(
                "{{secret:password}}!",
                Some("https://shop.example/a"),
                start,
                now,
            )
            .unwrap()
            .unwrap();
        assert_eq!(typed.text.expose(), "p@ss word!");
        let err = values
            .substitute(
                "{{secret:password}}",
                Some("https://evil.example/"),
                start,
                now,
            )
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("into https://evil.example/"),
            "{err}"
        );
        assert!(!err.to_string().contains("p@ss"), "{err}");
        assert!(
            values
                .substitute(
                    "{{secret:token}}",
                    Some("https://www.bank.example/"),
                    start,
                    now
                )
                .is_ok()
        );
        assert!(
            values
                .substitute(
                    "{{secret:token}}",
                    Some("https://shop.example/"),
                    start,
                    now
                )
                .is_err()
        );
        assert!(
            values
                .substitute("no placeholder", None, None, now)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_screenshot_is_left_whole() {
        let mut values = SecretValues::new();
        values.secret("pin", "AAAA").unwrap();
        let observed = serde_json::json!({
            "activeURL": "https://x/?pin=AAAA",
            "screenshotBase64": "data:image/jpeg;base64,/9j/AAAA",
        });
        let hidden = values.scrub_value(observed, &[]);
        assert_eq!(hidden["activeURL"], "https://x/?pin={{secret:pin}}");
        assert_eq!(
            hidden["screenshotBase64"],
            "data:image/jpeg;base64,/9j/AAAA"
        );
    }

    #[test]
    fn echoed_values_are_replaced_in_every_form() {
        let mut values = SecretValues::new();
        values.secret("password", "p@ss \"word\"&").unwrap();
        let codes = vec![("site".to_owned(), "287082".to_owned())];
        let page = r#"{"activeURL":"https://x/?pw=p%40ss+%22word%22%26&c=287082","simplifiedDOM":"<input value=\"p@ss \\\"word\\\"&\">"}"#;
        let scrubbed = values.scrub(page, &codes);
        assert!(
            !scrubbed.contains("p@ss") && !scrubbed.contains("p%40ss"),
            "{scrubbed}"
        );
        assert!(!scrubbed.contains("287082"), "{scrubbed}");
        assert!(scrubbed.contains("{{secret:password}}") && scrubbed.contains("{{totp:site}}"));
    }
}
