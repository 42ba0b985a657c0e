//! Pure parsers for the kernel files the exporter reads: text in, typed
//! values out, never a panic. Each is tested on fixtures in this module and
//! on the fixture trees under `tests/fixtures/`.

/// A line of a kernel file that does not have the expected shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: unexpected line {line:?}")]
pub struct ParseError {
    pub what: &'static str,
    pub line: String,
}

fn err(what: &'static str, line: &str) -> ParseError {
    ParseError {
        what,
        line: line.chars().take(120).collect(),
    }
}

/// `key value` lines (cpu.stat, memory.stat, memory.events, cpuacct.stat,
/// memory.oom_control). Lines that are not `word number` are skipped:
/// kernels add fields, and a few carry non-numeric values.
/// The keys borrow from `text`: one allocation per file, none per line
/// (memory.stat has ~70 lines and is read for every cgroup).
pub fn flat_keyed(text: &str) -> FlatKeyed<'_> {
    let mut pairs = Vec::with_capacity(text.len() / 16);
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        if let (Some(key), Some(value), None) = (parts.next(), parts.next(), parts.next())
            && let Ok(value) = value.parse::<u64>()
        {
            pairs.push((key, value));
        }
    }
    FlatKeyed(pairs)
}

/// `key value` pairs in file order; the first of a repeated key wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlatKeyed<'a>(Vec<(&'a str, u64)>);

impl FlatKeyed<'_> {
    pub fn get(&self, key: &str) -> Option<u64> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// The value of `<prefix><key>` (memory.stat's `total_<key>`) without
    /// building the name.
    pub fn get_prefixed(&self, prefix: &str, key: &str) -> Option<u64> {
        self.0
            .iter()
            .find(|(k, _)| k.strip_prefix(prefix) == Some(key))
            .map(|(_, v)| *v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A file holding one number, or `max` for "no limit" (memory.max,
/// pids.max). `Ok(None)` is `max`.
pub fn single_u64(what: &'static str, text: &str) -> Result<Option<u64>, ParseError> {
    let value = text.trim();
    if value == "max" {
        return Ok(None);
    }
    value.parse::<u64>().map(Some).map_err(|_| err(what, value))
}

/// A file holding one signed number (cpu.cfs_quota_us, where -1 means none).
pub fn single_i64(what: &'static str, text: &str) -> Result<i64, ParseError> {
    let value = text.trim();
    value.parse::<i64>().map_err(|_| err(what, value))
}

/// cgroup v2 `cpu.max`: `$QUOTA $PERIOD` with `max` for no quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuMax {
    pub quota_us: Option<u64>,
    pub period_us: u64,
}

pub fn cpu_max(text: &str) -> Result<CpuMax, ParseError> {
    let line = text.trim();
    let mut parts = line.split_whitespace();
    let quota = parts.next().ok_or_else(|| err("cpu.max", line))?;
    let period = parts
        .next()
        .and_then(|p| p.parse::<u64>().ok())
        .ok_or_else(|| err("cpu.max", line))?;
    let quota_us = if quota == "max" {
        None
    } else {
        Some(quota.parse::<u64>().map_err(|_| err("cpu.max", line))?)
    };
    Ok(CpuMax {
        quota_us,
        period_us: period,
    })
}

/// Per-device block I/O of one cgroup, in cAdvisor's terms: bytes and
/// operations by direction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceIo {
    pub major: u64,
    pub minor: u64,
    /// (operation, bytes): `Read`, `Write`, and on v1 also `Sync`,
    /// `Async`, `Discard`, `Total`, as the kernel lists them.
    pub bytes: Vec<(String, u64)>,
    /// (operation, count), same operations.
    pub ops: Vec<(String, u64)>,
    /// v2 iocost (`cost.usage`, `cost.wait`, `cost.indebt`,
    /// `cost.indelay`), microseconds; present when the iocost controller
    /// is on.
    pub cost_usage_us: Option<u64>,
    pub cost_wait_us: Option<u64>,
    pub cost_indebt_us: Option<u64>,
    pub cost_indelay_us: Option<u64>,
}

impl DeviceIo {
    pub fn bytes(&self, op: &str) -> Option<u64> {
        self.bytes.iter().find(|(o, _)| o == op).map(|(_, v)| *v)
    }
    pub fn ops(&self, op: &str) -> Option<u64> {
        self.ops.iter().find(|(o, _)| o == op).map(|(_, v)| *v)
    }
}

fn major_minor(what: &'static str, field: &str, line: &str) -> Result<(u64, u64), ParseError> {
    let (major, minor) = field.split_once(':').ok_or_else(|| err(what, line))?;
    let major = major.parse().map_err(|_| err(what, line))?;
    let minor = minor.parse().map_err(|_| err(what, line))?;
    Ok((major, minor))
}

/// cgroup v2 `io.stat`: `8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0`.
pub fn io_stat(text: &str) -> Result<Vec<DeviceIo>, ParseError> {
    let mut devices = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut parts = line.split_whitespace();
        let Some(dev) = parts.next() else { continue };
        let (major, minor) = major_minor("io.stat", dev, line)?;
        let mut io = DeviceIo {
            major,
            minor,
            ..DeviceIo::default()
        };
        for kv in parts {
            let Some((key, value)) = kv.split_once('=') else {
                return Err(err("io.stat", line));
            };
            let Ok(value) = value.parse::<u64>() else {
                continue; // cost.vrate and friends are fractional; not used
            };
            match key {
                "cost.usage" => io.cost_usage_us = Some(value),
                "cost.wait" => io.cost_wait_us = Some(value),
                "cost.indebt" => io.cost_indebt_us = Some(value),
                "cost.indelay" => io.cost_indelay_us = Some(value),
                "rbytes" => io.bytes.push(("Read".into(), value)),
                "wbytes" => io.bytes.push(("Write".into(), value)),
                "dbytes" => io.bytes.push(("Discard".into(), value)),
                "rios" => io.ops.push(("Read".into(), value)),
                "wios" => io.ops.push(("Write".into(), value)),
                "dios" => io.ops.push(("Discard".into(), value)),
                _ => {}
            }
        }
        devices.push(io);
    }
    Ok(devices)
}

