//! node_filesystem_*: statfs of every mount listed in /proc/1/mounts.
//!
//! statfs of a dead NFS server or a stuck FUSE daemon blocks in the kernel
//! and cannot be cancelled. So statfs runs on a helper thread and the
//! collector waits at most `--collector.filesystem.mount-timeout` per mount.
//! A scrape's mounts go to one helper as a batch, statted in turn, and the
//! collector is woken once when all have answered (not twice per mount). A
//! mount that does not answer in time is reported with
//! `node_filesystem_device_error 1`, the rest of the batch goes on on
//! another helper, and the mount is not asked again until its pending
//! statfs returns: at most one thread ever waits on a mount.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::mounts::{self, Mount};
use crate::sys::{self, FsStats};
use crate::sysfs::Filter;

pub const DEFAULT_MOUNT_POINTS_EXCLUDE: &str =
    r"^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)";
pub const DEFAULT_FS_TYPES_EXCLUDE: &str = r"^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$";

#[derive(clap::Args, Debug, Clone)]
pub struct FilesystemArgs {
    /// Regexp of mount points to exclude for filesystem collector.
    #[arg(
        long = "collector.filesystem.mount-points-exclude",
        alias = "collector.filesystem.ignored-mount-points",
        value_name = "REGEX",
        default_value = DEFAULT_MOUNT_POINTS_EXCLUDE
    )]
    pub mount_points_exclude: String,
    /// Regexp of mount points to include for filesystem collector (overrides the exclude).
    #[arg(
        long = "collector.filesystem.mount-points-include",
        value_name = "REGEX"
    )]
    pub mount_points_include: Option<String>,
    /// Regexp of filesystem types to exclude for filesystem collector.
    #[arg(
        long = "collector.filesystem.fs-types-exclude",
        alias = "collector.filesystem.ignored-fs-types",
        value_name = "REGEX",
        default_value = DEFAULT_FS_TYPES_EXCLUDE
    )]
    pub fs_types_exclude: String,
    /// Regexp of filesystem types to include for filesystem collector (overrides the exclude).
    #[arg(long = "collector.filesystem.fs-types-include", value_name = "REGEX")]
    pub fs_types_include: Option<String>,
    /// How long to wait for a mount to respond before marking it as stale.
    #[arg(
        long = "collector.filesystem.mount-timeout",
        value_name = "DURATION",
        default_value = "5s",
        value_parser = exporter_kit::duration::parse_go
    )]
    pub mount_timeout: Duration,
    /// Maximum number of concurrent stat workers.
    #[arg(
        long = "collector.filesystem.stat-workers",
        value_name = "N",
        default_value_t = 4
    )]
    pub stat_workers: usize,
}

/// Idle statfs helpers kept between scrapes.
const MAX_IDLE_WORKERS: usize = 4;

/// The call that may block: statvfs, or a stand-in in tests.
pub type StatFn = fn(&Path) -> io::Result<FsStats>;

/// A helper thread waiting for batches.
struct Worker {
    jobs: mpsc::Sender<Arc<Batch>>,
}

/// Mounts a helper stats in turn for one scrape. The collector sleeps on
/// `changed` and is woken once, when the last mount is done; it wakes by
/// itself when the mount being statted has run past the timeout.
struct Batch {
    paths: Vec<PathBuf>,
    state: Mutex<BatchState>,
    changed: Condvar,
}

struct BatchState {
    /// Answers by index, taken by the collector.
    results: Vec<Option<io::Result<FsStats>>>,
    /// The mount being statted, and since when (from dispatch for the first).
    current: usize,
    started: Instant,
    /// Every mount is answered.
    done: bool,
    /// The collector stopped waiting (a mount stuck at `current`): the
    /// helper stats nothing more of this batch and exits.
    abandoned: bool,
}

impl Batch {
    fn new(paths: Vec<PathBuf>) -> Batch {
        Batch {
            state: Mutex::new(BatchState {
                results: paths.iter().map(|_| None).collect(),
                current: 0,
                started: Instant::now(),
                done: paths.is_empty(),
                abandoned: false,
            }),
            paths,
            changed: Condvar::new(),
        }
    }
}

/// Mount paths claimed by a scrape: `None` while queued in a batch, the
/// start of its statfs once a helper runs it.
type Inflight = Arc<Mutex<HashMap<PathBuf, Option<Instant>>>>;

