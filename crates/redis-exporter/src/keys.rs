//! `--check-keys` (patterns, expanded with SCAN — never KEYS),
//! `--check-single-keys` and `--count-keys`.
//!
//! A SCAN over a large keyspace is a long chain of dependent round trips,
//! and on a busy machine every round trip costs a wake-up of Redis and of
//! the exporter. So each pattern's SCAN is split into cursor ranges that
//! are walked side by side: SCAN cursors count hash-table buckets in
//! reverse-binary order, so the cursor whose reversed bits are `i/K` of
//! the way through starts the `i`-th of `K` ranges, and a range ends when
//! a returned cursor's reversed bits pass the next range's start. Every
//! round trip carries one SCAN per live range, plus the TYPE lookups of
//! the keys found in the previous round and the size/value/memory lookups
//! of the keys typed in the previous round: finding keys and checking them
//! overlap, on the scrape's one connection.

use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::time::Instant;

use exporter_kit::Emitter;
use redis::Value;
use redis::aio::MultiplexedConnection;

use crate::descs::Descs;
use crate::resp;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

/// How the server's keyspace may be walked, from the INFO text.
#[derive(Debug, Clone, Default)]
pub struct ScanLayout {
    /// db -> number of keys (`# Keyspace`).
    pub db_keys: BTreeMap<u32, u64>,
    /// Cursor ranges are only used where SCAN cursors are plain
    /// reverse-binary bucket indexes: not in cluster mode (Redis 7.4+
    /// puts the slot number in the cursor's low bits) and not on Valkey
    /// (whose 8.1 hash table has cursors of its own).
    pub ranges_allowed: bool,
}

impl ScanLayout {
    pub fn from_info(info: &str) -> ScanLayout {
        let mut layout = ScanLayout {
            db_keys: BTreeMap::new(),
            ranges_allowed: true,
        };
        for line in info.lines() {
            let line = line.trim_end();
            if line == "cluster_enabled:1" || line.starts_with("valkey_version:") {
                layout.ranges_allowed = false;
            }
            let Some((db, rest)) = line.strip_prefix("db").and_then(|l| l.split_once(':')) else {
                continue;
            };
            let (Ok(db), Some(keys)) = (
                db.parse::<u32>(),
                rest.split(',')
                    .find_map(|kv| kv.strip_prefix("keys="))
                    .and_then(|n| n.parse::<u64>().ok()),
            ) else {
                continue;
            };
            layout.db_keys.insert(db, keys);
        }
        layout
    }

    /// Cursor ranges for one SCAN of `db`: a power of two, at most
    /// [`MAX_RANGES`], and small enough that every range starts on a bucket
    /// of its own (a table has at least keys/5 buckets even while a fork
    /// holds back resizing), so no bucket is walked twice.
    pub fn ranges(&self, db: u32) -> u32 {
        if !self.ranges_allowed {
            return 1;
        }
        let keys = self.db_keys.get(&db).copied().unwrap_or(0);
        let mut k = 1u32;
        while k < MAX_RANGES && u64::from(k) * 2 * 8 <= keys {
            k *= 2;
        }
        k
    }
}

/// Cursor ranges walked side by side per pattern. Each round trip makes
/// Redis run one `SCAN ... COUNT n` per range back to back (about 11 ms
/// for 16 x 1000 buckets on a 1,000,000-key instance), so this bounds how
/// long one round trip holds up other clients.
pub const MAX_RANGES: u32 = 16;

/// Cursor `i` of `k` (a power of two): its reversed bits are `i/k` of the
/// way through the cursor space.
fn range_start(i: u32, k: u32) -> u64 {
    let bits = k.trailing_zeros();
    if bits == 0 {
        0
    } else {
        (u64::from(i) << (64 - bits)).reverse_bits()
    }
}

/// Where a range ends (exclusive), as a position (reversed cursor);
/// `None` for the last range, which ends when SCAN returns cursor 0.
fn range_end(i: u32, k: u32) -> Option<u64> {
    let bits = k.trailing_zeros();
    (i + 1 < k).then(|| u64::from(i + 1) << (64 - bits))
}