/// cgroup v1 `blkio.*io_service_bytes*` / `blkio.*io_serviced*`:
/// `8:0 Read 4096` lines and a final `Total N`. Returns
/// (major, minor, operation, value).
pub fn blkio(text: &str) -> Result<Vec<(u64, u64, String, u64)>, ParseError> {
    let mut out = Vec::new();
    for line in text.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            [] | ["Total", _] => {}
            [dev, op, value] => {
                let (major, minor) = major_minor("blkio", dev, line)?;
                let value = value.parse().map_err(|_| err("blkio", line))?;
                out.push((major, minor, (*op).to_string(), value));
            }
            _ => return Err(err("blkio", line)),
        }
    }
    Ok(out)
}

/// Merges v1 blkio bytes and serviced lists into per-device records.
pub fn blkio_devices(
    bytes: &[(u64, u64, String, u64)],
    ops: &[(u64, u64, String, u64)],
) -> Vec<DeviceIo> {
    let mut devices: Vec<DeviceIo> = Vec::new();
    let mut entry = |major: u64, minor: u64| -> usize {
        if let Some(i) = devices
            .iter()
            .position(|d| d.major == major && d.minor == minor)
        {
            i
        } else {
            devices.push(DeviceIo {
                major,
                minor,
                ..DeviceIo::default()
            });
            devices.len() - 1
        }
    };
    let mut idx = Vec::new();
    for (major, minor, op, value) in bytes {
        idx.push((entry(*major, *minor), true, op.clone(), *value));
    }
    for (major, minor, op, value) in ops {
        idx.push((entry(*major, *minor), false, op.clone(), *value));
    }
    for (i, is_bytes, op, value) in idx {
        if is_bytes {
            devices[i].bytes.push((op, value));
        } else {
            devices[i].ops.push((op, value));
        }
    }
    devices
}

