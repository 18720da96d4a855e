//! The parsed form of a Smithy endpoint rule set (rules language 1.0) and
//! its parser from the JSON document.

use super::template::Template;
use super::value::Value;
use serde_json::{Map, Value as Json};

/// A whole rule set: declared parameters and the top-level rules.
#[derive(Clone, Debug)]
pub(crate) struct RuleSet {
    pub(crate) parameters: Vec<Parameter>,
    pub(crate) rules: Vec<Rule>,
}

/// The declared type of a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ParamType {
    String,
    Boolean,
    StringArray,
}

impl ParamType {
    pub(crate) fn accepts(self, value: &Value) -> bool {
        match (self, value) {
            (ParamType::String, Value::String(_)) | (ParamType::Boolean, Value::Bool(_)) => true,
            (ParamType::StringArray, Value::Array(items)) => {
                items.iter().all(|v| matches!(v, Value::String(_)))
            }
            _ => false,
        }
    }
}

/// A declared parameter (`"parameters": {"Region": {...}}`).
#[derive(Clone, Debug)]
pub(crate) struct Parameter {
    pub(crate) name: String,
    pub(crate) kind: ParamType,
    pub(crate) required: bool,
    pub(crate) default: Option<Value>,
    /// The SDK built-in that feeds this parameter, e.g. `AWS::Region`.
    pub(crate) built_in: Option<String>,
}

/// A rule: conditions that must all hold, then what the rule does.
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    pub(crate) conditions: Vec<Condition>,
    pub(crate) action: Action,
}

/// What a rule does once its conditions hold.
#[derive(Clone, Debug)]
pub(crate) enum Action {
    Endpoint(EndpointTemplate),
    Error(Expr),
    Tree(Vec<Rule>),
}

/// The `endpoint` object of an endpoint rule.
#[derive(Clone, Debug)]
pub(crate) struct EndpointTemplate {
    pub(crate) url: Expr,
    pub(crate) properties: Vec<(String, Expr)>,
    pub(crate) headers: Vec<(String, Vec<Expr>)>,
}

/// A function call used as a condition, optionally binding its result.
#[derive(Clone, Debug)]
pub(crate) struct Condition {
    pub(crate) call: Call,
    pub(crate) assign: Option<String>,
}

/// `{"fn": name, "argv": [...]}`.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub(crate) name: String,
    pub(crate) args: Vec<Expr>,
}

/// An expression: a literal, a reference, or a function call.
#[derive(Clone, Debug)]
pub(crate) enum Expr {
    Bool(bool),
    Int(i64),
    /// Every string literal is a template (most have no placeholders).
    String(Template),
    Array(Vec<Expr>),
    Object(Vec<(String, Expr)>),
    Ref(String),
    Call(Box<Call>),
}

impl RuleSet {
    /// Parses the JSON text of an `endpoint-rule-set-1.json` document.
    pub(crate) fn from_json_str(text: &str) -> Result<RuleSet, String> {
        let json: Json =
            serde_json::from_str(text).map_err(|e| format!("rule set is not JSON: {e}"))?;
        RuleSet::from_json(&json)
    }

    pub(crate) fn from_json(json: &Json) -> Result<RuleSet, String> {
        let root = object(json, "rule set")?;
        match root.get("version").and_then(Json::as_str) {
            Some(v) if v.starts_with("1.") => {}
            Some(v) => return Err(format!("unsupported rule set version `{v}`")),
            None => return Err("rule set has no `version`".to_owned()),
        }
        let parameters = object(field(root, "parameters", "rule set")?, "parameters")?
            .iter()
            .map(|(name, p)| parse_parameter(name, p))
            .collect::<Result<_, _>>()?;
        let rules = parse_rules(field(root, "rules", "rule set")?)?;
        Ok(RuleSet { parameters, rules })
    }
}

fn object<'j>(json: &'j Json, what: &str) -> Result<&'j Map<String, Json>, String> {
    json.as_object()
        .ok_or_else(|| format!("{what} must be a JSON object"))
}

fn field<'j>(map: &'j Map<String, Json>, name: &str, what: &str) -> Result<&'j Json, String> {
    map.get(name)
        .ok_or_else(|| format!("{what} has no `{name}`"))
}

fn string<'j>(map: &'j Map<String, Json>, name: &str, what: &str) -> Result<&'j str, String> {
    field(map, name, what)?
        .as_str()
        .ok_or_else(|| format!("`{name}` of {what} must be a string"))
}

fn parse_parameter(name: &str, json: &Json) -> Result<Parameter, String> {
    let what = format!("parameter `{name}`");
    let map = object(json, &what)?;
    let kind = match string(map, "type", &what)? {
        t if t.eq_ignore_ascii_case("string") => ParamType::String,
        t if t.eq_ignore_ascii_case("boolean") => ParamType::Boolean,
        t if t.eq_ignore_ascii_case("stringArray") => ParamType::StringArray,
        t => return Err(format!("{what} has unsupported type `{t}`")),
    };
    let default = match map.get("default") {
        Some(d) => {
            let value = Value::from_json(d).map_err(|e| format!("default of {what}: {e}"))?;
            if !kind.accepts(&value) {
                return Err(format!("default of {what} does not match its type"));
            }
            Some(value)
        }
        None => None,
    };
    Ok(Parameter {
        name: name.to_owned(),
        kind,
        required: map.get("required").and_then(Json::as_bool).unwrap_or(false),
        default,
        built_in: map.get("builtIn").and_then(Json::as_str).map(str::to_owned),
    })
}

fn parse_rules(json: &Json) -> Result<Vec<Rule>, String> {
    json.as_array()
        .ok_or_else(|| "`rules` must be an array".to_owned())?
        .iter()
        .map(parse_rule)
        .collect()
}

