//! Background discovery of the keys that `--check-keys` patterns match.
//!
//! Upstream SCANs the whole keyspace on every scrape: on a 1,000,000-key
//! instance that is most of a second of Redis's single thread per scrape,
//! however few keys match. Here one task per (Redis, credentials,
//! patterns) walks the keyspace continuously instead, paced so that one
//! pass takes `--check-keys-discovery-cycle`, and keeps the set of matching
//! keys; a scrape only fetches the keys in that set (`keys::KeyCheck`).
//!
//! - A new key is in the set within one cycle (SCAN returns every key that
//!   exists for a whole pass). A deleted key is dropped by the next scrape
//!   (TYPE says `none`), and by the next pass end if nobody scrapes.
//! - Redis load is bounded twice: a pass's SCAN steps are spread over the
//!   cycle, and after each step the task waits at least three times as
//!   long as the step took, so discovery keeps Redis busy for at most a
//!   quarter of the time even when the keyspace is too large for the cycle
//!   (the pass then takes longer). The first pass of a task runs at that
//!   cap alone, so a new target's keys are known within seconds.
//! - `/scrape?target=` chooses the Redis and the patterns, so the tasks are
//!   bounded (`--check-keys-discovery-max-targets`; the least recently
//!   scraped one makes room) and a task stops once no scrape has asked for
//!   it for [`IDLE_AFTER`] (or three cycles, if longer). Every task stops
//!   when the exporter stops: dropping the registry aborts them.
//! - A Redis that is down or restarts only delays discovery: the task
//!   reconnects with a backoff, and the scrape, on a connection of its
//!   own, reports `up` as it finds it.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use redis::Value;
use redis::aio::MultiplexedConnection;

use crate::conn::{self, Target, TlsOptions};
use crate::keys::{self, CheckKey, DbKey, KeyKind, Learned, ScanLayout};

/// A task no scrape asked for during this long (or three cycles) stops.
pub const IDLE_AFTER: Duration = Duration::from_secs(600);

/// Discovery wait per step is at least this many times the step's round
/// trip: Redis spends at most 1/(1+LOAD_RATIO) of the time on discovery.
const LOAD_RATIO: u32 = 3;

/// Longest wait between reconnection attempts (and never more than a cycle).
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Everything a discovery task needs from the command line.
#[derive(Debug, Clone)]
pub struct DiscoverySettings {
    /// How long one pass over the keyspace takes
    /// (`--check-keys-discovery-cycle`).
    pub cycle: Duration,
    /// Most discovery tasks at once (`--check-keys-discovery-max-targets`).
    pub max_targets: usize,
    /// SCAN ... COUNT (`--check-keys-batch-size`).
    pub scan_count: i64,
    pub timeout: Duration,
    pub tls: TlsOptions,
    pub set_client_name: bool,
}

impl DiscoverySettings {
    fn idle_after(&self) -> Duration {
        IDLE_AFTER.max(self.cycle.saturating_mul(3))
    }
}

/// Which discovery a scrape needs: credentials are part of it, so a
/// scrape never reads keys that another caller's credentials found.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct DiscoveryKey {
    addr: String,
    user: String,
    password: String,
    url_credentials: bool,
    /// Sorted, without duplicates.
    patterns: Vec<DbKey>,
}

/// Where a known key was last seen, and how to fetch it.
#[derive(Debug, Clone, Copy)]
struct Slot {
    kind: Option<KeyKind>,
    /// The pass that last returned it.
    pass: u64,
}

