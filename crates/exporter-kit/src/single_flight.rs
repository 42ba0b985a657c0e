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

pub struct SingleFlight<K, V> {
    running: Mutex<HashMap<K, Flight<V>>>,
    next_id: AtomicU64,
}

impl<K, V> Default for SingleFlight<K, V> {
    fn default() -> Self {
        SingleFlight {
            running: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
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
                _ => {
                    let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                    let (sender, receiver) = watch::channel(None);
                    running.insert(
                        key.clone(),
                        Flight {
                            id,
                            deadline,
                            result: receiver.clone(),
                        },
                    );
                    let flights = self.clone();
                    let work = work();
                    tokio::spawn(async move {
                        let value = work.await;
                        // Leave the map before publishing, so no request
                        // joins a collection that has already ended.
                        let mut running = lock(&flights.running);
                        if running.get(&key).is_some_and(|f| f.id == id) {
                            running.remove(&key);
                        }
                        drop(running);
                        let _ = sender.send(Some(value));
                    });
                    receiver
                }
            }
        };
        let value = result.wait_for(Option::is_some).await.ok()?;
        value.clone()
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
}
