//! One scrape: the enabled collectors run concurrently, each under the
//! scrape deadline; their timing and success become metrics; the families
//! are merged, sorted and deduplicated.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicIsize, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::oneshot;

use crate::collector::{AnyCollector, CollectError, Collector, ScrapeContext};
use crate::desc::Desc;
use crate::emit::Emitter;
use crate::family::Family;

/// The names of the per-collector metrics, which differ between upstream
/// exporters (`node_scrape_collector_success`,
/// `mysql_exporter_collector_duration_seconds`, ...).
#[derive(Debug, Clone)]
pub struct CollectorMetrics {
    pub duration: Option<Desc>,
    pub success: Option<Desc>,
}

impl CollectorMetrics {
    /// node_exporter's names: `<ns>_scrape_collector_duration_seconds` and
    /// `<ns>_scrape_collector_success`, labelled `collector`.
    pub fn scrape_collector(namespace: &str) -> CollectorMetrics {
        CollectorMetrics {
            duration: Some(Desc::gauge(
                &format!("{namespace}_scrape_collector_duration_seconds"),
                &format!("{namespace}_exporter: Duration of a collector scrape."),
                &["collector"],
            )),
            success: Some(Desc::gauge(
                &format!("{namespace}_scrape_collector_success"),
                &format!("{namespace}_exporter: Whether a collector succeeded."),
                &["collector"],
            )),
        }
    }

    pub fn none() -> CollectorMetrics {
        CollectorMetrics {
            duration: None,
            success: None,
        }
    }
}

struct Entry {
    name: &'static str,
    collector: AnyCollector,
    /// Runs of this collector that overran their deadline and have not
    /// returned. While any remain, no new run starts: threads never pile up
    /// behind a hung mount.
    stuck: Arc<AtomicIsize>,
}

/// A collector name in `collect[]` that is not enabled.
#[derive(Debug, thiserror::Error)]
#[error("collector {0:?} is unknown or not enabled")]
pub struct FilterError(pub String);

pub struct Runner {
    entries: Vec<Entry>,
    metrics: CollectorMetrics,
}

const RUNNING: u8 = 0;
const FINISHED: u8 = 1;
const ABANDONED: u8 = 2;

