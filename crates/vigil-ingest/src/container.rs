//! Top-level document shapes: `{"Records": [...]}`, `{"QueryResultRows": [...]}`,
//! `{"Events": [...]}`, with each array's elements kept as raw validated JSON.

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use sonic_rs::LazyValue;
use std::fmt;

/// The value of a container key: its elements when it is an array.
pub enum Container<'a> {
    Array(Vec<LazyValue<'a>>),
    NotArray(&'static str),
}

struct ContainerVisitor;

impl<'de> Visitor<'de> for ContainerVisitor {
    type Value = Container<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(64));
        while let Some(v) = seq.next_element::<LazyValue<'de>>()? {
            out.push(v);
        }
        Ok(Container::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Container::NotArray("an object"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Container::NotArray("a string"))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Container::NotArray("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Container::NotArray("a number"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Container::NotArray("a number"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Container::NotArray("a number"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Container::NotArray("null"))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Container<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // `null` goes through `deserialize_option` in some deserializers; `any` sees it as unit.
        d.deserialize_any(ContainerVisitor)
    }
}

/// A top-level object. None of the keys set means the object is itself one record (or one
/// EventBridge event).
#[derive(Deserialize)]
pub struct TopDoc<'a> {
    #[serde(rename = "Records", borrow, default)]
    pub records: Option<Container<'a>>,
    #[serde(rename = "QueryResultRows", borrow, default)]
    pub query_result_rows: Option<Container<'a>>,
    #[serde(rename = "Events", borrow, default)]
    pub events: Option<Container<'a>>,
}
