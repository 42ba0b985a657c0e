//! perf: the kernel's perf event counters per CPU (perf_event_open(2)),
//! as node_exporter's perf collector reads them through hodgesds/perf-utils:
//! hardware events (cycles, instructions, branches), software events (page
//! faults, context switches, CPU migrations), hardware cache events and,
//! with `--collector.perf.tracepoint`, tracepoints. Counters are opened
//! once, when the collector is built, counting every task on each CPU, and
//! read at each scrape; values are the raw counts, not scaled by
//! time_enabled / time_running, as upstream's.
//!
//! Flags that cannot work stop startup (a malformed CPU list or tracepoint,
//! an unknown profiler name, a tracepoint tracefs does not have). A counter
//! the kernel refuses costs its own series only: the others are served and
//! each scrape reports the collector failed, naming what was refused. An
//! event of a default set that this host's PMU does not have (ENOENT,
//! EOPNOTSUPP: a VM without a `cpu` PMU, stalled-cycle events on many Intel
//! CPUs) is
//! left out with a log line at startup, as upstream leaves it out.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sys::{PerfEventAttr, perf_event_open};

#[derive(clap::Args, Debug, Clone)]
pub struct PerfArgs {
    /// List of CPUs from which perf metrics should be collected: numbers,
    /// ranges and strided ranges, comma-separated (`0,2`, `0-3`, `0-8:2`).
    /// Default: every CPU the exporter may run on.
    #[arg(long = "collector.perf.cpus", value_name = "CPUS", default_value = "")]
    pub perf_cpus: String,
    /// perf tracepoint that should be collected, `subsystem:event`.
    /// Repeatable.
    #[arg(long = "collector.perf.tracepoint", value_name = "SUBSYSTEM:EVENT", action = clap::ArgAction::Append)]
    pub perf_tracepoint: Vec<String>,
    /// Disable perf hardware profilers.
    #[arg(long = "collector.perf.disable-hardware-profilers")]
    pub perf_disable_hardware_profilers: bool,
    /// perf hardware profilers that should be collected (CpuCycles,
    /// CpuInstr, ...). Repeatable. Default: all.
    #[arg(long = "collector.perf.hardware-profilers", value_name = "NAME", action = clap::ArgAction::Append)]
    pub perf_hardware_profilers: Vec<String>,
    /// Disable perf software profilers.
    #[arg(long = "collector.perf.disable-software-profilers")]
    pub perf_disable_software_profilers: bool,
    /// perf software profilers that should be collected (PageFault,
    /// ContextSwitch, ...). Repeatable. Default: all.
    #[arg(long = "collector.perf.software-profilers", value_name = "NAME", action = clap::ArgAction::Append)]
    pub perf_software_profilers: Vec<String>,
    /// Disable perf cache profilers.
    #[arg(long = "collector.perf.disable-cache-profilers")]
    pub perf_disable_cache_profilers: bool,
    /// perf cache profilers that should be collected (L1DataReadHit, ...).
    /// Repeatable. Default: all.
    #[arg(long = "collector.perf.cache-profilers", value_name = "NAME", action = clap::ArgAction::Append)]
    pub perf_cache_profilers: Vec<String>,
}

// perf_event_attr.type
const PERF_TYPE_HARDWARE: u32 = 0;
const PERF_TYPE_SOFTWARE: u32 = 1;
const PERF_TYPE_TRACEPOINT: u32 = 2;
const PERF_TYPE_HW_CACHE: u32 = 3;

// perf_event_attr.read_format
const PERF_FORMAT_TOTAL_TIME_ENABLED: u64 = 1;
const PERF_FORMAT_TOTAL_TIME_RUNNING: u64 = 2;
const PERF_FORMAT_GROUP: u64 = 8;

// perf_event_attr bit fields
const ATTR_INHERIT: u64 = 1 << 1;
const ATTR_EXCLUDE_HV: u64 = 1 << 6;

