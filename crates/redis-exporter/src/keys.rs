//! `--check-keys` (patterns, expanded with SCAN — never KEYS),
//! `--check-single-keys` and `--count-keys`. Key facts are fetched in
//! pipelined batches: one round trip for the types of a batch, one for
//! their sizes, values and memory use.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

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

/// SCAN runs on a plain blocking connection of its own, on the blocking
/// pool: a SCAN over a large keyspace is a long chain of dependent round
/// trips, and a direct socket answers each of them several times faster
/// than the multiplexed async connection under load.
pub struct Scanner {
    pub client: redis::Client,
    pub timeout: Duration,
    /// Stop scanning (with an error) past this instant.
    pub deadline: Instant,
    /// SCAN ... COUNT (`--check-keys-batch-size`).
    pub count: i64,
    pub set_client_name: bool,
}

/// One pattern's outcome: the matching keys (or only how many).
type Scanned = Result<(usize, Vec<String>), String>;

impl Scanner {
    fn scan_blocking(&self, jobs: &[DbKey], keep: bool) -> Vec<Scanned> {
        let mut conn = match self.client.get_connection_with_timeout(self.timeout) {
            Ok(c) => c,
            Err(e) => return jobs.iter().map(|_| Err(e.to_string())).collect(),
        };
        let _ = conn.set_read_timeout(Some(self.timeout));
        let _ = conn.set_write_timeout(Some(self.timeout));
        if self.set_client_name {
            let _ = redis::cmd("CLIENT")
                .arg("SETNAME")
                .arg("redis_exporter")
                .query::<()>(&mut conn);
        }
        jobs.iter()
            .map(|job| {
                redis::cmd("SELECT")
                    .arg(job.db)
                    .query::<()>(&mut conn)
                    .map_err(|e| e.to_string())?;
                let mut keys = Vec::new();
                let mut n = 0usize;
                let mut cursor: u64 = 0;
                loop {
                    if Instant::now() > self.deadline {
                        return Err("scrape deadline reached during SCAN".to_string());
                    }
                    let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(&job.key)
                        .arg("COUNT")
                        .arg(self.count.max(1))
                        .query(&mut conn)
                        .map_err(|e| e.to_string())?;
                    n += batch.len();
                    if keep {
                        keys.extend(batch);
                    }
                    cursor = next;
                    if cursor == 0 {
                        return Ok((n, keys));
                    }
                }
            })
            .collect()
    }

    async fn scan(&self, jobs: Vec<DbKey>, keep: bool) -> Vec<(DbKey, Scanned)> {
        if jobs.is_empty() {
            return Vec::new();
        }
        let me = Scanner {
            client: self.client.clone(),
            timeout: self.timeout,
            deadline: self.deadline,
            count: self.count,
            set_client_name: self.set_client_name,
        };
        let task_jobs = jobs.clone();
        match tokio::task::spawn_blocking(move || me.scan_blocking(&task_jobs, keep)).await {
            Ok(results) => jobs.into_iter().zip(results).collect(),
            Err(e) => jobs.into_iter().map(|j| (j, Err(e.to_string()))).collect(),
        }
    }

    /// Patterns expanded with SCAN, single keys as they are.
    pub async fn expand(&self, patterns: &[DbKey]) -> Vec<DbKey> {
        let mut out: Vec<DbKey> = patterns
            .iter()
            .filter(|p| !is_glob(&p.key))
            .cloned()
            .collect();
        let globs: Vec<DbKey> = patterns
            .iter()
            .filter(|p| is_glob(&p.key))
            .cloned()
            .collect();
        for (p, result) in self.scan(globs, true).await {
            match result {
                Ok((_, keys)) => out.extend(keys.into_iter().map(|key| DbKey { db: p.db, key })),
                Err(e) => tracing::error!(pattern = %p.key, error = %e, "SCAN failed"),
            }
        }
        out
    }

    /// `keys_count{db,key}`: how many keys match each `--count-keys` pattern.
    pub async fn count(&self, d: &Descs, patterns: &[DbKey], out: &mut Emitter) {
        for (p, result) in self.scan(patterns.to_vec(), false).await {
            match result {
                Ok((n, _)) => out.gauge(&d.keys_count, &[&format!("db{}", p.db), &p.key], n as f64),
                Err(e) => tracing::error!(pattern = %p.key, error = %e, "SCAN failed"),
            }
        }
    }
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
