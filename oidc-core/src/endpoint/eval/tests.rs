//! Evaluator tests on small hand-written rule sets.

use super::*;

fn partitions() -> Partitions {
    Partitions::from_json_str(super::super::PARTITIONS).unwrap()
}

/// A rule set with parameters `Region` (string) and `Flag` (boolean,
/// default false) and the given rules.
fn rule_set(rules: &str) -> RuleSet {
    let text = format!(
        r#"{{"version":"1.0",
            "parameters":{{
                "Region":{{"type":"string","required":false}},
                "Flag":{{"type":"boolean","required":true,"default":false}}
            }},
            "rules":{rules}}}"#
    );
    RuleSet::from_json_str(&text).unwrap()
}

fn run(rules: &str, inputs: &[(&str, Value)]) -> Eval<Resolved> {
    let inputs = inputs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    evaluate(&rule_set(rules), &partitions(), &inputs)
}

fn region(r: &str) -> (&'static str, Value) {
    ("Region", Value::String(r.to_owned()))
}

fn invalid_message(result: Eval<Resolved>) -> String {
    match result {
        Err(EvalError::Invalid(message)) => message,
        other => panic!("expected an evaluation error, got {other:?}"),
    }
}

#[test]
fn endpoint_with_assign_template_and_properties() {
    let rules = r#"[{
        "type":"endpoint",
        "conditions":[
            {"fn":"isSet","argv":[{"ref":"Region"}]},
            {"fn":"aws.partition","argv":[{"ref":"Region"}],"assign":"P"},
            {"fn":"getAttr","argv":[{"ref":"P"},"name"],"assign":"Name"}
        ],
        "endpoint":{
            "url":"https://svc.{Region}.{P#dnsSuffix}",
            "properties":{"authSchemes":[{"name":"sigv4","signingRegion":"{Region}","n":1,"b":true}],
                          "partition":"{Name}"},
            "headers":{"x-a":["1","{Region}"]}
        }
    }]"#;
    let got = run(rules, &[region("cn-north-1")]).unwrap();
    assert_eq!(got.url, "https://svc.cn-north-1.amazonaws.com.cn");
    assert_eq!(
        got.properties.get("partition"),
        Some(&Value::String("aws-cn".into()))
    );
    let scheme = functions::call(
        "getAttr",
        &[
            Some(Value::Object(got.properties.clone())),
            Some(Value::String("authSchemes[0].signingRegion".into())),
        ],
        &partitions(),
    );
    assert_eq!(scheme, Ok(Some(Value::String("cn-north-1".into()))));
    assert_eq!(
        got.headers,
        vec![
            ("x-a".to_owned(), "1".to_owned()),
            ("x-a".to_owned(), "cn-north-1".to_owned())
        ]
    );
}

#[test]
fn first_matching_rule_wins_and_errors_keep_their_message() {
    let rules = r#"[
        {"type":"error","conditions":[{"fn":"booleanEquals","argv":[{"ref":"Flag"},true]}],
         "error":"flag set for {Region}"},
        {"type":"endpoint","conditions":[],"endpoint":{"url":"https://a"}},
        {"type":"endpoint","conditions":[],"endpoint":{"url":"https://b"}}
    ]"#;
    assert_eq!(run(rules, &[]).unwrap().url, "https://a");
    assert_eq!(
        run(rules, &[("Flag", Value::Bool(true)), region("r")]),
        Err(EvalError::Rule("flag set for r".into()))
    );
}

#[test]
fn assignments_do_not_leak_out_of_a_failed_rule() {
    // The first rule binds X and then fails; the second may bind X again.
    let rules = r#"[
        {"type":"endpoint","conditions":[
            {"fn":"aws.partition","argv":["us-east-1"],"assign":"X"},
            {"fn":"booleanEquals","argv":[{"ref":"Flag"},true]}],
         "endpoint":{"url":"https://first"}},
        {"type":"endpoint","conditions":[
            {"fn":"aws.partition","argv":["cn-north-1"],"assign":"X"}],
         "endpoint":{"url":"https://{X#dnsSuffix}"}}
    ]"#;
    assert_eq!(run(rules, &[]).unwrap().url, "https://amazonaws.com.cn");
}

