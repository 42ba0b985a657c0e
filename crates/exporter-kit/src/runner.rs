//! One scrape: the enabled collectors run concurrently, each under the
//! scrape deadline; their timing and success become metrics; the families
//! are merged, sorted and deduplicated.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicIsize, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

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
    /// Runs whatever a scrape's `collect[]` selects (see
    /// [`crate::Exporter::collector_always`]).
    always: bool,
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
    pool: Arc<Pool>,
}

const RUNNING: u8 = 0;
const FINISHED: u8 = 1;
const ABANDONED: u8 = 2;

/// Marks a run finished when dropped, whether it returned, panicked or was
/// cancelled; if the runner had abandoned it, un-counts it as stuck.
struct RunGuard {
    state: Arc<AtomicU8>,
    stuck: Arc<AtomicIsize>,
    /// The pool's count of stuck blocking runs; `None` for async runs.
    pool_stuck: Option<Arc<AtomicIsize>>,
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        if self
            .state
            .compare_exchange(RUNNING, FINISHED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            self.stuck.fetch_sub(1, Ordering::AcqRel);
            if let Some(pool_stuck) = &self.pool_stuck {
                pool_stuck.fetch_sub(1, Ordering::AcqRel);
            }
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
            pool: Arc::new(Pool::default()),
        }
    }

    pub fn add(&mut self, name: &'static str, collector: AnyCollector) {
        self.push(name, collector, false);
    }

    /// Adds a collector that runs on every scrape, selected or not.
    pub fn add_always(&mut self, name: &'static str, collector: AnyCollector) {
        self.push(name, collector, true);
    }

    fn push(&mut self, name: &'static str, collector: AnyCollector, always: bool) {
        self.entries.push(Entry {
            name,
            collector,
            always,
            stuck: Arc::new(AtomicIsize::new(0)),
        });
    }

    pub(crate) fn into_entries(self) -> impl Iterator<Item = (&'static str, AnyCollector, bool)> {
        self.entries
            .into_iter()
            .map(|e| (e.name, e.collector, e.always))
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
                    .filter(|e| e.always || wanted.contains(e.name))
                    .collect()
            }
        };
        let started = Instant::now();
        let batch = Arc::new(Batch::default());
        let mut jobs = Vec::new();
        let mut tasks = Vec::new();
        let ctx = ScrapeContext::new(deadline);
        let pending: Vec<Pending> = selected
            .iter()
            .map(|entry| self.start(entry, &ctx, &batch, &mut jobs, &mut tasks))
            .collect();
        let blocking = jobs.len();
        if blocking > 0 {
            batch.prepare(blocking);
            self.pool.submit(jobs);
        }
        let budget = deadline.saturating_duration_since(Instant::now());
        let blocking_done = async {
            if blocking > 0 {
                // One wake-up for all of this scrape's blocking collectors,
                // not one per collector.
                let done = batch.done.notified();
                tokio::pin!(done);
                if tokio::time::timeout(SPREAD_AFTER.min(budget), &mut done)
                    .await
                    .is_err()
                {
                    self.pool.spread();
                    let _ = tokio::time::timeout_at(deadline.into(), done).await;
                }
            }
        };
        let task_waits = futures::future::join_all(tasks.into_iter().map(|handle| async move {
            let abort = handle.abort_handle();
            (tokio::time::timeout(budget, handle).await, abort)
        }));
        let ((), task_results) = futures::future::join(blocking_done, task_waits).await;
        let mut task_results: Vec<Option<_>> = task_results.into_iter().map(Some).collect();
        let mut results = std::mem::take(&mut *batch.lock_results());

        let waited = || started.elapsed().as_secs_f64();
        let mut meta = Emitter::new();
        let mut outcomes = Vec::with_capacity(selected.len());
        for (entry, pending) in selected.iter().zip(pending) {
            let outcome = |result: Result<(), CollectError>, seconds: f64| Outcome {
                name: entry.name,
                seconds,
                result,
            };
            let (outcome, emitter) = match pending {
                Pending::Skipped => (outcome(Err(CollectError::StillRunning), 0.0), None),
                Pending::Blocking { index, state } => {
                    match results.get_mut(index).and_then(Option::take) {
                        Some((Ok((result, emitter)), seconds)) => {
                            (outcome(result, seconds), Some(emitter))
                        }
                        Some((Err(payload), seconds)) => (
                            outcome(Err(CollectError::Panic(panic_message(payload))), seconds),
                            None,
                        ),
                        // Overran the deadline, or never got a worker before it.
                        None => {
                            abandon(&entry.stuck, Some(&self.pool.stuck), &state);
                            (outcome(Err(CollectError::Timeout(budget)), waited()), None)
                        }
                    }
                }
                Pending::Task { index, state } => {
                    match task_results.get_mut(index).and_then(Option::take) {
                        Some((Ok(Ok((result, emitter, seconds))), _)) => {
                            (outcome(result, seconds), Some(emitter))
                        }
                        Some((Ok(Err(err)), _)) => {
                            let message = if err.is_panic() {
                                panic_message(err.into_panic())
                            } else {
                                "cancelled".to_string()
                            };
                            (outcome(Err(CollectError::Panic(message)), waited()), None)
                        }
                        Some((Err(_), abort)) => {
                            abandon(&entry.stuck, None, &state);
                            // Async work is cancelled outright; a blocking
                            // thread cannot be, and stays counted as stuck
                            // until it returns.
                            abort.abort();
                            (outcome(Err(CollectError::Timeout(budget)), waited()), None)
                        }
                        None => (outcome(Err(CollectError::Timeout(budget)), waited()), None),
                    }
                }
            };
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
            outcomes.push(outcome);
        }
        // Jobs still queued when every worker is busy or stuck never run:
        // drop them so that their collectors are not counted as stuck.
        if blocking > 0 {
            self.pool.cancel(&batch);
        }
        out.extend(meta.into_families());
        Ok(outcomes)
    }

    /// Starts one collector: an async one as a task, a blocking one as a job
    /// for the pool; one whose earlier run is stuck is not started. All of
    /// a scrape's collectors get (a clone of) its one `ctx`.
    fn start(
        &self,
        entry: &Entry,
        ctx: &ScrapeContext,
        batch: &Arc<Batch>,
        jobs: &mut Vec<Job>,
        tasks: &mut Vec<tokio::task::JoinHandle<Collected>>,
    ) -> Pending {
        if entry.stuck.load(Ordering::Acquire) > 0 {
            return Pending::Skipped;
        }
        let state = Arc::new(AtomicU8::new(RUNNING));
        let ctx = ctx.clone();
        match &entry.collector {
            AnyCollector::Blocking(collector) => {
                let index = jobs.len();
                jobs.push(Job {
                    collector: collector.clone(),
                    ctx,
                    guard: RunGuard {
                        state: state.clone(),
                        stuck: entry.stuck.clone(),
                        pool_stuck: Some(self.pool.stuck.clone()),
                    },
                    batch: batch.clone(),
                    index,
                });
                Pending::Blocking { index, state }
            }
            AnyCollector::Async(collector) => {
                let collector = collector.clone();
                let guard = RunGuard {
                    state: state.clone(),
                    stuck: entry.stuck.clone(),
                    pool_stuck: None,
                };
                let index = tasks.len();
                tasks.push(tokio::spawn(async move {
                    let _guard = guard;
                    let began = Instant::now();
                    let mut out = Emitter::new();
                    let result = collector.update(&ctx, &mut out).await;
                    (result, out, began.elapsed().as_secs_f64())
                }));
                Pending::Task { index, state }
            }
        }
    }
}