/// `cpuacct.usage_percpu`: nanoseconds per CPU on one line.
pub fn percpu(text: &str) -> Result<Vec<u64>, ParseError> {
    text.split_whitespace()
        .map(|v| v.parse::<u64>().map_err(|_| err("cpuacct.usage_percpu", v)))
        .collect()
}

/// One interface of `/proc/<pid>/net/dev`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetDev {
    pub name: String,
    pub rx_bytes: u64,
    pub rx_packets: u64,
    pub rx_errors: u64,
    pub rx_dropped: u64,
    pub tx_bytes: u64,
    pub tx_packets: u64,
    pub tx_errors: u64,
    pub tx_dropped: u64,
}

pub fn net_dev(text: &str) -> Result<Vec<NetDev>, ParseError> {
    let mut out = Vec::new();
    for line in text.lines().skip(2) {
        let Some((name, rest)) = line.split_once(':') else {
            if line.trim().is_empty() {
                continue;
            }
            return Err(err("net/dev", line));
        };
        let values: Vec<u64> = rest
            .split_whitespace()
            .map(|v| v.parse::<u64>().map_err(|_| err("net/dev", line)))
            .collect::<Result<_, _>>()?;
        if values.len() < 16 {
            return Err(err("net/dev", line));
        }
        out.push(NetDev {
            name: name.trim().to_string(),
            rx_bytes: values[0],
            rx_packets: values[1],
            rx_errors: values[2],
            rx_dropped: values[3],
            tx_bytes: values[8],
            tx_packets: values[9],
            tx_errors: values[10],
            tx_dropped: values[11],
        });
    }
    Ok(out)
}

/// `/proc/<pid>/schedstat`: time run and waited on a runqueue (ns), and
/// times run; `None` unless exactly those three numbers.
pub fn schedstat(text: &str) -> Option<[u64; 3]> {
    let fields: Vec<u64> = text
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    fields.try_into().ok()
}

/// cAdvisor's `tcp_state` labels, in the order of the kernel's state
/// numbers 1 (`01`, ESTABLISHED) to 11 (`0B`, CLOSING).
pub const TCP_STATES: [&str; 11] = [
    "established",
    "synsent",
    "synrecv",
    "finwait1",
    "finwait2",
    "timewait",
    "close",
    "closewait",
    "lastack",
    "listen",
    "closing",
];

/// Sockets of `/proc/<pid>/net/tcp` or `tcp6` by state, indexed as
/// [`TCP_STATES`]. A state outside 01..0B fails the whole file, as in
/// cAdvisor.
pub fn tcp_states(text: &str) -> Result<[u64; 11], ParseError> {
    let mut counts = [0u64; 11];
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let state = line
            .split_whitespace()
            .nth(3)
            .filter(|s| s.len() == 2)
            .and_then(|s| u8::from_str_radix(s, 16).ok())
            .filter(|s| (1..=11).contains(s))
            .ok_or_else(|| err("net/tcp", line))?;
        counts[usize::from(state - 1)] += 1;
    }
    Ok(counts)
}

/// cAdvisor's `udp_state` values of `/proc/<pid>/net/udp` or `udp6`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Udp {
    /// Every socket line, bound or not (cAdvisor's "listen").
    pub listen: u64,
    pub dropped: u64,
    /// cAdvisor scans the `tx_queue:rx_queue` column into (rx, tx): its
    /// `rxqueued` is the transmit queue and `txqueued` the receive queue.
    /// Kept so, for the same values.
    pub rx_queued: u64,
    pub tx_queued: u64,
}

/// As cAdvisor's scan: every line after the header counts as listening;
/// lines without the 13 columns, or with an unreadable queue or drops
/// column, add nothing else.
pub fn udp(text: &str) -> Udp {
    let mut u = Udp::default();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        u.listen += 1;
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() != 13 {
            continue;
        }
        let Some((first, second)) = fields[4].split_once(':') else {
            continue;
        };
        let (Ok(first), Ok(second)) = (
            u64::from_str_radix(first, 16),
            u64::from_str_radix(second, 16),
        ) else {
            continue;
        };
        u.rx_queued += first;
        u.tx_queued += second;
        if let Ok(drops) = fields[12].parse::<u64>() {
            u.dropped += drops;
        }
    }
    u
}

