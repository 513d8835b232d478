//! Structured answers: the JSON Schema an act's answer must match, checked before the act starts
//! and applied to what the agent returns.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

/// What an act's answer must look like: a JSON Schema (Draft 7), checked when it is made, and
/// given to the model with the task as the Python SDK does (`…, format output with jsonschema:
/// {schema}`).
///
/// ```
/// use nova_act_core::runtime::AnswerSchema;
/// use serde_json::json;
///
/// let schema = AnswerSchema::new(json!({
///     "type": "object",
///     "properties": {"price": {"type": "number"}},
///     "required": ["price"]
/// }))?;
/// assert_eq!(schema.check(&json!("{\"price\": 3.5}"))?, json!({"price": 3.5}));
/// assert!(schema.check(&json!("about three euros")).is_err());
///
/// // Not a schema: refused before anything is sent.
/// assert!(AnswerSchema::new(json!({"type": "price"})).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct AnswerSchema {
    schema: Value,
    validator: Arc<jsonschema::Validator>,
}

impl fmt::Debug for AnswerSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AnswerSchema").field(&self.schema).finish()
    }
}

impl PartialEq for AnswerSchema {
    fn eq(&self, other: &Self) -> bool {
        self.schema == other.schema
    }
}

/// A schema that is not a valid JSON Schema (Draft 7).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the answer schema is not a valid JSON Schema (Draft 7): {}; fix the schema", errors.join("; "))]
#[non_exhaustive]
pub struct InvalidSchema {
    /// What is wrong with it, one entry per problem.
    pub errors: Vec<String>,
}

/// An answer that does not match its schema.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the answer {} does not match the schema: {}", short(raw), errors.join("; "))]
#[non_exhaustive]
pub struct Mismatch {
    /// The answer as the agent gave it.
    pub raw: String,
    /// Why it does not match, one entry per problem.
    pub errors: Vec<String>,
}

fn short(raw: &str) -> String {
    const MAX: usize = 200;
    let mut text: String = raw.chars().take(MAX).collect();
    if raw.chars().count() > MAX {
        text.push('…');
    }
    format!("`{text}`")
}

impl AnswerSchema {
    /// `schema`, once it is known to be a valid Draft 7 JSON Schema.
    pub fn new(schema: Value) -> Result<Self, InvalidSchema> {
        let meta = jsonschema::draft7::meta::validator();
        let errors: Vec<String> = meta
            .iter_errors(&schema)
            .map(|err| at(&err.instance_path().to_string(), &err.to_string()))
            .collect();
        if !errors.is_empty() {
            return Err(InvalidSchema { errors });
        }
        let validator = jsonschema::draft7::new(&schema).map_err(|err| InvalidSchema {
            errors: vec![err.to_string()],
        })?;
        Ok(Self {
            schema,
            validator: Arc::new(validator),
        })
    }

    /// Any string (the Python SDK's `STRING_SCHEMA`).
    #[allow(clippy::expect_used)] // a literal schema, valid by inspection and by test
    pub fn string() -> Self {
        Self::new(serde_json::json!({"type": "string"})).expect("a valid schema")
    }

    /// `true` or `false` (the Python SDK's `BOOL_SCHEMA`).
    #[allow(clippy::expect_used)] // a literal schema, valid by inspection and by test
    pub fn boolean() -> Self {
        Self::new(serde_json::json!({"type": "boolean"})).expect("a valid schema")
    }

    /// The schema of `T`, derived by `schemars` (Draft 7). It fails only where `T`'s schema
    /// attributes do (an invalid `#[schemars(regex(…))]`, say).
    pub fn of<T: schemars::JsonSchema + ?Sized>() -> Result<Self, InvalidSchema> {
        let schema = schemars::generate::SchemaSettings::draft07()
            .into_generator()
            .into_root_schema_for::<T>();
        Self::new(schema.to_value())
    }

    /// The schema itself.
    pub fn as_value(&self) -> &Value {
        &self.schema
    }

    /// The task as the model receives it: with the schema appended.
    pub(crate) fn prompt(&self, task: &str) -> String {
        format!("{task}, format output with jsonschema: {}", self.schema)
    }

