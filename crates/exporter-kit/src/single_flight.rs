//! Identical work requested while it is already running shares one run.
//!
//! Two Prometheus servers of an HA pair, or a dashboard refresh next to a
//! scrape, ask for the same page at the same moment. Running the collectors
//! once for all of them halves the work on the host and the backend (one
//! SCAN, one information_schema pass) and keeps one copy of the families in
//! memory instead of one per request. The kit does this for whole telemetry
//! pages; exporters use it for expensive parts of a multi-target probe
//! (redis's key inspection). A request joins a running piece of work only
//! when that work's deadline is no later than its own (give or take a few
//! milliseconds, `JOIN_SLACK`), so joining can never make a scrape slower
//! than its timeout allows.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// How much later than a request's own deadline a running piece of work
/// may end and still be joined. Requests that arrive together (an HA pair,
/// four probes of one target) reach the work in any order, a few
/// milliseconds apart; this is far inside the half second by which the
/// kit's scrape deadline precedes the scraper's timeout by default.
const JOIN_SLACK: Duration = Duration::from_millis(250);

struct Flight<V> {
    id: u64,
    deadline: Instant,
    result: watch::Receiver<Option<V>>,
}

/// How [`SingleFlight::run_or_previous`] reuses results, for work that
/// refreshes a shared view of a backend (kafka's cluster snapshot) rather
/// than answering one request.
#[derive(Debug, Clone, Copy)]
pub struct Reuse {
    /// A result that finished less than this ago is the answer, without
    /// running the work again.
    pub fresh_for: Duration,
    /// Whether a request joins the work already running for its key
    /// (whatever its deadline); without, every request runs its own.
    pub share: bool,
}

/// What [`SingleFlight::run_or_previous`] got by the time it stopped waiting.
#[derive(Debug, PartialEq, Eq)]
pub enum Waited<V> {
    /// The result of the work waited for, or one within the freshness window.
    Ready(V),
    /// The work did not deliver in time (or panicked): the last result that
    /// finished before, if any. The work goes on, and its result is kept
    /// for the requests that follow.
    Late(Option<V>),
}

/// The last finished result of each key and when it finished.
type Finished<K, V> = Mutex<HashMap<K, (Instant, V)>>;

pub struct SingleFlight<K, V> {
    running: Mutex<HashMap<K, Flight<V>>>,
    next_id: AtomicU64,
    /// With [`Reuse`]: the last finished result of each key and when.
    finished: Option<(Reuse, Finished<K, V>)>,
}