/// Counts a run that overran its deadline as stuck, unless it finished in
/// the meantime.
fn abandon(stuck: &AtomicIsize, pool_stuck: Option<&AtomicIsize>, state: &AtomicU8) {
    // Count the run as stuck before marking it abandoned, so that a guard
    // dropping in between never takes the count below zero.
    stuck.fetch_add(1, Ordering::AcqRel);
    if let Some(pool_stuck) = pool_stuck {
        pool_stuck.fetch_add(1, Ordering::AcqRel);
    }
    if state
        .compare_exchange(RUNNING, ABANDONED, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        stuck.fetch_sub(1, Ordering::AcqRel);
        if let Some(pool_stuck) = pool_stuck {
            pool_stuck.fetch_sub(1, Ordering::AcqRel);
        }
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

/// How many threads of the blocking pool run blocking collectors at once,
/// for all scrapes in flight together, not counting threads stuck in a
/// collector past its deadline. A thread per collector costs tens of
/// microseconds of CPU per handoff and, under concurrent scrapes, hundreds
/// of threads' memory (stacks, malloc arenas); a few threads pulling from
/// one queue cost neither, and a collector stuck on one thread leaves the
/// queue to the others (a stuck thread is replaced).
const BLOCKING_WORKERS: usize = 4;

/// A scrape's blocking collectors start on one thread, in turn: most read
/// a file or two in microseconds, less than the wake-ups and context
/// switches of handing them to more threads cost, and fewer threads touch
/// fewer stacks and malloc arenas. Those still queued this long after the
/// scrape began are spread over up to BLOCKING_WORKERS threads, so that a
/// slow or hung source holds up only itself.
const SPREAD_AFTER: std::time::Duration = std::time::Duration::from_millis(10);

/// An async collector's result, what it wrote, and how long it ran.
type Collected = (Result<(), CollectError>, Emitter, f64);

/// A blocking collector's result and what it wrote (or its panic), and
/// how long it ran.
type Ran = (
    std::thread::Result<(Result<(), CollectError>, Emitter)>,
    f64,
);

/// Where one scrape's blocking collectors leave their results.
#[derive(Default)]
struct Batch {
    results: Mutex<Vec<Option<Ran>>>,
    /// Jobs not yet finished (or dropped unrun); the last wakes the scrape.
    remaining: AtomicUsize,
    done: tokio::sync::Notify,
}

impl Batch {
    fn prepare(&self, jobs: usize) {
        *self.lock_results() = (0..jobs).map(|_| None).collect();
        self.remaining.store(jobs, Ordering::Release);
    }

    fn lock_results(&self) -> MutexGuard<'_, Vec<Option<Ran>>> {
        // A poisoned lock still holds valid results.
        self.results.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn finish_one(&self) {
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.done.notify_one();
        }
    }
}

/// A blocking collector's run, waiting in the pool's queue.
struct Job {
    collector: Arc<dyn Collector>,
    ctx: ScrapeContext,
    guard: RunGuard,
    batch: Arc<Batch>,
    index: usize,
}

/// The queue of blocking collectors' runs of all scrapes in flight, and
/// how many threads of tokio's blocking pool work on it.
#[derive(Default)]
struct Pool {
    queue: Mutex<PoolQueue>,
    /// Blocking runs that overran their deadline and still hold a thread.
    stuck: Arc<AtomicIsize>,
}

#[derive(Default)]
struct PoolQueue {
    jobs: VecDeque<Job>,
    workers: usize,
    /// Workers running a job (stuck ones included): not free for the queue.
    busy: usize,
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, PoolQueue> {
        // A poisoned queue still holds valid jobs.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `jobs` and makes sure one thread that is not stuck works on
    /// the queue.
    fn submit(self: &Arc<Self>, jobs: Vec<Job>) {
        let mut queue = self.lock();
        queue.jobs.extend(jobs);
        self.start_workers(queue, 1);
    }

    /// Starts workers until BLOCKING_WORKERS threads that are not stuck
    /// work on the queue (fewer for fewer queued jobs).
    fn spread(self: &Arc<Self>) {
        self.start_workers(self.lock(), BLOCKING_WORKERS);
    }

    fn start_workers(self: &Arc<Self>, mut queue: MutexGuard<'_, PoolQueue>, wanted: usize) {
        let stuck = usize::try_from(self.stuck.load(Ordering::Acquire)).unwrap_or(0);
        let working = queue.workers.saturating_sub(stuck);
        // Workers busy with another scrape's long run cannot take the queued
        // jobs: only idle ones count against what the queue needs.
        let idle = queue.workers.saturating_sub(queue.busy);
        let spawn = queue
            .jobs
            .len()
            .saturating_sub(idle)
            .min(wanted.saturating_sub(working));
        queue.workers += spawn;
        drop(queue);
        for _ in 0..spawn {
            let pool = self.clone();
            tokio::task::spawn_blocking(move || pool.work());
        }
    }

    /// Takes jobs until the queue is empty. A job whose deadline has passed
    /// before it started is dropped unrun: the runner reports it.
    fn work(&self) {
        let mut ran = false;
        loop {
            let job = {
                let mut queue = self.lock();
                if ran {
                    queue.busy -= 1;
                }
                match queue.jobs.pop_front() {
                    Some(job) => {
                        queue.busy += 1;
                        job
                    }
                    None => {
                        queue.workers -= 1;
                        return;
                    }
                }
            };
            ran = true;
            let Job {
                collector,
                ctx,
                guard,
                batch,
                index,
            } = job;
            if Instant::now() < ctx.deadline {
                let began = Instant::now();
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let mut out = Emitter::new();
                    let result = collector.update(&ctx, &mut out);
                    (result, out)
                }));
                let ran = (result, began.elapsed().as_secs_f64());
                if let Some(slot) = batch.lock_results().get_mut(index) {
                    *slot = Some(ran);
                }
            }
            drop(guard);
            batch.finish_one();
        }
    }

    /// Drops the jobs of `batch` that no worker has taken.
    fn cancel(&self, batch: &Arc<Batch>) {
        let mut dropped = Vec::new();
        {
            let mut queue = self.lock();
            if queue.jobs.iter().any(|job| Arc::ptr_eq(&job.batch, batch)) {
                let (gone, kept): (VecDeque<Job>, VecDeque<Job>) = std::mem::take(&mut queue.jobs)
                    .into_iter()
                    .partition(|job| Arc::ptr_eq(&job.batch, batch));
                queue.jobs = kept;
                dropped.extend(gone);
            }
        }
        // Their guards un-count them as stuck, outside the lock.
        drop(dropped);
    }
}