#[test]
fn tree_scopes_assignments_to_children() {
    let rules = r#"[
        {"type":"tree","conditions":[{"fn":"aws.partition","argv":["us-east-1"],"assign":"P"}],
         "rules":[{"type":"endpoint","conditions":[],"endpoint":{"url":"https://{P#name}"}}]}
    ]"#;
    assert_eq!(run(rules, &[]).unwrap().url, "https://aws");
}

#[test]
fn malformed_rule_sets_are_errors_not_panics() {
    let cases = [
        (r#"[]"#, "no rule matched"),
        (
            r#"[{"type":"tree","conditions":[],"rules":[
                {"type":"endpoint","conditions":[{"fn":"isSet","argv":[{"ref":"Region"}]}],
                 "endpoint":{"url":"https://x"}}]}]"#,
            "none of its rules did",
        ),
        (
            r#"[{"type":"endpoint","conditions":[{"fn":"aws.parseArn","argv":["x"]}],"endpoint":{"url":"https://x"}}]"#,
            "unknown function `aws.parseArn`",
        ),
        (
            r#"[{"type":"endpoint","conditions":[{"fn":"isSet","argv":[{"ref":"Nope"}]}],"endpoint":{"url":"https://x"}}]"#,
            "unknown name `Nope`",
        ),
        (
            r#"[{"type":"endpoint","conditions":[],"endpoint":{"url":"https://{Region}"}}]"#,
            "placeholder for `Region` must be a string, got unset",
        ),
        (
            r#"[{"type":"endpoint","conditions":[],"endpoint":{"url":"https://{Flag}"}}]"#,
            "got boolean",
        ),
        (
            r#"[{"type":"endpoint","conditions":[],"endpoint":{"url":true}}]"#,
            "url must be a string",
        ),
        (
            r#"[{"type":"endpoint","conditions":[],"endpoint":{"url":{"ref":"Region"}}}]"#,
            "unset value",
        ),
        (
            r#"[{"type":"error","conditions":[],"error":{"ref":"Flag"}}]"#,
            "error message must be a string",
        ),
        (
            r#"[{"type":"endpoint","conditions":[{"fn":"isSet","argv":[true],"assign":"Flag"}],"endpoint":{"url":"https://x"}}]"#,
            "shadow",
        ),
        (
            r#"[{"type":"endpoint","conditions":[],"endpoint":{"url":"https://x","headers":{"h":[1]}}}]"#,
            "header `h` value must be a string",
        ),
        (
            r#"[{"type":"endpoint","conditions":[],"endpoint":{"url":"https://x","properties":{"p":{"ref":"Region"}}}}]"#,
            "unset value",
        ),
        (
            r#"[{"type":"endpoint","conditions":[{"fn":"not","argv":[]}],"endpoint":{"url":"https://x"}}]"#,
            "takes 1 argument(s), got 0",
        ),
    ];
    for (rules, want) in cases {
        let message = invalid_message(run(rules, &[]));
        assert!(
            message.contains(want),
            "{rules}: {message:?} lacks {want:?}"
        );
    }
}

#[test]
fn bad_inputs_are_errors() {
    let rules = r#"[{"type":"endpoint","conditions":[],"endpoint":{"url":"https://x"}}]"#;
    assert!(
        invalid_message(run(rules, &[("Other", Value::Bool(true))])).contains("not a parameter")
    );
    assert!(
        invalid_message(run(rules, &[("Flag", Value::String("yes".into()))]))
            .contains("expects Boolean")
    );

    let required = RuleSet::from_json_str(
        r#"{"version":"1.0","parameters":{"R":{"type":"string","required":true}},"rules":[]}"#,
    )
    .unwrap();
    let message = invalid_message(evaluate(&required, &partitions(), &BTreeMap::new()));
    assert!(
        message.contains("required parameter `R` is unset"),
        "{message}"
    );
}
