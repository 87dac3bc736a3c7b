//! JSON kept verbatim: CloudTrail's `requestParameters`, `responseElements` and friends vary by
//! API call, so the model keeps them as validated text rather than as a typed tree. Rules read
//! them through [`RawJson::value`] or [`RawJson::get`]; serialising writes the text unchanged.

use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// The name serde_json gives the one-field struct through which it writes JSON text verbatim
/// (`serde_json::value::RawValue` serialises itself this way). Kept as our own text so the
/// model holds a plain `Box<str>` and need not re-validate text a parser has just validated;
/// `raw_json_serialises_verbatim` below fails if serde_json ever stops honouring it.
const SERDE_JSON_RAW_TOKEN: &str = "$serde_json::private::RawValue";

/// Text that is valid JSON (an object, array or scalar), kept exactly as the source wrote it.
/// Every constructor establishes validity: [`RawJson::parse`] checks with serde_json,
/// [`RawJson::from_validated`] takes text a JSON parser has just accepted.
#[derive(Debug, Clone)]
pub struct RawJson(Box<str>);

impl RawJson {
    /// Validates `text` as JSON and keeps it.
    pub fn parse(text: impl Into<String>) -> Result<Self, serde_json::Error> {
        RawValue::from_string(text.into()).map(|v| RawJson(v.into()))
    }

    /// Text the caller's own parser has just validated as one JSON value (vigil-ingest's
    /// scanner, or a `sonic_rs::LazyValue`, which sonic-rs validates as it skips it), kept
    /// without checking again: re-validating was a tenth of CloudTrail parse time. Only for
    /// text a full JSON parser has accepted; anything else breaks the type's promise (nothing
    /// unsafe follows, but [`RawJson::value`] reads it as `Null`).
    pub fn from_validated(text: &str) -> Self {
        RawJson(text.into())
    }

    /// The JSON of a value.
    pub fn from_value(v: &serde_json::Value) -> Self {
        // A `Value` always serialises to valid JSON.
        RawJson(v.to_string().into())
    }

    pub fn null() -> Self {
        RawJson("null".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text as a JSON tree (`Null` if it somehow is not JSON).
    pub fn value(&self) -> serde_json::Value {
        serde_json::from_str(&self.0).unwrap_or(serde_json::Value::Null)
    }

    /// The value at a JSON pointer (`/bucketName`, `/attributeName`), if any.
    /// Only the value found is parsed (`json_pointer.rs`), not the whole text.
    pub fn get(&self, pointer: &str) -> Option<serde_json::Value> {
        serde_json::from_str(crate::json_pointer::find(&self.0, pointer)?).ok()
    }

    /// `true` for `null`, `{}` and `[]`: nothing worth keeping.
    pub fn is_empty_json(&self) -> bool {
        matches!(self.0.trim(), "null" | "{}" | "[]" | "")
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct(SERDE_JSON_RAW_TOKEN, 1)?;
        st.serialize_field(SERDE_JSON_RAW_TOKEN, &*self.0)?;
        st.end()
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(d).map(|v| RawJson(v.into()))
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
        assert!(RawJson::parse("").is_err());
        assert!(RawJson::null().is_empty_json());
        assert_eq!(
            RawJson::parse(r#"{"x":{"y":2}}"#)
                .ok()
                .and_then(|r| r.get("/x/y")),
            Some(serde_json::json!(2))
        );
    }

    #[test]
    fn raw_json_serialises_verbatim() {
        // Inside a document, through serde_json's writer and its `Value` serialiser alike.
        let raw = RawJson::parse(r#"{"k":  [1.50, "\u00e9"]}"#).unwrap();
        let doc = serde_json::json!({"a": 1});
        #[derive(Serialize)]
        struct Outer<'a> {
            raw: &'a RawJson,
            other: &'a serde_json::Value,
        }
        let text = serde_json::to_string(&Outer {
            raw: &raw,
            other: &doc,
        })
        .unwrap();
        assert_eq!(text, r#"{"raw":{"k":  [1.50, "\u00e9"]},"other":{"a":1}}"#);
        let value = serde_json::to_value(&raw).unwrap();
        assert_eq!(value, serde_json::json!({"k": [1.5, "é"]}));
        let back: RawJson = serde_json::from_str(&serde_json::to_string(&raw).unwrap()).unwrap();
        assert_eq!(back, raw);
        assert_eq!(RawJson::null().as_str(), "null");
        let v = serde_json::json!({"x": [null, "<b>"]});
        assert_eq!(RawJson::from_value(&v).value(), v);
    }
}
