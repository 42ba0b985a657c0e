//! Key checks (`--check-keys`, `--check-single-keys`) of known keys, and
//! the per-scrape SCAN of `--count-keys` and `--check-streams` patterns
//! (never KEYS). `--check-keys` patterns are expanded in the background
//! (`key_discovery`); a scrape only fetches the keys already known.
//!
//! A SCAN over a large keyspace is a long chain of dependent round trips,
//! and on a busy machine every round trip costs a wake-up of Redis and of
//! the exporter. So each pattern's per-scrape SCAN is split into cursor
//! ranges that are walked side by side: SCAN cursors count hash-table
//! buckets in reverse-binary order, so the cursor whose reversed bits are
//! `i/K` of the way through starts the `i`-th of `K` ranges, and a range
//! ends when a returned cursor's reversed bits pass the next range's
//! start. Every round trip carries one SCAN per live range.

use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::time::Instant;

use exporter_kit::Emitter;
use futures::StreamExt;
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
pub(crate) fn scan_reply(v: Value) -> Result<(u64, Vec<Value>), String> {
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
pub(crate) fn key_name(v: Value) -> Option<String> {
    match v {
        Value::BulkString(b) => String::from_utf8(b).ok(),
        Value::SimpleString(s) => Some(s),
        _ => None,
    }
}

/// What one database's SCAN does with the keys a pattern matches.
#[derive(Debug, Clone, Default)]
struct Pattern {
    text: String,
    /// Report how many keys match (`--count-keys`).
    count: bool,
    /// Hand the matching keys back (stream patterns).
    collect: bool,
}

/// One database's SCAN chains: what they matched so far.
struct DbScan {
    patterns: Vec<Pattern>,
    counts: Vec<usize>,
    /// With more than one range per pattern, the last SCAN of a range
    /// runs on into the next range (a SCAN call stops after COUNT keys,
    /// not at a cursor), so keys are counted by their hashes, once.
    counted: Option<Vec<HashSet<u64>>>,
    collected: Vec<String>,
    seen: HashSet<u64>,
    hasher: RandomState,
}

impl DbScan {
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

    /// Keys pattern `i` matched in this round.
    fn found(&mut self, i: usize, keys: Vec<Value>) {
        let (count, collect) = {
            let p = &self.patterns[i];
            (p.count, p.collect)
        };
        if count {
            self.count(i, &keys);
        }
        if !collect {
            return;
        }
        // SCAN may return a key twice
        for key in keys.into_iter().filter_map(key_name) {
            if self.seen.insert(self.hasher.hash_one(&key)) {
                self.collected.push(key);
            }
        }
    }
}

/// One SCAN pass of a scrape: `--count-keys` and `--check-streams`
/// patterns (`--check-keys` patterns are walked in the background, see
/// `key_discovery`).
pub struct KeyScan {
    /// SCAN ... COUNT (`--check-keys-batch-size`).
    pub count: i64,
    /// Stop (with an error logged) past this instant.
    pub deadline: Instant,
    pub layout: ScanLayout,
}

/// What to scan in one database.
#[derive(Debug, Default)]
struct DbWork {
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
    /// `keys_count` for the `count` patterns.
    pub async fn count_matches(
        &self,
        d: &Descs,
        conn: &mut MultiplexedConnection,
        count: &[DbKey],
        out: &mut Emitter,
    ) {
        let mut work: BTreeMap<u32, DbWork> = BTreeMap::new();
        for k in count {
            work.entry(k.db).or_default().pattern(&k.key).count = true;
        }
        for (db, w) in work {
            let patterns: Vec<String> = w.patterns.iter().map(|p| p.text.clone()).collect();
            match self.db_keys(conn, db, w).await {
                Ok((counts, _)) => {
                    let label = format!("db{db}");
                    for (pattern, n) in patterns.iter().zip(counts) {
                        if let Some(n) = n {
                            out.gauge(&d.keys_count, &[&label, pattern], n as f64);
                        }
                    }
                }
                Err(e) => tracing::error!(db, error = %e, "counting keys failed"),
            }
        }
    }

    /// The keys `patterns` match, and single keys as they are (stream checks).
    pub async fn expand(&self, conn: &mut MultiplexedConnection, patterns: &[DbKey]) -> Vec<DbKey> {
        let mut work: BTreeMap<u32, DbWork> = BTreeMap::new();
        for k in patterns.iter().filter(|k| is_glob(&k.key)) {
            work.entry(k.db).or_default().pattern(&k.key).collect = true;
        }
        let mut keys: Vec<DbKey> = patterns
            .iter()
            .filter(|k| !is_glob(&k.key))
            .cloned()
            .collect();
        for (db, w) in work {
            match self.db_keys(conn, db, w).await {
                Ok((_, found)) => keys.extend(found.into_iter().map(|key| DbKey { db, key })),
                Err(e) => tracing::error!(db, error = %e, "SCAN failed"),
            }
        }
        keys
    }

    /// Runs one database's SCAN chains to the end: (matches per pattern,
    /// `None` where SCAN failed; collected keys).
    async fn db_keys(
        &self,
        conn: &mut MultiplexedConnection,
        db: u32,
        work: DbWork,
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
        let mut state = DbScan {
            counts: vec![0; work.patterns.len()],
            counted: (ranges > 1).then(|| vec![HashSet::new(); work.patterns.len()]),
            patterns: work.patterns,
            collected: Vec::new(),
            seen: HashSet::new(),
            hasher: RandomState::new(),
        };
        let count = self.count.max(1);
        let mut failed = vec![false; state.patterns.len()];
        while !chains.is_empty() {
            if Instant::now() > self.deadline {
                return Err("scrape deadline reached during SCAN".into());
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
            let replies: Vec<Value> = p.query_async(conn).await.map_err(|e| e.to_string())?;
            let mut replies = replies.into_iter();
            let mut live = Vec::with_capacity(chains.len());
            for mut c in chains {
                let reply = replies.next().unwrap_or(Value::Nil);
                match scan_reply(reply) {
                    Ok((next, keys)) => {
                        if !keys.is_empty() {
                            state.found(c.pattern, keys);
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

/// How a checked key's size (and value) is read, learned from TYPE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// GET: the size is the value's length, the value a number or a label.
    Str,
    /// A HyperLogLog (TYPE says string): its size is PFCOUNT.
    Hll,
    /// LLEN, SCARD, ZCARD, HLEN, XLEN, ARCOUNT.
    Sized(&'static str),
}

impl KeyKind {
    fn of_type(type_name: &str) -> Option<KeyKind> {
        Some(match type_name {
            "string" => KeyKind::Str,
            "list" => KeyKind::Sized("LLEN"),
            "set" => KeyKind::Sized("SCARD"),
            "zset" => KeyKind::Sized("ZCARD"),
            "hash" => KeyKind::Sized("HLEN"),
            "stream" => KeyKind::Sized("XLEN"),
            // Redis 8.8 arrays, as upstream
            "array" => KeyKind::Sized("ARCOUNT"),
            _ => return None,
        })
    }

    /// Whether TYPE's answer `type_name` is this kind.
    fn is(self, type_name: &str) -> bool {
        match (self, KeyKind::of_type(type_name)) {
            (KeyKind::Hll, Some(KeyKind::Str)) => true,
            (kind, Some(of_type)) => kind == of_type,
            (_, None) => false,
        }
    }

    fn add_fetch(self, p: &mut redis::Pipeline, key: &str) {
        match self {
            KeyKind::Str => p.cmd("GET").arg(key),
            KeyKind::Hll => p.cmd("PFCOUNT").arg(key),
            KeyKind::Sized(cmd) => p.cmd(cmd).arg(key),
        };
    }
}

/// A key to check, with its kind when an earlier scrape learned it: such
/// a key is fetched in the same round trip as its TYPE.
#[derive(Debug, Clone)]
pub struct CheckKey {
    pub db: u32,
    pub key: Arc<str>,
    pub kind: Option<KeyKind>,
    /// Named by the flags rather than found by a pattern: reported with
    /// `key_size` 0 when it does not exist, as upstream reports it.
    pub named: bool,
}

/// What one check learned about a key, for the next scrape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Learned {
    Kind(KeyKind),
    /// TYPE said `none`: the key no longer exists.
    Gone,
    /// The key changed under the check; ask TYPE first next time.
    Unknown,
}

/// `key_size`, `key_value` / `key_value_as_string` and
/// `key_memory_usage_bytes` of known keys (upstream's check-keys
/// families), fetched in pipelined batches.
pub struct KeyCheck {
    /// Most keys per round trip (`--check-keys-batch-size`).
    pub batch: usize,
    /// `!--disable-exporting-key-values`.
    pub export_values: bool,
    /// Stop (with an error logged) past this instant.
    pub deadline: Instant,
}

/// A key on its way through one check's round trips.
struct Pending {
    key: Arc<str>,
    kind: Option<KeyKind>,
    named: bool,
    /// TYPE and MEMORY USAGE were answered in an earlier round.
    typed: bool,
}

/// A check's rounds end here even if keys keep changing type under it.
const MAX_ROUNDS: usize = 3;

/// Pipelined batches sent before the first one's answer is read.
const BATCHES_IN_FLIGHT: usize = 4;

impl KeyCheck {
    /// Checks `keys`, emitting what exists, and returns what it learned
    /// per key.
    pub async fn run(
        &self,
        d: &Descs,
        conn: &mut MultiplexedConnection,
        keys: Vec<CheckKey>,
        out: &mut Emitter,
    ) -> Vec<(u32, Arc<str>, Learned)> {
        let mut by_db: BTreeMap<u32, Vec<Pending>> = BTreeMap::new();
        for k in keys {
            by_db.entry(k.db).or_default().push(Pending {
                key: k.key,
                kind: k.kind,
                named: k.named,
                typed: false,
            });
        }
        let mut learned = Vec::new();
        for (db, pending) in by_db {
            if let Err(e) = self.db(d, conn, db, pending, out, &mut learned).await {
                tracing::error!(db, error = %e, "key checks failed");
                return learned;
            }
        }
        learned
    }

    async fn db(
        &self,
        d: &Descs,
        conn: &mut MultiplexedConnection,
        db: u32,
        mut pending: Vec<Pending>,
        out: &mut Emitter,
        learned: &mut Vec<(u32, Arc<str>, Learned)>,
    ) -> Result<(), String> {
        let label = format!("db{db}");
        for _ in 0..MAX_ROUNDS {
            if pending.is_empty() {
                break;
            }
            let mut next = Vec::new();
            let chunks: Vec<&[Pending]> = pending.chunks(self.batch.max(1)).collect();
            // a few batches in flight on the connection: Redis answers one
            // while the exporter reads the one before
            let pipes: Vec<redis::Pipeline> =
                chunks.iter().map(|chunk| check_pipe(db, chunk)).collect();
            let shared = conn.clone();
            let mut answers = futures::stream::iter(pipes)
                .map(move |p| query_pipe(shared.clone(), p))
                .buffered(BATCHES_IN_FLIGHT);
            for chunk in &chunks {
                if Instant::now() > self.deadline {
                    return Err("scrape deadline reached during key checks".into());
                }
                let replies = match answers.next().await {
                    Some(r) => r.map_err(|e| e.to_string())?,
                    None => return Err("missing replies".into()),
                };
                let mut replies = replies.into_iter();
                if let Some(Value::ServerError(e)) = replies.next() {
                    return Err(format!("SELECT {db}: {e}"));
                }
                for item in chunk.iter() {
                    let mut type_name = None;
                    if !item.typed {
                        let (Some(kind), Some(memory)) = (replies.next(), replies.next()) else {
                            return Err("missing replies".into());
                        };
                        type_name = Some(type_reply(kind));
                        if let Some(m) = resp::int(&memory) {
                            out.gauge(&d.key_memory_usage_bytes, &[&label, &item.key], m as f64);
                        }
                    }
                    let fetched = match item.kind {
                        Some(_) => match replies.next() {
                            Some(v) => Some(v),
                            None => return Err("missing replies".into()),
                        },
                        None => None,
                    };
                    let step = match type_name.as_deref() {
                        Some("none") => Step::Done(Learned::Gone),
                        Some(t) => match (item.kind, KeyKind::of_type(t)) {
                            (Some(kind), _) if kind.is(t) => {
                                self.fetched(d, &label, &item.key, kind, fetched, out)
                            }
                            (_, Some(actual)) => Step::Again(actual),
                            (_, None) => {
                                tracing::warn!(key = %item.key, kind = t, "unknown key type");
                                Step::Done(Learned::Unknown)
                            }
                        },
                        None => match item.kind {
                            Some(kind) => self.fetched(d, &label, &item.key, kind, fetched, out),
                            None => Step::Done(Learned::Unknown),
                        },
                    };
                    match step {
                        Step::Done(l) => {
                            if l == Learned::Gone && item.named {
                                out.gauge(&d.key_size, &[&label, &item.key], 0.0);
                            }
                            learned.push((db, item.key.clone(), l));
                        }
                        Step::Again(kind) => next.push(Pending {
                            key: item.key.clone(),
                            kind: Some(kind),
                            named: item.named,
                            typed: true,
                        }),
                    }
                }
            }
            drop(answers);
            pending = next;
        }
        learned.extend(
            pending
                .into_iter()
                .map(|item| (db, item.key, Learned::Unknown)),
        );
        Ok(())
    }

    /// Emits what a fetch of a `kind` key answered.
    fn fetched(
        &self,
        d: &Descs,
        db: &str,
        key: &str,
        kind: KeyKind,
        reply: Option<Value>,
        out: &mut Emitter,
    ) -> Step {
        let Some(reply) = reply else {
            return Step::Done(Learned::Unknown);
        };
        match (kind, reply) {
            // deleted between TYPE and the fetch
            (_, Value::Nil) => Step::Done(Learned::Gone),
            (KeyKind::Str, Value::BulkString(bytes)) => {
                if bytes.starts_with(b"HYLL") {
                    return Step::Again(KeyKind::Hll);
                }
                out.gauge(&d.key_size, &[db, key], bytes.len() as f64);
                if self.export_values && !bytes.is_empty() {
                    let text = String::from_utf8_lossy(&bytes);
                    match parse_go_float(&text) {
                        Some(v) => out.gauge(&d.key_value, &[db, key], v),
                        None => out.gauge(&d.key_value_as_string, &[db, key, &text], 1.0),
                    }
                }
                Step::Done(Learned::Kind(KeyKind::Str))
            }
            // PFCOUNT refuses a string that is not a HyperLogLog
            (KeyKind::Hll, Value::ServerError(_)) => Step::Again(KeyKind::Str),
            (kind, reply) => match resp::int(&reply) {
                Some(n) => {
                    out.gauge(&d.key_size, &[db, key], n as f64);
                    Step::Done(Learned::Kind(kind))
                }
                None => {
                    tracing::debug!(key, ?reply, "unexpected key size reply");
                    Step::Done(Learned::Unknown)
                }
            },
        }
    }
}

/// One batch's commands: TYPE and MEMORY USAGE where not known yet, and
/// the fetch of each key whose kind is known.
fn check_pipe(db: u32, chunk: &[Pending]) -> redis::Pipeline {
    let mut p = redis::pipe();
    p.ignore_errors();
    p.cmd("SELECT").arg(db);
    for item in chunk {
        if !item.typed {
            p.cmd("TYPE").arg(&*item.key);
            p.cmd("MEMORY").arg("USAGE").arg(&*item.key);
        }
        if let Some(kind) = item.kind {
            kind.add_fetch(&mut p, &item.key);
        }
    }
    p
}

async fn query_pipe(
    mut conn: MultiplexedConnection,
    p: redis::Pipeline,
) -> redis::RedisResult<Vec<Value>> {
    p.query_async(&mut conn).await
}

enum Step {
    Done(Learned),
    /// Fetch again as this kind in the next round.
    Again(KeyKind),
}

fn type_reply(v: Value) -> String {
    match v {
        Value::SimpleString(s) => s,
        Value::BulkString(b) => String::from_utf8_lossy(&b).into_owned(),
        _ => String::new(),
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for the decimal forms Redis values
/// take: no surrounding space, no `_`, and an out-of-range number is an
/// error rather than an infinity.
pub(crate) fn parse_go_float(s: &str) -> Option<f64> {
    if s.contains('_') || s.trim() != s {
        return None;
    }
    let v = s.parse::<f64>().ok()?;
    let spelled_infinite = s
        .trim_start_matches(['+', '-'])
        .get(..3)
        .is_some_and(|p| p.eq_ignore_ascii_case("inf"));
    (!v.is_infinite() || spelled_infinite).then_some(v)
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