/// One cursor range of one pattern.
#[derive(Debug, Clone, Copy)]
struct Chain {
    pattern: usize,
    cursor: u64,
    end: Option<u64>,
}

/// (next cursor, keys) of a SCAN reply.
fn scan_reply(v: Value) -> Result<(u64, Vec<Value>), String> {
    match v {
        Value::Array(mut parts) if parts.len() == 2 => {
            let keys = match parts.pop() {
                Some(Value::Array(keys)) => keys,
                _ => return Err("SCAN reply without a key array".into()),
            };
            let cursor = parts
                .pop()
                .as_ref()
                .and_then(resp::int)
                .ok_or("SCAN reply without a cursor")?;
            Ok((cursor as u64, keys))
        }
        Value::ServerError(e) => Err(e.to_string()),
        other => Err(format!("unexpected SCAN reply {other:?}")),
    }
}

/// A key name from a reply; keys that are not UTF-8 cannot be label
/// values and are skipped.
fn key_name(v: Value) -> Option<String> {
    match v {
        Value::BulkString(b) => String::from_utf8(b).ok(),
        Value::SimpleString(s) => Some(s),
        _ => None,
    }
}

/// What one database's inspection does with the keys a pattern matches.
#[derive(Debug, Clone, Default)]
struct Pattern {
    text: String,
    /// Check every matching key (`--check-keys`).
    check: bool,
    /// Report how many keys match (`--count-keys`).
    count: bool,
    /// Hand the matching keys back (stream patterns).
    collect: bool,
}

#[derive(Debug, Clone, Copy)]
enum KeyKind {
    /// GET: the size is the value's length (or PFCOUNT for a HyperLogLog).
    Str,
    /// LLEN, SCARD, ...
    Sized(&'static str),
}

/// One database's work: SCAN chains plus the key-fact pipeline stages
/// that ride along in the same round trips.
struct DbInspection<'a> {
    d: &'a Descs,
    db: String,
    export_values: bool,
    /// Most keys per stage per round trip.
    cap: usize,
    patterns: Vec<Pattern>,
    counts: Vec<usize>,
    /// With more than one range per pattern, the last SCAN of a range
    /// runs on into the next range (a SCAN call stops after COUNT keys,
    /// not at a cursor), so keys are counted by their hashes, once.
    counted: Option<Vec<HashSet<u64>>>,
    collected: Vec<String>,
    seen: HashSet<u64>,
    hasher: RandomState,
    to_type: Vec<String>,
    typing: Vec<String>,
    to_fact: Vec<(String, KeyKind)>,
    facting: Vec<(String, KeyKind)>,
    to_pfcount: Vec<String>,
    pfcounting: Vec<String>,
}

fn take_up_to<T>(queue: &mut Vec<T>, n: usize) -> Vec<T> {
    if queue.len() <= n {
        std::mem::take(queue)
    } else {
        queue.drain(..n).collect()
    }
}

