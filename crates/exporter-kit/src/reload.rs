//! A configuration file that can be re-read while the exporter runs,
//! keeping the last good value when a re-read fails.
//!
//! Every exporter has one (the web config; blackbox.yml, my.cnf, redis'
//! password file) and they must behave alike: a broken or refused file
//! never replaces a working one, the failure is logged and, where upstream
//! has them, `*_config_last_reload_successful` and
//! `*_config_last_reload_success_timestamp_seconds` say what happened.
//!
//! Readers take the value in force with [`Reloadable::current`], a read
//! lock held only to clone an `Arc`: parsing, file reading and bcrypt
//! never run under it, so a slow reload never delays a reader (the HTTP
//! accept path reads the web config this way).
//!
//! A reload happens on request ([`Reloadable::reload`]: `/-/reload`,
//! SIGHUP) or, with [`Reloadable::watch`], when one of the files the value
//! came from changes (the file itself and the certificates it names).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What a [`Reloadable`] reads: one file (and the files it names).
pub trait Source: Send + Sync + 'static {
    type Value: Send + Sync + 'static;
    type Error: std::fmt::Display + Send + 'static;

    /// What the file is, for log lines ("web config", "password file").
    fn what(&self) -> &'static str;

    /// The file itself.
    fn path(&self) -> &Path;

    /// Reads and checks the file. `previous` is the value in force (none
    /// at startup), so a source can carry state over or refuse a change
    /// (the web config refuses to turn TLS or auth off).
    fn load(&self, previous: Option<&Self::Value>) -> Result<Self::Value, Self::Error>;

    /// The files whose change means the value must be read again: the
    /// file and those it names. Best effort: read from whatever the file
    /// holds now, even when it does not load.
    fn files(&self) -> Vec<PathBuf> {
        vec![self.path().to_path_buf()]
    }
}

/// The two reload gauges, in the names upstream gives them
/// (`<prefix>_last_reload_successful`, `<prefix>_last_reload_success_timestamp_seconds`).
#[derive(Clone)]
pub struct ReloadMetrics {
    successful: prometheus::Gauge,
    timestamp: prometheus::Gauge,
}

impl ReloadMetrics {
    /// `prefix` is e.g. `blackbox_exporter_config`; `help` is the help of
    /// the `_successful` gauge, which upstreams word differently.
    pub fn new(prefix: &str, help: &str) -> Result<ReloadMetrics, prometheus::Error> {
        Ok(ReloadMetrics {
            successful: prometheus::Gauge::new(format!("{prefix}_last_reload_successful"), help)?,
            timestamp: prometheus::Gauge::new(
                format!("{prefix}_last_reload_success_timestamp_seconds"),
                "Timestamp of the last successful configuration reload.",
            )?,
        })
    }

    pub fn register(&self, registry: &prometheus::Registry) -> Result<(), prometheus::Error> {
        registry.register(Box::new(self.successful.clone()))?;
        registry.register(Box::new(self.timestamp.clone()))
    }

    fn succeeded(&self) {
        self.successful.set(1.0);
        self.timestamp.set(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0),
        );
    }

    fn failed(&self) {
        self.successful.set(0.0);
    }
}

/// What identifies one version of the files: a rewrite in place, a
/// rename over the file, a Kubernetes secret's symlink swap all change it.
type Stamp = Vec<Option<(SystemTime, u64, u64)>>;