/// Marks a run finished when dropped, whether it returned, panicked or was
/// cancelled; if the runner had abandoned it, un-counts it as stuck.
struct RunGuard {
    state: Arc<AtomicU8>,
    stuck: Arc<AtomicIsize>,
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        if self
            .state
            .compare_exchange(RUNNING, FINISHED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            self.stuck.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

pub struct Outcome {
    pub name: &'static str,
    pub seconds: f64,
    pub result: Result<(), CollectError>,
}

impl Runner {
    pub fn new(metrics: CollectorMetrics) -> Runner {
        Runner {
            entries: Vec::new(),
            metrics,
        }
    }

    pub fn add(&mut self, name: &'static str, collector: AnyCollector) {
        self.entries.push(Entry {
            name,
            collector,
            stuck: Arc::new(AtomicIsize::new(0)),
        });
    }

    pub(crate) fn into_entries(self) -> impl Iterator<Item = (&'static str, AnyCollector)> {
        self.entries.into_iter().map(|e| (e.name, e.collector))
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.entries.iter().map(|e| e.name)
    }

    /// Runs the collectors (all, or those named in `filter`) and returns
    /// their families plus the per-collector metrics, not yet merged.
    pub async fn collect(
        &self,
        deadline: Instant,
        filter: Option<&[String]>,
        out: &mut Vec<Family>,
    ) -> Result<Vec<Outcome>, FilterError> {
        let selected: Vec<&Entry> = match filter {
            None => self.entries.iter().collect(),
            Some(names) => {
                let wanted: HashSet<&str> = names.iter().map(String::as_str).collect();
                for name in &wanted {
                    if !self.entries.iter().any(|e| e.name == *name) {
                        return Err(FilterError(name.to_string()));
                    }
                }
                self.entries
                    .iter()
                    .filter(|e| wanted.contains(e.name))
                    .collect()
            }
        };
        let started = Instant::now();
        let queue: Queue = Arc::new(Mutex::new(VecDeque::new()));
        let pending: Vec<_> = selected
            .iter()
            .map(|entry| start(entry, deadline, &queue))
            .collect();
        let jobs = lock(&queue).len();
        for _ in 0..jobs.min(BLOCKING_WORKERS) {
            let queue = queue.clone();
            tokio::task::spawn_blocking(move || work(queue));
        }
        let runs = selected
            .iter()
            .zip(pending)
            .map(|(entry, (pending, state))| finish(entry, pending, state, started, deadline));
        let outcomes: Vec<(Outcome, Option<Emitter>)> = futures::future::join_all(runs).await;
        // Jobs still queued when every worker is stuck never run: drop them
        // so that their collectors are not counted as stuck.
        lock(&queue).clear();

        let mut meta = Emitter::new();
        let mut result = Vec::with_capacity(outcomes.len());
        for (outcome, emitter) in outcomes {
            if let Some(emitter) = emitter {
                out.extend(emitter.into_families());
            }
            if let Some(desc) = &self.metrics.duration {
                meta.gauge(desc, &[outcome.name], outcome.seconds);
            }
            if let Some(desc) = &self.metrics.success {
                meta.gauge(
                    desc,
                    &[outcome.name],
                    if outcome.result.is_ok() { 1.0 } else { 0.0 },
                );
            }
            log_outcome(&outcome);
            result.push(outcome);
        }
        out.extend(meta.into_families());
        Ok(result)
    }
}

fn log_outcome(outcome: &Outcome) {
    match &outcome.result {
        Ok(()) => tracing::debug!(
            collector = outcome.name,
            duration_seconds = outcome.seconds,
            "collector succeeded"
        ),
        Err(CollectError::NoData) => {
            tracing::debug!(collector = outcome.name, "collector returned no data")
        }
        Err(err) => {
            tracing::error!(collector = outcome.name, duration_seconds = outcome.seconds, error = %err, "collector failed")
        }
    }
}

/// How many threads of the blocking pool one scrape's blocking collectors
/// share. A thread per collector costs tens of microseconds of CPU per
/// handoff and, under concurrent scrapes, hundreds of threads' memory; a
/// few threads pulling from one queue cost neither, and a collector stuck
/// on one thread leaves the queue to the others.
const BLOCKING_WORKERS: usize = 4;

/// A collector's result, what it wrote, and how long it ran (not counting
/// the time it waited for a worker).
type Collected = (Result<(), CollectError>, Emitter, f64);

/// A blocking collector's run, waiting in its scrape's queue.
struct Job {
    collector: Arc<dyn Collector>,
    ctx: ScrapeContext,
    guard: RunGuard,
    reply: oneshot::Sender<std::thread::Result<Collected>>,
}

type Queue = Arc<Mutex<VecDeque<Job>>>;

fn lock(queue: &Queue) -> std::sync::MutexGuard<'_, VecDeque<Job>> {
    // A poisoned queue still holds valid jobs.
    queue.lock().unwrap_or_else(|p| p.into_inner())
}

/// Takes jobs until the queue is empty. A job whose deadline has passed
/// before it started is dropped unrun: the runner already reported it.
fn work(queue: Queue) {
    loop {
        let Some(job) = lock(&queue).pop_front() else {
            return;
        };
        if Instant::now() >= job.ctx.deadline {
            continue;
        }
        let Job {
            collector,
            ctx,
            guard,
            reply,
        } = job;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let began = Instant::now();
            let mut out = Emitter::new();
            let result = collector.update(&ctx, &mut out);
            (result, out, began.elapsed().as_secs_f64())
        }));
        drop(guard);
        let _ = reply.send(result);
    }
}

enum Pending {
    Skipped,
    Task(tokio::task::JoinHandle<Collected>),
    Queued(oneshot::Receiver<std::thread::Result<Collected>>),
}

/// Starts one collector: an async one as a task, a blocking one as a job
/// in `queue`; one whose earlier run is stuck is not started.
fn start(entry: &Entry, deadline: Instant, queue: &Queue) -> (Pending, Arc<AtomicU8>) {
    let state = Arc::new(AtomicU8::new(RUNNING));
    if entry.stuck.load(Ordering::Acquire) > 0 {
        return (Pending::Skipped, state);
    }
    let ctx = ScrapeContext::new(deadline);
    let guard = RunGuard {
        state: state.clone(),
        stuck: entry.stuck.clone(),
    };
    let pending = match &entry.collector {
        AnyCollector::Blocking(collector) => {
            let (reply, rx) = oneshot::channel();
            lock(queue).push_back(Job {
                collector: collector.clone(),
                ctx,
                guard,
                reply,
            });
            Pending::Queued(rx)
        }
        AnyCollector::Async(collector) => {
            let collector = collector.clone();
            Pending::Task(tokio::spawn(async move {
                let _guard = guard;
                let began = Instant::now();
                let mut out = Emitter::new();
                let result = collector.update(&ctx, &mut out).await;
                (result, out, began.elapsed().as_secs_f64())
            }))
        }
    };
    (pending, state)
}

/// Why a started collector produced no result.
enum Lost {
    Panicked(String),
    /// Its deadline passed while it waited for a worker.
    NotStarted,
}

