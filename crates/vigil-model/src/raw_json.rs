//! JSON kept verbatim: CloudTrail's `requestParameters`, `responseElements` and friends vary by
//! API call, so the model keeps them as validated text rather than as a typed tree. Rules read
//! them through [`RawJson::value`] or [`RawJson::get`]; serialising writes the text unchanged.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// Text that is valid JSON (an object, array or scalar), kept exactly as the source wrote it.
#[derive(Debug, Clone)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// Validates `text` as JSON and keeps it.
    pub fn parse(text: impl Into<String>) -> Result<Self, serde_json::Error> {
        RawValue::from_string(text.into()).map(RawJson)
    }

    /// The JSON of a value.
    pub fn from_value(v: &serde_json::Value) -> Self {
        // A `Value` always serialises to valid JSON, so this cannot fail; `null` is a safe floor.
        RawValue::from_string(v.to_string())
            .or_else(|_| RawValue::from_string("null".to_string()))
            .map(RawJson)
            .unwrap_or_else(|_| RawJson::null())
    }

    pub fn null() -> Self {
        RawJson(serde_json::from_str("null").unwrap_or_else(|_| unreachable!("`null` is JSON")))
    }

    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// The text as a JSON tree (`Null` if it somehow is not JSON).
    pub fn value(&self) -> serde_json::Value {
        serde_json::from_str(self.0.get()).unwrap_or(serde_json::Value::Null)
    }

    /// The value at a JSON pointer (`/bucketName`, `/attributeName`), if any.
    pub fn get(&self, pointer: &str) -> Option<serde_json::Value> {
        self.value().pointer(pointer).cloned()
    }

    /// `true` for `null`, `{}` and `[]`: nothing worth keeping.
    pub fn is_empty_json(&self) -> bool {
        matches!(self.0.get().trim(), "null" | "{}" | "[]" | "")
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(d).map(RawJson)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_verbatim() {
        let text = r#"{"b": 1, "a": [true, null]}"#;
        let r = RawJson::parse(text).map_err(|e| e.to_string());
        assert_eq!(r.as_ref().map(RawJson::as_str), Ok(text));
        let out = r.map(|r| serde_json::to_string(&r).unwrap_or_default());
        assert_eq!(out.as_deref(), Ok(text));
        assert!(RawJson::parse("{").is_err());
        assert!(RawJson::null().is_empty_json());
        assert_eq!(
            RawJson::parse(r#"{"x":{"y":2}}"#)
                .ok()
                .and_then(|r| r.get("/x/y")),
            Some(serde_json::json!(2))
        );
    }
}