impl DbInspection<'_> {
    /// Queues `key` for checking unless it was seen already (SCAN may
    /// return a key twice; a single key may match a pattern too).
    fn queue(&mut self, key: String) {
        if self.seen.insert(self.hasher.hash_one(&key)) {
            self.to_type.push(key);
        }
    }

    fn count(&mut self, i: usize, keys: &[Value]) {
        let Some(sets) = &mut self.counted else {
            // one range: every reply counts, as upstream counts them
            self.counts[i] += keys.len();
            return;
        };
        for key in keys {
            let name: &[u8] = match key {
                Value::BulkString(b) => b,
                Value::SimpleString(s) => s.as_bytes(),
                _ => continue,
            };
            if sets[i].insert(self.hasher.hash_one(name)) {
                self.counts[i] += 1;
            }
        }
    }

    fn busy(&self) -> bool {
        !(self.to_type.is_empty() && self.to_fact.is_empty() && self.to_pfcount.is_empty())
    }

    /// Adds this round's key lookups to `p`.
    fn load(&mut self, p: &mut redis::Pipeline) {
        self.typing = take_up_to(&mut self.to_type, self.cap);
        for k in &self.typing {
            p.cmd("TYPE").arg(k);
        }
        self.facting = take_up_to(&mut self.to_fact, self.cap);
        for (k, kind) in &self.facting {
            match kind {
                KeyKind::Str => p.cmd("GET").arg(k),
                KeyKind::Sized(cmd) => p.cmd(cmd).arg(k),
            };
            p.cmd("MEMORY").arg("USAGE").arg(k);
        }
        self.pfcounting = take_up_to(&mut self.to_pfcount, self.cap);
        for k in &self.pfcounting {
            p.cmd("PFCOUNT").arg(k);
        }
    }

    /// Reads the replies to what `load` added.
    fn unload(&mut self, replies: &mut impl Iterator<Item = Value>, out: &mut Emitter) {
        let d = self.d;
        for k in std::mem::take(&mut self.typing) {
            let Some(kind) = replies.next() else { return };
            let kind = match &kind {
                Value::SimpleString(s) => s.as_str(),
                Value::BulkString(b) => std::str::from_utf8(b).unwrap_or(""),
                Value::Okay => "OK",
                _ => "",
            };
            match kind {
                "none" => out.gauge(&d.key_size, &[&self.db, &k], 0.0),
                "string" => self.to_fact.push((k, KeyKind::Str)),
                other => match size_command(other) {
                    Some(cmd) => self.to_fact.push((k, KeyKind::Sized(cmd))),
                    None => tracing::warn!(key = %k, kind = other, "unknown key type"),
                },
            }
        }
        for (k, kind) in std::mem::take(&mut self.facting) {
            let (Some(first), Some(memory)) = (replies.next(), replies.next()) else {
                return;
            };
            if let Some(m) = resp::float(&memory) {
                out.gauge(&d.key_memory_usage_bytes, &[&self.db, &k], m);
            }
            match kind {
                KeyKind::Sized(_) => {
                    if let Some(n) = resp::float(&first) {
                        out.gauge(&d.key_size, &[&self.db, &k], n);
                    }
                }
                KeyKind::Str => {
                    let Value::BulkString(bytes) = first else {
                        continue;
                    };
                    if bytes.starts_with(b"HYLL") {
                        // a HyperLogLog: its size is its cardinality
                        self.to_pfcount.push(k);
                        continue;
                    }
                    out.gauge(&d.key_size, &[&self.db, &k], bytes.len() as f64);
                    let parsed = std::str::from_utf8(&bytes)
                        .ok()
                        .and_then(|t| t.trim().parse::<f64>().ok());
                    match parsed {
                        Some(v) => out.gauge(&d.key_value, &[&self.db, &k], v),
                        None if self.export_values => {
                            let text = String::from_utf8_lossy(&bytes);
                            out.gauge(&d.key_value_as_string, &[&self.db, &k, &text], 1.0)
                        }
                        None => {}
                    }
                }
            }
        }
        for k in std::mem::take(&mut self.pfcounting) {
            let Some(count) = replies.next() else { return };
            if let Some(n) = resp::float(&count) {
                out.gauge(&d.key_size, &[&self.db, &k], n);
            }
        }
    }

    /// Keys pattern `i` matched in this round.
    fn found(&mut self, i: usize, keys: Vec<Value>) {
        let (check, count, collect) = {
            let p = &self.patterns[i];
            (p.check, p.count, p.collect)
        };
        if count {
            self.count(i, &keys);
        }
        if !(check || collect) {
            return;
        }
        for key in keys.into_iter().filter_map(key_name) {
            if collect {
                if self.seen.insert(self.hasher.hash_one(&key)) {
                    self.collected.push(key);
                }
            } else {
                self.queue(key);
            }
        }
    }
}

/// Key inspection settings of one scrape.
pub struct KeyScan {
    /// SCAN ... COUNT (`--check-keys-batch-size`).
    pub count: i64,
    /// Most keys looked up per stage and range in one round trip.
    pub batch: usize,
    /// Stop (with an error logged) past this instant.
    pub deadline: Instant,
    pub layout: ScanLayout,
}

/// What to inspect in one database.
#[derive(Debug, Default)]
struct DbWork {
    singles: Vec<String>,
    patterns: Vec<Pattern>,
}

