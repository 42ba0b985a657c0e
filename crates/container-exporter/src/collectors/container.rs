//! cAdvisor's `container_*` families, read at scrape time from the cgroup
//! tree, with names, images and labels from the container
//! runtimes (`crate::runtimes`). The families are declared in
//! `families.rs`, one struct per cAdvisor metric group, and written by one
//! function per group in `groups.rs`.

mod families;
mod groups;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use exporter_kit::family::Value;
use exporter_kit::{
    AnyCollector, BuildContext, BuildError, CollectError, Collector, Desc, Emitter, Family,
    ScrapeContext,
};

use crate::args::{Args, MetricSet};
use crate::cgroup::{self, Hierarchy, Stats};
use crate::docker::Meta;
pub use crate::runtimes::{Names, NoNames, Runtimes};
use families::{CommonLabels, Families, LAST_SEEN};
use groups::{Cgroup, SeriesOut};

pub struct Options {
    pub hierarchy: Hierarchy,
    pub procfs: PathBuf,
    pub sysfs: PathBuf,
    /// Where the host's root filesystem is seen (`/`, or `/rootfs` in a
    /// container): mount points are statted under it.
    pub rootfs: PathBuf,
    pub included: MetricSet,
    pub docker_only: bool,
    pub raw_prefixes: Vec<String>,
    pub disable_root: bool,
    /// A read of the cgroups younger than this answers the scrape
    /// (cAdvisor's --housekeeping_interval); zero reads every scrape.
    pub housekeeping_interval: Duration,
}

/// The families of one read of the cgroups, and when it began.
struct Snapshot {
    at: Instant,
    families: Vec<Family>,
}

/// The families for one set of container labels: rebuilt only when a
/// scrape's containers bring a label no earlier one had or drop the last
/// of one, so descriptors (and their written comment lines) are kept
/// across scrapes.
struct Labelled {
    /// Every container label of the scrape, sorted.
    keys: Vec<Arc<str>>,
    labels: CommonLabels,
    families: Families,
}

/// A cgroup a scrape reports, with its container's id and metadata.
struct Reported<'a> {
    name: &'a str,
    id: Option<&'a str>,
    meta: Option<Arc<Meta>>,
}

pub struct ContainerCollector {
    opts: Options,
    names: Box<dyn Names>,
    labelled: Mutex<Option<Arc<Labelled>>>,
    /// The last complete read, while younger than the housekeeping
    /// interval. Held while a read runs, so scrapes that arrive meanwhile
    /// wait for it rather than read again.
    snapshot: Mutex<Option<Snapshot>>,
    scrape_error: Desc,
    devices: Mutex<HashMap<(u64, u64), String>>,
    /// Last OOM count emitted per cgroup, so the counter never goes back
    /// when one of its two sources (kernel counter, Docker events) lags.
    oom_seen: Mutex<HashMap<Box<str>, u64>>,
    /// Per cgroup, the last schedstat of each live process and the sum of
    /// those that exited, so the sched counters never go back when a
    /// process ends (as cAdvisor's pidMetricsCache).
    sched_seen: Mutex<HashMap<Box<str>, groups::SchedSeen>>,
}

impl ContainerCollector {
    pub fn new(opts: Options, names: Box<dyn Names>) -> ContainerCollector {
        ContainerCollector {
            opts,
            names,
            labelled: Mutex::new(None),
            snapshot: Mutex::new(None),
            scrape_error: Desc::gauge(
                "container_scrape_error",
                "1 if there was an error while getting container metrics, 0 otherwise",
                &[],
            ),
            devices: Mutex::new(HashMap::new()),
            oom_seen: Mutex::new(HashMap::new()),
            sched_seen: Mutex::new(HashMap::new()),
        }
    }

    fn wanted(&self, name: &str, is_docker: bool) -> bool {
        if name == "/" {
            return !self.opts.disable_root;
        }
        !self.opts.docker_only
            || is_docker
            || self
                .opts
                .raw_prefixes
                .iter()
                .any(|p| name.starts_with(p.as_str()))
    }

