//! Values produced while evaluating a rule set, and their conversion from JSON.

use std::collections::BTreeMap;
use std::fmt;

/// A value of the rules language. "Unset" is represented as `Option::None`
/// by the code that handles values, never as a variant here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    Bool(bool),
    String(String),
    Int(i64),
    Array(Vec<Value>),
    Object(BTreeMap<String, Value>),
}

impl Value {
    /// Name of the value's type, for error messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Bool(_) => "boolean",
            Value::String(_) => "string",
            Value::Int(_) => "integer",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Converts plain JSON data (no references or function calls) into a value.
    /// `null` and non-integer numbers have no counterpart in the rules language.
    pub(crate) fn from_json(json: &serde_json::Value) -> Result<Value, String> {
        Ok(match json {
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Number(n) => Value::Int(
                n.as_i64()
                    .ok_or_else(|| format!("number {n} is not a 64-bit integer"))?,
            ),
            serde_json::Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(Value::from_json)
                    .collect::<Result<_, _>>()?,
            ),
            serde_json::Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), Value::from_json(v)?)))
                    .collect::<Result<_, String>>()?,
            ),
            serde_json::Value::Null => return Err("null is not a value".to_owned()),
        })
    }
}

/// Short description of an optional value, for error messages.
pub(crate) struct Describe<'a>(pub(crate) Option<&'a Value>);

impl fmt::Display for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("unset"),
            Some(v) => f.write_str(v.type_name()),
        }
    }
}
