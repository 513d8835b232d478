//! The calls the service plans, decoded into typed actions.

use std::fmt;

use serde_json::Value;

/// A box on the screenshot, normalised to 0..1000 on each axis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BBox {
    /// Left edge.
    pub left: f64,
    /// Top edge.
    pub top: f64,
    /// Right edge.
    pub right: f64,
    /// Bottom edge.
    pub bottom: f64,
}

impl BBox {
    /// Parses `<bbox>left,top,right,bottom</bbox>`.
    ///
    /// ```
    /// use nova_act_core::runtime::BBox;
    ///
    /// let b = BBox::parse("<bbox>10,20,110,60</bbox>").unwrap();
    /// assert_eq!(b.center(), (60.0, 40.0));
    /// ```
    pub fn parse(text: &str) -> Result<Self, CallError> {
        let bad = || {
            CallError::invalid(format!(
                "expected <bbox>left,top,right,bottom</bbox>, got {text:?}"
            ))
        };
        let inner = text
            .trim()
            .strip_prefix("<bbox>")
            .and_then(|rest| rest.strip_suffix("</bbox>"))
            .ok_or_else(bad)?;
        let numbers: Vec<f64> = inner
            .split(',')
            .map(|n| n.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| bad())?;
        let [left, top, right, bottom] = numbers[..] else {
            return Err(bad());
        };
        if [left, top, right, bottom].iter().any(|n| !n.is_finite()) || right < left || bottom < top
        {
            return Err(bad());
        }
        Ok(Self {
            left,
            top,
            right,
            bottom,
        })
    }

    /// The centre, in the same 0..1000 space.
    pub fn center(&self) -> (f64, f64) {
        (
            (self.left + self.right) / 2.0,
            (self.top + self.bottom) / 2.0,
        )
    }

    /// The box in pixels of a `width` × `height` viewport.
    pub fn to_pixels(&self, width: f64, height: f64) -> Self {
        Self {
            left: self.left / 1000.0 * width,
            top: self.top / 1000.0 * height,
            right: self.right / 1000.0 * width,
            bottom: self.bottom / 1000.0 * height,
        }
    }
}

/// Which mouse click.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ClickType {
    /// A left click.
    #[default]
    Left,
    /// A right click.
    Right,
    /// A double click.
    Double,
}

/// Which way to scroll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScrollDirection {
    /// Up.
    Up,
    /// Down.
    Down,
    /// Left.
    Left,
    /// Right.
    Right,
}

/// A browser action planned by the service, with its arguments decoded.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum BrowserAction {
    /// `agentClick [box, {clickType}?]`.
    Click {
        /// Where.
        target: BBox,
        /// Which click.
        click_type: ClickType,
    },
    /// `agentHover [box]`.
    Hover {
        /// Where.
        target: BBox,
    },
    /// `agentScroll [direction, box]`.
    Scroll {
        /// Which way.
        direction: ScrollDirection,
        /// Within which element (the page when absent).
        target: Option<BBox>,
    },
    /// `agentType [value, box, {pressEnter}?]`.
    Type {
        /// The text.
        value: String,
        /// The field.
        target: BBox,
        /// Press Enter afterwards.
        press_enter: bool,
    },
    /// `goToUrl [url]`.
    GoToUrl {
        /// Where.
        url: String,
    },
    /// `wait [seconds]`.
    Wait {
        /// How long, in seconds.
        seconds: f64,
    },
    /// `waitForPageToSettle []`.
    WaitForPageToSettle,
    /// `takeObservation []`: a screenshot and page facts.
    TakeObservation,
    /// `think [value]`: the agent's reasoning; nothing to do.
    Think {
        /// The thought.
        thought: String,
    },
}

impl BrowserAction {
    /// Decodes a planned call exactly as the runtime does: `Ok(None)` for calls that are not
    /// browser actions (`return`, `throw`, user tools). For testing an [`Actuator`] directly.
    ///
    /// [`Actuator`]: super::Actuator
    ///
    /// ```
    /// use nova_act_core::runtime::BrowserAction;
    /// use serde_json::json;
    ///
    /// let action = BrowserAction::decode("goToUrl", &json!(["https://example.com"])).unwrap();
    /// assert_eq!(action, Some(BrowserAction::GoToUrl { url: "https://example.com".into() }));
    /// assert_eq!(BrowserAction::decode("return", &json!([])).unwrap(), None);
    /// ```
    pub fn decode(name: &str, input: &Value) -> Result<Option<Self>, CallError> {
        Ok(match decode(name, input)? {
            Planned::Browser(action) => Some(action),
            _ => None,
        })
    }