/// How one selected collector was started.
enum Pending {
    /// An earlier run is stuck.
    Skipped,
    /// A job in the pool; `index` into its batch's results.
    Blocking { index: usize, state: Arc<AtomicU8> },
    /// An async task; `index` into the scrape's tasks.
    Task { index: usize, state: Arc<AtomicU8> },
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
/// agree and otherwise dropped with a log line; series sorted by label values (in label-name order)
/// and exact duplicates dropped with a log line.
pub fn merge(mut families: Vec<Family>) -> Vec<Family> {
    families.sort_by(|a, b| a.name().cmp(b.name()));
    let mut merged: Vec<Family> = Vec::with_capacity(families.len());
    for family in families {
        if let Some(last) = merged.last_mut()
            && last.name() == family.name()
        {
            if last.desc.same_shape(&family.desc) {
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
        let mut metrics = std::mem::take(&mut family.metrics);
        metrics.sort_by(|a, b| family.compare_series(a, b));
        family.metrics = metrics;
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
    use crate::family::{LabelValues, Metric, Value};

    fn fam(desc: &Desc, values: &[&[&str]]) -> Family {
        Family {
            desc: desc.clone(),
            metrics: values
                .iter()
                .map(|v| Metric {
                    label_values: LabelValues::new(v),
                    value: Value::Scalar(1.0),
                })
                .collect(),
        }
    }

    /// Blocks every run until opened.
    #[derive(Default)]
    struct Gate {
        open: Mutex<bool>,
        opened: std::sync::Condvar,
    }

    impl Gate {
        fn opened() -> Self {
            Self {
                open: Mutex::new(true),
                opened: std::sync::Condvar::new(),
            }
        }
    }

    impl Collector for Gate {
        fn update(&self, _ctx: &ScrapeContext, _out: &mut Emitter) -> Result<(), CollectError> {
            let mut open = self.open.lock().unwrap();
            while !*open {
                open = self.opened.wait(open).unwrap();
            }
            Ok(())
        }
    }

    fn jobs(pool: &Pool, batch: &Arc<Batch>, collector: Arc<dyn Collector>, n: usize) -> Vec<Job> {
        batch.prepare(n);
        (0..n)
            .map(|index| Job {
                collector: collector.clone(),
                ctx: ScrapeContext::new(Instant::now() + std::time::Duration::from_secs(30)),
                guard: RunGuard {
                    state: Arc::new(AtomicU8::new(RUNNING)),
                    stuck: Arc::new(AtomicIsize::new(0)),
                    pool_stuck: Some(pool.stuck.clone()),
                },
                batch: batch.clone(),
                index,
            })
            .collect()
    }

    #[tokio::test]
    async fn a_scrape_starts_one_worker_and_more_only_when_spread() {
        let pool = Arc::new(Pool::default());
        let gate = Arc::new(Gate::default());
        let batch = Arc::new(Batch::default());
        pool.submit(jobs(&pool, &batch, gate.clone(), 6));
        assert_eq!(pool.lock().workers, 1, "a scrape starts one thread");
        // Held up: the queued runs get up to BLOCKING_WORKERS threads.
        pool.spread();
        let workers = pool.lock().workers;
        assert!(
            (2..=BLOCKING_WORKERS).contains(&workers),
            "{workers} threads after spreading"
        );
        *gate.open.lock().unwrap() = true;
        gate.opened.notify_all();
        tokio::time::timeout(std::time::Duration::from_secs(10), batch.done.notified())
            .await
            .expect("all runs finish");
        assert!(batch.lock_results().iter().all(Option::is_some));
        tokio::time::timeout(std::time::Duration::from_secs(10), async {
            while pool.lock().workers > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("idle workers leave");
    }

    #[tokio::test]
    async fn a_scrape_gets_a_thread_while_another_scrapes_run_holds_the_only_one() {
        let pool = Arc::new(Pool::default());
        let gate = Arc::new(Gate::default());
        let held = Arc::new(Batch::default());
        pool.submit(jobs(&pool, &held, gate.clone(), 1));
        tokio::time::timeout(std::time::Duration::from_secs(10), async {
            while pool.lock().busy == 0 {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("the gated run starts");
        // Another scrape's one job, queued while the only worker is busy:
        // spreading must give it a thread of its own.
        let other = Arc::new(Batch::default());
        pool.submit(jobs(&pool, &other, Arc::new(Gate::opened()), 1));
        pool.spread();
        let other_ran =
            tokio::time::timeout(std::time::Duration::from_secs(10), other.done.notified()).await;
        // Opened either way, so that a failure ends the test instead of
        // leaving the runtime waiting for the held thread.
        *gate.open.lock().unwrap() = true;
        gate.opened.notify_all();
        assert!(
            other_ran.is_ok(),
            "the second scrape's run finishes while the first is held"
        );
        tokio::time::timeout(std::time::Duration::from_secs(10), held.done.notified())
            .await
            .expect("the held run finishes once opened");
    }

    /// Records which per-scrape map each of its runs got.
    struct SeesExtensions {
        seen: Mutex<Vec<Arc<crate::context::Extensions>>>,
    }

    /// How many collectors of one scrape used the shared object.
    #[derive(Default)]
    struct Users(AtomicUsize);

    impl Collector for SeesExtensions {
        fn update(&self, ctx: &ScrapeContext, _out: &mut Emitter) -> Result<(), CollectError> {
            ctx.extensions
                .get_or_insert_with(Users::default)
                .0
                .fetch_add(1, Ordering::AcqRel);
            self.seen.lock().unwrap().push(ctx.extensions.clone());
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_collector_added_always_runs_whatever_the_scrape_selects() {
        let collector = Arc::new(SeesExtensions {
            seen: Mutex::new(Vec::new()),
        });
        let mut runner = Runner::new(CollectorMetrics::none());
        runner.add_always("check", AnyCollector::Blocking(collector.clone()));
        runner.add("a", AnyCollector::Blocking(collector.clone()));
        runner.add("b", AnyCollector::Blocking(collector.clone()));
        let deadline = Instant::now() + std::time::Duration::from_secs(30);
        let outcomes = runner
            .collect(deadline, Some(&["b".to_string()]), &mut Vec::new())
            .await
            .unwrap();
        let mut names: Vec<&str> = outcomes.iter().map(|o| o.name).collect();
        names.sort_unstable();
        assert_eq!(names, ["b", "check"]);
    }

    #[tokio::test]
    async fn collectors_of_one_scrape_share_its_extensions_and_the_next_scrape_gets_new_ones() {
        let collector = Arc::new(SeesExtensions {
            seen: Mutex::new(Vec::new()),
        });
        let mut runner = Runner::new(CollectorMetrics::none());
        runner.add("a", AnyCollector::Blocking(collector.clone()));
        runner.add("b", AnyCollector::Blocking(collector.clone()));
        let deadline = || Instant::now() + std::time::Duration::from_secs(30);
        for _ in 0..2 {
            let outcomes = runner
                .collect(deadline(), None, &mut Vec::new())
                .await
                .unwrap();
            assert!(outcomes.iter().all(|o| o.result.is_ok()));
        }
        let seen = collector.seen.lock().unwrap();
        assert_eq!(seen.len(), 4);
        assert!(Arc::ptr_eq(&seen[0], &seen[1]), "one map per scrape");
        assert!(Arc::ptr_eq(&seen[2], &seen[3]));
        assert!(
            !Arc::ptr_eq(&seen[0], &seen[2]),
            "a new map for the next scrape"
        );
        assert_eq!(seen[0].get::<Users>().unwrap().0.load(Ordering::Acquire), 2);
        assert_eq!(seen[2].get::<Users>().unwrap().0.load(Ordering::Acquire), 2);
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
            .map(|m| m.label_values.get(0).unwrap())
            .collect();
        assert_eq!(values, ["1", "2", "3"]);
    }
}