/// cAdvisor leaves out loopback and the host ends of container links.
pub fn ignored_interface(name: &str) -> bool {
    ["lo", "veth", "docker", "nerdctl"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// The soft limit of `Max open files` in `/proc/<pid>/limits`, -1 for
/// `unlimited`, as cAdvisor's only `container_ulimits_soft` series; `None`
/// when the line is missing or not its three fields.
pub fn max_open_files_soft(limits: &str) -> Option<i64> {
    let rest = limits
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let [soft, _hard, _units] = fields.as_slice() else {
        return None;
    };
    if soft.eq_ignore_ascii_case("unlimited") {
        return Some(-1);
    }
    soft.parse().ok()
}

/// Pressure stall information (`cpu.pressure`, ...): the `total=`
/// microseconds of the `some` and `full` lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pressure {
    pub some_total_us: u64,
    pub full_total_us: Option<u64>,
}

pub fn pressure(text: &str) -> Result<Pressure, ParseError> {
    let mut p = Pressure::default();
    let mut seen_some = false;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut parts = line.split_whitespace();
        let kind = parts.next().unwrap_or_default();
        let total = parts
            .find_map(|kv| kv.strip_prefix("total="))
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| err("pressure", line))?;
        match kind {
            "some" => {
                p.some_total_us = total;
                seen_some = true;
            }
            "full" => p.full_total_us = Some(total),
            _ => return Err(err("pressure", line)),
        }
    }
    if !seen_some {
        return Err(err("pressure", text));
    }
    Ok(p)
}

/// `/proc/meminfo` values the machine families need, in bytes.
pub fn meminfo(text: &str) -> (Option<u64>, Option<u64>) {
    let mut total = None;
    let mut swap = None;
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        let (Some(key), Some(value)) = (parts.next(), parts.next()) else {
            continue;
        };
        let Ok(kb) = value.parse::<u64>() else {
            continue;
        };
        match key {
            "MemTotal:" => total = Some(kb * 1024),
            "SwapTotal:" => swap = Some(kb * 1024),
            _ => {}
        }
    }
    (total, swap)
}

/// Swap in use, bytes: `SwapTotal - SwapFree` of `/proc/meminfo`.
pub fn meminfo_swap_used(text: &str) -> Option<u64> {
    let kb = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some(kb("SwapTotal:")?.saturating_sub(kb("SwapFree:")?) * 1024)
}

/// CPU topology from `/proc/cpuinfo`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Topology {
    pub logical: u64,
    pub physical: u64,
    pub sockets: u64,
}

pub fn cpuinfo(text: &str) -> Topology {
    use std::collections::HashSet;
    let mut logical = 0;
    let mut cores: HashSet<(String, String)> = HashSet::new();
    let mut sockets: HashSet<String> = HashSet::new();
    let mut physical_id = String::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        match key {
            "processor" => {
                logical += 1;
                physical_id.clear();
            }
            "physical id" => {
                physical_id = value.to_string();
                sockets.insert(value.to_string());
            }
            "core id" => {
                cores.insert((physical_id.clone(), value.to_string()));
            }
            _ => {}
        }
    }
    Topology {
        logical,
        physical: if cores.is_empty() {
            logical
        } else {
            cores.len() as u64
        },
        sockets: sockets.len().max(1) as u64,
    }
}

/// Device name (`sda`) from `/sys/dev/block/M:m/uevent`.
pub fn uevent_devname(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix("DEVNAME="))
        .map(str::to_string)
}

/// One line of `/proc/diskstats` (fields as in the kernel's iostats.rst).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiskStat {
    pub major: u64,
    pub minor: u64,
    pub name: String,
    pub reads: u64,
    pub reads_merged: u64,
    pub sectors_read: u64,
    pub read_ms: u64,
    pub writes: u64,
    pub writes_merged: u64,
    pub sectors_written: u64,
    pub write_ms: u64,
    pub io_in_progress: u64,
    pub io_ms: u64,
    pub weighted_io_ms: u64,
}

