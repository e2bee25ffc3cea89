//! Canonical JSON: object keys sorted, no insignificant whitespace.
//!
//! A manifest's or config's digest is taken over its bytes, so the bytes must not depend on a map's
//! iteration order. oci-spec keeps labels and annotations in `HashMap`s, whose order changes from run
//! to run; everything slipway hashes goes through [`to_canonical_json`] instead of `serde_json::to_vec`.

use serde::Serialize;
use serde_json::Value;

/// Serialises `value` with every object's keys in sorted order, however its maps are ordered.
pub fn to_canonical_json<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let tree = serde_json::to_value(value)?;
    let mut out = Vec::new();
    write_value(&tree, &mut out)?;
    Ok(out)
}

fn write_value(value: &Value, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, key)?;
                out.push(b':');
                write_value(&map[key], out)?;
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out)?;
            }
            out.push(b']');
        }
        scalar => serde_json::to_writer(&mut *out, scalar)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn keys_are_sorted_at_every_depth() {
        let mut inner = HashMap::new();
        for k in ["zeta", "alpha", "mid"] {
            inner.insert(k.to_string(), 1);
        }
        let mut outer = HashMap::new();
        outer.insert("b", vec![inner.clone()]);
        outer.insert("a", vec![inner]);
        let text = String::from_utf8(to_canonical_json(&outer).unwrap()).unwrap();
        assert_eq!(
            text,
            r#"{"a":[{"alpha":1,"mid":1,"zeta":1}],"b":[{"alpha":1,"mid":1,"zeta":1}]}"#
        );
    }

    #[test]
    fn strings_are_escaped() {
        let text = String::from_utf8(to_canonical_json(&"a\"b\n").unwrap()).unwrap();
        assert_eq!(text, r#""a\"b\n""#);
    }
}