/// One event a profiler flag names: upstream's flag name and family.
#[derive(Debug)]
struct Event {
    flag: &'static str,
    kind: u32,
    config: u64,
    metric: &'static str,
    help: &'static str,
}

const fn hw(flag: &'static str, config: u64, metric: &'static str, help: &'static str) -> Event {
    Event {
        flag,
        kind: PERF_TYPE_HARDWARE,
        config,
        metric,
        help,
    }
}

const fn sw(flag: &'static str, config: u64, metric: &'static str, help: &'static str) -> Event {
    Event {
        flag,
        kind: PERF_TYPE_SOFTWARE,
        config,
        metric,
        help,
    }
}

/// A hardware cache event: cache id | operation << 8 | result << 16
/// (PERF_COUNT_HW_CACHE_{L1D=0,L1I=1,LL=2,DTLB=3,ITLB=4,BPU=5},
/// OP_{READ=0,WRITE=1}, RESULT_{ACCESS=0,MISS=1}).
const fn cache(
    flag: &'static str,
    id: u64,
    op: u64,
    result: u64,
    metric: &'static str,
    help: &'static str,
) -> Event {
    Event {
        flag,
        kind: PERF_TYPE_HW_CACHE,
        config: id | (op << 8) | (result << 16),
        metric,
        help,
    }
}

/// The hardware profilers upstream maps (its flag names) and exports; all
/// of them by default.
#[rustfmt::skip]
const HARDWARE: &[Event] = &[
    hw("CpuCycles", 0, "node_perf_cpucycles_total", "CPU cycles (frequency scaled)."),
    hw("CpuInstr", 1, "node_perf_instructions_total", "CPU instructions retired."),
    hw("CacheRef", 2, "node_perf_cache_refs_total", "Cache references."),
    hw("CacheMisses", 3, "node_perf_cache_misses_total", "Cache misses."),
    hw("BranchInstr", 4, "node_perf_branch_instructions_total", "Branch instructions retired."),
    hw("BranchMisses", 5, "node_perf_branch_misses_total", "Mispredicted branch instructions."),
    hw("StalledCyclesFrontend", 7, "node_perf_stalled_cycles_frontend_total", "Cycles stalled in the frontend."),
    hw("StalledCyclesBackend", 8, "node_perf_stalled_cycles_backend_total", "Cycles stalled in the backend."),
    hw("RefCpuCycles", 9, "node_perf_ref_cpucycles_total", "CPU cycles, not scaled by frequency."),
];

/// The software profilers upstream maps and exports; all by default.
#[rustfmt::skip]
const SOFTWARE: &[Event] = &[
    sw("PageFault", 2, "node_perf_page_faults_total", "Page faults."),
    sw("ContextSwitch", 3, "node_perf_context_switches_total", "Context switches."),
    sw("CpuMigration", 4, "node_perf_cpu_migrations_total", "Tasks migrated to this CPU from another."),
    sw("MinorFault", 5, "node_perf_minor_faults_total", "Minor page faults (no I/O)."),
    sw("MajorFault", 6, "node_perf_major_faults_total", "Major page faults (I/O)."),
];

