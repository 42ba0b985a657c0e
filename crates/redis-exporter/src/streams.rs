//! `--check-streams` / `--check-single-streams`: XINFO STREAM, GROUPS and
//! CONSUMERS for each stream.

use exporter_kit::{Desc, Emitter};
use redis::Value;
use redis::aio::MultiplexedConnection;

use crate::descs::Descs;
use crate::keys::DbKey;
use crate::resp;

async fn xinfo(conn: &mut MultiplexedConnection, args: &[&str]) -> redis::RedisResult<Value> {
    redis::cmd("XINFO").arg(args).query_async(conn).await
}

fn entry_id(v: &Value) -> f64 {
    // first-entry / last-entry are [id, [field, value, ...]]
    resp::array(v)
        .and_then(|a| a.first())
        .and_then(resp::text)
        .and_then(|id| resp::stream_id_ms(&id))
        .unwrap_or(0.0)
}

/// A field's number; upstream scans XINFO replies into a struct, so a field
/// that is missing (older Redis) or nil reads as 0 and is still exported.
fn num(fields: &[(String, &Value)], name: &str) -> f64 {
    field(fields, name).and_then(resp::float).unwrap_or(0.0)
}

/// An entry id field's milliseconds; 0 when missing or not an id.
fn id_ms(fields: &[(String, &Value)], name: &str) -> f64 {
    field(fields, name)
        .and_then(resp::text)
        .and_then(|t| resp::stream_id_ms(&t))
        .unwrap_or(0.0)
}

fn field<'a>(fields: &[(String, &'a Value)], name: &str) -> Option<&'a Value> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
}

struct Group<'d> {
    name: String,
    fields: [(&'d Desc, f64); 5],
    /// (consumer, pending, idle seconds)
    consumers: Vec<(String, f64, f64)>,
}

/// XINFO GROUPS and CONSUMERS of one stream; None when any call fails, as
/// upstream then skips the whole stream.
async fn groups<'d>(
    d: &'d Descs,
    conn: &mut MultiplexedConnection,
    key: &str,
    exclude_consumers: bool,
) -> Option<Vec<Group<'d>>> {
    let reply = match xinfo(conn, &["GROUPS", key]).await {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(stream = %key, error = %e, "XINFO GROUPS failed");
            return None;
        }
    };
    let mut out = Vec::new();
    for group in resp::array(&reply).unwrap_or_default() {
        let fields = resp::pairs(group);
        let name = field(&fields, "name")
            .and_then(resp::text)
            .unwrap_or_default();
        let values = [
            (&d.stream_group_consumers, num(&fields, "consumers")),
            (&d.stream_group_messages_pending, num(&fields, "pending")),
            (
                &d.stream_group_last_delivered_id,
                id_ms(&fields, "last-delivered-id"),
            ),
            (&d.stream_group_entries_read, num(&fields, "entries-read")),
            (&d.stream_group_lag, num(&fields, "lag")),
        ];
        // upstream asks for the consumers even when it will not export them
        let consumers = match xinfo(conn, &["CONSUMERS", key, &name]).await {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(stream = %key, group = %name, error = %e, "XINFO CONSUMERS failed");
                return None;
            }
        };
        let consumers = if exclude_consumers {
            Vec::new()
        } else {
            resp::array(&consumers)
                .unwrap_or_default()
                .iter()
                .map(|c| {
                    let cf = resp::pairs(c);
                    let cname = field(&cf, "name").and_then(resp::text).unwrap_or_default();
                    (cname, num(&cf, "pending"), num(&cf, "idle") / 1000.0)
                })
                .collect()
        };
        out.push(Group {
            name,
            fields: values,
            consumers,
        });
    }
    Some(out)
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
                tracing::error!(stream = %s.key, error = %e, "XINFO STREAM failed");
                continue;
            }
        };
        let Some(groups) = groups(d, conn, &s.key, exclude_consumers).await else {
            continue;
        };
        let fields = resp::pairs(&info);
        let labels = [db.as_str(), s.key.as_str()];
        for (desc, value) in [
            (&d.stream_length, num(&fields, "length")),
            (&d.stream_radix_tree_keys, num(&fields, "radix-tree-keys")),
            (&d.stream_radix_tree_nodes, num(&fields, "radix-tree-nodes")),
            (
                &d.stream_last_generated_id,
                id_ms(&fields, "last-generated-id"),
            ),
            (&d.stream_groups, num(&fields, "groups")),
            (
                &d.stream_max_deleted_entry_id,
                id_ms(&fields, "max-deleted-entry-id"),
            ),
            (
                &d.stream_first_entry_id,
                field(&fields, "first-entry").map_or(0.0, entry_id),
            ),
            (
                &d.stream_last_entry_id,
                field(&fields, "last-entry").map_or(0.0, entry_id),
            ),
        ] {
            out.gauge(desc, &labels, value);
        }
        out.counter(
            &d.stream_entries_added_total,
            &labels,
            num(&fields, "entries-added"),
        );
        for g in groups {
            let gl = [db.as_str(), s.key.as_str(), g.name.as_str()];
            for (desc, value) in g.fields {
                out.gauge(desc, &gl, value);
            }
            for (cname, pending, idle) in g.consumers {
                let cl = [db.as_str(), s.key.as_str(), g.name.as_str(), cname.as_str()];
                out.gauge(&d.stream_group_consumer_messages_pending, &cl, pending);
                out.gauge(&d.stream_group_consumer_idle_seconds, &cl, idle);
            }
        }
    }
}