    /// The action's name on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Click { .. } => "agentClick",
            Self::Hover { .. } => "agentHover",
            Self::Scroll { .. } => "agentScroll",
            Self::Type { .. } => "agentType",
            Self::GoToUrl { .. } => "goToUrl",
            Self::Wait { .. } => "wait",
            Self::WaitForPageToSettle => "waitForPageToSettle",
            Self::TakeObservation => "takeObservation",
            Self::Think { .. } => "think",
        }
    }
}

/// A planned call, decoded.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Planned {
    /// A browser action.
    Browser(BrowserAction),
    /// A user tool with its JSON input.
    Tool { name: String, input: Value },
    /// `return [value?]`: the act is done.
    Return(Option<Value>),
    /// `throw [value]`: the agent gave up.
    Throw(Value),
}

/// Why a call failed; sent back to the service as `"<ErrorType>: <message>"`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct CallError {
    /// A short type name, such as `InvalidInput` or `UnknownTool`.
    pub kind: String,
    /// What happened.
    pub message: String,
}

impl CallError {
    /// A failure of kind `kind`.
    pub fn new(kind: impl Into<String>, message: impl fmt::Display) -> Self {
        Self {
            kind: kind.into(),
            message: message.to_string(),
        }
    }

    /// Arguments that could not be decoded.
    pub fn invalid(message: impl fmt::Display) -> Self {
        Self::new("InvalidInput", message)
    }

    /// The actuator cannot act any more: its browser exited, or a remote browser went away.
    /// The act ends at once (FAILED) instead of letting the agent try again.
    pub fn gone(message: impl fmt::Display) -> Self {
        Self::new(Self::GONE, message)
    }

    /// The kind of [`CallError::gone`].
    pub const GONE: &'static str = "ActuatorGone";

    /// Whether the actuator is gone ([`CallError::gone`]).
    pub fn is_gone(&self) -> bool {
        self.kind == Self::GONE
    }

    /// A call the actuator does not offer.
    pub fn unsupported(name: &str) -> Self {
        Self::new(
            "UnknownAction",
            format!("`{name}` is not supported by this actuator"),
        )
    }
}

fn arg<'a>(args: &'a [Value], i: usize, name: &str, call: &str) -> Result<&'a Value, CallError> {
    args.get(i)
        .ok_or_else(|| CallError::invalid(format!("{call} needs argument {} ({name})", i + 1)))
}

fn text(value: &Value, name: &str, call: &str) -> Result<String, CallError> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| CallError::invalid(format!("{call}: {name} must be a string")))
}

fn bbox(value: &Value, call: &str) -> Result<BBox, CallError> {
    BBox::parse(&text(value, "box", call)?)
}

fn option_str<'a>(value: Option<&'a Value>, key: &str) -> Option<&'a str> {
    value?.get(key)?.as_str()
}