/// The cache profilers upstream maps and exports, the 16 of its default set.
#[rustfmt::skip]
const CACHE: &[Event] = &[
    cache("L1DataReadHit", 0, 0, 0, "node_perf_cache_l1d_read_hits_total", "L1 data cache read hits."),
    cache("L1DataReadMiss", 0, 0, 1, "node_perf_cache_l1d_read_misses_total", "L1 data cache read misses."),
    cache("L1DataWriteHit", 0, 1, 0, "node_perf_cache_l1d_write_hits_total", "L1 data cache write hits."),
    cache("L1InstrReadMiss", 1, 0, 1, "node_perf_cache_l1_instr_read_misses_total", "L1 instruction cache read misses."),
    cache("LLReadHit", 2, 0, 0, "node_perf_cache_ll_read_hits_total", "Last level cache read hits."),
    cache("LLReadMiss", 2, 0, 1, "node_perf_cache_ll_read_misses_total", "Last level cache read misses."),
    cache("LLWriteHit", 2, 1, 0, "node_perf_cache_ll_write_hits_total", "Last level cache write hits."),
    cache("LLWriteMiss", 2, 1, 1, "node_perf_cache_ll_write_misses_total", "Last level cache write misses."),
    cache("DataTLBReadHit", 3, 0, 0, "node_perf_cache_tlb_data_read_hits_total", "Data TLB read hits."),
    cache("DataTLBReadMiss", 3, 0, 1, "node_perf_cache_tlb_data_read_misses_total", "Data TLB read misses."),
    cache("DataTLBWriteHit", 3, 1, 0, "node_perf_cache_tlb_data_write_hits_total", "Data TLB write hits."),
    cache("DataTLBWriteMiss", 3, 1, 1, "node_perf_cache_tlb_data_write_misses_total", "Data TLB write misses."),
    cache("InstrTLBReadHit", 4, 0, 0, "node_perf_cache_tlb_instr_read_hits_total", "Instruction TLB read hits."),
    cache("InstrTLBReadMiss", 4, 0, 1, "node_perf_cache_tlb_instr_read_misses_total", "Instruction TLB read misses."),
    cache("BPUReadHit", 5, 0, 0, "node_perf_cache_bpu_read_hits_total", "Branch prediction unit read hits."),
    cache("BPUReadMiss", 5, 0, 1, "node_perf_cache_bpu_read_misses_total", "Branch prediction unit read misses."),
];

/// No Linux build has more CPUs than this (`CONFIG_NR_CPUS` is at most
/// 8192); a larger number is a typo, and a range up to it would allocate
/// for nothing.
const MAX_CPU: u32 = 8191;

/// Why a `--collector.perf.cpus` value is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpuListError {
    #[error("parsing {0:?}: not a CPU number")]
    NotANumber(String),
    /// upstream's message for a range that is not `start-end[:stride]`.
    #[error("invalid flag value {0:?}")]
    InvalidRange(String),
    #[error("{0:?}: the stride must be at least 1")]
    ZeroStride(String),
    #[error("{0:?}: the range ends before it starts")]
    Backwards(String),
    #[error("{0}: no CPU has a number above {MAX_CPU}")]
    TooLarge(u32),
}

fn cpu_number(text: &str) -> Result<u32, CpuListError> {
    let n: u32 = text
        .parse()
        .map_err(|_| CpuListError::NotANumber(text.to_string()))?;
    if n > MAX_CPU {
        return Err(CpuListError::TooLarge(n));
    }
    Ok(n)
}

/// upstream's `perfCPUFlagToCPUs`: comma-separated CPU numbers, ranges
/// `start-end` (both included) and strided ranges `start-end:stride`
/// (`1-10:5` is 1, 6). Where upstream loops forever (stride 0), yields
/// nothing (a range that ends before it starts) or ignores a part (a
/// second `:`), this refuses the value. A CPU given twice is counted once.
pub fn parse_cpus(flag: &str) -> Result<Vec<u32>, CpuListError> {
    let mut cpus = Vec::new();
    for subset in flag.split(',') {
        if !subset.contains('-') {
            cpus.push(cpu_number(subset)?);
            continue;
        }
        let (range, stride) = match subset.split_once(':') {
            None => (subset, 1),
            Some((_, stride)) if stride.contains(':') => {
                return Err(CpuListError::InvalidRange(flag.to_string()));
            }
            Some((range, stride)) => (range, cpu_number(stride)?),
        };
        let Some((start, end)) = range.split_once('-').filter(|(_, end)| !end.contains('-')) else {
            return Err(CpuListError::InvalidRange(flag.to_string()));
        };
        let (start, end) = (cpu_number(start)?, cpu_number(end)?);
        if stride == 0 {
            return Err(CpuListError::ZeroStride(subset.to_string()));
        }
        if end < start {
            return Err(CpuListError::Backwards(subset.to_string()));
        }
        cpus.extend((start..=end).step_by(stride as usize));
    }
    let mut seen = std::collections::HashSet::new();
    cpus.retain(|cpu| seen.insert(*cpu));
    Ok(cpus)
}