pub fn diskstats(text: &str) -> Result<Vec<DiskStat>, ParseError> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 14 {
            return Err(err("diskstats", line));
        }
        let n = |i: usize| f[i].parse::<u64>().map_err(|_| err("diskstats", line));
        out.push(DiskStat {
            major: n(0)?,
            minor: n(1)?,
            name: f[2].to_string(),
            reads: n(3)?,
            reads_merged: n(4)?,
            sectors_read: n(5)?,
            read_ms: n(6)?,
            writes: n(7)?,
            writes_merged: n(8)?,
            sectors_written: n(9)?,
            write_ms: n(10)?,
            io_in_progress: n(11)?,
            io_ms: n(12)?,
            weighted_io_ms: n(13)?,
        });
    }
    Ok(out)
}

/// Block-device filesystems of a `mounts` file: (device, mount point),
/// one per device (the first mount point), as cAdvisor lists them.
pub fn block_mounts(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let mut f = line.split_whitespace();
        let (Some(dev), Some(mp)) = (f.next(), f.next()) else {
            continue;
        };
        if !dev.starts_with("/dev/") || out.iter().any(|(d, _)| d == dev) {
            continue;
        }
        // Octal escapes (\040 for a space) in mount points.
        let mp = mp.replace("\\040", " ").replace("\\011", "\t");
        out.push((dev.to_string(), mp));
    }
    out
}

/// Threads by scheduler state, as cAdvisor's `container_tasks_state`
/// counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskStates {
    pub sleeping: u64,
    pub running: u64,
    pub stopped: u64,
    pub uninterruptible: u64,
}

impl TaskStates {
    /// Counts one thread by the state letter of its `/proc/<tid>/stat`
    /// (the field after the command name, which may hold spaces and
    /// parentheses, hence the last `)`). Idle kernel threads (`I`),
    /// zombies and dead tasks are not counted, as in the kernel's
    /// cgroupstats.
    pub fn add_stat(&mut self, stat: &str) {
        let state = stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next());
        match state {
            Some("R") => self.running += 1,
            Some("S") => self.sleeping += 1,
            Some("D") => self.uninterruptible += 1,
            Some("T" | "t") => self.stopped += 1,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn swap_in_use_from_meminfo() {
        let text = "MemTotal:  100 kB\nSwapTotal:  2048 kB\nSwapFree:  512 kB\n";
        assert_eq!(super::meminfo_swap_used(text), Some(1536 * 1024));
        assert_eq!(super::meminfo_swap_used("SwapTotal: 1 kB\n"), None);
    }

    #[test]
    fn schedstat_three_numbers() {
        assert_eq!(
            super::schedstat("1500000000 250000000 42\n"),
            Some([1_500_000_000, 250_000_000, 42])
        );
        assert_eq!(super::schedstat("1 2\n"), None);
        assert_eq!(super::schedstat("1 2 3 4\n"), None);
        assert_eq!(super::schedstat("1 x 3\n"), None);
    }

    #[test]
    fn tcp_sockets_by_state() {
        let text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
           0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n\
           1: 0100007F:1F90 0100007F:A000 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0 20 4 30 10 -1\n\
           2: 0100007F:A000 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 20 4 30 10 -1\n\
           3: 0100007F:A002 0100007F:1F90 06 00000000:00000000 03:00000F9E 00000000     0        0 0 3 0\n";
        let counts = super::tcp_states(text).expect("parses");
        // established 2, timewait 1, listen 1.
        assert_eq!(counts, [2, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0]);
        assert_eq!(super::TCP_STATES[9], "listen");
        assert_eq!(super::tcp_states("header only\n"), Ok([0; 11]));
        assert!(super::tcp_states("h\n 0: a b 0C c\n").is_err());
        assert!(super::tcp_states("h\n 0: a b\n").is_err());
    }

    #[test]
    fn udp_sockets_as_cadvisor_counts_them() {
        let text = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
            1: 00000000:0044 00000000:0000 07 00000010:00000200 00:00000000 00000000     0        0 100 2 0000000000000000 3\n\
            2: 0100007F:0035 00000000:0000 07 00000001:00000000 00:00000000 00000000     0        0 101 2 0000000000000000 4\n\
            3: short line\n";
        let u = super::udp(text);
        assert_eq!(
            u,
            super::Udp {
                listen: 3,
                dropped: 7,
                // 0x10 + 0x1 from the first half of tx_queue:rx_queue.
                rx_queued: 17,
                tx_queued: 512,
            }
        );
        assert_eq!(super::udp(""), super::Udp::default());
    }

    #[test]
    fn max_open_files_soft_limit() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max cpu time              unlimited            unlimited            seconds   \n\
                      Max open files            1024                 524288               files     \n";
        assert_eq!(super::max_open_files_soft(limits), Some(1024));
        let unlimited =
            "Max open files            unlimited            unlimited            files\n";
        assert_eq!(super::max_open_files_soft(unlimited), Some(-1));
        assert_eq!(super::max_open_files_soft("Max open files  1024\n"), None);
        assert_eq!(
            super::max_open_files_soft("Max open files x 1 files\n"),
            None
        );
        assert_eq!(super::max_open_files_soft(""), None);
    }

