//! The rule evaluator: binds parameters, walks the rules top to bottom and
//! produces the first matching endpoint or error.

use super::functions;
use super::partition::Partitions;
use super::rules::{Action, Call, Condition, EndpointTemplate, Expr, Rule, RuleSet};
use super::template::{Part, Template};
use super::value::{Describe, Value};
use std::collections::BTreeMap;

/// The endpoint an `endpoint` rule produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Resolved {
    pub(crate) url: String,
    pub(crate) properties: BTreeMap<String, Value>,
    /// Header name and value, one entry per value, in rule order.
    pub(crate) headers: Vec<(String, String)>,
}

/// Why evaluation produced no endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum EvalError {
    /// An `error` rule matched; its message, unchanged.
    Rule(String),
    /// The rule set or the inputs are malformed (unknown function or name,
    /// wrong type, no rule matched, ...).
    Invalid(String),
}

type Eval<T> = Result<T, EvalError>;

fn invalid<T>(message: impl Into<String>) -> Eval<T> {
    Err(EvalError::Invalid(message.into()))
}

/// Evaluates `rule_set` with the given parameter values (by parameter name).
/// Parameters not in `inputs` take their declared default or stay unset.
pub(crate) fn evaluate(
    rule_set: &RuleSet,
    partitions: &Partitions,
    inputs: &BTreeMap<String, Value>,
) -> Eval<Resolved> {
    if let Some(name) = inputs
        .keys()
        .find(|name| !rule_set.parameters.iter().any(|p| &p.name == *name))
    {
        return invalid(format!("`{name}` is not a parameter of this rule set"));
    }
    let mut scope = Scope::default();
    for param in &rule_set.parameters {
        let value = inputs.get(&param.name).or(param.default.as_ref()).cloned();
        match &value {
            Some(v) if !param.kind.accepts(v) => {
                return invalid(format!(
                    "parameter `{}` expects {:?}, got {}",
                    param.name,
                    param.kind,
                    v.type_name()
                ))
            }
            None if param.required => {
                return invalid(format!("required parameter `{}` is unset", param.name))
            }
            _ => {}
        }
        scope.vars.push((param.name.clone(), value));
    }
    let evaluator = Evaluator { partitions };
    match evaluator.rules(&rule_set.rules, &mut scope)? {
        Some(resolved) => Ok(resolved),
        None => invalid("no rule matched"),
    }
}

/// Names visible to the rule being evaluated: parameters first, then the
/// `assign`ed values of enclosing rules, innermost last.
#[derive(Default)]
struct Scope {
    vars: Vec<(String, Option<Value>)>,
}

impl Scope {
    fn get(&self, name: &str) -> Eval<Option<&Value>> {
        match self.vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, value)) => Ok(value.as_ref()),
            None => invalid(format!("reference to unknown name `{name}`")),
        }
    }
}

struct Evaluator<'p> {
    partitions: &'p Partitions,
}