/// A `--collector.perf.tracepoint` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracepoint {
    pub subsystem: String,
    pub event: String,
}

/// upstream's `perfTracepointFlagToTracepoints`: each value is
/// `subsystem:event`. Both parts must also be names tracefs could have
/// and a metric name can carry (letters, digits, `_`): upstream would
/// read outside tracefs for `..` and expose an invalid name for `-`.
pub fn parse_tracepoints(values: &[String]) -> Result<Vec<Tracepoint>, String> {
    let valid =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let mut tracepoints: Vec<Tracepoint> = Vec::new();
    for value in values {
        let parts: Vec<&str> = value.split(':').collect();
        let [subsystem, event] = parts[..] else {
            return Err(format!("invalid tracepoint config {value}"));
        };
        if !valid(subsystem) || !valid(event) {
            return Err(format!(
                "invalid tracepoint config {value}: subsystem and event are letters, digits and _"
            ));
        }
        let tracepoint = Tracepoint {
            subsystem: subsystem.to_string(),
            event: event.to_string(),
        };
        if !tracepoints.contains(&tracepoint) {
            tracepoints.push(tracepoint);
        }
    }
    Ok(tracepoints)
}

/// The events of one profiler kind that the flags select, each with
/// whether the user named it (a refusal of a named event is a failure; a
/// default one the PMU lacks is left out).
fn select<'a>(
    table: &'a [Event],
    disabled: bool,
    names: &[String],
    flag: &str,
) -> Result<Vec<(&'a Event, bool)>, BuildError> {
    if disabled {
        if !names.is_empty() {
            return Err(BuildError::new(format!(
                "--collector.perf.{flag}-profilers has no effect with --collector.perf.disable-{flag}-profilers"
            )));
        }
        return Ok(Vec::new());
    }
    if names.is_empty() {
        return Ok(table.iter().map(|e| (e, false)).collect());
    }
    let mut events: Vec<(&Event, bool)> = Vec::new();
    for name in names {
        let Some(event) = table.iter().find(|e| e.flag == name) else {
            let known: Vec<&str> = table.iter().map(|e| e.flag).collect();
            return Err(BuildError::new(format!(
                "--collector.perf.{flag}-profilers={name}: unknown {flag} profiler (known: {})",
                known.join(", ")
            )));
        };
        if !events.iter().any(|(e, _)| std::ptr::eq(*e, event)) {
            events.push((event, true));
        }
    }
    Ok(events)
}

/// The CPUs upstream counts on by default: 0 to Go's `runtime.NumCPU()`
/// minus one, NumCPU being how many CPUs the process may run on.
fn default_cpus() -> Result<Vec<u32>, BuildError> {
    let set = rustix::thread::sched_getaffinity(None)
        .map_err(|e| BuildError::new(format!("perf: sched_getaffinity: {e}")))?;
    Ok((0..set.count()).collect())
}

/// The first tracefs mount in our mount table, as perf-utils finds it.
fn tracefs_mount() -> Result<PathBuf, String> {
    let mounts = std::fs::read_to_string("/proc/self/mounts")
        .map_err(|e| format!("/proc/self/mounts: {e}"))?;
    mounts
        .lines()
        .map(|l| l.split(' ').collect::<Vec<_>>())
        .find(|f| f.len() > 3 && f[2] == "tracefs")
        .map(|f| PathBuf::from(unescape_mount_path(f[1])))
        .ok_or_else(|| "tracefs is not mounted".to_string())
}

