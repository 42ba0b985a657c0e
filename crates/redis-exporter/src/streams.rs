//! `--check-streams` / `--check-single-streams`: XINFO STREAM, GROUPS and
//! CONSUMERS for each stream.

use exporter_kit::Emitter;
use redis::Value;
use redis::aio::MultiplexedConnection;

use crate::descs::Descs;
use crate::keys::DbKey;
use crate::resp;

async fn xinfo(conn: &mut MultiplexedConnection, args: &[&str]) -> redis::RedisResult<Value> {
    redis::cmd("XINFO").arg(args).query_async(conn).await
}

fn entry_id(v: &Value) -> Option<f64> {
    // first-entry / last-entry are [id, [field, value, ...]]
    let id = resp::array(v)
        .and_then(|a| a.first())
        .and_then(resp::text)?;
    resp::stream_id_ms(&id)
}

pub async fn collect(
    d: &Descs,
    conn: &mut MultiplexedConnection,
    streams: Vec<DbKey>,
    exclude_consumers: bool,
    out: &mut Emitter,
) {
    let mut current_db = None;
    for s in streams {
        if current_db != Some(s.db) {
            if let Err(e) = redis::cmd("SELECT").arg(s.db).query_async::<()>(conn).await {
                tracing::error!(db = s.db, error = %e, "cannot select database for streams");
                continue;
            }
            current_db = Some(s.db);
        }
        let db = format!("db{}", s.db);
        let info = match xinfo(conn, &["STREAM", &s.key]).await {
            Ok(v) => v,
            Err(e) => {
                tracing::debug!(stream = %s.key, error = %e, "XINFO STREAM failed");
                continue;
            }
        };
        let labels = [db.as_str(), s.key.as_str()];
        for (k, v) in resp::pairs(&info) {
            let (desc, value) = match k.as_str() {
                "length" => (&d.stream_length, resp::float(v)),
                "radix-tree-keys" => (&d.stream_radix_tree_keys, resp::float(v)),
                "radix-tree-nodes" => (&d.stream_radix_tree_nodes, resp::float(v)),
                "groups" => (&d.stream_groups, resp::float(v)),
                "last-generated-id" => (
                    &d.stream_last_generated_id,
                    resp::text(v).and_then(|t| resp::stream_id_ms(&t)),
                ),
                "max-deleted-entry-id" => (
                    &d.stream_max_deleted_entry_id,
                    resp::text(v).and_then(|t| resp::stream_id_ms(&t)),
                ),
                "first-entry" => (&d.stream_first_entry_id, entry_id(v)),
                "last-entry" => (&d.stream_last_entry_id, entry_id(v)),
                "entries-added" => {
                    if let Some(n) = resp::float(v) {
                        out.counter(&d.stream_entries_added_total, &labels, n);
                    }
                    continue;
                }
                _ => continue,
            };
            if let Some(value) = value {
                out.gauge(desc, &labels, value);
            }
        }
        let Ok(groups) = xinfo(conn, &["GROUPS", &s.key]).await else {
            continue;
        };
        for group in resp::array(&groups).unwrap_or_default() {
            let fields = resp::pairs(group);
            let Some(name) = fields
                .iter()
                .find(|(k, _)| k == "name")
                .and_then(|(_, v)| resp::text(v))
            else {
                continue;
            };
            let gl = [db.as_str(), s.key.as_str(), name.as_str()];
            for (k, v) in &fields {
                let (desc, value) = match k.as_str() {
                    "consumers" => (&d.stream_group_consumers, resp::float(v)),
                    "pending" => (&d.stream_group_messages_pending, resp::float(v)),
                    "last-delivered-id" => (
                        &d.stream_group_last_delivered_id,
                        resp::text(v).and_then(|t| resp::stream_id_ms(&t)),
                    ),
                    "entries-read" => (&d.stream_group_entries_read, resp::float(v)),
                    "lag" => (&d.stream_group_lag, resp::float(v)),
                    _ => continue,
                };
                if let Some(value) = value {
                    out.gauge(desc, &gl, value);
                }
            }
            if exclude_consumers {
                continue;
            }
            let Ok(consumers) = xinfo(conn, &["CONSUMERS", &s.key, &name]).await else {
                continue;
            };
            for consumer in resp::array(&consumers).unwrap_or_default() {
                let cf = resp::pairs(consumer);
                let get = |n: &str| cf.iter().find(|(k, _)| k == n).map(|(_, v)| *v);
                let Some(cname) = get("name").and_then(resp::text) else {
                    continue;
                };
                let cl = [db.as_str(), s.key.as_str(), name.as_str(), cname.as_str()];
                if let Some(p) = get("pending").and_then(resp::float) {
                    out.gauge(&d.stream_group_consumer_messages_pending, &cl, p);
                }
                if let Some(idle) = get("idle").and_then(resp::float) {
                    out.gauge(&d.stream_group_consumer_idle_seconds, &cl, idle / 1000.0);
                }
            }
        }
    }
}