impl<K, V> Default for SingleFlight<K, V> {
    fn default() -> Self {
        SingleFlight {
            running: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            finished: None,
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The critical sections cannot panic half-way; a poisoned map is intact.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<K, V> SingleFlight<K, V>
where
    K: Eq + Hash + Clone + Send + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// A single flight that keeps the last result of each key, for
    /// [`Self::run_or_previous`].
    pub fn with_reuse(reuse: Reuse) -> Self {
        SingleFlight {
            finished: Some((reuse, Mutex::new(HashMap::new()))),
            ..SingleFlight::default()
        }
    }

    /// The result of `work`, or of an identical piece of work already
    /// running that finishes by `deadline`. `work` runs in its own task, so
    /// a requester that goes away does not cancel it for the others; it
    /// must bound itself by `deadline`. `None` only if the work panicked.
    pub async fn run<F>(
        self: &Arc<Self>,
        key: K,
        deadline: Instant,
        work: impl FnOnce() -> F,
    ) -> Option<V>
    where
        F: Future<Output = V> + Send + 'static,
    {
        let mut result = {
            let mut running = lock(&self.running);
            match running.get(&key) {
                Some(flight) if flight.deadline <= deadline + JOIN_SLACK => flight.result.clone(),
                _ => self.start(Some(&mut running), key, deadline, work()),
            }
        };
        let value = result.wait_for(Option::is_some).await.ok()?;
        value.clone()
    }

    /// For work with a budget of its own (a refresh that ends when it
    /// ends, however long its requesters wait): a result that
    /// finished within [`Reuse::fresh_for`], else the running work's
    /// (when [`Reuse::share`]), else a new run's, waited for until
    /// `wait_until`; past that, the previous result. The work always runs
    /// to its end, so a slow backend costs freshness, not the scrape.
    /// Without [`Self::with_reuse`] nothing is fresh or previous. Use one
    /// of this and [`Self::run`] on one instance, not both.
    pub async fn run_or_previous<F>(
        self: &Arc<Self>,
        key: K,
        wait_until: Instant,
        work: impl FnOnce() -> F,
    ) -> Waited<V>
    where
        F: Future<Output = V> + Send + 'static,
    {
        let reuse = self.finished.as_ref().map(|(reuse, _)| *reuse);
        if let Some(fresh_for) = reuse.map(|r| r.fresh_for)
            && let Some(value) = self.previous(&key, |at| at.elapsed() < fresh_for)
        {
            return Waited::Ready(value);
        }
        let mut result = if reuse.is_some_and(|r| r.share) {
            let mut running = lock(&self.running);
            match running.get(&key) {
                Some(flight) => flight.result.clone(),
                None => self.start(Some(&mut running), key.clone(), wait_until, work()),
            }
        } else {
            self.start(None, key.clone(), wait_until, work())
        };
        let waited = tokio::time::timeout_at(
            tokio::time::Instant::from_std(wait_until),
            result.wait_for(Option::is_some),
        )
        .await;
        if let Ok(Ok(value)) = waited
            && let Some(value) = value.clone()
        {
            return Waited::Ready(value);
        }
        Waited::Late(self.previous(&key, |_| true))
    }

    /// The last finished result of `key`, if kept and `wanted(finished at)`.
    fn previous(&self, key: &K, wanted: impl FnOnce(Instant) -> bool) -> Option<V> {
        let (_, finished) = self.finished.as_ref()?;
        lock(finished)
            .get(key)
            .filter(|(at, _)| wanted(*at))
            .map(|(_, value)| value.clone())
    }

    /// Spawns `work`, registered in `running` (when given) so that others
    /// can join it; its result is kept when reusing.
    fn start<F>(
        self: &Arc<Self>,
        running: Option<&mut HashMap<K, Flight<V>>>,
        key: K,
        deadline: Instant,
        work: F,
    ) -> watch::Receiver<Option<V>>
    where
        F: Future<Output = V> + Send + 'static,
    {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (sender, receiver) = watch::channel(None);
        if let Some(running) = running {
            running.insert(
                key.clone(),
                Flight {
                    id,
                    deadline,
                    result: receiver.clone(),
                },
            );
        }
        let flights = self.clone();
        tokio::spawn(async move {
            let value = work.await;
            if let Some((_, finished)) = &flights.finished {
                lock(finished).insert(key.clone(), (Instant::now(), value.clone()));
            }
            // Leave the map before publishing, so no request joins a
            // collection that has already ended.
            let mut running = lock(&flights.running);
            if running.get(&key).is_some_and(|f| f.id == id) {
                running.remove(&key);
            }
            drop(running);
            let _ = sender.send(Some(value));
        });
        receiver
    }

    #[cfg(test)]
    fn running(&self) -> usize {
        lock(&self.running).len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    fn counting_work(
        runs: &Arc<AtomicUsize>,
        pause: Duration,
    ) -> impl FnOnce() -> std::pin::Pin<Box<dyn Future<Output = usize> + Send>> + use<> {
        let runs = runs.clone();
        move || {
            Box::pin(async move {
                tokio::time::sleep(pause).await;
                runs.fetch_add(1, Ordering::SeqCst) + 1
            })
        }
    }

    #[tokio::test]
    async fn concurrent_identical_requests_share_one_run() {
        let flights = Arc::new(SingleFlight::<&str, usize>::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let flights = flights.clone();
            let work = counting_work(&runs, Duration::from_millis(200));
            tasks.push(tokio::spawn(async move {
                flights.run("all", deadline, work).await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), Some(1));
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(flights.running(), 0, "a finished run leaves the map");

        // A request after the end starts afresh: results are never stale.
        let again = flights
            .run(
                "all",
                deadline,
                counting_work(&runs, Duration::from_millis(1)),
            )
            .await;
        assert_eq!(again, Some(2));
    }

    #[tokio::test]
    async fn different_keys_and_tighter_deadlines_run_their_own() {
        let flights = Arc::new(SingleFlight::<&str, usize>::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let late = Instant::now() + Duration::from_secs(5);
        let early = Instant::now() + Duration::from_secs(1);
        let first = {
            let flights = flights.clone();
            let work = counting_work(&runs, Duration::from_millis(300));
            tokio::spawn(async move { flights.run("all", late, work).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let other_key = flights.run("cpu", late, counting_work(&runs, Duration::from_millis(10)));
        let tighter = flights.run(
            "all",
            early,
            counting_work(&runs, Duration::from_millis(10)),
        );
        let (a, b) = tokio::join!(other_key, tighter);
        assert!(a.is_some() && b.is_some());
        first.await.unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn requests_a_few_milliseconds_apart_still_share() {
        let flights = Arc::new(SingleFlight::<&str, usize>::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let later = Instant::now() + Duration::from_secs(5);
        let first = {
            let flights = flights.clone();
            let work = counting_work(&runs, Duration::from_millis(200));
            tokio::spawn(async move { flights.run("all", later, work).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        // Arrived first at the server, reached the work second.
        let earlier = later - Duration::from_millis(30);
        let joined = flights
            .run(
                "all",
                earlier,
                counting_work(&runs, Duration::from_millis(1)),
            )
            .await;
        assert_eq!(joined, Some(1));
        first.await.unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_requester_going_away_does_not_cancel_the_others() {
        let flights = Arc::new(SingleFlight::<&str, usize>::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let deadline = Instant::now() + Duration::from_secs(5);
        let leader = {
            let flights = flights.clone();
            let work = counting_work(&runs, Duration::from_millis(200));
            tokio::spawn(async move { flights.run("all", deadline, work).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        let follower = flights.run(
            "all",
            deadline,
            counting_work(&runs, Duration::from_millis(1)),
        );
        leader.abort();
        assert_eq!(follower.await, Some(1));
    }

    fn reusing(fresh_for: Duration, share: bool) -> Arc<SingleFlight<&'static str, usize>> {
        Arc::new(SingleFlight::with_reuse(Reuse { fresh_for, share }))
    }

    #[tokio::test]
    async fn a_result_is_reused_within_its_freshness_window_only() {
        let flights = reusing(Duration::from_millis(300), true);
        let runs = Arc::new(AtomicUsize::new(0));
        let wait = || Instant::now() + Duration::from_secs(5);
        let first = flights
            .run_or_previous("all", wait(), counting_work(&runs, Duration::ZERO))
            .await;
        assert_eq!(first, Waited::Ready(1));
        let within = flights
            .run_or_previous("all", wait(), counting_work(&runs, Duration::ZERO))
            .await;
        assert_eq!(within, Waited::Ready(1), "fresh: not run again");
        let other_key = flights
            .run_or_previous("cpu", wait(), counting_work(&runs, Duration::ZERO))
            .await;
        assert_eq!(other_key, Waited::Ready(2));
        tokio::time::sleep(Duration::from_millis(350)).await;
        let after = flights
            .run_or_previous("all", wait(), counting_work(&runs, Duration::ZERO))
            .await;
        assert_eq!(after, Waited::Ready(3), "stale: run again");
    }

    #[tokio::test]
    async fn a_late_run_serves_the_previous_result_and_still_lands() {
        let flights = reusing(Duration::ZERO, true);
        let runs = Arc::new(AtomicUsize::new(0));
        let soon = || Instant::now() + Duration::from_millis(50);
        let nothing_yet = flights
            .run_or_previous(
                "all",
                soon(),
                counting_work(&runs, Duration::from_millis(200)),
            )
            .await;
        assert_eq!(nothing_yet, Waited::Late(None), "no previous result yet");
        // The late run was not cancelled: it finishes and becomes the
        // previous result of the next late request.
        while runs.load(Ordering::SeqCst) < 1 {
            tokio::task::yield_now().await;
        }
        while flights.running() > 0 {
            tokio::task::yield_now().await;
        }
        let late = flights
            .run_or_previous(
                "all",
                soon(),
                counting_work(&runs, Duration::from_millis(200)),
            )
            .await;
        assert_eq!(late, Waited::Late(Some(1)));
        // A request while that run goes on joins it, whatever its wait.
        let joined = flights
            .run_or_previous(
                "all",
                Instant::now() + Duration::from_secs(5),
                counting_work(&runs, Duration::ZERO),
            )
            .await;
        assert_eq!(joined, Waited::Ready(2));
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn without_sharing_every_request_runs_its_own() {
        let flights = reusing(Duration::ZERO, false);
        let runs = Arc::new(AtomicUsize::new(0));
        let wait = Instant::now() + Duration::from_secs(5);
        let (a, b) = tokio::join!(
            flights.run_or_previous("all", wait, counting_work(&runs, Duration::from_millis(50))),
            flights.run_or_previous("all", wait, counting_work(&runs, Duration::from_millis(50))),
        );
        let mut got = [a, b];
        got.sort_by_key(|w| match w {
            Waited::Ready(v) => *v,
            Waited::Late(_) => 0,
        });
        assert_eq!(got, [Waited::Ready(1), Waited::Ready(2)]);
    }

    #[tokio::test]
    async fn a_panicking_run_is_late_with_the_previous_result() {
        let flights = reusing(Duration::ZERO, true);
        let runs = Arc::new(AtomicUsize::new(0));
        let wait = || Instant::now() + Duration::from_secs(5);
        let ok = flights
            .run_or_previous("all", wait(), counting_work(&runs, Duration::ZERO))
            .await;
        assert_eq!(ok, Waited::Ready(1));
        let panicked = flights
            .run_or_previous("all", wait(), || async { panic!("collector bug") })
            .await;
        assert_eq!(panicked, Waited::Late(Some(1)));
    }
}
