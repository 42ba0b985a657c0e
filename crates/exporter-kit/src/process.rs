//! `process_*` metrics of the exporter itself, read from /proc/self at
//! scrape time with client_golang's names.

use std::sync::OnceLock;

use procfs::process::{LimitValue, Process, Stat};

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
    network_receive: Desc,
    network_transmit: Desc,
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
        network_receive: Desc::counter(
            "process_network_receive_bytes_total",
            "Number of bytes received by the process over the network.",
            &[],
        ),
        network_transmit: Desc::counter(
            "process_network_transmit_bytes_total",
            "Number of bytes sent by the process over the network.",
            &[],
        ),
    })
}

/// The process' start time, which never changes: read once.
fn start_time(stat: &Stat) -> Option<f64> {
    static START: OnceLock<Option<f64>> = OnceLock::new();
    *START.get_or_init(|| {
        let boot = procfs::boot_time_secs().ok()? as f64;
        Some(boot + stat.starttime as f64 / procfs::ticks_per_second() as f64)
    })
}

/// client_golang reports `unlimited` as the largest uint64.
fn limit(value: LimitValue) -> f64 {
    match value {
        LimitValue::Unlimited => u64::MAX as f64,
        LimitValue::Value(v) => v as f64,
    }
}

/// `IpExt: InOctets` and `OutOctets` of the process' network namespace,
/// from /proc/self/net/netstat: what client_golang counts as the
/// process' network bytes. The procfs crate does not read this table.
fn ip_ext_octets(netstat: &str) -> Option<(f64, f64)> {
    let mut lines = netstat.lines().filter(|l| l.starts_with("IpExt:"));
    let names = lines.next()?.split_whitespace();
    let values = lines.next()?.split_whitespace();
    let (mut received, mut sent) = (0.0, 0.0);
    for (name, value) in names.zip(values).skip(1) {
        match name {
            "InOctets" => received = value.parse().ok()?,
            "OutOctets" => sent = value.parse().ok()?,
            _ => {}
        }
    }
    Some((received, sent))
}

/// Writes what can be read; what cannot is left out, as client_golang's
/// process collector does.
pub fn collect(out: &mut Emitter) {
    let d = descs();
    let Ok(me) = Process::myself() else {
        return;
    };
    if let Ok(stat) = me.stat() {
        let ticks = procfs::ticks_per_second() as f64;
        out.counter(&d.cpu, &[], (stat.utime + stat.stime) as f64 / ticks);
        out.gauge(&d.virtual_, &[], stat.vsize as f64);
        out.gauge(
            &d.resident,
            &[],
            stat.rss as f64 * procfs::page_size() as f64,
        );
        if let Some(start) = start_time(&stat) {
            out.gauge(&d.start_time, &[], start);
        }
    }
    // `me` holds /proc/self open, a descriptor client_golang's reader does
    // not have: leave it out so the counts agree.
    if let Ok(fds) = me.fd_count() {
        out.gauge(&d.open_fds, &[], fds.saturating_sub(1) as f64);
    }
    if let Ok(limits) = me.limits() {
        out.gauge(&d.max_fds, &[], limit(limits.max_open_files.soft_limit));
        out.gauge(
            &d.virtual_max,
            &[],
            limit(limits.max_address_space.soft_limit),
        );
    }
    if let Some((received, sent)) =
        crate::procfs::read(std::path::Path::new("/proc/self/net/netstat"))
            .ok()
            .as_deref()
            .and_then(ip_ext_octets)
    {
        out.counter(&d.network_receive, &[], received);
        out.counter(&d.network_transmit, &[], sent);
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
            "process_virtual_memory_max_bytes",
            "process_network_receive_bytes_total",
            "process_network_transmit_bytes_total",
        ] {
            assert!(
                names.iter().any(|n| n == want),
                "{want} missing from {names:?}"
            );
        }
    }

    #[test]
    fn network_bytes_are_ip_ext_octets() {
        let netstat = "TcpExt: SyncookiesSent ListenDrops\nTcpExt: 0 3\n\
            IpExt: InNoRoutes InOctets OutOctets\nIpExt: 1 123456 7890\n";
        assert_eq!(ip_ext_octets(netstat), Some((123456.0, 7890.0)));
        assert_eq!(ip_ext_octets("TcpExt: A\nTcpExt: 1\n"), None);
        assert_eq!(ip_ext_octets("IpExt: InOctets\nIpExt: x\n"), None);
    }

    #[test]
    fn unlimited_is_the_largest_uint64_as_client_golang_says() {
        assert_eq!(limit(LimitValue::Unlimited), u64::MAX as f64);
        assert_eq!(limit(LimitValue::Value(1024)), 1024.0);
    }
}