    /// The families whose label names are those of `metas`' labels.
    fn labelled<'a>(&self, metas: impl Iterator<Item = &'a Meta>) -> Arc<Labelled> {
        let mut keys = BTreeSet::new();
        for meta in metas {
            keys.extend(meta.labels.iter().map(|(k, _)| k));
        }
        let mut cache = self.labelled.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(last) = &*cache
            && last.keys.iter().eq(keys.iter().copied())
        {
            return last.clone();
        }
        let keys: Vec<Arc<str>> = keys.into_iter().cloned().collect();
        let labels = CommonLabels::new(&keys);
        let labelled = Arc::new(Labelled {
            families: Families::new(&self.opts.included, &labels),
            labels,
            keys,
        });
        *cache = Some(labelled.clone());
        labelled
    }

    /// Writes one cgroup's families, group by group; returns what could
    /// not be read.
    fn container(
        &self,
        out: &mut Emitter,
        labelled: &Labelled,
        cgroup_name: &str,
        meta: Option<&Meta>,
        container_id: Option<&str>,
        now: f64,
    ) -> Vec<String> {
        let stats: Stats = self.opts.hierarchy.read(cgroup_name, &self.opts.procfs);
        let mut common: Vec<&str> = vec![
            cgroup_name,
            meta.map_or("", |m| &*m.image),
            meta.map_or("", |m| &*m.name),
        ];
        for key in labelled.labels.keys() {
            common.push(meta.map_or("", |m| m.label(key)));
        }
        let out = &mut SeriesOut::new(out, &common);
        let cg = Cgroup {
            name: cgroup_name,
            meta,
            container_id,
            stats: &stats,
        };
        let f = &labelled.families;
        if let (Some(fam), Some(cpu)) = (&f.cpu, &stats.cpu) {
            groups::cpu(out, fam, f.percpu, cpu, &stats.cpu_spec);
        }
        if let Some(fam) = &f.sched
            && stats.cpu.is_some()
        {
            self.sched(out, fam, cgroup_name);
        }
        // Containers only: for `/` and system slices this would read every
        // thread of the host each scrape.
        if let Some(fam) = &f.cpu_load
            && stats.cpu.is_some()
            && container_id.is_some()
        {
            self.cpu_load(out, fam, cgroup_name);
        }
        if let (Some(fam), Some(memory)) = (&f.memory, &stats.memory) {
            groups::memory(out, fam, memory);
        }
        if let Some(fam) = &f.oom_event
            && (stats.memory.is_some() || container_id.is_some())
        {
            self.oom_event(out, fam, &cg);
        }
        if let Some(fam) = &f.network {
            self.network(out, fam, &cg);
        }
        if f.tcp.is_some() || f.udp.is_some() {
            self.sockets(out, f.tcp.as_ref(), f.udp.as_ref(), &cg);
        }
        if let Some(fam) = &f.disk_io {
            self.disk_io(out, fam, &cg);
        }
        if cgroup_name == "/" {
            self.root_filesystems(out, f.disk.as_ref(), f.disk_io.as_ref());
        }
        if let Some(fam) = &f.pressure {
            groups::pressure(out, fam, &stats, f.disk_io.is_some());
        }
        if let Some(fam) = &f.process {
            self.process(out, fam, &cg);
        }
        self.always(out, &f.always, &cg, now);
        stats.errors
    }
}

impl Collector for ContainerCollector {
    fn update(&self, ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        let interval = self.opts.housekeeping_interval;
        if interval.is_zero() {
            self.read(ctx, out, now);
            return Ok(());
        }
        let mut snapshot = self.snapshot.lock().unwrap_or_else(PoisonError::into_inner);
        let fresh = snapshot.as_ref().filter(|s| s.at.elapsed() < interval);
        let families = match fresh {
            Some(s) => s.families.clone(),
            None => {
                let at = Instant::now();
                let mut read = Emitter::new();
                let complete = self.read(ctx, &mut read, now);
                let families = read.into_families();
                // A read cut short by the deadline is served once, never kept.
                *snapshot = complete.then(|| Snapshot {
                    at,
                    families: families.clone(),
                });
                families
            }
        };
        drop(snapshot);
        for mut family in families {
            // cAdvisor's container_last_seen is the time of the scrape,
            // whatever the age of the stats.
            if family.name() == LAST_SEEN {
                for metric in &mut family.metrics {
                    metric.value = Value::Scalar(now);
                }
            }
            out.family(family);
        }
        Ok(())
    }
}