async fn finish(
    entry: &Entry,
    pending: Pending,
    state: Arc<AtomicU8>,
    started: Instant,
    deadline: Instant,
) -> (Outcome, Option<Emitter>) {
    let outcome = |result: Result<(), CollectError>, seconds: f64| Outcome {
        name: entry.name,
        seconds,
        result,
    };
    let waited = || started.elapsed().as_secs_f64();
    let budget = deadline.saturating_duration_since(Instant::now());
    let (result, abort) = match pending {
        Pending::Skipped => return (outcome(Err(CollectError::StillRunning), 0.0), None),
        Pending::Task(handle) => {
            let abort = handle.abort_handle();
            let result = tokio::time::timeout(budget, handle).await.map(|joined| {
                joined.map_err(|e| {
                    Lost::Panicked(if e.is_panic() {
                        panic_message(e.into_panic())
                    } else {
                        "cancelled".to_string()
                    })
                })
            });
            (result, Some(abort))
        }
        Pending::Queued(rx) => {
            let result = tokio::time::timeout(budget, rx)
                .await
                .map(|received| match received {
                    Ok(Ok(collected)) => Ok(collected),
                    Ok(Err(payload)) => Err(Lost::Panicked(panic_message(payload))),
                    Err(_) => Err(Lost::NotStarted),
                });
            (result, None)
        }
    };
    match result {
        Ok(Ok((result, emitter, seconds))) => (outcome(result, seconds), Some(emitter)),
        Ok(Err(Lost::Panicked(message))) => {
            (outcome(Err(CollectError::Panic(message)), waited()), None)
        }
        Ok(Err(Lost::NotStarted)) => (outcome(Err(CollectError::Timeout(budget)), waited()), None),
        Err(_) => {
            // Count the run as stuck before marking it abandoned, so that a
            // guard dropping in between never takes the count below zero.
            entry.stuck.fetch_add(1, Ordering::AcqRel);
            if state
                .compare_exchange(RUNNING, ABANDONED, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
            {
                entry.stuck.fetch_sub(1, Ordering::AcqRel);
            }
            // Async work is cancelled outright; a blocking thread cannot be,
            // and stays counted as stuck until it returns.
            if let Some(abort) = abort {
                abort.abort();
            }
            (outcome(Err(CollectError::Timeout(budget)), waited()), None)
        }
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

/// Merges families from every source into one valid exposition: sorted by
/// name; families of the same name joined when their type and label names
/// agree and otherwise dropped with a log line; series sorted by label values
/// and exact duplicates dropped with a log line.
pub fn merge(mut families: Vec<Family>) -> Vec<Family> {
    families.sort_by(|a, b| a.name().cmp(b.name()));
    let mut merged: Vec<Family> = Vec::with_capacity(families.len());
    for family in families {
        if let Some(last) = merged.last_mut()
            && last.name() == family.name()
        {
            if last.desc.kind() == family.desc.kind()
                && last.desc.label_names().eq(family.desc.label_names())
            {
                last.metrics.extend(family.metrics);
            } else {
                tracing::error!(
                    metric = family.name(),
                    "dropping a family whose name is taken by one of another type or label names"
                );
            }
            continue;
        }
        merged.push(family);
    }
    for family in &mut merged {
        family
            .metrics
            .sort_by(|a, b| a.label_values.cmp(&b.label_values));
        let before = family.metrics.len();
        family
            .metrics
            .dedup_by(|a, b| a.label_values == b.label_values);
        if family.metrics.len() != before {
            tracing::error!(
                metric = family.name(),
                dropped = before - family.metrics.len(),
                "dropping duplicate series"
            );
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::{Metric, Value};

    fn fam(desc: &Desc, values: &[&[&str]]) -> Family {
        Family {
            desc: desc.clone(),
            metrics: values
                .iter()
                .map(|v| Metric {
                    label_values: v.iter().map(|s| s.to_string()).collect(),
                    value: Value::Scalar(1.0),
                })
                .collect(),
        }
    }

    #[test]
    fn merge_sorts_joins_and_dedups() {
        let a = Desc::gauge("a", "", &["x"]);
        let b = Desc::gauge("b", "", &["x"]);
        let b_counter = Desc::counter("b", "", &["x"]);
        let out = merge(vec![
            fam(&b, &[&["2"], &["1"]]),
            fam(&a, &[&["1"]]),
            fam(&b, &[&["1"], &["3"]]),
            fam(&b_counter, &[&["9"]]),
        ]);
        assert_eq!(out.iter().map(|f| f.name()).collect::<Vec<_>>(), ["a", "b"]);
        let values: Vec<&str> = out[1]
            .metrics
            .iter()
            .map(|m| m.label_values[0].as_str())
            .collect();
        assert_eq!(values, ["1", "2", "3"]);
    }
}
