//! CloudTrail Lake query results: each row is a list of single-key objects
//! (`[{"eventID":"…"},{"eventTime":"2023-05-26 20:14:51.000"},…]`). A row becomes an ordinary
//! record: dotted column names (`userIdentity.arn`) nest, and the JSON blobs Lake returns as
//! strings are unwrapped.

use serde_json::{Map, Value};

const JSON_COLUMNS: [&str; 6] = [
    "userIdentity",
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "resources",
    "serviceEventDetails",
];

fn insert_path(obj: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        Some((head, rest)) if !head.is_empty() && !rest.is_empty() => {
            let slot = obj
                .entry(head.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(inner) = slot {
                insert_path(inner, rest, value);
            }
        }
        _ => {
            obj.insert(path.to_string(), value);
        }
    }
}

/// One Lake row as record JSON, or why it is not a row.
pub fn row_to_record(row: &[u8]) -> Result<Vec<u8>, String> {
    let cells: Vec<Map<String, Value>> =
        serde_json::from_slice(row).map_err(|e| format!("not a Lake row: {e}"))?;
    let mut rec = Map::new();
    for cell in cells {
        for (k, v) in cell {
            let v = match v {
                Value::String(s)
                    if JSON_COLUMNS.contains(&k.as_str())
                        && (s.starts_with('{') || s.starts_with('[')) =>
                {
                    serde_json::from_str(&s).unwrap_or(Value::String(s))
                }
                other => other,
            };
            insert_path(&mut rec, &k, v);
        }
    }
    serde_json::to_vec(&Value::Object(rec)).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nests_and_unwraps() {
        let row = br#"[{"eventID":"e1"},{"userIdentity.arn":"arn:x"},{"userIdentity.type":"IAMUser"},{"requestParameters":"{\"a\":1}"}]"#;
        let rec: Value = serde_json::from_slice(&row_to_record(row).unwrap()).unwrap();
        assert_eq!(
            rec,
            serde_json::json!({"eventID":"e1","userIdentity":{"arn":"arn:x","type":"IAMUser"},"requestParameters":{"a":1}})
        );
        assert!(row_to_record(b"{}").is_err());
    }
}