/// Decodes a call: a JSON array is a browser action's positional arguments, a JSON object a
/// tool's input.
pub(crate) fn decode(name: &str, input: &Value) -> Result<Planned, CallError> {
    let args = match input {
        Value::Object(_) => {
            return Ok(Planned::Tool {
                name: name.to_owned(),
                input: input.clone(),
            });
        }
        Value::Array(args) => args.as_slice(),
        Value::Null => &[],
        other => {
            return Err(CallError::invalid(format!(
                "{name}: input must be an array or an object, got {other}"
            )));
        }
    };
    let action = match name {
        "return" => return Ok(Planned::Return(args.first().cloned())),
        "throw" => {
            return Ok(Planned::Throw(args.first().cloned().unwrap_or(Value::Null)));
        }
        "agentClick" => {
            let click_type = match option_str(args.get(1), "clickType") {
                None | Some("left") => ClickType::Left,
                Some("right") => ClickType::Right,
                Some("double") => ClickType::Double,
                Some(other) => {
                    return Err(CallError::invalid(format!(
                        "agentClick: unknown clickType {other:?}"
                    )));
                }
            };
            BrowserAction::Click {
                target: bbox(arg(args, 0, "box", name)?, name)?,
                click_type,
            }
        }
        "agentHover" => BrowserAction::Hover {
            target: bbox(arg(args, 0, "box", name)?, name)?,
        },
        "agentScroll" => {
            let direction =
                match text(arg(args, 0, "direction", name)?, "direction", name)?.as_str() {
                    "up" => ScrollDirection::Up,
                    "down" => ScrollDirection::Down,
                    "left" => ScrollDirection::Left,
                    "right" => ScrollDirection::Right,
                    other => {
                        return Err(CallError::invalid(format!(
                            "agentScroll: unknown direction {other:?}"
                        )));
                    }
                };
            let target = match args.get(1) {
                None | Some(Value::Null) => None,
                Some(value) => Some(bbox(value, name)?),
            };
            BrowserAction::Scroll { direction, target }
        }
        "agentType" => BrowserAction::Type {
            value: text(arg(args, 0, "value", name)?, "value", name)?,
            target: bbox(arg(args, 1, "box", name)?, name)?,
            press_enter: args
                .get(2)
                .and_then(|o| o.get("pressEnter"))
                .and_then(Value::as_bool)
                .unwrap_or(false),
        },
        "goToUrl" => BrowserAction::GoToUrl {
            url: text(arg(args, 0, "url", name)?, "url", name)?,
        },
        "wait" => {
            let seconds = match arg(args, 0, "seconds", name)? {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            }
            .filter(|s| s.is_finite() && *s >= 0.0)
            .ok_or_else(|| CallError::invalid("wait: seconds must be a non-negative number"))?;
            BrowserAction::Wait { seconds }
        }
        "waitForPageToSettle" => BrowserAction::WaitForPageToSettle,
        "takeObservation" => BrowserAction::TakeObservation,
        "think" => BrowserAction::Think {
            thought: args
                .first()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .unwrap_or_default(),
        },
        other => return Err(CallError::unsupported(other)),
    };
    Ok(Planned::Browser(action))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn decodes_every_browser_action() {
        let b = "<bbox>100,200,300,400</bbox>";
        let cases = [
            ("agentClick", json!([b, {"clickType": "double"}])),
            ("agentHover", json!([b])),
            ("agentScroll", json!(["down", b])),
            ("agentType", json!(["hello", b, {"pressEnter": true}])),
            ("goToUrl", json!(["https://example.com"])),
            ("wait", json!([1.5])),
            ("waitForPageToSettle", json!([])),
            ("takeObservation", json!([])),
            ("think", json!(["hmm"])),
        ];
        for (name, input) in cases {
            let Planned::Browser(action) = decode(name, &input).unwrap() else {
                panic!("{name} is a browser action");
            };
            assert_eq!(action.name(), name);
        }
        assert_eq!(
            decode("return", &json!(["$4.99"])).unwrap(),
            Planned::Return(Some(json!("$4.99")))
        );
        assert_eq!(decode("return", &json!([])).unwrap(), Planned::Return(None));
        assert!(matches!(
            decode("lookup", &json!({"q": 1})).unwrap(),
            Planned::Tool { .. }
        ));
    }

    #[test]
    fn bad_arguments_are_call_errors_not_panics() {
        for (name, input) in [
            ("agentClick", json!([])),
            ("agentClick", json!(["<bbox>1,2,3</bbox>"])),
            ("agentClick", json!(["<bbox>5,5,1,1</bbox>"])),
            ("agentScroll", json!(["sideways", "<bbox>1,1,2,2</bbox>"])),
            ("wait", json!([-1])),
            ("goToUrl", json!([42])),
            ("teleport", json!([])),
            ("agentType", json!("not an array")),
        ] {
            assert!(decode(name, &input).is_err(), "{name} {input}");
        }
        assert_eq!(
            decode("teleport", &json!([])).unwrap_err().kind,
            "UnknownAction"
        );
    }
}
