//! Connection timeouts: a connection that has not sent a complete request
//! head within `--web.read-header-timeout`, or has sat idle between
//! requests for `--web.idle-timeout`, is closed, whatever the protocol
//! (HTTP/1, HTTP/2 after only the preface, TLS, or nothing at all). Each
//! open connection holds a file descriptor: left open forever, a few
//! hundred of them exhaust the process' limit and every scrape fails.
//!
//! hyper's own HTTP/1 header timeout does not cover the bytes hyper-util
//! reads to tell HTTP/1 from HTTP/2, nor HTTP/2, and it also fires on idle
//! keep-alive connections; so the kit watches the connection itself, as
//! Go's `ReadHeaderTimeout` and `IdleTimeout` do.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Go's default-less fields, given sane values: 0 disables a timeout.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// From the connection's first byte (or its opening, for the first
    /// request) to a complete request head.
    pub read_header: Option<Duration>,
    /// Between the end of a response and the first byte of the next request.
    pub idle: Option<Duration>,
}

/// What a connection is doing, shared by its I/O, its requests and its
/// watchdog. Times are milliseconds since `opened`, plus one, so that 0
/// means "none".
pub struct Activity {
    /// tokio's clock, so that tests can run it paused.
    opened: tokio::time::Instant,
    in_flight: AtomicUsize,
    /// When bytes of a request head began arriving (the opening, for the
    /// first request); 0 while a request is in flight or none started.
    head_started: AtomicU64,
    /// When the connection last went idle (a response was written).
    idle_since: AtomicU64,
    /// Wakes the watchdog when a change can bring its deadline forward.
    changed: tokio::sync::Notify,
}

impl Activity {
    pub fn new() -> Arc<Activity> {
        Arc::new(Activity {
            opened: tokio::time::Instant::now(),
            in_flight: AtomicUsize::new(0),
            head_started: AtomicU64::new(1),
            idle_since: AtomicU64::new(1),
            changed: tokio::sync::Notify::new(),
        })
    }

    fn now(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis())
            .unwrap_or(u64::MAX - 1)
            .saturating_add(1)
    }

    fn read(&self) {
        if self.in_flight.load(Ordering::Acquire) == 0
            && self
                .head_started
                .compare_exchange(0, self.now(), Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            self.changed.notify_one();
        }
    }

    fn wrote(&self) {
        if self.in_flight.load(Ordering::Acquire) == 0 {
            self.idle_since.store(self.now(), Ordering::Release);
        }
    }

    /// A request head was read: until the guard drops, the connection is
    /// busy and no timeout applies (the scrape deadline bounds the work).
    pub fn request(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.head_started.store(0, Ordering::Release);
        InFlight(self.clone())
    }

    /// Resolves when the connection has broken one of the timeouts.
    pub async fn expired(&self, timeouts: Timeouts) {
        let Some(shortest) = [timeouts.read_header, timeouts.idle]
            .into_iter()
            .flatten()
            .min()
        else {
            return std::future::pending().await;
        };
        let as_ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        loop {
            let now = self.now();
            let due = if self.in_flight.load(Ordering::Acquire) > 0 {
                None
            } else {
                match self.head_started.load(Ordering::Acquire) {
                    0 => timeouts.idle.map(|t| {
                        self.idle_since
                            .load(Ordering::Acquire)
                            .saturating_add(as_ms(t))
                    }),
                    started => timeouts
                        .read_header
                        .map(|t| started.saturating_add(as_ms(t))),
                }
            };
            let wait = match due {
                Some(due) if due <= now => return,
                Some(due) => Duration::from_millis(due - now),
                // Busy, or only the other timeout applies: look again later.
                None => shortest,
            };
            tokio::select! {
                _ = tokio::time::sleep(wait.max(Duration::from_millis(10))) => {}
                _ = self.changed.notified() => {}
            }
        }
    }
}

/// A request being served on a connection.
pub struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.idle_since.store(self.0.now(), Ordering::Release);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.0.changed.notify_one();
    }
}

/// A stream that tells its connection's [`Activity`] about its traffic.
pub struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Watched<S> {
    pub fn new(inner: S, activity: Arc<Activity>) -> Watched<S> {
        Watched { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.read();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Accept errors (EMFILE, ENFILE, ENOBUFS) are retried after a pause that
/// doubles from 5 ms to 1 s, as Go's `http.Server` does, and logged at
/// most once every 10 s with the number of failures, instead of a line
/// per failed attempt.
#[derive(Default)]
pub struct AcceptBackoff {
    delay: Duration,
    failures: u64,
    last_logged: Option<Instant>,
}

const LOG_EVERY: Duration = Duration::from_secs(10);

impl AcceptBackoff {
    /// A connection was accepted: the next failure starts from 5 ms again.
    pub fn succeeded(&mut self) {
        self.delay = Duration::ZERO;
    }

    /// How long to wait after `err` before accepting again.
    pub fn failed(&mut self, err: &io::Error) -> Duration {
        self.delay = if self.delay.is_zero() {
            Duration::from_millis(5)
        } else {
            (self.delay * 2).min(Duration::from_secs(1))
        };
        self.failures += 1;
        if self.last_logged.is_none_or(|at| at.elapsed() >= LOG_EVERY) {
            tracing::error!(
                error = %err,
                failures = self.failures,
                retry_in = ?self.delay,
                "accepting a connection failed; backing off"
            );
            self.failures = 0;
            self.last_logged = Some(Instant::now());
        }
        self.delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_second_and_resets() {
        let mut b = AcceptBackoff::default();
        let err = io::Error::from_raw_os_error(24);
        let delays: Vec<_> = (0..10).map(|_| b.failed(&err)).collect();
        assert_eq!(delays[0], Duration::from_millis(5));
        assert_eq!(delays[1], Duration::from_millis(10));
        assert_eq!(delays[9], Duration::from_secs(1));
        b.succeeded();
        assert_eq!(b.failed(&err), Duration::from_millis(5));
    }

    #[tokio::test(start_paused = true)]
    async fn silent_connections_expire_busy_ones_do_not() {
        let timeouts = Timeouts {
            read_header: Some(Duration::from_secs(30)),
            idle: Some(Duration::from_secs(300)),
        };
        let silent = Activity::new();
        tokio::time::timeout(Duration::from_secs(31), silent.expired(timeouts))
            .await
            .expect("a silent connection expires after the header timeout");

        let busy = Activity::new();
        let request = busy.request();
        assert!(
            tokio::time::timeout(Duration::from_secs(600), busy.expired(timeouts))
                .await
                .is_err(),
            "a connection with a request in flight was expired"
        );
        drop(request);
        tokio::time::timeout(Duration::from_secs(301), busy.expired(timeouts))
            .await
            .expect("an idle keep-alive connection expires after the idle timeout");
    }
}