    use super::*;

    #[test]
    fn flat_keyed_reads_numbers_and_skips_the_rest() {
        let m = flat_keyed("usage_usec 100\nuser_usec 60\nweird line here\nbad x\n");
        assert_eq!(m.get("usage_usec"), Some(100));
        assert_eq!(m.get("user_usec"), Some(60));
        assert_eq!(m.len(), 2);
        let stat = flat_keyed("cache 1\ntotal_cache 5\ntotal_rss 7\n");
        assert_eq!(stat.get_prefixed("total_", "cache"), Some(5));
        assert_eq!(stat.get_prefixed("total_", "rss"), Some(7));
        assert_eq!(stat.get_prefixed("total_", "swap"), None);
        assert!(stat.contains_key("cache") && !stat.contains_key("rss"));
    }

    #[test]
    fn task_states_from_proc_stat() {
        let mut t = TaskStates::default();
        t.add_stat("4242 (sleep) S 4241 4242 4242 0 -1 4194560 104 0 0 0");
        t.add_stat("4243 (a) b) c) R 1 4243");
        t.add_stat("4244 (dd) D 1");
        t.add_stat("4245 (x) T 1");
        t.add_stat("4246 (kworker) I 2");
        t.add_stat("4247 (gone) Z 1");
        t.add_stat("garbage");
        assert_eq!(
            t,
            TaskStates {
                sleeping: 1,
                running: 1,
                stopped: 1,
                uninterruptible: 1
            }
        );
    }

    #[test]
    fn single_values_and_max() {
        assert_eq!(single_u64("memory.max", "max\n"), Ok(None));
        assert_eq!(single_u64("memory.max", "1048576\n"), Ok(Some(1048576)));
        assert!(single_u64("memory.max", "garbage").is_err());
        assert_eq!(single_i64("cfs_quota", "-1\n"), Ok(-1));
    }

    #[test]
    fn cpu_max_with_and_without_quota() {
        assert_eq!(
            cpu_max("max 100000\n"),
            Ok(CpuMax {
                quota_us: None,
                period_us: 100000
            })
        );
        assert_eq!(
            cpu_max("50000 100000\n"),
            Ok(CpuMax {
                quota_us: Some(50000),
                period_us: 100000
            })
        );
        assert!(cpu_max("").is_err());
        assert!(cpu_max("x y").is_err());
    }

