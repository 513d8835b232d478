//! Secrets in the act loop: placeholders replaced by their values just before typing (where
//! they may go), and every result hidden again before the agent, a guardrail or a trace sees it.

use serde_json::Value;

use super::outcome::Ending;
use super::{ActPlace, Seen};
use crate::runtime::actuator::Actuator;
use crate::runtime::calls::BrowserAction;

impl ActPlace<'_> {
    /// `action` with the placeholders in the text it types replaced by their values, once each
    /// secret is known to be allowed on the page; a secret refused there ends the act before
    /// anything is typed.
    pub(super) async fn with_secrets(
        &self,
        actuator: &mut dyn Actuator,
        action: BrowserAction,
        seen: &mut Seen,
    ) -> Result<(BrowserAction, Option<String>), Ending> {
        let (secrets, starting) = self.secrets;
        let BrowserAction::Type {
            value,
            target,
            press_enter,
        } = action
        else {
            return Ok((action, None));
        };
        let unchanged = |value| {
            Ok((
                BrowserAction::Type {
                    value,
                    target,
                    press_enter,
                },
                None,
            ))
        };
        if secrets.is_empty() {
            return unchanged(value);
        }
        let page = actuator.typing_origin(&target).await;
        let typed = secrets
            .substitute(&value, page.as_deref(), starting, secrets.now())
            .map_err(Ending::Secret)?;
        let Some(typed) = typed else {
            return unchanged(value);
        };
        if !typed.wait.is_zero() {
            tokio::time::sleep(typed.wait).await;
        }
        seen.codes.extend(typed.codes);
        let action = BrowserAction::Type {
            value: typed.text.expose().to_owned(),
            target,
            press_enter,
        };
        Ok((action, Some(value)))
    }

    /// `value` with every secret and code typed replaced by its placeholder.
    pub(super) fn hide(&self, value: Value, seen: &Seen) -> Value {
        let secrets = self.secrets.0;
        if secrets.is_empty() {
            return value;
        }
        secrets.scrub_value(value, &seen.codes)
    }

    /// `text` with every secret and code typed replaced by its placeholder.
    pub(super) fn hide_text(&self, text: &str, seen: &Seen) -> String {
        let secrets = self.secrets.0;
        if secrets.is_empty() {
            return text.to_owned();
        }
        secrets.scrub(text, &seen.codes)
    }
}
