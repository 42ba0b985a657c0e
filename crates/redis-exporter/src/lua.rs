//! `--script`: Lua scripts whose reply is a flat array of name/value
//! pairs, exported as `script_values{key,filename}`; `script_result`
//! says whether each script ran.

use exporter_kit::Emitter;
use redis::Value;
use redis::aio::MultiplexedConnection;

use crate::descs::Descs;
use crate::resp;

#[derive(Debug, Clone)]
pub struct LuaScript {
    pub filename: String,
    pub body: String,
}

pub async fn run(
    d: &Descs,
    conn: &mut MultiplexedConnection,
    scripts: &[LuaScript],
    read_only: bool,
    out: &mut Emitter,
) {
    for s in scripts {
        let reply = redis::cmd(if read_only { "EVAL_RO" } else { "EVAL" })
            .arg(&s.body)
            .arg(0)
            .query_async::<Value>(conn)
            .await;
        let values = match reply {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(script = %s.filename, error = %e, "Lua script failed");
                out.gauge(&d.script_result, &[&s.filename], 0.0);
                continue;
            }
        };
        let items = resp::array(&values).unwrap_or_default();
        if !items.len().is_multiple_of(2) {
            tracing::error!(script = %s.filename, "Lua script returned an odd number of items");
            out.gauge(&d.script_result, &[&s.filename], 0.0);
            continue;
        }
        out.gauge(&d.script_result, &[&s.filename], 1.0);
        for pair in items.chunks_exact(2) {
            let (Some(key), Some(value)) = (resp::text(&pair[0]), resp::float(&pair[1])) else {
                tracing::debug!(script = %s.filename, "non-numeric script value skipped");
                continue;
            };
            out.gauge(&d.script_values, &[&key, &s.filename], value);
        }
    }
}