fn parse_rule(json: &Json) -> Result<Rule, String> {
    let map = object(json, "rule")?;
    let conditions = match map.get("conditions") {
        Some(c) => c
            .as_array()
            .ok_or_else(|| "`conditions` must be an array".to_owned())?
            .iter()
            .map(parse_condition)
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let action = match string(map, "type", "rule")? {
        "endpoint" => Action::Endpoint(parse_endpoint(field(map, "endpoint", "endpoint rule")?)?),
        "error" => Action::Error(parse_expr(field(map, "error", "error rule")?)?),
        "tree" => Action::Tree(parse_rules(field(map, "rules", "tree rule")?)?),
        other => return Err(format!("unknown rule type `{other}`")),
    };
    Ok(Rule { conditions, action })
}

fn parse_condition(json: &Json) -> Result<Condition, String> {
    let map = object(json, "condition")?;
    let call = parse_call(map)?;
    let assign = match map.get("assign") {
        Some(a) => Some(
            a.as_str()
                .ok_or_else(|| "`assign` must be a string".to_owned())?
                .to_owned(),
        ),
        None => None,
    };
    Ok(Condition { call, assign })
}

fn parse_call(map: &Map<String, Json>) -> Result<Call, String> {
    let name = string(map, "fn", "function call")?.to_owned();
    let args = field(map, "argv", "function call")?
        .as_array()
        .ok_or_else(|| format!("`argv` of `{name}` must be an array"))?
        .iter()
        .map(parse_expr)
        .collect::<Result<_, _>>()?;
    Ok(Call { name, args })
}

fn parse_endpoint(json: &Json) -> Result<EndpointTemplate, String> {
    let map = object(json, "endpoint")?;
    let url = parse_expr(field(map, "url", "endpoint")?)?;
    let properties = match map.get("properties") {
        Some(p) => object(p, "endpoint properties")?
            .iter()
            .map(|(k, v)| Ok((k.clone(), parse_expr(v)?)))
            .collect::<Result<_, String>>()?,
        None => Vec::new(),
    };
    let headers = match map.get("headers") {
        Some(h) => object(h, "endpoint headers")?
            .iter()
            .map(|(name, values)| {
                let values = values
                    .as_array()
                    .ok_or_else(|| format!("header `{name}` must be an array"))?
                    .iter()
                    .map(parse_expr)
                    .collect::<Result<_, _>>()?;
                Ok((name.clone(), values))
            })
            .collect::<Result<_, String>>()?,
        None => Vec::new(),
    };
    Ok(EndpointTemplate {
        url,
        properties,
        headers,
    })
}

fn parse_expr(json: &Json) -> Result<Expr, String> {
    Ok(match json {
        Json::Bool(b) => Expr::Bool(*b),
        Json::Number(n) => Expr::Int(
            n.as_i64()
                .ok_or_else(|| format!("number {n} is not a 64-bit integer"))?,
        ),
        Json::String(s) => Expr::String(Template::parse(s)?),
        Json::Array(items) => Expr::Array(items.iter().map(parse_expr).collect::<Result<_, _>>()?),
        Json::Object(map) if map.contains_key("fn") => Expr::Call(Box::new(parse_call(map)?)),
        Json::Object(map) if map.contains_key("ref") => {
            Expr::Ref(string(map, "ref", "reference")?.to_owned())
        }
        Json::Object(map) => Expr::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), parse_expr(v)?)))
                .collect::<Result<_, String>>()?,
        ),
        Json::Null => return Err("null is not an expression".to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_rule_sets_parse() {
        for text in [
            super::super::SSO_OIDC_RULES,
            super::super::SSO_RULES,
            super::super::STS_RULES,
        ] {
            let rs = RuleSet::from_json_str(text).unwrap();
            assert!(rs.parameters.iter().any(|p| p.name == "Region"));
            assert!(!rs.rules.is_empty());
        }
    }

    #[test]
    fn rejects_bad_shapes() {
        let cases = [
            ("", "not JSON"),
            ("[]", "must be a JSON object"),
            (r#"{"parameters":{},"rules":[]}"#, "no `version`"),
            (
                r#"{"version":"2.0","parameters":{},"rules":[]}"#,
                "unsupported",
            ),
            (r#"{"version":"1.0","rules":[]}"#, "no `parameters`"),
            (
                r#"{"version":"1.0","parameters":{"A":{"type":"float"}},"rules":[]}"#,
                "unsupported type",
            ),
            (
                r#"{"version":"1.0","parameters":{"A":{"type":"boolean","default":"x"}},"rules":[]}"#,
                "does not match",
            ),
            (
                r#"{"version":"1.0","parameters":{},"rules":[{"type":"loop"}]}"#,
                "unknown rule type",
            ),
            (
                r#"{"version":"1.0","parameters":{},"rules":[{"type":"error","error":null}]}"#,
                "null",
            ),
            (
                r#"{"version":"1.0","parameters":{},"rules":[{"type":"error","error":"{"}]}"#,
                "unclosed",
            ),
            (
                r#"{"version":"1.0","parameters":{},"rules":[{"type":"tree","conditions":[{"fn":"isSet"}],"rules":[]}]}"#,
                "no `argv`",
            ),
            (
                r#"{"version":"1.0","parameters":{},"rules":[{"type":"endpoint","endpoint":{"url":1.5}}]}"#,
                "not a 64-bit integer",
            ),
        ];
        for (text, want) in cases {
            let err = RuleSet::from_json_str(text).unwrap_err();
            assert!(err.contains(want), "{text}: got {err:?}, want {want:?}");
        }
    }
}