impl ContainerCollector {
    /// Reads every reported cgroup into `out`; false when the scrape's
    /// deadline cut the read short.
    fn read(&self, ctx: &ScrapeContext, out: &mut Emitter, now: f64) -> bool {
        let mut errors = Vec::new();
        // Asked now, answered while the cgroups are read; awaited with a
        // little time left to answer the scrape.
        let margin =
            (ctx.remaining() / 10).clamp(Duration::from_millis(50), Duration::from_millis(250));
        let answer_by = ctx.deadline.checked_sub(margin).unwrap_or(ctx.deadline);
        let runtime = self.names.check(answer_by);
        let names = self.opts.hierarchy.list();
        let cgroups: Vec<Reported<'_>> = names
            .iter()
            .filter_map(|name| {
                let id = cgroup::container_id(name);
                self.wanted(name, id.is_some()).then(|| Reported {
                    name,
                    id,
                    meta: id.and_then(|id| self.names.get(id)),
                })
            })
            .collect();
        // Every series carries the labels of every container, empty where
        // it has none, as cAdvisor writes them.
        let labelled = self.labelled(cgroups.iter().filter_map(|c| c.meta.as_deref()));
        let mut complete = true;
        for c in &cgroups {
            if ctx.remaining().is_zero() {
                errors.push("scrape deadline reached".to_string());
                complete = false;
                break;
            }
            let errs = self.container(out, &labelled, c.name, c.meta.as_deref(), c.id, now);
            errors.extend(errs);
        }
        // Forget the OOM counts and schedstats of cgroups that are gone
        // (`names` is sorted).
        if complete && let Ok(mut seen) = self.oom_seen.lock() {
            seen.retain(|k, _| names.binary_search_by(|n| n.as_str().cmp(k)).is_ok());
        }
        if complete && let Ok(mut seen) = self.sched_seen.lock() {
            seen.retain(|k, _| names.binary_search_by(|n| n.as_str().cmp(k)).is_ok());
        }
        for e in &errors {
            tracing::debug!(error = %e, "reading cgroup");
        }
        // A runtime that stopped answering: names, images and labels are
        // no longer kept current, which cAdvisor's scrape error reports.
        if let Some(check) = runtime
            && let Err(reason) = check.wait(answer_by)
        {
            tracing::warn!(error = %reason, "the container runtime does not answer; keeping the last known names");
            errors.push(reason);
        }
        out.gauge(
            &self.scrape_error,
            &[],
            if errors.is_empty() { 0.0 } else { 1.0 },
        );
        complete
    }
}

pub fn build(args: &Args, ctx: &BuildContext) -> Result<AnyCollector, BuildError> {
    let hierarchy = Hierarchy::detect(&args.cgroup_path).map_err(BuildError::new)?;
    tracing::info!(version = hierarchy.version(), "cgroup hierarchy");
    let policy = args.label_policy();
    let watcher = crate::docker::Watcher::spawn(&args.docker, policy.clone());
    ctx.get_or_insert_with(crate::DockerVersion::default)
        .follow(&watcher);
    let containerd =
        crate::containerd::Containerd::spawn(&args.containerd, &args.containerd_namespace, policy);
    let names: Box<dyn Names> = Box::new(Runtimes {
        docker: watcher,
        containerd,
    });
    let opts = Options {
        hierarchy,
        procfs: args.procfs.clone(),
        sysfs: args.sysfs.clone(),
        rootfs: args.rootfs.clone(),
        included: args.included(),
        docker_only: args.docker_only,
        raw_prefixes: args
            .raw_cgroup_prefix_whitelist
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
        disable_root: args.disable_root_cgroup_stats,
        housekeeping_interval: args.housekeeping_interval,
    };
    Ok(AnyCollector::blocking(ContainerCollector::new(opts, names)))
}