/// Runs statfs on helper threads with a timeout; see the module docs.
pub struct Statter {
    timeout: Duration,
    stat_fn: StatFn,
    inflight: Inflight,
    idle: Mutex<Vec<Worker>>,
    /// `--collector.filesystem.stat-workers`: batches statted at once.
    workers: usize,
}

#[derive(Debug)]
pub enum StatOutcome {
    Ok(FsStats),
    Err(io::Error),
    /// No answer within the timeout (now or on an earlier scrape).
    Stuck,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A helper's answer as an outcome; none (not reached) counts as stuck.
fn outcome(result: Option<io::Result<FsStats>>) -> StatOutcome {
    match result {
        Some(Ok(s)) => StatOutcome::Ok(s),
        Some(Err(e)) => StatOutcome::Err(e),
        None => StatOutcome::Stuck,
    }
}

/// A helper's work on one batch: each mount in turn. False when the
/// collector abandoned the batch (the helper then exits).
fn run_batch(batch: &Batch, stat_fn: StatFn, inflight: &Inflight) -> bool {
    for (i, path) in batch.paths.iter().enumerate() {
        if let Some(start) = lock(inflight).get_mut(path) {
            *start = Some(Instant::now());
        }
        let result = stat_fn(path);
        lock(inflight).remove(path);
        let mut st = lock(&batch.state);
        if st.abandoned {
            tracing::info!(path = %path.display(), "stuck mount answered again");
            return false;
        }
        st.results[i] = Some(result);
        if i + 1 < batch.paths.len() {
            st.current = i + 1;
            st.started = Instant::now();
        } else {
            st.done = true;
            batch.changed.notify_one();
        }
    }
    true
}

impl Statter {
    pub fn new(timeout: Duration) -> Statter {
        Statter::with_stat_fn(timeout, sys::statvfs)
    }

    /// A statter calling `stat_fn` instead of statvfs (tests use one that blocks).
    pub fn with_stat_fn(timeout: Duration, stat_fn: StatFn) -> Statter {
        Statter {
            timeout,
            stat_fn,
            inflight: Arc::new(Mutex::new(HashMap::new())),
            idle: Mutex::new(Vec::new()),
            workers: 1,
        }
    }

    /// Stats up to `workers` mounts at once, as upstream's stat workers
    /// (at least one).
    pub fn with_workers(mut self, workers: usize) -> Statter {
        self.workers = workers.max(1);
        self
    }

    fn spawn(&self) -> io::Result<Worker> {
        let (tx, rx) = mpsc::channel::<Arc<Batch>>();
        let inflight = Arc::clone(&self.inflight);
        let stat_fn = self.stat_fn;
        std::thread::Builder::new()
            .name("statfs".into())
            .spawn(move || {
                for batch in rx {
                    if !run_batch(&batch, stat_fn, &inflight) {
                        // The collector gave up on us: nobody sends more work.
                        break;
                    }
                }
            })?;
        Ok(Worker { jobs: tx })
    }

