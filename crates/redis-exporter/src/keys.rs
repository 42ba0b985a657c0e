//! `--check-keys` (patterns, expanded with SCAN — never KEYS),
//! `--check-single-keys` and `--count-keys`. Key facts are fetched in
//! pipelined batches: one round trip for the types of a batch, one for
//! their sizes, values and memory use.

use std::collections::BTreeMap;

use exporter_kit::Emitter;
use redis::Value;
use redis::aio::MultiplexedConnection;

use crate::descs::Descs;
use crate::resp;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DbKey {
    pub db: u32,
    pub key: String,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid key list {arg:?}: {reason}")]
pub struct KeyArgError {
    arg: String,
    reason: String,
}

fn unescape(s: &str) -> Option<String> {
    // Go's url.QueryUnescape: %XX and '+' as space
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// `db3=sessions:*,plain_key` -> [(3, "sessions:*"), (0, "plain_key")].
pub fn parse_key_arg(arg: &str) -> Result<Vec<DbKey>, KeyArgError> {
    let err = |reason: &str| KeyArgError {
        arg: arg.to_string(),
        reason: reason.to_string(),
    };
    let mut keys = Vec::new();
    for item in arg.split(',') {
        if item.is_empty() {
            continue;
        }
        let frags: Vec<&str> = item.split('=').collect();
        let (db, key) = match frags.as_slice() {
            [key] => ("0".to_string(), *key),
            [db, key] => (db.trim().replace("db", ""), *key),
            _ => return Err(err("more than one '=' in an item")),
        };
        let key = unescape(key.trim()).ok_or_else(|| err("bad %-escape"))?;
        if db.is_empty() || key.is_empty() {
            tracing::warn!(item, "empty database or key in a key list item, skipped");
            continue;
        }
        let db = db
            .parse::<u32>()
            .map_err(|_| err("invalid database index"))?;
        keys.push(DbKey { db, key });
    }
    Ok(keys)
}

pub fn is_glob(key: &str) -> bool {
    key.contains(['?', '*', '[', ']', '^'])
}

async fn select(conn: &mut MultiplexedConnection, db: u32) -> redis::RedisResult<()> {
    redis::cmd("SELECT").arg(db).query_async::<()>(conn).await
}

/// Every key of the selected database matching `pattern`, by SCAN.
pub async fn scan(
    conn: &mut MultiplexedConnection,
    pattern: &str,
    count: i64,
) -> redis::RedisResult<Vec<String>> {
    let mut keys = Vec::new();
    scan_each(conn, pattern, count, |batch| keys.extend(batch)).await?;
    Ok(keys)
}

/// SCAN with MATCH, handing each batch to `each`.
async fn scan_each(
    conn: &mut MultiplexedConnection,
    pattern: &str,
    count: i64,
    mut each: impl FnMut(Vec<String>),
) -> redis::RedisResult<()> {
    let mut cursor: u64 = 0;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(count.max(1))
            .query_async(conn)
            .await?;
        each(batch);
        cursor = next;
        if cursor == 0 {
            return Ok(());
        }
    }
}

/// Patterns expanded with SCAN, single keys as they are.
pub async fn expand(
    conn: &mut MultiplexedConnection,
    patterns: &[DbKey],
    count: i64,
) -> Vec<DbKey> {
    let mut out = Vec::new();
    for p in patterns {
        if !is_glob(&p.key) {
            out.push(p.clone());
            continue;
        }
        if let Err(e) = select(conn, p.db).await {
            tracing::error!(db = p.db, error = %e, "cannot select database for SCAN");
            continue;
        }
        match scan(conn, &p.key, count).await {
            Ok(keys) => out.extend(keys.into_iter().map(|key| DbKey { db: p.db, key })),
            Err(e) => tracing::error!(pattern = %p.key, error = %e, "SCAN failed"),
        }
    }
    out
}

fn size_command(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "list" => "LLEN",
        "set" => "SCARD",
        "zset" => "ZCARD",
        "hash" => "HLEN",
        "stream" => "XLEN",
        _ => return None,
    })
}

/// `key_size`, `key_value` / `key_value_as_string` and
/// `key_memory_usage_bytes` for `keys`, `batch` keys per round trip.
pub async fn check(
    d: &Descs,
    conn: &mut MultiplexedConnection,
    keys: Vec<DbKey>,
    batch: usize,
    export_values: bool,
    out: &mut Emitter,
) {
    let mut by_db: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for k in keys {
        by_db.entry(k.db).or_default().push(k.key);
    }
    for (db, mut names) in by_db {
        names.sort();
        names.dedup();
        if let Err(e) = select(conn, db).await {
            tracing::error!(db, error = %e, "cannot select database for key checks");
            continue;
        }
        let db_label = format!("db{db}");
        for chunk in names.chunks(batch.max(1)) {
            if let Err(e) = check_batch(d, conn, &db_label, chunk, export_values, out).await {
                tracing::error!(db, error = %e, "key check batch failed");
            }
        }
    }
}