fn stamp(files: &[PathBuf]) -> Stamp {
    files
        .iter()
        .map(|f| {
            let meta = std::fs::metadata(f).ok()?;
            Some((meta.modified().ok()?, meta.len(), inode(&meta)))
        })
        .collect()
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn inode(_meta: &std::fs::Metadata) -> u64 {
    0
}

/// The files read last and their stamps.
struct Watched {
    files: Vec<PathBuf>,
    stamp: Stamp,
}

/// A value loaded from a file, re-read on request or on change.
pub struct Reloadable<S: Source> {
    source: S,
    current: RwLock<Arc<S::Value>>,
    /// Also serialises reloads, so each one sees the value of the last.
    watched: Mutex<Watched>,
    metrics: Option<ReloadMetrics>,
}

impl<S: Source> Reloadable<S> {
    /// The first load: an error here is a startup error. The gauges (if
    /// any) say success.
    pub fn load(source: S, metrics: Option<ReloadMetrics>) -> Result<Arc<Self>, S::Error> {
        let files = source.files();
        let stamp = stamp(&files);
        let value = source.load(None)?;
        if let Some(m) = &metrics {
            m.succeeded();
        }
        Ok(Arc::new(Reloadable {
            source,
            current: RwLock::new(Arc::new(value)),
            watched: Mutex::new(Watched { files, stamp }),
            metrics,
        }))
    }

    /// The value in force.
    pub fn current(&self) -> Arc<S::Value> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn source(&self) -> &S {
        &self.source
    }

    /// Reads the file again. Blocking (file reads, parsing): call it off
    /// the async workers when the parse is costly. On error the value in
    /// force stays, the error is logged and the gauge says 0.
    pub fn reload(&self) -> Result<(), S::Error> {
        let mut watched = self.watched.lock().unwrap_or_else(PoisonError::into_inner);
        self.reload_locked(&mut watched)
    }

    /// [`Self::reload`] if one of the files changed since the last load
    /// (or the last attempt: a broken file is not retried until it changes
    /// again). `None` when nothing changed.
    pub fn reload_if_changed(&self) -> Option<Result<(), S::Error>> {
        let mut watched = self.watched.lock().unwrap_or_else(PoisonError::into_inner);
        if stamp(&watched.files) == watched.stamp {
            return None;
        }
        Some(self.reload_locked(&mut watched))
    }

    fn reload_locked(&self, watched: &mut Watched) -> Result<(), S::Error> {
        // Stamped before reading: a change made during the read is seen
        // by the next check and read again.
        watched.files = self.source.files();
        watched.stamp = stamp(&watched.files);
        let previous = self.current();
        let path = self.source.path().display();
        match self.source.load(Some(&previous)) {
            Ok(value) => {
                *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(value);
                if let Some(m) = &self.metrics {
                    m.succeeded();
                }
                tracing::info!(file = %path, "{} reloaded", self.source.what());
                Ok(())
            }
            Err(err) => {
                if let Some(m) = &self.metrics {
                    m.failed();
                }
                tracing::error!(file = %path, error = %err, "reloading the {} failed; keeping the last good one", self.source.what());
                Err(err)
            }
        }
    }

    /// Checks the files every `every` and reloads when one changed, on the
    /// blocking pool. The task ends when the last other reference to this
    /// value is gone (or when the handle is aborted).
    pub fn watch(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let weak: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                let Some(this) = weak.upgrade() else { break };
                // A panic in a parser is a bug, but it must not end the
                // watching: the join error is dropped and the next tick
                // tries again.
                let _ = tokio::task::spawn_blocking(move || this.reload_if_changed()).await;
            }
        })
    }

    /// Reloads on every SIGHUP, on the blocking pool. Registered at once,
    /// so a SIGHUP after this call never meets the default action
    /// (terminate). Call it inside the tokio runtime.
    #[cfg(unix)]
    pub fn reload_on_sighup(self: &Arc<Self>) {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::hangup()) {
            Ok(mut hup) => {
                let weak = Arc::downgrade(self);
                tokio::spawn(async move {
                    while hup.recv().await.is_some() {
                        let Some(this) = weak.upgrade() else { break };
                        let _ = tokio::task::spawn_blocking(move || this.reload()).await;
                    }
                });
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGHUP; reload the {} with POST /-/reload", self.source.what());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A file holding a number; a negative one is refused as a change
    /// (as the web config refuses to turn TLS off), text fails to parse.
    struct Number {
        path: PathBuf,
        also: Option<PathBuf>,
    }

    impl Source for Number {
        type Value = i64;
        type Error = String;

        fn what(&self) -> &'static str {
            "number"
        }

        fn path(&self) -> &Path {
            &self.path
        }

        fn load(&self, previous: Option<&i64>) -> Result<i64, String> {
            let text = std::fs::read_to_string(&self.path).map_err(|e| e.to_string())?;
            let value: i64 = text
                .trim()
                .parse()
                .map_err(|_| format!("not a number: {text:?}"))?;
            if value < 0 && previous.is_some() {
                return Err("refusing to go negative while running".into());
            }
            Ok(value)
        }

        fn files(&self) -> Vec<PathBuf> {
            let mut files = vec![self.path.clone()];
            files.extend(self.also.clone());
            files
        }
    }

    fn gauge(registry: &prometheus::Registry, name: &str) -> f64 {
        registry
            .gather()
            .iter()
            .find(|f| f.name() == name)
            .map(|f| f.get_metric()[0].get_gauge().get_value())
            .unwrap()
    }

    fn setup(
        text: &str,
    ) -> (
        tempfile::TempDir,
        Arc<Reloadable<Number>>,
        prometheus::Registry,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n");
        std::fs::write(&path, text).unwrap();
        let registry = prometheus::Registry::new();
        let metrics = ReloadMetrics::new("test_config", "Loaded.").unwrap();
        metrics.register(&registry).unwrap();
        let also = Some(dir.path().join("cert"));
        let r = Reloadable::load(Number { path, also }, Some(metrics)).unwrap();
        (dir, r, registry)
    }

    #[test]
    fn a_broken_or_refused_reload_keeps_the_last_good_value() {
        let (dir, r, registry) = setup("1");
        assert_eq!(*r.current(), 1);
        assert_eq!(gauge(&registry, "test_config_last_reload_successful"), 1.0);
        let first_ok = gauge(
            &registry,
            "test_config_last_reload_success_timestamp_seconds",
        );
        assert!(first_ok > 0.0);

        std::fs::write(dir.path().join("n"), "oops").unwrap();
        assert!(r.reload().is_err());
        assert_eq!(*r.current(), 1);
        assert_eq!(gauge(&registry, "test_config_last_reload_successful"), 0.0);
        assert_eq!(
            gauge(
                &registry,
                "test_config_last_reload_success_timestamp_seconds"
            ),
            first_ok,
            "a failure leaves the timestamp of the last success"
        );

        std::fs::write(dir.path().join("n"), "-5").unwrap();
        assert_eq!(
            r.reload().unwrap_err(),
            "refusing to go negative while running"
        );
        assert_eq!(*r.current(), 1);

        std::fs::write(dir.path().join("n"), "2").unwrap();
        r.reload().unwrap();
        assert_eq!(*r.current(), 2);
        assert_eq!(gauge(&registry, "test_config_last_reload_successful"), 1.0);

        // What is refused while running is allowed at startup.
        let fresh = Reloadable::load(
            Number {
                path: dir.path().join("n"),
                also: None,
            },
            None,
        )
        .unwrap();
        std::fs::write(dir.path().join("n"), "-5").unwrap();
        assert!(fresh.reload().is_err());
        assert_eq!(
            *Reloadable::load(
                Number {
                    path: dir.path().join("n"),
                    also: None
                },
                None
            )
            .unwrap()
            .current(),
            -5
        );
    }

    #[test]
    fn changes_to_the_file_or_a_file_it_names_are_seen_once() {
        let (dir, r, _registry) = setup("1");
        assert!(r.reload_if_changed().is_none(), "nothing changed yet");

        // A file the value names appearing counts as a change.
        std::fs::write(dir.path().join("cert"), "x").unwrap();
        assert!(matches!(r.reload_if_changed(), Some(Ok(()))));
        assert!(r.reload_if_changed().is_none());

        // A rename over the file (as editors and Kubernetes do) is a change
        // even when size and time are alike: the inode differs.
        std::fs::write(dir.path().join("n.new"), "3").unwrap();
        std::fs::rename(dir.path().join("n.new"), dir.path().join("n")).unwrap();
        assert!(matches!(r.reload_if_changed(), Some(Ok(()))));
        assert_eq!(*r.current(), 3);

        // A broken file is tried once, not on every check.
        std::fs::write(dir.path().join("n"), "broken").unwrap();
        assert!(matches!(r.reload_if_changed(), Some(Err(_))));
        assert!(r.reload_if_changed().is_none());
        assert_eq!(*r.current(), 3);
    }

    #[tokio::test]
    async fn the_watcher_picks_up_a_change_and_ends_with_its_value() {
        let (dir, r, registry) = setup("1");
        let task = r.watch(Duration::from_millis(10));
        std::fs::write(dir.path().join("n"), "oops!").unwrap();
        // The event to wait for: the gauge turning 0.
        while gauge(&registry, "test_config_last_reload_successful") != 0.0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        std::fs::write(dir.path().join("n"), "7").unwrap();
        while *r.current() != 7 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        drop(r);
        task.await.unwrap();
    }
}
