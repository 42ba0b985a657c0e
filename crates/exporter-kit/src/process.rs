//! `process_*` metrics of the exporter itself, read from /proc/self at
//! scrape time with client_golang's names.

use std::sync::OnceLock;

use crate::desc::Desc;
use crate::emit::Emitter;

struct Descs {
    cpu: Desc,
    resident: Desc,
    virtual_: Desc,
    virtual_max: Desc,
    open_fds: Desc,
    max_fds: Desc,
    start_time: Desc,
    threads: Desc,
}

fn descs() -> &'static Descs {
    static DESCS: OnceLock<Descs> = OnceLock::new();
    DESCS.get_or_init(|| Descs {
        cpu: Desc::counter(
            "process_cpu_seconds_total",
            "Total user and system CPU time spent in seconds.",
            &[],
        ),
        resident: Desc::gauge(
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
            &[],
        ),
        virtual_: Desc::gauge(
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes.",
            &[],
        ),
        virtual_max: Desc::gauge(
            "process_virtual_memory_max_bytes",
            "Maximum amount of virtual memory available in bytes.",
            &[],
        ),
        open_fds: Desc::gauge("process_open_fds", "Number of open file descriptors.", &[]),
        max_fds: Desc::gauge(
            "process_max_fds",
            "Maximum number of open file descriptors.",
            &[],
        ),
        start_time: Desc::gauge(
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.",
            &[],
        ),
        threads: Desc::gauge(
            "process_threads",
            "Number of OS threads in the process.",
            &[],
        ),
    })
}

/// Clock ticks per second (USER_HZ), what /proc/self/stat counts in.
fn clock_ticks() -> Option<f64> {
    let ticks = rustix::param::clock_ticks_per_second();
    (ticks > 0).then_some(ticks as f64)
}

fn page_size() -> f64 {
    rustix::param::page_size() as f64
}

/// Fields of /proc/self/stat after the command name, numbered as proc(5)
/// does from 3 (`state`).
fn stat_fields(stat: &str) -> Option<Vec<&str>> {
    let after_comm = stat.rfind(')')?;
    Some(stat[after_comm + 1..].split_whitespace().collect())
}

fn boot_time() -> Option<f64> {
    let stat = read("/proc/stat")?;
    stat.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

fn read(path: &str) -> Option<String> {
    crate::procfs::read(std::path::Path::new(path)).ok()
}

/// The process' start time, which never changes: read once.
fn start_time(start_ticks: f64, ticks: f64) -> Option<f64> {
    static START: OnceLock<Option<f64>> = OnceLock::new();
    *START.get_or_init(|| boot_time().map(|btime| btime + start_ticks / ticks))
}

fn soft_limit(limits: &str, prefix: &str) -> Option<f64> {
    let line = limits.lines().find(|l| l.starts_with(prefix))?;
    let value = line[prefix.len()..].split_whitespace().next()?;
    if value == "unlimited" {
        Some(f64::INFINITY)
    } else {
        value.parse().ok()
    }
}

/// Writes what can be read; a field that cannot be read is left out, as
/// client_golang does.
pub fn collect(out: &mut Emitter) {
    let d = descs();
    if let Some(fields) = read("/proc/self/stat").as_deref().and_then(stat_fields) {
        let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<f64>().ok());
        if let (Some(ticks), Some(utime), Some(stime)) = (clock_ticks(), field(14), field(15)) {
            out.counter(&d.cpu, &[], (utime + stime) / ticks);
        }
        if let Some(threads) = field(20) {
            out.gauge(&d.threads, &[], threads);
        }
        if let (Some(ticks), Some(start)) = (clock_ticks(), field(22))
            && let Some(start_time) = start_time(start, ticks)
        {
            out.gauge(&d.start_time, &[], start_time);
        }
        if let Some(vsize) = field(23) {
            out.gauge(&d.virtual_, &[], vsize);
        }
        if let Some(rss) = field(24) {
            out.gauge(&d.resident, &[], rss * page_size());
        }
    }
    if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
        // The directory handle itself is one of the entries; leave it out.
        out.gauge(&d.open_fds, &[], dir.count().saturating_sub(1) as f64);
    }
    if let Some(limits) = read("/proc/self/limits") {
        if let Some(v) = soft_limit(&limits, "Max open files") {
            out.gauge(&d.max_fds, &[], v);
        }
        if let Some(v) = soft_limit(&limits, "Max address space") {
            out.gauge(
                &d.virtual_max,
                &[],
                if v.is_infinite() { u64::MAX as f64 } else { v },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_process() {
        let mut e = Emitter::new();
        collect(&mut e);
        let names: Vec<String> = e
            .into_families()
            .iter()
            .map(|f| f.name().to_string())
            .collect();
        for want in [
            "process_cpu_seconds_total",
            "process_resident_memory_bytes",
            "process_open_fds",
            "process_max_fds",
            "process_start_time_seconds",
            "process_threads",
        ] {
            assert!(
                names.iter().any(|n| n == want),
                "{want} missing from {names:?}"
            );
        }
    }

    #[test]
    fn stat_with_odd_command_name() {
        let fields = stat_fields("42 (a) b (c)) S 1 2 3").unwrap();
        assert_eq!(fields[0], "S");
    }
}