impl DbWork {
    fn pattern(&mut self, text: &str) -> &mut Pattern {
        let i = match self.patterns.iter().position(|p| p.text == text) {
            Some(i) => i,
            None => {
                self.patterns.push(Pattern {
                    text: text.to_string(),
                    ..Pattern::default()
                });
                self.patterns.len() - 1
            }
        };
        &mut self.patterns[i]
    }
}

impl KeyScan {
    /// `key_size`, `key_value` / `key_value_as_string` and
    /// `key_memory_usage_bytes` for `check` (patterns and single keys),
    /// and `keys_count` for `count` (patterns). A pattern in both lists
    /// is scanned once.
    pub async fn inspect(
        &self,
        d: &Descs,
        conn: &mut MultiplexedConnection,
        check: &[DbKey],
        count: &[DbKey],
        export_values: bool,
        out: &mut Emitter,
    ) {
        let mut work: BTreeMap<u32, DbWork> = BTreeMap::new();
        for k in check {
            let w = work.entry(k.db).or_default();
            if is_glob(&k.key) {
                w.pattern(&k.key).check = true;
            } else {
                w.singles.push(k.key.clone());
            }
        }
        for k in count {
            work.entry(k.db).or_default().pattern(&k.key).count = true;
        }
        for (db, w) in work {
            if let Err(e) = self.db(d, conn, db, w, export_values, out).await {
                tracing::error!(db, error = %e, "key inspection failed");
            }
        }
    }

    /// The keys `patterns` match, and `singles` as they are (stream checks).
    pub async fn expand(
        &self,
        d: &Descs,
        conn: &mut MultiplexedConnection,
        patterns: &[DbKey],
    ) -> Vec<DbKey> {
        let mut work: BTreeMap<u32, DbWork> = BTreeMap::new();
        for k in patterns.iter().filter(|k| is_glob(&k.key)) {
            work.entry(k.db).or_default().pattern(&k.key).collect = true;
        }
        let mut keys: Vec<DbKey> = patterns
            .iter()
            .filter(|k| !is_glob(&k.key))
            .cloned()
            .collect();
        let mut unused = Emitter::new();
        for (db, w) in work {
            match self.db_keys(d, conn, db, w, false, &mut unused).await {
                Ok((_, found)) => keys.extend(found.into_iter().map(|key| DbKey { db, key })),
                Err(e) => tracing::error!(db, error = %e, "SCAN failed"),
            }
        }
        keys
    }

    async fn db(
        &self,
        d: &Descs,
        conn: &mut MultiplexedConnection,
        db: u32,
        work: DbWork,
        export_values: bool,
        out: &mut Emitter,
    ) -> Result<(), String> {
        let counted: Vec<(String, bool)> = work
            .patterns
            .iter()
            .map(|p| (p.text.clone(), p.count))
            .collect();
        let (counts, _) = self.db_keys(d, conn, db, work, export_values, out).await?;
        let label = format!("db{db}");
        for ((pattern, counting), n) in counted.iter().zip(counts) {
            if let (true, Some(n)) = (*counting, n) {
                out.gauge(&d.keys_count, &[&label, pattern], n as f64);
            }
        }
        Ok(())
    }