/// The keys one discovery task knows, shared with the scrapes.
#[derive(Debug)]
pub struct Known {
    keys: Mutex<HashMap<(u32, Arc<str>), Slot>>,
    passes: AtomicU64,
    last_used: Mutex<Instant>,
    stopped: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Known {
    fn new() -> Known {
        Known {
            keys: Mutex::new(HashMap::new()),
            passes: AtomicU64::new(0),
            last_used: Mutex::new(Instant::now()),
            stopped: AtomicBool::new(false),
        }
    }

    /// The keys to check now, by database.
    pub fn snapshot(&self) -> Vec<CheckKey> {
        let mut keys: Vec<CheckKey> = lock(&self.keys)
            .iter()
            .map(|((db, key), slot)| CheckKey {
                db: *db,
                key: key.clone(),
                kind: slot.kind,
                named: false,
            })
            .collect();
        keys.sort_unstable_by(|a, b| (a.db, &a.key).cmp(&(b.db, &b.key)));
        keys
    }

    /// What a scrape's check learned: kinds to fetch directly next time,
    /// and keys that are gone.
    pub fn learn(&self, learned: &[(u32, Arc<str>, Learned)]) {
        let mut keys = lock(&self.keys);
        for (db, key, what) in learned {
            let id = (*db, key.clone());
            match what {
                Learned::Gone => {
                    keys.remove(&id);
                }
                Learned::Kind(kind) => {
                    if let Some(slot) = keys.get_mut(&id) {
                        slot.kind = Some(*kind);
                    }
                }
                Learned::Unknown => {
                    if let Some(slot) = keys.get_mut(&id) {
                        slot.kind = None;
                    }
                }
            }
        }
    }

    /// Completed passes over the keyspace.
    pub fn passes(&self) -> u64 {
        self.passes.load(Ordering::Relaxed)
    }

    /// Keys known now.
    pub fn len(&self) -> usize {
        lock(&self.keys).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn touch(&self) {
        *lock(&self.last_used) = Instant::now();
    }

    fn idle_for(&self) -> Duration {
        lock(&self.last_used).elapsed()
    }

    fn found(&self, db: u32, names: impl Iterator<Item = String>, pass: u64) {
        let mut keys = lock(&self.keys);
        for name in names {
            keys.entry((db, Arc::from(name)))
                .and_modify(|slot| slot.pass = pass)
                .or_insert(Slot { kind: None, pass });
        }
    }

    /// A pass ended: keys it did not return no longer exist.
    fn finish_pass(&self, pass: u64) {
        lock(&self.keys).retain(|_, slot| slot.pass == pass);
        self.passes.store(pass, Ordering::Relaxed);
    }

    fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
        lock(&self.keys).clear();
    }
}

struct Entry {
    known: Arc<Known>,
    task: tokio::task::AbortHandle,
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Every running discovery task, by target, credentials and patterns.
pub struct Discoveries {
    settings: Arc<DiscoverySettings>,
    entries: Mutex<HashMap<DiscoveryKey, Entry>>,
}

impl Discoveries {
    pub fn new(settings: DiscoverySettings) -> Discoveries {
        Discoveries {
            settings: Arc::new(settings),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The keys known for `target` and the `--check-keys` `patterns`,
    /// starting their discovery when none runs (within a Tokio runtime).
    pub fn known(&self, target: &Target, patterns: &[DbKey]) -> Arc<Known> {
        let mut patterns = patterns.to_vec();
        patterns.sort();
        patterns.dedup();
        let key = DiscoveryKey {
            addr: target.addr.clone(),
            user: target.user.clone(),
            password: target.password.clone(),
            url_credentials: target.url_credentials,
            patterns,
        };
        let mut entries = lock(&self.entries);
        if let Some(entry) = entries.get(&key)
            && !entry.known.stopped.load(Ordering::Relaxed)
        {
            entry.known.touch();
            return entry.known.clone();
        }
        entries.retain(|_, e| !e.known.stopped.load(Ordering::Relaxed));
        while entries.len() >= self.settings.max_targets.max(1) {
            let Some(oldest) = entries
                .iter()
                .max_by_key(|(_, e)| e.known.idle_for())
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            tracing::info!(target = %crate::scrape::redacted(&oldest.addr),
                "key discovery stopped to make room for another target (--check-keys-discovery-max-targets)");
            entries.remove(&oldest);
        }
        let known = Arc::new(Known::new());
        let mut by_db: BTreeMap<u32, Vec<String>> = BTreeMap::new();
        for p in &key.patterns {
            by_db.entry(p.db).or_default().push(p.key.clone());
        }
        let task = tokio::spawn(discover(
            known.clone(),
            target.clone(),
            by_db,
            self.settings.clone(),
        ))
        .abort_handle();
        entries.insert(
            key,
            Entry {
                known: known.clone(),
                task,
            },
        );
        known
    }
}

/// One discovery task: passes over the keyspace until idle or aborted.
async fn discover(
    known: Arc<Known>,
    target: Target,
    patterns: BTreeMap<u32, Vec<String>>,
    s: Arc<DiscoverySettings>,
) {
    let mut failures: u32 = 0;
    loop {
        if known.idle_for() > s.idle_after() {
            tracing::debug!(target = %crate::scrape::redacted(&target.addr), "key discovery idle; stopped");
            known.stop();
            return;
        }
        let connected = connect(&target, &s).await;
        let error = match connected {
            Ok(mut c) => loop {
                let start = Instant::now();
                // the first pass of a task runs at the load cap alone
                let paced = known.passes() > 0;
                if let Err(e) = pass(&known, &mut c, &patterns, &s, paced).await {
                    break Some(e);
                }
                if failures > 0 {
                    tracing::info!(target = %crate::scrape::redacted(&target.addr), "key discovery resumed");
                    failures = 0;
                }
                tokio::time::sleep(s.cycle.saturating_sub(start.elapsed())).await;
                if known.idle_for() > s.idle_after() {
                    break None;
                }
            },
            Err(e) => Some(e),
        };
        let Some(error) = error else { continue };
        failures = failures.saturating_add(1);
        if failures == 1 {
            tracing::warn!(target = %crate::scrape::redacted(&target.addr), %error,
                "key discovery failed; retrying");
        } else {
            tracing::debug!(target = %crate::scrape::redacted(&target.addr), %error,
                "key discovery failed again");
        }
        let backoff = Duration::from_millis(100)
            .saturating_mul(1 << failures.min(10))
            .min(MAX_BACKOFF)
            .min(s.cycle.max(Duration::from_millis(100)));
        tokio::time::sleep(backoff).await;
    }
}

async fn connect(target: &Target, s: &DiscoverySettings) -> Result<MultiplexedConnection, String> {
    let client = conn::client(target, &s.tls).map_err(|e| e.to_string())?;
    let mut c = conn::connect(&client, s.timeout)
        .await
        .map_err(|e| e.to_string())?;
    if s.set_client_name {
        // tells an operator's CLIENT LIST which connection walks the keyspace
        let named = redis::cmd("CLIENT")
            .arg("SETNAME")
            .arg("redis_exporter_key_discovery")
            .query_async::<()>(&mut c)
            .await;
        if let Err(e) = named {
            tracing::debug!(error = %e, "cannot name the key discovery connection");
        }
    }
    Ok(c)
}

/// One pass over every database with patterns.
async fn pass(
    known: &Known,
    c: &mut MultiplexedConnection,
    patterns: &BTreeMap<u32, Vec<String>>,
    s: &DiscoverySettings,
    paced: bool,
) -> Result<(), String> {
    let generation = known.passes() + 1;
    let count = s.scan_count.max(1);
    let interval = if paced {
        let info: Value = redis::cmd("INFO")
            .arg("keyspace")
            .query_async(c)
            .await
            .map_err(|e| format!("INFO keyspace: {e}"))?;
        let layout = ScanLayout::from_info(&crate::resp::text(&info).unwrap_or_default());
        // a step of COUNT visits about COUNT buckets, and a table has
        // about as many buckets as keys
        let steps: u64 = patterns
            .keys()
            .map(|db| layout.db_keys.get(db).copied().unwrap_or(0) / count as u64 + 1)
            .sum();
        let steps = u32::try_from(steps).unwrap_or(u32::MAX).max(1);
        s.cycle / steps
    } else {
        Duration::ZERO
    };
    for (db, texts) in patterns {
        redis::cmd("SELECT")
            .arg(*db)
            .query_async::<()>(c)
            .await
            .map_err(|e| format!("SELECT {db}: {e}"))?;
        let mut cursors: Vec<Option<u64>> = vec![Some(0); texts.len()];
        while cursors.iter().any(Option::is_some) {
            let step = Instant::now();
            let mut p = redis::pipe();
            for (cursor, text) in cursors.iter().zip(texts) {
                if let Some(cursor) = cursor {
                    p.cmd("SCAN")
                        .arg(*cursor)
                        .arg("MATCH")
                        .arg(text)
                        .arg("COUNT")
                        .arg(count);
                }
            }
            let replies: Vec<Value> = p.query_async(c).await.map_err(|e| e.to_string())?;
            let mut replies = replies.into_iter();
            for cursor in cursors.iter_mut().filter(|c| c.is_some()) {
                let reply = replies.next().unwrap_or(Value::Nil);
                let (next, names) = keys::scan_reply(reply)?;
                known.found(
                    *db,
                    names.into_iter().filter_map(keys::key_name),
                    generation,
                );
                *cursor = (next != 0).then_some(next);
            }
            if cursors.iter().any(Option::is_some) {
                let took = step.elapsed();
                tokio::time::sleep(interval.saturating_sub(took).max(took * LOAD_RATIO)).await;
            }
        }
    }
    known.finish_pass(generation);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_drops_keys_it_did_not_return_and_scrapes_drop_gone_keys() {
        let known = Known::new();
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        known.found(0, names(&["a", "b"]).into_iter(), 1);
        known.found(2, names(&["c"]).into_iter(), 1);
        known.finish_pass(1);
        assert_eq!(known.passes(), 1);
        assert_eq!(known.len(), 3);
        known.learn(&[
            (0, Arc::from("a"), Learned::Kind(KeyKind::Str)),
            (2, Arc::from("c"), Learned::Gone),
        ]);
        let snap = known.snapshot();
        assert_eq!(snap.len(), 2);
        assert_eq!(
            (snap[0].db, &*snap[0].key, snap[0].kind),
            (0, "a", Some(KeyKind::Str))
        );
        // "b" was deleted: the next pass does not return it
        known.found(0, names(&["a"]).into_iter(), 2);
        known.finish_pass(2);
        let snap = known.snapshot();
        assert_eq!(snap.len(), 1);
        // what a scrape learned survives the pass
        assert_eq!(snap[0].kind, Some(KeyKind::Str));
        known.stop();
        assert!(known.is_empty());
    }
}