    /// statfs of `path`, waiting at most the mount timeout or `deadline`.
    pub fn stat(&self, path: &Path, deadline: Instant) -> StatOutcome {
        // At most one statfs per mount at a time: wait for another scrape's
        // to finish, or call the mount stuck once it has run too long.
        loop {
            match self.claim(path) {
                Claim::Claimed => break,
                Claim::Stuck => return StatOutcome::Stuck,
                Claim::Busy => {}
            }
            if Instant::now() >= deadline {
                return StatOutcome::Stuck;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let mut outcomes = self.stat_claimed(vec![path.to_path_buf()], deadline);
        outcomes.pop().unwrap_or(StatOutcome::Stuck)
    }

    /// statfs of each of `paths` (one outcome each, in order), each with
    /// the mount timeout, all within `deadline`. One helper stats them in
    /// turn and wakes the caller once; a mount that does not answer in time
    /// is Stuck and the rest go on on another helper.
    pub fn stat_all(&self, paths: Vec<PathBuf>, deadline: Instant) -> Vec<StatOutcome> {
        let mut outcomes: Vec<Option<StatOutcome>> = paths.iter().map(|_| None).collect();
        let mut claimed = Vec::with_capacity(paths.len());
        let mut claimed_at = Vec::with_capacity(paths.len());
        let mut busy = Vec::new();
        for (i, path) in paths.into_iter().enumerate() {
            match self.claim(&path) {
                Claim::Claimed => {
                    claimed.push(path);
                    claimed_at.push(i);
                }
                Claim::Stuck => outcomes[i] = Some(StatOutcome::Stuck),
                Claim::Busy => busy.push((i, path)),
            }
        }
        for (i, outcome) in claimed_at
            .into_iter()
            .zip(self.stat_claimed(claimed, deadline))
        {
            outcomes[i] = Some(outcome);
        }
        // Mounts another scrape is statting right now: wait for that one.
        for (i, path) in busy {
            outcomes[i] = Some(self.stat(&path, deadline));
        }
        outcomes
            .into_iter()
            .map(|o| o.unwrap_or(StatOutcome::Stuck))
            .collect()
    }

    /// Claims `path` for a statfs unless one is already running.
    fn claim(&self, path: &Path) -> Claim {
        let mut inflight = lock(&self.inflight);
        match inflight.get(path) {
            None => {
                inflight.insert(path.to_path_buf(), None);
                Claim::Claimed
            }
            Some(Some(start)) if start.elapsed() >= self.timeout => Claim::Stuck,
            Some(_) => Claim::Busy,
        }
    }

    fn release(&self, paths: &[PathBuf]) {
        let mut inflight = lock(&self.inflight);
        for p in paths {
            inflight.remove(p);
        }
    }

    /// Stats mounts this scrape has claimed: split into up to `workers`
    /// batches run at once, each on its own helper; the mounts after one
    /// that times out go on in a new batch.
    fn stat_claimed(&self, paths: Vec<PathBuf>, deadline: Instant) -> Vec<StatOutcome> {
        let batches = self.workers.min(paths.len()).max(1);
        let size = paths.len().div_ceil(batches);
        let mut chunks: Vec<Vec<PathBuf>> = Vec::with_capacity(batches);
        let mut rest = paths;
        while rest.len() > size {
            let tail = rest.split_off(size);
            chunks.push(rest);
            rest = tail;
        }
        chunks.push(rest);
        // All batches start before any is waited for.
        let started: Vec<_> = chunks.into_iter().map(|c| self.dispatch(c)).collect();
        let mut outcomes = Vec::new();
        for dispatched in started {
            match dispatched {
                Err(failed) => outcomes.extend(failed),
                Ok((worker, batch)) => {
                    let mut next = self.wait(worker, batch, deadline, &mut outcomes);
                    while let Some(paths) = next.take().filter(|p| !p.is_empty()) {
                        next = match self.dispatch(paths) {
                            Err(failed) => {
                                outcomes.extend(failed);
                                None
                            }
                            Ok((worker, batch)) => {
                                self.wait(worker, batch, deadline, &mut outcomes)
                            }
                        };
                    }
                }
            }
        }
        outcomes
    }

    /// Hands `paths` to an idle helper (or a new one); on failure, their
    /// outcomes.
    fn dispatch(&self, paths: Vec<PathBuf>) -> Result<(Worker, Arc<Batch>), Vec<StatOutcome>> {
        let worker = match lock(&self.idle).pop().map_or_else(|| self.spawn(), Ok) {
            Ok(w) => w,
            Err(e) => {
                self.release(&paths);
                return Err(paths
                    .iter()
                    .map(|_| StatOutcome::Err(io::Error::new(e.kind(), e.to_string())))
                    .collect());
            }
        };
        let batch = Arc::new(Batch::new(paths));
        if worker.jobs.send(Arc::clone(&batch)).is_err() {
            self.release(&batch.paths);
            return Err(batch
                .paths
                .iter()
                .map(|_| StatOutcome::Err(io::Error::other("statfs worker exited")))
                .collect());
        }
        Ok((worker, batch))
    }

    /// Waits for a batch, appending its outcomes; returns the mounts left
    /// after one that timed out (to go on in a new batch), if any.
    fn wait(
        &self,
        worker: Worker,
        batch: Arc<Batch>,
        deadline: Instant,
        outcomes: &mut Vec<StatOutcome>,
    ) -> Option<Vec<PathBuf>> {
        let mut st = lock(&batch.state);
        let stuck_at = loop {
            if st.done {
                break None;
            }
            let due = (st.started + self.timeout).min(deadline);
            let now = Instant::now();
            if now >= due {
                break Some(st.current);
            }
            st = batch
                .changed
                .wait_timeout(st, due - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        };
        let Some(stuck) = stuck_at else {
            outcomes.extend(st.results.iter_mut().map(|r| outcome(r.take())));
            drop(st);
            let mut idle = lock(&self.idle);
            // Keep a few helpers for the next scrapes; a dropped one exits.
            if idle.len() < MAX_IDLE_WORKERS.max(self.workers) {
                idle.push(worker);
            }
            return None;
        };
        // The helper stays in this statfs; it exits when that returns.
        st.abandoned = true;
        outcomes.extend(st.results[..stuck].iter_mut().map(|r| outcome(r.take())));
        drop(st);
        tracing::warn!(
            mountpoint = %batch.paths[stuck].display(),
            "mount point timed out, it is being labeled as stuck and will not be monitored until it answers"
        );
        outcomes.push(StatOutcome::Stuck);
        let rest = batch.paths[stuck + 1..].to_vec();
        if Instant::now() >= deadline {
            // No time left for the rest: not statted, free for the next scrape.
            self.release(&rest);
            outcomes.extend(rest.iter().map(|_| StatOutcome::Stuck));
            return None;
        }
        Some(rest)
    }

    /// Helper threads alive: idle ones plus one per mount still in statfs.
    pub fn threads(&self) -> usize {
        lock(&self.idle).len()
            + lock(&self.inflight)
                .values()
                .filter(|s| s.is_some())
                .count()
    }
}

/// What [`Statter::claim`] found.
enum Claim {
    Claimed,
    /// Its statfs has run longer than the timeout.
    Stuck,
    /// Another scrape's statfs of it is running.
    Busy,
}

pub struct Filesystem {
    procfs: PathBuf,
    rootfs: PathBuf,
    mount_points: Filter,
    fs_types: Filter,
    statter: Statter,
    size: Desc,
    free: Desc,
    avail: Desc,
    files: Desc,
    files_free: Desc,
    readonly: Desc,
    device_error: Desc,
    purgeable: Desc,
    mount_info: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Filesystem::new(args)?))
}

/// node_exporter 1.12's labels: `device_error` holds the statfs error text
/// ("" when healthy, "mountpoint timeout" for a mount that does not answer).
const LABELS: [&str; 4] = ["device", "fstype", "mountpoint", "device_error"];

/// The text Go's `err.Error()` gives for a failed statfs: the errno's
/// strerror text with a lower-case first letter ("permission denied").
pub fn error_text(err: &io::Error) -> String {
    let text = err.to_string();
    let text = match err.raw_os_error() {
        Some(code) => text
            .strip_suffix(&format!(" (os error {code})"))
            .unwrap_or(&text)
            .to_string(),
        None => text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

impl Filesystem {
    pub fn new(args: &Args) -> Result<Filesystem, BuildError> {
        let a = &args.filesystem;
        let g = |n: &str, h: &str| Desc::gauge(&format!("node_filesystem_{n}"), h, &LABELS);
        Ok(Filesystem {
            procfs: args.procfs.clone(),
            rootfs: args.rootfs.clone(),
            // An include flag replaces the exclude (default included).
            mount_points: Filter::new(
                "collector.filesystem.mount-points-include/exclude",
                a.mount_points_include.as_deref(),
                match a.mount_points_include {
                    Some(_) => None,
                    None => Some(&a.mount_points_exclude),
                },
            )?,
            fs_types: Filter::new(
                "collector.filesystem.fs-types-include/exclude",
                a.fs_types_include.as_deref(),
                match a.fs_types_include {
                    Some(_) => None,
                    None => Some(&a.fs_types_exclude),
                },
            )?,
            statter: Statter::new(a.mount_timeout).with_workers(a.stat_workers),
            size: g("size_bytes", "Filesystem size in bytes."),
            free: g("free_bytes", "Filesystem free space in bytes."),
            avail: g(
                "avail_bytes",
                "Filesystem space available to non-root users in bytes.",
            ),
            files: g("files", "Filesystem total file nodes."),
            files_free: g("files_free", "Filesystem total free file nodes."),
            readonly: g("readonly", "Filesystem read-only status."),
            device_error: g(
                "device_error",
                "Whether an error occurred while getting statistics for the given device.",
            ),
            purgeable: g(
                "purgeable_bytes",
                "Filesystem space available including purgeable space (MacOS specific).",
            ),
            mount_info: Desc::gauge(
                "node_filesystem_mount_info",
                "Filesystem mount information.",
                &["device", "major", "minor", "mountpoint"],
            ),
        })
    }

    pub fn statter(&self) -> &Statter {
        &self.statter
    }

    fn ignored(&self, m: &Mount<'_>, mount_point: &str) -> bool {
        self.mount_points.ignored(mount_point) || self.fs_types.ignored(&m.fs_type)
    }

    /// The mount point as the host sees it: without the --path.rootfs
    /// prefix when it has one (as upstream's rootfsStripPrefix).
    fn strip_rootfs<'a>(&self, mount_point: &'a str) -> &'a str {
        let root = self.rootfs.to_string_lossy();
        let root = root.trim_end_matches('/');
        if root.is_empty() {
            return mount_point;
        }
        match mount_point.strip_prefix(root) {
            Some("") => "/",
            Some(rest) if rest.starts_with('/') => rest,
            _ => mount_point,
        }
    }
}

impl Filesystem {
    /// The mount table of PID 1 (the host's when run in its PID namespace):
    /// mountinfo when there, else mounts, else the exporter's own (hidepid);
    /// with whether it is a mountinfo.
    fn mount_table(&self) -> Result<(String, bool), CollectError> {
        for (file, info) in [
            ("1/mountinfo", true),
            ("1/mounts", false),
            ("self/mountinfo", true),
            ("mounts", false),
        ] {
            let path = self.procfs.join(file);
            match crate::sysfs::read_string(&path) {
                Ok(text) => return Ok((text, info)),
                Err(e)
                    if e.kind() == io::ErrorKind::NotFound
                        || e.kind() == io::ErrorKind::PermissionDenied =>
                {
                    tracing::debug!(path = %path.display(), error = %e, "mount table not readable, trying the next");
                }
                Err(e) => return Err(CollectError::io(path, e)),
            }
        }
        Err(CollectError::NoData)
    }
}

impl Collector for Filesystem {
    fn update(&self, ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let (text, info) = self.mount_table()?;
        let mounts = if info {
            mounts::parse_mountinfo(&text).logged("mountinfo")
        } else {
            mounts::parse(&text).logged("mounts")
        };
        // The mounts to report (filtered, first of each device/type/point)
        // with their mount point as the host sees it...
        let mut seen: Vec<(&str, &str, &str)> = Vec::with_capacity(mounts.len());
        let mut wanted: Vec<(&Mount<'_>, &str)> = Vec::with_capacity(mounts.len());
        for m in &mounts {
            let mount_point = self.strip_rootfs(&m.mount_point);
            if self.ignored(m, mount_point) {
                continue;
            }
            let key = (&*m.device, &*m.fs_type, mount_point);
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            wanted.push((m, mount_point));
        }
        // ...statted in one batch (one helper wakeup, not one per mount).
        let paths: Vec<PathBuf> = wanted
            .iter()
            .map(|(_, mount_point)| self.rootfs.join(mount_point.trim_start_matches('/')))
            .collect();
        let outcomes = self.statter.stat_all(paths, ctx.deadline);
        for ((m, mount_point), outcome) in wanted.into_iter().zip(outcomes) {
            let ro = if m.read_only() { 1.0 } else { 0.0 };
            let error = match &outcome {
                StatOutcome::Ok(_) => String::new(),
                StatOutcome::Err(e) => {
                    tracing::debug!(mountpoint = %mount_point, error = %e, "statfs failed");
                    error_text(e)
                }
                StatOutcome::Stuck => "mountpoint timeout".to_string(),
            };
            let labels = [&*m.device, &*m.fs_type, mount_point, error.as_str()];
            // An errored filesystem gets only device_error and readonly, as upstream.
            let StatOutcome::Ok(s) = outcome else {
                out.gauge(&self.device_error, &labels, 1.0);
                out.gauge(&self.readonly, &labels, ro);
                continue;
            };
            if let Some((major, minor)) = &m.major_minor {
                out.gauge(
                    &self.mount_info,
                    &[&m.device, major, minor, mount_point],
                    1.0,
                );
            }
            out.gauge(&self.device_error, &labels, 0.0);
            out.gauge(&self.readonly, &labels, if s.readonly { 1.0 } else { ro });
            out.gauge(&self.size, &labels, s.size_bytes);
            out.gauge(&self.free, &labels, s.free_bytes);
            out.gauge(&self.avail, &labels, s.avail_bytes);
            out.gauge(&self.files, &labels, s.files);
            out.gauge(&self.files_free, &labels, s.files_free);
            // Upstream emits purgeable_bytes whenever it is >= 0; on Linux
            // it is never filled in, so every healthy filesystem has a 0.
            out.gauge(&self.purgeable, &labels, 0.0);
        }
        Ok(())
    }
}

#[cfg(test)]
mod error_text_tests {
    use super::error_text;