    /// Runs one database's SCAN chains and key lookups to the end:
    /// (matches per pattern, `None` where SCAN failed; collected keys).
    async fn db_keys(
        &self,
        d: &Descs,
        conn: &mut MultiplexedConnection,
        db: u32,
        work: DbWork,
        export_values: bool,
        out: &mut Emitter,
    ) -> Result<(Vec<Option<usize>>, Vec<String>), String> {
        redis::cmd("SELECT")
            .arg(db)
            .query_async::<()>(conn)
            .await
            .map_err(|e| format!("SELECT {db}: {e}"))?;
        let ranges = self.layout.ranges(db);
        let mut chains: Vec<Chain> = (0..work.patterns.len())
            .flat_map(|pattern| {
                (0..ranges).map(move |i| Chain {
                    pattern,
                    cursor: range_start(i, ranges),
                    end: range_end(i, ranges),
                })
            })
            .collect();
        let mut state = DbInspection {
            d,
            db: format!("db{db}"),
            export_values,
            cap: self.batch.max(1) * ranges as usize,
            counts: vec![0; work.patterns.len()],
            counted: (ranges > 1).then(|| vec![HashSet::new(); work.patterns.len()]),
            patterns: work.patterns,
            collected: Vec::new(),
            seen: HashSet::new(),
            hasher: RandomState::new(),
            to_type: Vec::new(),
            typing: Vec::new(),
            to_fact: Vec::new(),
            facting: Vec::new(),
            to_pfcount: Vec::new(),
            pfcounting: Vec::new(),
        };
        for key in work.singles {
            state.queue(key);
        }
        let count = self.count.max(1);
        let mut failed = vec![false; state.patterns.len()];
        while !chains.is_empty() || state.busy() {
            if Instant::now() > self.deadline {
                return Err("scrape deadline reached during key inspection".into());
            }
            let mut p = redis::pipe();
            p.ignore_errors();
            for c in &chains {
                p.cmd("SCAN")
                    .arg(c.cursor)
                    .arg("MATCH")
                    .arg(&state.patterns[c.pattern].text)
                    .arg("COUNT")
                    .arg(count);
            }
            state.load(&mut p);
            let replies: Vec<Value> = p.query_async(conn).await.map_err(|e| e.to_string())?;
            let mut replies = replies.into_iter();
            let mut found = Vec::new();
            let mut live = Vec::with_capacity(chains.len());
            for mut c in chains {
                let reply = replies.next().unwrap_or(Value::Nil);
                match scan_reply(reply) {
                    Ok((next, keys)) => {
                        if !keys.is_empty() {
                            found.push((c.pattern, keys));
                        }
                        let done = next == 0 || c.end.is_some_and(|end| next.reverse_bits() >= end);
                        if !done {
                            c.cursor = next;
                            live.push(c);
                        }
                    }
                    Err(e) => {
                        if !std::mem::replace(&mut failed[c.pattern], true) {
                            tracing::error!(pattern = %state.patterns[c.pattern].text, error = %e, "SCAN failed");
                        }
                    }
                }
            }
            state.unload(&mut replies, out);
            for (pattern, keys) in found {
                state.found(pattern, keys);
            }
            chains = live;
        }
        let counts = state
            .counts
            .iter()
            .zip(&failed)
            .map(|(n, failed)| (!failed).then_some(*n))
            .collect();
        Ok((counts, state.collected))
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

    #[test]
    fn scan_ranges_follow_the_keyspace() {
        let layout = ScanLayout::from_info(
            "# Cluster\r\ncluster_enabled:0\r\n\r\n# Keyspace\r\ndb0:keys=1000000,expires=0,avg_ttl=0\r\ndb2:keys=15,expires=1,avg_ttl=5\r\ndb3:keys=100,expires=0,avg_ttl=0\r\n",
        );
        assert_eq!(layout.db_keys.get(&0), Some(&1_000_000));
        assert_eq!(layout.ranges(0), MAX_RANGES);
        // too few keys for every range to start on a bucket of its own
        assert_eq!(layout.ranges(2), 1);
        assert_eq!(layout.ranges(3), 8);
        assert_eq!(layout.ranges(1), 1);
        let cluster = ScanLayout::from_info("cluster_enabled:1\r\ndb0:keys=1000000\r\n");
        assert_eq!(cluster.ranges(0), 1);
        let valkey = ScanLayout::from_info("valkey_version:8.1.0\r\ndb0:keys=1000000\r\n");
        assert_eq!(valkey.ranges(0), 1);
    }

    #[test]
    fn range_cursors_are_reverse_binary() {
        // 16 ranges: the starts are the 4-bit reversals of 0..16
        assert_eq!(range_start(0, 16), 0);
        assert_eq!(range_start(1, 16), 8);
        assert_eq!(range_start(2, 16), 4);
        assert_eq!(range_start(15, 16), 15);
        assert_eq!(range_end(0, 16), Some(1 << 60));
        assert_eq!(range_end(15, 16), None);
        assert_eq!((range_start(0, 1), range_end(0, 1)), (0, None));
        // a cursor of range 1 (reversed bits in [1/16, 2/16)) ends range 0
        assert!(8u64.reverse_bits() >= range_end(0, 16).unwrap());
        assert!(24u64.reverse_bits() < range_end(1, 16).unwrap());
    }
}