async fn check_batch(
    d: &Descs,
    conn: &mut MultiplexedConnection,
    db: &str,
    keys: &[String],
    export_values: bool,
    out: &mut Emitter,
) -> redis::RedisResult<()> {
    let mut types = redis::pipe();
    types.ignore_errors();
    for k in keys {
        types.cmd("TYPE").arg(k);
    }
    let kinds: Vec<Value> = types.query_async(conn).await?;
    let mut facts = redis::pipe();
    facts.ignore_errors();
    let mut plan: Vec<(&String, &'static str)> = Vec::new();
    for (k, kind) in keys.iter().zip(&kinds) {
        let kind = resp::text(kind).unwrap_or_default();
        match kind.as_str() {
            "none" => out.gauge(&d.key_size, &[db, k], 0.0),
            "string" => {
                facts.cmd("GET").arg(k);
                facts.cmd("MEMORY").arg("USAGE").arg(k);
                plan.push((k, "string"));
            }
            other => match size_command(other) {
                Some(cmd) => {
                    facts.cmd(cmd).arg(k);
                    facts.cmd("MEMORY").arg("USAGE").arg(k);
                    plan.push((k, "sized"));
                }
                None => tracing::warn!(key = %k, kind = other, "unknown key type"),
            },
        }
    }
    if plan.is_empty() {
        return Ok(());
    }
    let replies: Vec<Value> = facts.query_async(conn).await?;
    let mut hll = Vec::new();
    for ((k, how), pair) in plan.iter().zip(replies.chunks(2)) {
        let [first, memory] = pair else { continue };
        if let Some(m) = resp::float(memory) {
            out.gauge(&d.key_memory_usage_bytes, &[db, k], m);
        }
        if *how == "sized" {
            if let Some(n) = resp::float(first) {
                out.gauge(&d.key_size, &[db, k], n);
            }
            continue;
        }
        let Value::BulkString(bytes) = first else {
            continue;
        };
        if bytes.starts_with(b"HYLL") {
            // a HyperLogLog: its size is its cardinality
            hll.push(*k);
            continue;
        }
        out.gauge(&d.key_size, &[db, k], bytes.len() as f64);
        let text = String::from_utf8_lossy(bytes);
        match text.trim().parse::<f64>() {
            Ok(v) => out.gauge(&d.key_value, &[db, k], v),
            Err(_) if export_values => out.gauge(&d.key_value_as_string, &[db, k, &text], 1.0),
            Err(_) => {}
        }
    }
    if !hll.is_empty() {
        let mut p = redis::pipe();
        p.ignore_errors();
        for k in &hll {
            p.cmd("PFCOUNT").arg(*k);
        }
        let counts: Vec<Value> = p.query_async(conn).await?;
        for (k, c) in hll.iter().zip(&counts) {
            if let Some(n) = resp::float(c) {
                out.gauge(&d.key_size, &[db, k], n);
            }
        }
    }
    Ok(())
}

/// `keys_count{db,key}`: how many keys match each `--count-keys` pattern.
pub async fn count(
    d: &Descs,
    conn: &mut MultiplexedConnection,
    patterns: &[DbKey],
    batch: i64,
    out: &mut Emitter,
) {
    for p in patterns {
        if let Err(e) = select(conn, p.db).await {
            tracing::error!(db = p.db, error = %e, "cannot select database for count-keys");
            continue;
        }
        let mut n = 0usize;
        match scan_each(conn, &p.key, batch, |keys| n += keys.len()).await {
            Ok(()) => out.gauge(&d.keys_count, &[&format!("db{}", p.db), &p.key], n as f64),
            Err(e) => tracing::error!(pattern = %p.key, error = %e, "SCAN failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_args_follow_upstream() {
        let keys = parse_key_arg("db3=sessions:*,plain,1=a%20b,,").unwrap();
        assert_eq!(
            keys,
            vec![
                DbKey {
                    db: 3,
                    key: "sessions:*".into()
                },
                DbKey {
                    db: 0,
                    key: "plain".into()
                },
                DbKey {
                    db: 1,
                    key: "a b".into()
                },
            ]
        );
        assert!(parse_key_arg("a=b=c").is_err());
        assert!(parse_key_arg("dbx=k").is_err());
        assert!(is_glob("user:*") && !is_glob("user:1"));
    }
}