    /// Whether the schema is exactly "any string".
    fn is_string(&self) -> bool {
        self.schema == serde_json::json!({"type": "string"})
    }

    /// The answer as JSON, if it matches. The agent returns text: it is parsed as JSON first; a
    /// text that is not JSON matches only the string schema. A JSON value other than a string is
    /// checked as it is.
    pub fn check(&self, answer: &Value) -> Result<Value, Mismatch> {
        let (raw, parsed) = match answer {
            Value::String(text) => match serde_json::from_str::<Value>(text) {
                Ok(parsed) => (text.clone(), parsed),
                Err(_) if self.is_string() => return Ok(answer.clone()),
                Err(err) => {
                    return Err(Mismatch {
                        raw: text.clone(),
                        errors: vec![format!("it is not JSON ({err})")],
                    });
                }
            },
            other => (other.to_string(), other.clone()),
        };
        let errors: Vec<String> = self
            .validator
            .iter_errors(&parsed)
            .map(|err| at(&err.instance_path().to_string(), &err.to_string()))
            .collect();
        if errors.is_empty() {
            Ok(parsed)
        } else if self.is_string() {
            // A JSON text that is not a string ("42") is still a string answer.
            Ok(Value::String(raw))
        } else {
            Err(Mismatch { raw, errors })
        }
    }
}

/// `message`, prefixed with where in the document it applies unless that is the root.
fn at(path: &str, message: &str) -> String {
    if path.is_empty() {
        message.to_owned()
    } else {
        format!("at {path}: {message}")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn invalid_schemas_name_each_problem() {
        let err = AnswerSchema::new(json!({"type": "price", "required": "x"})).unwrap_err();
        assert_eq!(err.errors.len(), 2, "{err}");
        assert!(err.to_string().ends_with("; fix the schema"), "{err}");
        let err = AnswerSchema::new(json!({"type": "string", "pattern": "(["})).unwrap_err();
        assert!(!err.errors.is_empty(), "{err}");
    }

    #[test]
    fn text_that_is_not_json_matches_only_the_string_schema() {
        assert_eq!(
            AnswerSchema::string().check(&json!("plain words")).unwrap(),
            json!("plain words")
        );
        assert_eq!(
            AnswerSchema::string().check(&json!("42")).unwrap(),
            json!("42")
        );
        let err = AnswerSchema::boolean()
            .check(&json!("plain words"))
            .unwrap_err();
        assert_eq!(err.raw, "plain words");
        assert!(err.errors[0].starts_with("it is not JSON"), "{err}");
        assert_eq!(
            AnswerSchema::boolean().check(&json!("true")).unwrap(),
            json!(true)
        );
    }

    #[test]
    fn mismatches_say_where() {
        let schema = AnswerSchema::new(json!({
            "type": "object",
            "properties": {"items": {"type": "array", "items": {"type": "integer"}}},
            "required": ["items"]
        }))
        .unwrap();
        let err = schema
            .check(&json!(r#"{"items": [1, "two"]}"#))
            .unwrap_err();
        assert_eq!(
            err.errors,
            vec![r#"at /items/1: "two" is not of type "integer""#]
        );
        assert_eq!(
            schema.check(&json!({"items": [1, 2]})).unwrap(),
            json!({"items": [1, 2]})
        );
    }

    #[test]
    fn schemas_derive_from_types() {
        #[derive(schemars::JsonSchema)]
        #[allow(dead_code)]
        struct Price {
            amount: f64,
            currency: String,
        }
        let schema = AnswerSchema::of::<Price>().unwrap();
        assert_eq!(
            schema.as_value()["$schema"],
            "http://json-schema.org/draft-07/schema#"
        );
        assert!(
            schema
                .check(&json!(r#"{"amount": 3.5, "currency": "EUR"}"#))
                .is_ok()
        );
        assert!(schema.check(&json!(r#"{"amount": "3.5"}"#)).is_err());
        assert!(
            schema
                .prompt("find the price")
                .starts_with("find the price, format output with jsonschema: {")
        );
    }
}
