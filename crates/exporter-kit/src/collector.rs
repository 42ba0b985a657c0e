//! Collectors: named units that append metric families to a scrape.
//!
//! Blocking collectors (procfs, sysfs, statfs) implement [`Collector`] and
//! run on tokio's blocking pool; collectors that talk to a server over the
//! network (Redis, MySQL, Kafka, Docker) implement [`AsyncCollector`]. The
//! runner owns timing, deadlines and the success metrics; a collector only
//! reads its source and writes families.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::context::{BuildContext, Extensions};
use crate::emit::Emitter;

/// What a collector knows about the scrape it is part of.
#[derive(Debug, Clone)]
pub struct ScrapeContext {
    /// When the runner stops waiting for this collector.
    pub deadline: Instant,
    /// Objects the collectors of this scrape share (work one does for
    /// several, such as a server check they all need): the same map for
    /// every collector of one scrape, a new one for the next scrape.
    pub extensions: Arc<Extensions>,
}

impl ScrapeContext {
    /// The context of a scrape of its own (one collector run alone).
    pub fn new(deadline: Instant) -> ScrapeContext {
        ScrapeContext::shared(deadline, Arc::new(Extensions::new()))
    }

    /// The context of one collector of a scrape whose collectors share
    /// `extensions`.
    pub fn shared(deadline: Instant, extensions: Arc<Extensions>) -> ScrapeContext {
        ScrapeContext {
            deadline,
            extensions,
        }
    }

    /// Time left before the deadline (zero once it has passed).
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}

/// Why a collector produced nothing, or not everything.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// The source does not exist on this host (no such hardware, module not
    /// loaded). Logged at debug level, as node_exporter does.
    #[error("no data")]
    NoData,
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("parsing {what}: {message}")]
    Parse { what: String, message: String },
    /// The backend (a server, an API) failed or refused.
    #[error("{0}")]
    Backend(String),
    /// Set by the runner only: the collector overran the scrape deadline.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// Set by the runner only: the collector panicked.
    #[error("panicked: {0}")]
    Panic(String),
    /// Set by the runner only: an earlier run of this collector overran its
    /// deadline and has not returned yet, so no new one was started.
    #[error("an earlier run is still in progress")]
    StillRunning,
}

impl CollectError {
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> CollectError {
        let path = path.as_ref().to_path_buf();
        if source.kind() == std::io::ErrorKind::NotFound {
            tracing::debug!(path = %path.display(), "source not found");
        }
        CollectError::Io { path, source }
    }

    pub fn parse(what: impl Into<String>, message: impl ToString) -> CollectError {
        CollectError::Parse {
            what: what.into(),
            message: message.to_string(),
        }
    }

    pub fn backend(message: impl ToString) -> CollectError {
        CollectError::Backend(message.to_string())
    }
}

/// A collector whose work blocks (file reads, syscalls). Runs on the
/// blocking pool; if it overruns, its result is discarded and no new run of
/// it starts until it returns.
pub trait Collector: Send + Sync + 'static {
    fn update(&self, ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError>;
}

/// A collector that awaits a network peer. Runs as a task; if it overruns,
/// it is cancelled.
#[async_trait::async_trait]
pub trait AsyncCollector: Send + Sync + 'static {
    async fn update(&self, ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError>;
}

#[derive(Clone)]
pub enum AnyCollector {
    Blocking(Arc<dyn Collector>),
    Async(Arc<dyn AsyncCollector>),
}

impl AnyCollector {
    pub fn blocking(collector: impl Collector) -> AnyCollector {
        AnyCollector::Blocking(Arc::new(collector))
    }

    pub fn asynchronous(collector: impl AsyncCollector) -> AnyCollector {
        AnyCollector::Async(Arc::new(collector))
    }
}

/// A collector that could not be built from its flags: a startup error.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BuildError(pub String);

impl BuildError {
    pub fn new(message: impl ToString) -> BuildError {
        BuildError(message.to_string())
    }
}

/// One row of an exporter's collector table: the only list of its
/// collectors. `name` is at once the file name, the `--collector.<name>`
/// flag and the `collector="<name>"` label.
pub struct Registration<A> {
    pub name: &'static str,
    pub default_enabled: bool,
    pub help: &'static str,
    build: Build<A>,
}

/// How a registration builds its collector.
enum Build<A> {
    /// From the flags alone (most collectors).
    Alone(fn(&A) -> Result<AnyCollector, BuildError>),
    /// From the flags and objects shared with other collectors and setup.
    WithContext(fn(&A, &BuildContext) -> Result<AnyCollector, BuildError>),
}

impl<A> Registration<A> {
    /// A collector built from its flags alone.
    pub const fn new(
        name: &'static str,
        default_enabled: bool,
        help: &'static str,
        build: fn(&A) -> Result<AnyCollector, BuildError>,
    ) -> Registration<A> {
        Registration {
            name,
            default_enabled,
            help,
            build: Build::Alone(build),
        }
    }

    /// A collector that shares objects (a watcher, a pool) with other
    /// collectors or the exporter's setup through the [`BuildContext`].
    pub const fn with_context(
        name: &'static str,
        default_enabled: bool,
        help: &'static str,
        build: fn(&A, &BuildContext) -> Result<AnyCollector, BuildError>,
    ) -> Registration<A> {
        Registration {
            name,
            default_enabled,
            help,
            build: Build::WithContext(build),
        }
    }

    /// Builds the collector from the parsed flags.
    pub fn build(&self, args: &A, ctx: &BuildContext) -> Result<AnyCollector, BuildError> {
        match self.build {
            Build::Alone(build) => build(args),
            Build::WithContext(build) => build(args, ctx),
        }
    }
}