impl Evaluator<'_> {
    /// The first rule whose conditions hold decides; `None` if none holds.
    fn rules(&self, rules: &[Rule], scope: &mut Scope) -> Eval<Option<Resolved>> {
        for rule in rules {
            let mark = scope.vars.len();
            let outcome = if self.conditions(&rule.conditions, scope)? {
                Some(self.action(&rule.action, scope))
            } else {
                None
            };
            scope.vars.truncate(mark);
            if let Some(outcome) = outcome {
                return outcome.map(Some);
            }
        }
        Ok(None)
    }

    fn action(&self, action: &Action, scope: &mut Scope) -> Eval<Resolved> {
        match action {
            Action::Endpoint(endpoint) => self.endpoint(endpoint, scope),
            Action::Error(message) => match self.expr(message, scope)? {
                Some(Value::String(message)) => Err(EvalError::Rule(message)),
                other => invalid(format!(
                    "error message must be a string, got {}",
                    Describe(other.as_ref())
                )),
            },
            // A tree commits: if none of its rules match, evaluation fails.
            Action::Tree(rules) => match self.rules(rules, scope)? {
                Some(resolved) => Ok(resolved),
                None => invalid("a tree rule matched but none of its rules did"),
            },
        }
    }

    /// All conditions must hold; each may bind its result for what follows.
    fn conditions(&self, conditions: &[Condition], scope: &mut Scope) -> Eval<bool> {
        for condition in conditions {
            let value = self.call(&condition.call, scope)?;
            let holds = !matches!(value, None | Some(Value::Bool(false)));
            if !holds {
                return Ok(false);
            }
            if let Some(name) = &condition.assign {
                if scope.vars.iter().any(|(n, _)| n == name) {
                    return invalid(format!("`assign` would shadow the name `{name}`"));
                }
                scope.vars.push((name.clone(), value));
            }
        }
        Ok(true)
    }

    fn call(&self, call: &Call, scope: &Scope) -> Eval<Option<Value>> {
        let args = call
            .args
            .iter()
            .map(|arg| self.expr(arg, scope))
            .collect::<Eval<Vec<_>>>()?;
        functions::call(&call.name, &args, self.partitions).map_err(EvalError::Invalid)
    }

    fn expr(&self, expr: &Expr, scope: &Scope) -> Eval<Option<Value>> {
        Ok(Some(match expr {
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Int(i) => Value::Int(*i),
            Expr::String(template) => Value::String(self.template(template, scope)?),
            Expr::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| self.set_expr(item, scope))
                    .collect::<Eval<_>>()?,
            ),
            Expr::Object(fields) => Value::Object(self.object(fields, scope)?),
            Expr::Ref(name) => return Ok(scope.get(name)?.cloned()),
            Expr::Call(call) => return self.call(call, scope),
        }))
    }

    /// An expression whose value must be set (inside arrays, objects, endpoints).
    fn set_expr(&self, expr: &Expr, scope: &Scope) -> Eval<Value> {
        match self.expr(expr, scope)? {
            Some(value) => Ok(value),
            None => invalid("an unset value cannot be placed in a literal or an endpoint"),
        }
    }

    fn object(&self, fields: &[(String, Expr)], scope: &Scope) -> Eval<BTreeMap<String, Value>> {
        fields
            .iter()
            .map(|(key, expr)| Ok((key.clone(), self.set_expr(expr, scope)?)))
            .collect()
    }

    fn template(&self, template: &Template, scope: &Scope) -> Eval<String> {
        let mut out = String::new();
        for part in &template.0 {
            let (name, value) = match part {
                Part::Text(text) => {
                    out.push_str(text);
                    continue;
                }
                Part::Ref(name) => (name, scope.get(name)?),
                Part::Attr(name, path) => (name, scope.get(name)?.and_then(|v| path.get(v))),
            };
            match value {
                Some(Value::String(s)) => out.push_str(s),
                other => {
                    return invalid(format!(
                        "template placeholder for `{name}` must be a string, got {}",
                        Describe(other)
                    ))
                }
            }
        }
        Ok(out)
    }

    fn endpoint(&self, endpoint: &EndpointTemplate, scope: &Scope) -> Eval<Resolved> {
        let url = match self.set_expr(&endpoint.url, scope)? {
            Value::String(url) => url,
            other => {
                return invalid(format!(
                    "endpoint url must be a string, got {}",
                    other.type_name()
                ))
            }
        };
        let properties = self.object(&endpoint.properties, scope)?;
        let mut headers = Vec::new();
        for (name, values) in &endpoint.headers {
            for value in values {
                match self.set_expr(value, scope)? {
                    Value::String(v) => headers.push((name.clone(), v)),
                    other => {
                        return invalid(format!(
                            "header `{name}` value must be a string, got {}",
                            other.type_name()
                        ))
                    }
                }
            }
        }
        Ok(Resolved {
            url,
            properties,
            headers,
        })
    }
}

#[cfg(test)]
mod tests;