    #[test]
    fn io_stat_maps_to_read_write() {
        let d = io_stat("8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n253:1 rbytes=1 wbytes=0 rios=1 wios=0\n").unwrap_or_default();
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].major, d[0].minor), (8, 0));
        assert_eq!(d[0].bytes("Read"), Some(4096));
        assert_eq!(d[0].bytes("Write"), Some(8192));
        assert_eq!(d[0].ops("Write"), Some(2));
        assert!(io_stat("nonsense").is_err());
    }

    #[test]
    fn blkio_v1_lines() {
        let b = blkio("8:0 Read 4096\n8:0 Write 0\n8:0 Sync 4096\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 4096\nTotal 4096\n").unwrap_or_default();
        assert_eq!(b.len(), 6);
        let o = blkio("8:0 Read 1\n8:0 Write 3\nTotal 4\n").unwrap_or_default();
        let devices = blkio_devices(&b, &o);
        assert_eq!(devices.len(), 1);
        assert_eq!(devices[0].bytes("Read"), Some(4096));
        assert_eq!(devices[0].ops("Write"), Some(3));
        assert!(blkio("8:0 Read").is_err());
        assert_eq!(blkio("Total 0\n"), Ok(vec![]));
    }

    #[test]
    fn net_dev_columns() {
        let text = "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    lo:       10       1    0    0    0     0          0         0       10       1    0    0    0     0       0          0\n  eth0: 1000 20 1 2 0 0 0 0 2000 30 3 4 0 0 0 0\n";
        let d = net_dev(text).unwrap_or_default();
        assert_eq!(d.len(), 2);
        assert_eq!(d[1].name, "eth0");
        assert_eq!(d[1].rx_bytes, 1000);
        assert_eq!(d[1].rx_dropped, 2);
        assert_eq!(d[1].tx_packets, 30);
        assert_eq!(d[1].tx_dropped, 4);
        assert!(ignored_interface("lo"));
        assert!(ignored_interface("veth12ab"));
        assert!(!ignored_interface("eth0"));
        assert!(net_dev("h\nh\neth0: 1 2\n").is_err());
    }

    #[test]
    fn pressure_some_and_full() {
        let p = pressure("some avg10=0.00 avg60=0.00 avg300=0.00 total=1234\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=56\n").unwrap_or_default();
        assert_eq!(p.some_total_us, 1234);
        assert_eq!(p.full_total_us, Some(56));
        assert!(pressure("").is_err());
    }

    #[test]
    fn diskstats_and_mounts() {
        let d = diskstats("   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n 254 0 vda 100 5 2000 30 50 6 800 40 1 60 70 0 0 0 0 0 0\n").unwrap_or_default();
        assert_eq!(d.len(), 2);
        assert_eq!(d[1].name, "vda");
        assert_eq!(
            (d[1].reads, d[1].sectors_read, d[1].read_ms),
            (100, 2000, 30)
        );
        assert_eq!(
            (d[1].writes, d[1].io_in_progress, d[1].weighted_io_ms),
            (50, 1, 70)
        );
        assert!(diskstats("8 0 sda 1 2").is_err());
        let m = block_mounts(
            "/dev/vda / ext4 rw 0 0\nproc /proc proc rw 0 0\n/dev/vda /tmp/x ext4 rw 0 0\n/dev/sdb1 /mnt/a\\040b xfs rw 0 0\n",
        );
        assert_eq!(
            m,
            vec![
                ("/dev/vda".to_string(), "/".to_string()),
                ("/dev/sdb1".to_string(), "/mnt/a b".to_string())
            ]
        );
    }

    #[test]
    fn machine_files() {
        assert_eq!(
            meminfo("MemTotal:       2048 kB\nMemFree: 1 kB\nSwapTotal:  1024 kB\n"),
            (Some(2048 * 1024), Some(1024 * 1024))
        );
        let t = cpuinfo(
            "processor\t: 0\nphysical id\t: 0\ncore id\t: 0\n\nprocessor\t: 1\nphysical id\t: 0\ncore id\t: 0\n\nprocessor\t: 2\nphysical id\t: 0\ncore id\t: 1\n",
        );
        assert_eq!(
            t,
            Topology {
                logical: 3,
                physical: 2,
                sockets: 1
            }
        );
        assert_eq!(
            uevent_devname("MAJOR=8\nMINOR=0\nDEVNAME=sda\nDEVTYPE=disk\n"),
            Some("sda".into())
        );
    }
}