/// /proc/self/mounts writes space, tab, newline and backslash as `\ooo`.
fn unescape_mount_path(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match octal {
            Some(d) if bytes[i] == b'\\' => {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A tracepoint's event id, from `<tracefs>/events/<subsystem>/<event>/id`.
fn tracepoint_id(tracefs: &std::path::Path, tp: &Tracepoint) -> Result<u64, String> {
    let path = tracefs
        .join("events")
        .join(&tp.subsystem)
        .join(&tp.event)
        .join("id");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.trim()
        .parse()
        .map_err(|_| format!("{}: not an event id: {text:?}", path.display()))
}

/// Room for the exporter's own descriptors (sockets, files a scrape reads)
/// beside the counters.
const FD_HEADROOM: u64 = 256;

/// Every counter is a file descriptor: 30 events on each of 64 CPUs is
/// 1920, beyond the 1024 soft limit services usually start with. Go
/// raises the soft RLIMIT_NOFILE to the hard limit when a program starts,
/// so upstream holds them; this does the same, only when the counters need
/// it.
fn make_room_for(counters: u64) {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let Some(soft) = limit.current else {
        return;
    };
    if counters == 0
        || counters + FD_HEADROOM <= soft
        || limit.maximum.is_some_and(|hard| hard <= soft)
    {
        return;
    }
    let raised = Rlimit {
        current: limit.maximum,
        maximum: limit.maximum,
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => tracing::info!(
            collector = "perf",
            counters,
            from = soft,
            to = ?limit.maximum,
            "raised the open file limit to the hard limit for the perf counters"
        ),
        Err(e) => {
            tracing::warn!(collector = "perf", counters, soft, error = %e, "could not raise the open file limit")
        }
    }
}

/// One event counted on one CPU.
struct Counter {
    metric: usize,
    cpu: String,
    file: File,
}

/// The tracepoints counted on one CPU, as one group read at once.
struct TracepointGroup {
    cpu: String,
    leader: File,
    /// Closing a member's descriptor removes it from the group: kept open,
    /// never read (the leader reads for the group).
    _members: Vec<OwnedFd>,
}

pub struct Perf {
    /// One per selected event; `Counter::metric` indexes it.
    descs: Vec<Desc>,
    counters: Vec<Counter>,
    /// One per tracepoint, in the group's order.
    tracepoint_descs: Vec<Desc>,
    groups: Vec<TracepointGroup>,
    /// What the kernel refused when the counters were opened.
    refused: Vec<String>,
}

fn counter_attr(kind: u32, config: u64) -> PerfEventAttr {
    PerfEventAttr {
        kind,
        config,
        read_format: PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING,
        flags: ATTR_INHERIT | ATTR_EXCLUDE_HV,
        ..PerfEventAttr::default()
    }
}

fn not_supported(err: &io::Error) -> bool {
    matches!(err.raw_os_error(), Some(libc::ENOENT | libc::EOPNOTSUPP))
}

fn cpu_arg(cpu: u32) -> i32 {
    // parse_cpus and default_cpus keep CPU numbers at most MAX_CPU.
    i32::try_from(cpu).unwrap_or(i32::MAX)
}

impl Perf {
    fn open(cpus: &[u32], events: &[(&Event, bool)], tracepoints: &[(Tracepoint, u64)]) -> Perf {
        let mut perf = Perf {
            descs: events
                .iter()
                .map(|(e, _)| Desc::counter(e.metric, e.help, &["cpu"]))
                .collect(),
            counters: Vec::new(),
            tracepoint_descs: tracepoints
                .iter()
                .map(|(tp, _)| {
                    Desc::counter(
                        &format!("node_perf_{}_{}", tp.subsystem, tp.event),
                        &format!("Perf tracepoint {}:{}.", tp.subsystem, tp.event),
                        &["cpu"],
                    )
                })
                .collect(),
            groups: Vec::new(),
            refused: Vec::new(),
        };
        let mut unsupported = Vec::new();
        for (metric, (event, named)) in events.iter().enumerate() {
            for &cpu in cpus {
                match perf_event_open(
                    counter_attr(event.kind, event.config),
                    -1,
                    cpu_arg(cpu),
                    None,
                ) {
                    Ok(fd) => perf.counters.push(Counter {
                        metric,
                        cpu: cpu.to_string(),
                        file: File::from(fd),
                    }),
                    Err(e) if !named && not_supported(&e) => {
                        if unsupported.last() != Some(&event.flag) {
                            unsupported.push(event.flag);
                        }
                    }
                    Err(e) => {
                        tracing::error!(collector = "perf", event = event.flag, cpu, error = %e, "the kernel refused a perf counter");
                        perf.refused
                            .push(format!("{} on cpu {cpu}: {e}", event.flag));
                    }
                }
            }
        }
        if !unsupported.is_empty() {
            tracing::info!(
                collector = "perf",
                events = unsupported.join(","),
                "this host has no such perf events; their series are left out"
            );
        }
        if !tracepoints.is_empty() {
            for &cpu in cpus {
                match open_group(cpu, tracepoints) {
                    Ok(group) => perf.groups.push(group),
                    Err(e) => {
                        tracing::error!(collector = "perf", cpu, error = %e, "the kernel refused the perf tracepoints");
                        perf.refused.push(format!("tracepoints on cpu {cpu}: {e}"));
                    }
                }
            }
        }
        perf
    }
}

/// Opens the tracepoints on `cpu` as one group (upstream's GroupProfiler),
/// so that one read of the leader returns them all.
fn open_group(cpu: u32, tracepoints: &[(Tracepoint, u64)]) -> io::Result<TracepointGroup> {
    let format =
        PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_GROUP;
    let attr = |id: u64| PerfEventAttr {
        kind: PERF_TYPE_TRACEPOINT,
        config: id,
        read_format: format,
        flags: ATTR_EXCLUDE_HV,
        ..PerfEventAttr::default()
    };
    let mut ids = tracepoints.iter().map(|(_, id)| *id);
    let Some(first) = ids.next() else {
        return Err(io::Error::other("no tracepoints"));
    };
    let leader = perf_event_open(attr(first), -1, cpu_arg(cpu), None)?;
    let members = ids
        .map(|id| perf_event_open(attr(id), -1, cpu_arg(cpu), Some(leader.as_fd())))
        .collect::<io::Result<Vec<_>>>()?;
    Ok(TracepointGroup {
        cpu: cpu.to_string(),
        leader: File::from(leader),
        _members: members,
    })
}

/// Reads `buf.len()` bytes of a counter's record.
fn read_record(mut file: &File, buf: &mut [u8]) -> io::Result<()> {
    let n = file.read(buf)?;
    if n != buf.len() {
        return Err(io::Error::other(format!(
            "short read: {n} of {} bytes",
            buf.len()
        )));
    }
    Ok(())
}

fn u64_at(buf: &[u8], index: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&buf[index * 8..index * 8 + 8]);
    u64::from_ne_bytes(word)
}

impl Collector for Perf {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let mut failed = self.refused.clone();
        // value, time_enabled, time_running
        let mut buf = [0u8; 24];
        for c in &self.counters {
            match read_record(&c.file, &mut buf) {
                Ok(()) => out.counter(&self.descs[c.metric], &[&c.cpu], u64_at(&buf, 0) as f64),
                Err(e) => failed.push(format!(
                    "{} on cpu {}: {e}",
                    self.descs[c.metric].name(),
                    c.cpu
                )),
            }
        }
        // nr, time_enabled, time_running, then one value per tracepoint
        let mut group = vec![0u8; 8 * (3 + self.tracepoint_descs.len())];
        for g in &self.groups {
            if let Err(e) = read_record(&g.leader, &mut group) {
                failed.push(format!("tracepoints on cpu {}: {e}", g.cpu));
                continue;
            }
            for (i, desc) in self.tracepoint_descs.iter().enumerate() {
                out.counter(desc, &[&g.cpu], u64_at(&group, 3 + i) as f64);
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(CollectError::backend(format!(
                "perf: {}",
                failed.join("; ")
            )))
        }
    }
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let a = &args.perf;
    let cpus = if a.perf_cpus.is_empty() {
        default_cpus()?
    } else {
        parse_cpus(&a.perf_cpus)
            .map_err(|e| BuildError::new(format!("--collector.perf.cpus={}: {e}", a.perf_cpus)))?
    };
    let tracepoints = parse_tracepoints(&a.perf_tracepoint)
        .map_err(|e| BuildError::new(format!("--collector.perf.tracepoint: {e}")))?;
    let mut events = select(
        HARDWARE,
        a.perf_disable_hardware_profilers,
        &a.perf_hardware_profilers,
        "hardware",
    )?;
    events.extend(select(
        SOFTWARE,
        a.perf_disable_software_profilers,
        &a.perf_software_profilers,
        "software",
    )?);
    events.extend(select(
        CACHE,
        a.perf_disable_cache_profilers,
        &a.perf_cache_profilers,
        "cache",
    )?);
    let tracepoints = if tracepoints.is_empty() {
        Vec::new()
    } else {
        let tracefs = tracefs_mount()
            .map_err(|e| BuildError::new(format!("--collector.perf.tracepoint: {e}")))?;
        tracepoints
            .into_iter()
            .map(|tp| {
                let id = tracepoint_id(&tracefs, &tp).map_err(|e| {
                    BuildError::new(format!(
                        "--collector.perf.tracepoint={}:{}: {e}",
                        tp.subsystem, tp.event
                    ))
                })?;
                Ok((tp, id))
            })
            .collect::<Result<Vec<_>, BuildError>>()?
    };
    make_room_for((cpus.len() * (events.len() + tracepoints.len())) as u64);
    Ok(AnyCollector::blocking(Perf::open(
        &cpus,
        &events,
        &tracepoints,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// upstream's TestPerfCPUFlagToCPUs and TestPerfCollectorStride cases.
    #[test]
    fn cpu_lists_as_upstream_reads_them() {
        for (flag, want) in [
            ("1", vec![1]),
            ("1-5", vec![1, 2, 3, 4, 5]),
            ("1-8:2", vec![1, 3, 5, 7]),
            ("10", vec![10]),
            ("10-12", vec![10, 11, 12]),
            ("10-20:5", vec![10, 15, 20]),
            // upstream's own comment: "1-10:5 should yield 1,5,10"; its
            // loop (i += stride from start) yields 1, 6.
            ("1-10:5", vec![1, 6]),
            ("0,2,4-5", vec![0, 2, 4, 5]),
            ("3-3", vec![3]),
            ("+2", vec![2]),
            ("1,1-2", vec![1, 2]),
        ] {
            assert_eq!(parse_cpus(flag), Ok(want), "{flag}");
        }
    }

    #[test]
    fn cpu_lists_upstream_refuses_or_mishandles_are_refused() {
        for (flag, want) in [
            ("x", CpuListError::NotANumber("x".into())),
            ("1,", CpuListError::NotANumber("".into())),
            ("1-x", CpuListError::NotANumber("x".into())),
            ("1-4:y", CpuListError::NotANumber("y".into())),
            ("-1", CpuListError::NotANumber("".into())),
            ("1:2", CpuListError::NotANumber("1:2".into())),
            ("1-2-3", CpuListError::InvalidRange("1-2-3".into())),
            ("0,1-2-3", CpuListError::InvalidRange("0,1-2-3".into())),
            ("1-4:2:1", CpuListError::InvalidRange("1-4:2:1".into())),
            ("0-8:0", CpuListError::ZeroStride("0-8:0".into())),
            ("5-1", CpuListError::Backwards("5-1".into())),
            ("0-4294967295", CpuListError::TooLarge(4294967295)),
            ("99999", CpuListError::TooLarge(99999)),
        ] {
            assert_eq!(parse_cpus(flag), Err(want), "{flag}");
        }
        assert_eq!(
            parse_cpus("1-2-3").map_err(|e| e.to_string()),
            Err("invalid flag value \"1-2-3\"".to_string())
        );
    }

    /// upstream's TestPerfTracepointFlagToTracepoints cases, and the
    /// values it refuses.
    #[test]
    fn tracepoints_are_subsystem_colon_event() {
        let tp = |s: &str, e: &str| Tracepoint {
            subsystem: s.into(),
            event: e.into(),
        };
        let flags = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_tracepoints(&flags(&["sched:sched_kthread_stop"])),
            Ok(vec![tp("sched", "sched_kthread_stop")])
        );
        assert_eq!(
            parse_tracepoints(&flags(&[
                "sched:sched_kthread_stop",
                "sched:sched_process_fork"
            ])),
            Ok(vec![
                tp("sched", "sched_kthread_stop"),
                tp("sched", "sched_process_fork")
            ])
        );
        assert_eq!(
            parse_tracepoints(&flags(&["sched:sched_switch", "sched:sched_switch"])),
            Ok(vec![tp("sched", "sched_switch")])
        );
        assert_eq!(
            parse_tracepoints(&flags(&["foo"])),
            Err("invalid tracepoint config foo".to_string())
        );
        for bad in [
            "a:b:c",
            "sched:",
            ":event",
            "..:x",
            "xhci-hcd:xhci_dbg",
            "a/b:c",
        ] {
            assert!(parse_tracepoints(&flags(&[bad])).is_err(), "{bad}");
        }
    }

    #[test]
    fn profiler_flags_select_by_upstream_names() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let all = select(SOFTWARE, false, &[], "software").expect("default set");
        assert_eq!(all.len(), 5);
        assert!(all.iter().all(|(_, named)| !named));
        let some = select(
            HARDWARE,
            false,
            &names(&["CpuInstr", "CpuCycles", "CpuInstr"]),
            "hardware",
        )
        .expect("named set");
        let metrics: Vec<&str> = some.iter().map(|(e, _)| e.metric).collect();
        assert_eq!(
            metrics,
            ["node_perf_instructions_total", "node_perf_cpucycles_total"]
        );
        assert!(some.iter().all(|(_, named)| *named));
        assert!(
            select(CACHE, true, &[], "cache")
                .expect("disabled")
                .is_empty()
        );
        let unknown = select(CACHE, false, &names(&["L1InstrReadHit"]), "cache")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            unknown.starts_with(
                "--collector.perf.cache-profilers=L1InstrReadHit: unknown cache profiler"
            ),
            "{unknown}"
        );
        let both = select(HARDWARE, true, &names(&["CpuCycles"]), "hardware")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            both.contains("--collector.perf.disable-hardware-profilers"),
            "{both}"
        );
    }

    #[test]
    fn cache_events_are_encoded_as_the_kernel_reads_them() {
        let config = |flag: &str| CACHE.iter().find(|e| e.flag == flag).map(|e| e.config);
        // PERF_COUNT_HW_CACHE_LL | OP_WRITE << 8 | RESULT_MISS << 16
        assert_eq!(config("LLWriteMiss"), Some(0x10102));
        // ITLB | OP_READ << 8 | RESULT_ACCESS << 16
        assert_eq!(config("InstrTLBReadHit"), Some(0x4));
        assert_eq!(config("L1DataReadHit"), Some(0));
    }

    #[test]
    fn mount_paths_are_unescaped() {
        assert_eq!(unescape_mount_path(r"/tmp/a\040b"), "/tmp/a b");
        assert_eq!(
            unescape_mount_path(r"/sys/kernel/tracing"),
            "/sys/kernel/tracing"
        );
        assert_eq!(unescape_mount_path(r"/x\\y\0"), r"/x\\y\0");
    }
}