    #[test]
    fn statfs_errors_read_as_go_prints_them() {
        let e = std::io::Error::from_raw_os_error(libc::EACCES);
        assert_eq!(error_text(&e), "permission denied");
        let e = std::io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(error_text(&e), "no such file or directory");
        let e = std::io::Error::from_raw_os_error(libc::ENOTCONN);
        assert_eq!(error_text(&e), "transport endpoint is not connected");
    }
}

#[cfg(test)]
mod batch_tests {
    use std::io;
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    use super::{StatOutcome, Statter};
    use crate::sys::FsStats;

    static RELEASE: AtomicBool = AtomicBool::new(false);

    /// Blocks on "/batch/stuck" until RELEASE, sleeps 300 ms on
    /// "/batch/slow", answers at once elsewhere (size = path length).
    fn fake_stat(path: &Path) -> io::Result<FsStats> {
        if path == Path::new("/batch/stuck") {
            while !RELEASE.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        if path == Path::new("/batch/slow") {
            std::thread::sleep(Duration::from_millis(300));
        }
        if path == Path::new("/batch/err") {
            return Err(io::Error::from_raw_os_error(libc::EACCES));
        }
        Ok(FsStats {
            size_bytes: path.as_os_str().len() as f64,
            free_bytes: 0.0,
            avail_bytes: 0.0,
            files: 0.0,
            files_free: 0.0,
            readonly: false,
        })
    }

    fn paths(names: &[&str]) -> Vec<PathBuf> {
        names
            .iter()
            .map(|n| PathBuf::from(format!("/batch/{n}")))
            .collect()
    }

    fn summary(outcomes: &[StatOutcome]) -> Vec<String> {
        outcomes
            .iter()
            .map(|o| match o {
                StatOutcome::Ok(s) => format!("ok {}", s.size_bytes),
                StatOutcome::Err(e) => format!("err {:?}", e.raw_os_error()),
                StatOutcome::Stuck => "stuck".to_string(),
            })
            .collect()
    }

    #[test]
    fn a_stuck_mount_costs_its_timeout_and_the_rest_of_the_batch_goes_on() {
        let timeout = Duration::from_millis(200);
        let statter = Statter::with_stat_fn(timeout, fake_stat);
        let far = || Instant::now() + Duration::from_secs(10);
        let names = ["a", "stuck", "bb", "err", "ccc"];
        let expected = ["ok 8", "stuck", "ok 9", "err Some(13)", "ok 10"];

        let start = Instant::now();
        let out = statter.stat_all(paths(&names), far());
        let took = start.elapsed();
        assert_eq!(summary(&out), expected);
        assert!(took >= timeout && took < timeout * 5, "took {took:?}");

        // Later batches do not wait for it again, and threads do not pile up.
        for _ in 0..20 {
            let start = Instant::now();
            let out = statter.stat_all(paths(&names), far());
            assert!(start.elapsed() < Duration::from_millis(100));
            assert_eq!(summary(&out), expected);
        }
        assert!(statter.threads() <= 2, "threads: {}", statter.threads());

        // Once it answers, it is statted again.
        RELEASE.store(true, Ordering::SeqCst);
        let ok = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            matches!(
                statter.stat_all(paths(&["stuck"]), far()).as_slice(),
                [StatOutcome::Ok(_)]
            )
        });
        assert!(ok, "the mount is monitored again after it answers");
    }

    #[test]
    fn the_deadline_ends_the_batch_and_frees_the_rest() {
        let statter = Statter::with_stat_fn(Duration::from_secs(30), fake_stat);
        let start = Instant::now();
        let out = statter.stat_all(
            paths(&["x", "slow", "y"]),
            Instant::now() + Duration::from_millis(100),
        );
        assert!(start.elapsed() < Duration::from_millis(250));
        assert_eq!(summary(&out), ["ok 8", "stuck", "stuck"]);
        // "y" was never statted, so the next scrape asks it at once; "slow"
        // answers within its timeout then.
        std::thread::sleep(Duration::from_millis(300));
        let out = statter.stat_all(
            paths(&["y", "slow"]),
            Instant::now() + Duration::from_secs(5),
        );
        assert_eq!(summary(&out), ["ok 8", "ok 11"]);
    }
}
