//! node_filesystem_*: statfs of every mount listed in /proc/1/mounts.
//!
//! statfs of a dead NFS server or a stuck FUSE daemon blocks in the kernel
//! and cannot be cancelled. So each statfs runs on a helper thread and the
//! collector waits at most `--collector.filesystem.mount-timeout`. A mount
//! that does not answer in time is reported with
//! `node_filesystem_device_error 1` and is not asked again until its
//! pending statfs returns: at most one thread ever waits on a mount.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
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
    /// Accepted for compatibility: statfs calls run one at a time on helper threads.
    #[arg(
        long = "collector.filesystem.stat-workers",
        value_name = "N",
        default_value_t = 4,
        hide = true
    )]
    pub stat_workers: usize,
}

/// Idle statfs helpers kept between scrapes.
const MAX_IDLE_WORKERS: usize = 4;

type Reply = mpsc::SyncSender<io::Result<FsStats>>;

/// The call that may block: statvfs, or a stand-in in tests.
pub type StatFn = fn(&Path) -> io::Result<FsStats>;

struct Worker {
    jobs: mpsc::Sender<(PathBuf, Reply)>,
}

/// Runs statfs on helper threads with a timeout; see the module docs.
pub struct Statter {
    timeout: Duration,
    stat_fn: StatFn,
    /// Mounts whose statfs is running, with when it started.
    inflight: Arc<Mutex<HashMap<PathBuf, Instant>>>,
    idle: Mutex<Vec<Worker>>,
}

#[derive(Debug)]
pub enum StatOutcome {
    Ok(FsStats),
    Err(io::Error),
    /// No answer within the timeout (now or on an earlier scrape).
    Stuck,
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
        }
    }

    fn spawn(&self) -> io::Result<Worker> {
        let (tx, rx) = mpsc::channel::<(PathBuf, Reply)>();
        let inflight = Arc::clone(&self.inflight);
        let stat_fn = self.stat_fn;
        std::thread::Builder::new()
            .name("statfs".into())
            .spawn(move || {
                for (path, reply) in rx {
                    let result = stat_fn(&path);
                    inflight
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&path);
                    if reply.send(result).is_err() {
                        // The collector gave up on us: this thread was
                        // abandoned and nobody will send it more work.
                        tracing::info!(path = %path.display(), "stuck mount answered again");
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
            {
                let mut inflight = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
                match inflight.get(path) {
                    None => {
                        inflight.insert(path.to_path_buf(), Instant::now());
                        break;
                    }
                    Some(start) if start.elapsed() >= self.timeout => return StatOutcome::Stuck,
                    Some(_) => {}
                }
            }
            if Instant::now() >= deadline {
                return StatOutcome::Stuck;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let worker = match idle.map_or_else(|| self.spawn(), Ok) {
            Ok(w) => w,
            Err(e) => {
                self.inflight
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(path);
                return StatOutcome::Err(e);
            }
        };
        let (reply_tx, reply_rx) = mpsc::sync_channel(1);
        if worker.jobs.send((path.to_path_buf(), reply_tx)).is_err() {
            self.inflight
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(path);
            return StatOutcome::Err(io::Error::other("statfs worker exited"));
        }
        let wait = self
            .timeout
            .min(deadline.saturating_duration_since(Instant::now()));
        match reply_rx.recv_timeout(wait) {
            Ok(result) => {
                let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
                // Keep a few helpers for the next scrapes; a dropped one exits.
                if idle.len() < MAX_IDLE_WORKERS {
                    idle.push(worker);
                }
                drop(idle);
                match result {
                    Ok(s) => StatOutcome::Ok(s),
                    Err(e) => StatOutcome::Err(e),
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                tracing::warn!(
                    mountpoint = %path.display(),
                    "mount point timed out, it is being labeled as stuck and will not be monitored until it answers"
                );
                StatOutcome::Stuck
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                StatOutcome::Err(io::Error::other("statfs worker exited"))
            }
        }
    }

    /// Helper threads alive: idle ones plus one per mount still in statfs.
    pub fn threads(&self) -> usize {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).len()
            + self
                .inflight
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .len()
    }
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
            statter: Statter::new(a.mount_timeout),
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
        let mut seen: Vec<(&str, &str, &str)> = Vec::with_capacity(mounts.len());
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
            let path = self.rootfs.join(mount_point.trim_start_matches('/'));
            let outcome = self.statter.stat(&path, ctx.deadline);
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
