//! `--script`: Lua scripts whose reply is a flat array of name/value
//! pairs, exported as `script_values{key,filename}`; `script_result`
//! says how each script ran (1 ok, 2 no values, 0 error). As upstream, a
//! failing script fails the scrape: later scripts are not run and the
//! error is `exporter_last_scrape_error`'s text.

use exporter_kit::Emitter;
use redis::Value;
use redis::aio::MultiplexedConnection;

use crate::descs::Descs;
use crate::keys::parse_go_float;

#[derive(Debug, Clone)]
pub struct LuaScript {
    pub filename: String,
    pub body: String,
}

/// A server error as redigo prints it (`ERR Error compiling script ...`).
fn error_text(e: &redis::RedisError) -> String {
    match (e.code(), e.detail()) {
        (Some(code), Some(detail)) => format!("{code} {detail}"),
        _ => e.to_string(),
    }
}

/// The reply as the name -> value pairs upstream reads with redigo's
/// `StringMap`: an even array of bulk strings, each value a Go float.
fn pairs(reply: &Value) -> Result<Vec<(String, f64)>, String> {
    let items = match reply {
        Value::Array(items) => items,
        Value::Nil => return Err("redigo: nil returned".into()),
        _ => return Err("redigo: unexpected type for Values".into()),
    };
    if !items.len().is_multiple_of(2) {
        return Err(format!(
            "redigo: StringMap expects even number of values result, got {}",
            items.len()
        ));
    }
    let mut out = Vec::with_capacity(items.len() / 2);
    for pair in items.chunks_exact(2) {
        let (Value::BulkString(key), Value::BulkString(value)) = (&pair[0], &pair[1]) else {
            return Err("redigo: StringMap key not a bulk string value".into());
        };
        let value = String::from_utf8_lossy(value);
        let Some(number) = parse_go_float(&value) else {
            return Err(format!(
                "strconv.ParseFloat: parsing {value:?}: invalid syntax"
            ));
        };
        out.push((String::from_utf8_lossy(key).into_owned(), number));
    }
    Ok(out)
}

pub async fn run(
    d: &Descs,
    conn: &mut MultiplexedConnection,
    scripts: &[LuaScript],
    read_only: bool,
    out: &mut Emitter,
) -> Result<(), String> {
    for s in scripts {
        // upstream's `EVAL script 0 0`: no keys, ARGV[1] = "0"
        let reply = redis::cmd(if read_only { "EVAL_RO" } else { "EVAL" })
            .arg(&s.body)
            .arg(0)
            .arg(0)
            .query_async::<Value>(conn)
            .await
            .map_err(|e| error_text(&e))
            .and_then(|v| pairs(&v));
        match reply {
            Err(e) => {
                tracing::error!(script = %s.filename, error = %e, "Lua script failed");
                out.gauge(&d.script_result, &[&s.filename], 0.0);
                return Err(e);
            }
            Ok(values) if values.is_empty() => {
                out.gauge(&d.script_result, &[&s.filename], 2.0);
            }
            Ok(values) => {
                for (key, value) in values {
                    out.gauge(&d.script_values, &[&key, &s.filename], value);
                }
                out.gauge(&d.script_result, &[&s.filename], 1.0);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    #[test]
    fn replies_are_read_as_redigo_string_maps() {
        assert_eq!(
            pairs(&Value::Array(vec![
                bulk("hits"),
                bulk("7"),
                bulk("ratio"),
                bulk("0.25")
            ])),
            Ok(vec![("hits".to_string(), 7.0), ("ratio".to_string(), 0.25)])
        );
        assert_eq!(pairs(&Value::Array(vec![])), Ok(vec![]));
        assert_eq!(
            pairs(&Value::Array(vec![bulk("k"), bulk("many")])),
            Err("strconv.ParseFloat: parsing \"many\": invalid syntax".to_string())
        );
        // Lua numbers come back as integers, which StringMap refuses
        assert!(pairs(&Value::Array(vec![bulk("k"), Value::Int(3)])).is_err());
        assert!(pairs(&Value::Array(vec![bulk("k")])).is_err());
        assert!(pairs(&Value::Int(1)).is_err());
        assert!(pairs(&Value::Nil).is_err());
    }
}
