//! The partition table (`partitions.json`) behind `aws.partition(region)`.

use super::value::Value;
use regex_lite::Regex;
use serde::Deserialize;
use std::collections::BTreeMap;

/// All partitions, in file order.
#[derive(Clone, Debug)]
pub(crate) struct Partitions {
    list: Vec<Partition>,
}

#[derive(Clone, Debug)]
struct Partition {
    id: String,
    /// `regionRegex`, anchored so that it must match the whole name.
    region_regex: Regex,
    /// The partition's `outputs`, with `name` defaulting to the id.
    outputs: BTreeMap<String, Value>,
    /// Known regions and the output fields each one overrides.
    regions: BTreeMap<String, BTreeMap<String, Value>>,
}

#[derive(Deserialize)]
struct FileJson {
    partitions: Vec<PartitionJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PartitionJson {
    id: String,
    outputs: serde_json::Map<String, serde_json::Value>,
    region_regex: String,
    #[serde(default)]
    regions: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
}

/// The partition used when a region matches nothing.
const FALLBACK_PARTITION: &str = "aws";

impl Partitions {
    /// Parses the JSON text of `partitions.json`.
    pub(crate) fn from_json_str(text: &str) -> Result<Partitions, String> {
        let file: FileJson =
            serde_json::from_str(text).map_err(|e| format!("partition table is invalid: {e}"))?;
        let list = file
            .partitions
            .into_iter()
            .map(Partition::from_json)
            .collect::<Result<_, _>>()?;
        Ok(Partitions { list })
    }

    /// `aws.partition(region)`: the explicit `regions` lists first (with that
    /// region's overrides merged into the outputs), then the first partition
    /// whose `regionRegex` matches, then the `aws` partition. `None` only if
    /// the table has no `aws` partition.
    pub(crate) fn resolve(&self, region: &str) -> Option<Value> {
        if let Some((partition, overrides)) = self
            .list
            .iter()
            .find_map(|p| p.regions.get(region).map(|o| (p, o)))
        {
            let mut outputs = partition.outputs.clone();
            outputs.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
            return Some(Value::Object(outputs));
        }
        self.list
            .iter()
            .find(|p| p.region_regex.is_match(region))
            .or_else(|| self.list.iter().find(|p| p.id == FALLBACK_PARTITION))
            .map(|p| Value::Object(p.outputs.clone()))
    }
}

impl Partition {
    fn from_json(json: PartitionJson) -> Result<Partition, String> {
        let what = format!("partition `{}`", json.id);
        let region_regex = Regex::new(&format!("^(?:{})$", json.region_regex))
            .map_err(|e| format!("{what} has an invalid regionRegex: {e}"))?;
        let mut outputs = convert_map(&json.outputs).map_err(|e| format!("{what}: {e}"))?;
        outputs
            .entry("name".to_owned())
            .or_insert_with(|| Value::String(json.id.clone()));
        let regions = json
            .regions
            .iter()
            .map(|(name, fields)| {
                // Everything except the human-readable description overrides an output.
                let mut overrides = convert_map(fields).map_err(|e| format!("{what}: {e}"))?;
                overrides.remove("description");
                Ok((name.clone(), overrides))
            })
            .collect::<Result<_, String>>()?;
        Ok(Partition {
            id: json.id,
            region_regex,
            outputs,
            regions,
        })
    }
}

fn convert_map(
    map: &serde_json::Map<String, serde_json::Value>,
) -> Result<BTreeMap<String, Value>, String> {
    map.iter()
        .map(|(k, v)| Ok((k.clone(), Value::from_json(v)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Partitions {
        Partitions::from_json_str(super::super::PARTITIONS).unwrap()
    }

    fn field(p: &Value, name: &str) -> String {
        match p {
            Value::Object(m) => match m.get(name) {
                Some(Value::String(s)) => s.clone(),
                other => panic!("{name}: {other:?}"),
            },
            other => panic!("not an object: {other:?}"),
        }
    }

    #[test]
    fn resolves_like_the_spec_table() {
        let t = table();
        let cases = [
            ("us-east-1", "aws", "amazonaws.com"),
            ("aws-global", "aws", "amazonaws.com"),
            ("us-east-3", "aws", "amazonaws.com"),
            ("cn-north-1", "aws-cn", "amazonaws.com.cn"),
            ("aws-cn-global", "aws-cn", "amazonaws.com.cn"),
            ("cn-south-9", "aws-cn", "amazonaws.com.cn"),
            ("us-gov-west-1", "aws-us-gov", "amazonaws.com"),
            ("us-gov-north-7", "aws-us-gov", "amazonaws.com"),
            ("us-iso-east-1", "aws-iso", "c2s.ic.gov"),
            ("us-isob-east-1", "aws-iso-b", "sc2s.sgov.gov"),
            ("eu-isoe-west-1", "aws-iso-e", "cloud.adc-e.uk"),
            ("us-isof-south-1", "aws-iso-f", "csp.hci.ic.gov"),
            ("eusc-de-east-1", "aws-eusc", "amazonaws.eu"),
            ("eusc-de-west-2", "aws-eusc", "amazonaws.eu"),
            ("mars-1", "aws", "amazonaws.com"),
            ("", "aws", "amazonaws.com"),
            // The regex must match the whole name, not a prefix.
            ("cn-north-1x", "aws", "amazonaws.com"),
        ];
        for (region, name, suffix) in cases {
            let p = t.resolve(region).unwrap();
            assert_eq!(field(&p, "name"), name, "{region}");
            assert_eq!(field(&p, "dnsSuffix"), suffix, "{region}");
        }
    }

    #[test]
    fn merges_region_overrides_and_defaults_name() {
        let text = r#"{"partitions":[
            {"id":"aws","outputs":{"dnsSuffix":"a.com","supportsFIPS":true},
             "regionRegex":"^x-\\d+$",
             "regions":{"x-odd":{"description":"odd","dnsSuffix":"odd.com","supportsFIPS":false}}}
        ],"version":"1.1"}"#;
        let t = Partitions::from_json_str(text).unwrap();
        let odd = t.resolve("x-odd").unwrap();
        assert_eq!(field(&odd, "dnsSuffix"), "odd.com");
        assert_eq!(field(&odd, "name"), "aws");
        let Value::Object(m) = &odd else { panic!() };
        assert_eq!(m.get("supportsFIPS"), Some(&Value::Bool(false)));
        assert!(!m.contains_key("description"));
        assert_eq!(field(&t.resolve("x-1").unwrap(), "dnsSuffix"), "a.com");
    }

    #[test]
    fn no_fallback_partition_gives_unset() {
        let text = r#"{"partitions":[{"id":"other","outputs":{},"regionRegex":"^o$"}]}"#;
        let t = Partitions::from_json_str(text).unwrap();
        assert!(t.resolve("o").is_some());
        assert_eq!(t.resolve("us-east-1"), None);
    }

    #[test]
    fn rejects_bad_tables() {
        assert!(Partitions::from_json_str("{}").is_err());
        let bad_regex = r#"{"partitions":[{"id":"x","outputs":{},"regionRegex":"("}]}"#;
        assert!(Partitions::from_json_str(bad_regex)
            .unwrap_err()
            .contains("regionRegex"));
    }
}
