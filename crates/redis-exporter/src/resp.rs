//! Reading RESP replies without trusting their shape.

use redis::Value;

pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        Value::VerbatimString { text, .. } => Some(text.clone()),
        Value::Okay => Some("OK".to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::Double(d) => Some(d.to_string()),
        _ => None,
    }
}

/// The text of a string reply, taken without copying it.
pub fn into_text(v: Value) -> Option<String> {
    match v {
        Value::BulkString(b) => Some(
            String::from_utf8(b)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        ),
        Value::SimpleString(s) => Some(s),
        Value::VerbatimString { text, .. } => Some(text),
        other => text(&other),
    }
}

/// The text of a string reply, borrowed (no copy); `None` for other
/// replies and for bytes that are not UTF-8.
pub fn str_ref(v: &Value) -> Option<&str> {
    match v {
        Value::BulkString(b) => std::str::from_utf8(b).ok(),
        Value::SimpleString(s) => Some(s),
        Value::VerbatimString { text, .. } => Some(text),
        Value::Okay => Some("OK"),
        _ => None,
    }
}

pub fn float(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Double(d) => Some(*d),
        Value::Nil => None,
        other => str_ref(other)?.trim().parse::<f64>().ok(),
    }
}

pub fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        other => str_ref(other)?.trim().parse::<i64>().ok(),
    }
}

/// A flat `[k1, v1, k2, v2]` array or a RESP3 map, as borrowed pairs.
pub fn raw_pairs(v: &Value) -> Vec<(&Value, &Value)> {
    match v {
        Value::Map(m) => m.iter().map(|(k, v)| (k, v)).collect(),
        _ => array(v)
            .map(|a| a.chunks_exact(2).map(|c| (&c[0], &c[1])).collect())
            .unwrap_or_default(),
    }
}

pub fn array(v: &Value) -> Option<&[Value]> {
    match v {
        Value::Array(a) | Value::Set(a) | Value::Push { data: a, .. } => Some(a),
        _ => None,
    }
}

/// A flat `[k1, v1, k2, v2]` array or a RESP3 map, as pairs.
pub fn pairs(v: &Value) -> Vec<(String, &Value)> {
    match v {
        Value::Map(m) => m.iter().filter_map(|(k, v)| Some((text(k)?, v))).collect(),
        _ => array(v)
            .map(|a| {
                a.chunks_exact(2)
                    .filter_map(|c| Some((text(&c[0])?, &c[1])))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

pub fn is_error(v: &Value) -> bool {
    matches!(v, Value::ServerError(_))
}

/// `1526985054069-0` -> 1526985054069 (the milliseconds part), as upstream.
pub fn stream_id_ms(id: &str) -> Option<f64> {
    id.split('-').next()?.parse::<f64>().ok()
}
