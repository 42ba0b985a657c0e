//! End to end: the perf collector on this host's kernel, through the
//! binary. Software events count for real (the test makes the work that
//! moves them); hardware and cache events follow the host's PMU (a VM
//! without a `cpu` PMU has none: they are left out, or refused when named);
//! a counter the kernel refuses (an unprivileged exporter, a CPU that does
//! not exist) costs only its own series; tracepoints count inside a tracefs
//! the test mounts in a mount namespace of its own; and every flag that
//! cannot work stops startup naming itself.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use testkit::exposition::{Families, parse};
use testkit::{FlagWalk, Process, free_port, require, sample_value};

const BIN: &str = env!("CARGO_BIN_EXE_node-exporter");

const SOFTWARE: &[&str] = &[
    "node_perf_page_faults_total",
    "node_perf_context_switches_total",
    "node_perf_cpu_migrations_total",
    "node_perf_minor_faults_total",
    "node_perf_major_faults_total",
];

const HARDWARE: &[&str] = &[
    "node_perf_cpucycles_total",
    "node_perf_instructions_total",
    "node_perf_cache_refs_total",
    "node_perf_cache_misses_total",
    "node_perf_branch_instructions_total",
    "node_perf_branch_misses_total",
    "node_perf_stalled_cycles_frontend_total",
    "node_perf_stalled_cycles_backend_total",
    "node_perf_ref_cpucycles_total",
];

/// The flags that leave the software events only.
const ONLY_SOFTWARE: &[&str] = &[
    "--collector.perf.disable-hardware-profilers",
    "--collector.perf.disable-cache-profilers",
];

/// A node-exporter with perf and loadavg only (loadavg stands for "the
/// rest of the scrape"), started through `wrapper` (a command that ends by
/// exec'ing the exporter, given as its last arguments).
struct Node {
    process: Process,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Node {
    fn start(extra: &[&str]) -> Node {
        Node::start_with(&[], extra)
    }

    fn start_with(wrapper: &[&str], extra: &[&str]) -> Node {
        Node::run(wrapper, BIN, extra)
    }

    /// `binary` (ours or upstream's) through `wrapper`.
    fn run(wrapper: &[&str], binary: &str, extra: &[&str]) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut cmd = match wrapper.split_first() {
            Some((program, args)) => {
                let mut cmd = Command::new(program);
                cmd.args(args).arg(binary);
                cmd
            }
            None => Command::new(binary),
        };
        cmd.arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .args([
                "--collector.disable-defaults",
                "--collector.loadavg",
                "--collector.perf",
            ])
            .args(extra);
        let mut process = Process::spawn("node-exporter-perf", cmd, &dir.path().join("log"));
        process.wait_ready(Duration::from_secs(20), || {
            testkit::http()
                .get(format!("http://127.0.0.1:{port}/-/healthy"))
                .send()
                .is_ok()
        });
        Node {
            process,
            port,
            _dir: dir,
        }
    }

    fn scrape(&self) -> String {
        testkit::http()
            .get(format!("http://127.0.0.1:{}/metrics", self.port))
            .send()
            .and_then(|r| r.text())
            .expect("scrape")
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.process.stop(Duration::from_secs(5));
    }
}

fn families(text: &str) -> Families {
    parse(text).unwrap_or_else(|e| panic!("exposition: {e}\n{text}"))
}

fn perf_families(text: &str) -> BTreeSet<String> {
    families(text)
        .into_keys()
        .filter(|n| n.starts_with("node_perf_"))
        .collect()
}

fn perf_success(text: &str) -> f64 {
    sample_value(text, r#"node_scrape_collector_success{collector="perf"}"#)
        .unwrap_or_else(|| panic!("no success series for perf:\n{text}"))
}

/// The `cpu` label values of `family`'s series.
fn cpus_of(text: &str, family: &str) -> BTreeSet<String> {
    let prefix = format!("{family}{{cpu=\"");
    text.lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter_map(|rest| rest.split_once('"').map(|(cpu, _)| cpu.to_string()))
        .collect()
}

/// The sum of `family`'s series over every CPU.
fn total(text: &str, family: &str) -> f64 {
    let prefix = format!("{family}{{");
    text.lines()
        .filter(|l| l.starts_with(&prefix))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum()
}

/// 0 to the number of CPUs this process may run on, minus one, as the
/// collector's default (Go's runtime.NumCPU).
fn all_cpus() -> BTreeSet<String> {
    let n = rustix::thread::sched_getaffinity(None)
        .expect("sched_getaffinity")
        .count();
    (0..n).map(|c| c.to_string()).collect()
}

/// Starts and waits for `n` short-lived processes: n forks and execs, and
/// as many context switches of this process waiting for them at least.
fn spawn_processes(n: usize) {
    for _ in 0..n {
        let status = Command::new("true").status().expect("running true");
        assert!(status.success());
    }
}

/// Whether this host's PMU counts CPU cycles: an independent look at what
/// the kernel advertises, /sys/bus/event_source/devices/<pmu>/events/.
fn host_counts_cycles() -> bool {
    std::fs::read_dir("/sys/bus/event_source/devices")
        .map(|dir| {
            dir.filter_map(Result::ok).any(|pmu| {
                let events = pmu.path().join("events");
                events.join("cpu-cycles").exists() || events.join("cpu_cycles").exists()
            })
        })
        .unwrap_or(false)
}

#[test]
fn perf_is_off_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut cmd = Command::new(BIN);
    cmd.arg(format!("--web.listen-address=127.0.0.1:{port}"));
    let mut process = Process::spawn("node-exporter-defaults", cmd, &dir.path().join("log"));
    let url = format!("http://127.0.0.1:{port}/metrics");
    process.wait_ready(Duration::from_secs(20), || {
        testkit::http().get(&url).send().is_ok()
    });
    let text = testkit::http()
        .get(&url)
        .send()
        .and_then(|r| r.text())
        .unwrap();
    process.stop(Duration::from_secs(5));
    assert!(
        sample_value(
            &text,
            r#"node_scrape_collector_success{collector="loadavg"}"#
        )
        .is_some()
    );
    assert!(!text.contains(r#"collector="perf""#), "{text}");
    assert!(perf_families(&text).is_empty());
}

#[test]
fn software_counters_count_every_cpu_and_move_with_the_work_done() {
    let node = Node::start(ONLY_SOFTWARE);
    let before = node.scrape();
    assert_eq!(perf_success(&before), 1.0, "{before}");
    let fams = families(&before);
    for name in SOFTWARE {
        let family = fams
            .get(*name)
            .unwrap_or_else(|| panic!("{name} missing:\n{before}"));
        assert_eq!(family.kind, "counter", "{name}");
        assert_eq!(family.labels, BTreeSet::from(["cpu".to_string()]), "{name}");
        assert_eq!(cpus_of(&before, name), all_cpus(), "{name}");
    }
    assert_eq!(
        perf_families(&before),
        SOFTWARE.iter().map(|s| s.to_string()).collect()
    );

    // Faulting in fresh pages and running processes, between the scrapes.
    let mut pages = vec![0u8; 16 << 20];
    for page in pages.chunks_mut(4096) {
        page[0] = 1;
    }
    std::hint::black_box(&pages);
    spawn_processes(50);
    let after = node.scrape();
    assert_eq!(perf_success(&after), 1.0, "{after}");
    for (name, at_least) in [
        ("node_perf_context_switches_total", 50.0),
        ("node_perf_page_faults_total", 1.0),
        ("node_perf_minor_faults_total", 1.0),
    ] {
        let (b, a) = (total(&before, name), total(&after, name));
        assert!(a >= b + at_least, "{name}: {b} then {a}");
    }
    assert!(sample_value(&after, "node_load1").is_some());
}

#[test]
fn profiler_and_cpu_flags_select_what_they_name() {
    let node = Node::start(&[
        "--collector.perf.cpus=0",
        "--collector.perf.software-profilers=ContextSwitch",
        "--collector.perf.software-profilers=PageFault",
        "--collector.perf.disable-hardware-profilers",
        "--collector.perf.disable-cache-profilers",
    ]);
    let text = node.scrape();
    assert_eq!(perf_success(&text), 1.0, "{text}");
    assert_eq!(
        perf_families(&text),
        BTreeSet::from([
            "node_perf_context_switches_total".to_string(),
            "node_perf_page_faults_total".to_string()
        ])
    );
    for name in [
        "node_perf_context_switches_total",
        "node_perf_page_faults_total",
    ] {
        assert_eq!(cpus_of(&text, name), BTreeSet::from(["0".to_string()]));
    }
    drop(node);

    let node = Node::start(&[
        "--collector.perf.disable-hardware-profilers",
        "--collector.perf.disable-software-profilers",
        "--collector.perf.disable-cache-profilers",
    ]);
    let text = node.scrape();
    assert_eq!(perf_success(&text), 1.0, "{text}");
    assert!(perf_families(&text).is_empty(), "{text}");
}

#[test]
fn hardware_and_cache_events_follow_the_host_pmu() {
    // Every default set: what the PMU lacks is left out, not a failure.
    let node = Node::start(&[]);
    let text = node.scrape();
    let served = perf_families(&text);
    assert_eq!(perf_success(&text), 1.0, "{text}");
    for name in SOFTWARE {
        assert!(served.contains(*name), "{name} missing:\n{text}");
    }
    let counts_cycles = host_counts_cycles();
    assert_eq!(
        served.contains("node_perf_cpucycles_total"),
        counts_cycles,
        "{text}"
    );
    if !counts_cycles {
        for name in HARDWARE {
            assert!(!served.contains(*name), "{name} served without a PMU");
        }
        assert!(
            !served.iter().any(|n| n.starts_with("node_perf_cache_")),
            "{served:?}"
        );
        assert!(
            node.process
                .log_tail()
                .contains("this host has no such perf events"),
            "{}",
            node.process.log_tail()
        );
    }
    drop(node);

    // Named events: the user asked for them, so a refusal is a failure,
    // and the rest of the scrape is served.
    let node = Node::start(&[
        "--collector.perf.hardware-profilers=CpuCycles",
        "--collector.perf.cache-profilers=L1DataReadMiss",
        "--collector.perf.software-profilers=ContextSwitch",
    ]);
    let text = node.scrape();
    let served = perf_families(&text);
    assert!(
        served.contains("node_perf_context_switches_total"),
        "{text}"
    );
    assert!(sample_value(&text, "node_load1").is_some(), "{text}");
    if counts_cycles {
        assert!(served.contains("node_perf_cpucycles_total"), "{text}");
    } else {
        assert_eq!(perf_success(&text), 0.0, "{text}");
        assert!(!served.contains("node_perf_cpucycles_total"), "{text}");
        assert!(
            !served.contains("node_perf_cache_l1d_read_misses_total"),
            "{text}"
        );
        let log = node.process.log_tail();
        assert!(
            log.contains("CpuCycles") && log.contains("L1DataReadMiss"),
            "{log}"
        );
    }
}

#[test]
fn a_counter_the_kernel_refuses_costs_only_its_series() {
    // No Linux build has CPU 8191 here: the kernel refuses its counters,
    // cpu 0's are served.
    let node = Node::start(&[
        "--collector.perf.cpus=0,8191",
        "--collector.perf.software-profilers=ContextSwitch",
        "--collector.perf.disable-hardware-profilers",
        "--collector.perf.disable-cache-profilers",
    ]);
    let text = node.scrape();
    assert_eq!(perf_success(&text), 0.0, "{text}");
    assert_eq!(
        cpus_of(&text, "node_perf_context_switches_total"),
        BTreeSet::from(["0".to_string()])
    );
    assert!(sample_value(&text, "node_load1").is_some(), "{text}");
    // Every scrape says so, not only the first.
    assert_eq!(perf_success(&node.scrape()), 0.0);
    drop(node);

    // Counting every task on a CPU takes CAP_PERFMON while
    // kernel.perf_event_paranoid is above 0.
    let paranoid: i32 = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
        .expect("perf_event_paranoid")
        .trim()
        .parse()
        .expect("a number");
    let setpriv = require("setpriv");
    let setpriv = setpriv.to_str().unwrap();
    let node = Node::start_with(
        &[
            setpriv,
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ],
        ONLY_SOFTWARE,
    );
    let text = node.scrape();
    assert!(sample_value(&text, "node_load1").is_some(), "{text}");
    if paranoid > 0 {
        assert_eq!(perf_success(&text), 0.0, "{text}");
        assert!(perf_families(&text).is_empty(), "{text}");
        assert!(node.process.log_tail().contains("refused"));
    } else {
        assert_eq!(perf_success(&text), 1.0, "{text}");
    }
}

/// The soft and hard "Max open files" of process `pid`.
fn open_file_limits(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("Max open files");
    let fields: Vec<&str> = line.split_whitespace().collect();
    (fields[3].to_string(), fields[4].to_string())
}

#[test]
fn the_open_file_limit_is_raised_for_the_counters_as_go_raises_it() {
    let soft_100 = ["sh", "-c", "ulimit -S -n 100 && exec \"$0\" \"$@\""];
    let node = Node::start_with(&soft_100, ONLY_SOFTWARE);
    let (soft, hard) = open_file_limits(node.process.pid().unwrap());
    assert_eq!(
        soft, hard,
        "perf's counters and headroom need more than 100 descriptors"
    );
    assert_eq!(perf_success(&node.scrape()), 1.0);
    drop(node);
    let node = Node::start_with(
        &soft_100,
        &[
            "--collector.perf.disable-software-profilers",
            "--collector.perf.disable-hardware-profilers",
            "--collector.perf.disable-cache-profilers",
        ],
    );
    let (soft, _) = open_file_limits(node.process.pid().unwrap());
    assert_eq!(soft, "100", "no counters, no reason to touch the limit");
}

/// `unshare` into a mount namespace of the exporter's own, where `setup`
/// runs before the exporter is exec'd.
fn in_mount_namespace(setup: &str) -> Vec<String> {
    let unshare = require("unshare");
    require("mount");
    vec![
        unshare.display().to_string(),
        "--mount".into(),
        "--propagation".into(),
        "private".into(),
        "sh".into(),
        "-c".into(),
        format!("{setup} && exec \"$0\" \"$@\""),
    ]
}

#[test]
fn tracepoints_count_in_a_tracefs_of_the_exporters_own() {
    let mnt = tempfile::tempdir().unwrap();
    let wrapper = in_mount_namespace(&format!(
        "mount -t tracefs nodev '{}'",
        mnt.path().display()
    ));
    let wrapper: Vec<&str> = wrapper.iter().map(String::as_str).collect();
    let mut flags = vec![
        "--collector.perf.tracepoint=sched:sched_process_fork",
        "--collector.perf.tracepoint=sched:sched_process_exec",
        "--collector.perf.disable-software-profilers",
    ];
    flags.extend(ONLY_SOFTWARE);
    let node = Node::start_with(&wrapper, &flags);
    let before = node.scrape();
    assert_eq!(perf_success(&before), 1.0, "{before}");
    let fams = families(&before);
    for name in [
        "node_perf_sched_sched_process_fork",
        "node_perf_sched_sched_process_exec",
    ] {
        let family = fams
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing:\n{before}"));
        assert_eq!(family.kind, "counter");
        assert_eq!(family.labels, BTreeSet::from(["cpu".to_string()]));
        assert_eq!(cpus_of(&before, name), all_cpus(), "{name}");
    }
    assert_eq!(perf_families(&before).len(), 2, "{before}");
    spawn_processes(20);
    let after = node.scrape();
    for name in [
        "node_perf_sched_sched_process_fork",
        "node_perf_sched_sched_process_exec",
    ] {
        let (b, a) = (total(&before, name), total(&after, name));
        assert!(a >= b + 20.0, "{name}: {b} then {a}");
    }
}

/// Side by side with Debian's prometheus-node-exporter (1.5, whose perf
/// collector has the same families; it has no profiler flags) on this
/// host: the same perf families, types, label names and CPUs, software
/// events and a tracepoint. Its perf-utils reads tracefs under
/// /sys/kernel/debug only, so its namespace mounts debugfs there.
#[test]
fn same_perf_families_as_debians_node_exporter() {
    let upstream = require("prometheus-node-exporter");
    let tracepoint = ["--collector.perf.tracepoint=sched:sched_process_fork"];
    let reference = Node::run(
        &in_mount_namespace(
            // Hosts with systemd usually have debugfs mounted already.
            "{ mountpoint -q /sys/kernel/debug || mount -t debugfs nodev /sys/kernel/debug; } && \
             { [ -d /sys/kernel/debug/tracing/events ] || mount -t tracefs nodev /sys/kernel/debug/tracing; }",
        )
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>(),
        upstream.to_str().unwrap(),
        &tracepoint,
    );
    let mnt = tempfile::tempdir().unwrap();
    let ours = Node::start_with(
        &in_mount_namespace(&format!(
            "mount -t tracefs nodev '{}'",
            mnt.path().display()
        ))
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>(),
        &tracepoint,
    );
    let (reference, candidate) = (reference.scrape(), ours.scrape());
    let perf_only = |text: &str| -> Families {
        families(text)
            .into_iter()
            .filter(|(name, _)| name.starts_with("node_perf_"))
            .collect()
    };
    let coverage =
        testkit::exposition::compare(&perf_only(&reference), &perf_only(&candidate), &[]);
    assert!(
        coverage.missing.is_empty()
            && coverage.wrong_type.is_empty()
            && coverage.label_gaps.is_empty()
            && coverage.extra.is_empty(),
        "{coverage}"
    );
    assert!(coverage.reference_families > SOFTWARE.len(), "{coverage}");
    for name in perf_only(&reference).keys() {
        assert_eq!(
            cpus_of(&candidate, name),
            cpus_of(&reference, name),
            "{name}"
        );
    }
}

/// Runs the binary once per row of `table` (through `wrapper`, with
/// `extra` before the row's flag) and checks it starts and serves
/// (`works`) or stops naming the flag (`refused`), the way the README flag
/// tables are walked.
fn walk(table: &str, wrapper: &[String], extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let (binary, mut base_args) = match wrapper.split_first() {
        Some((program, args)) => (program.clone(), [args, &[BIN.to_string()]].concat()),
        None => (BIN.to_string(), Vec::new()),
    };
    base_args.extend(
        [
            "--collector.disable-defaults",
            "--collector.loadavg",
            "--collector.perf",
        ]
        .iter()
        .chain(extra)
        .map(|s| s.to_string()),
    );
    testkit::check_flag_table(
        &format!("## Upstream flags\n\n| flag | status | notes |\n|---|---|---|\n{table}"),
        &FlagWalk {
            binary: Path::new(&binary),
            base_args,
            env: Vec::new(),
            listen_flag: "--web.listen-address",
            arguments: &|_| None,
            log_dir: dir.path(),
        },
    );
}

#[test]
fn every_perf_flag_is_taken_and_values_that_cannot_work_stop_startup() {
    walk(
        "\
| `--collector.perf.cpus=0` | works | |
| `--collector.perf.cpus=0-1` | works | |
| `--collector.perf.cpus=0-8:4` | works | |
| `--collector.perf.disable-hardware-profilers` | works | |
| `--collector.perf.disable-software-profilers` | works | |
| `--collector.perf.disable-cache-profilers` | works | |
| `--collector.perf.hardware-profilers=RefCpuCycles` | works | |
| `--collector.perf.software-profilers=MajorFault` | works | |
| `--collector.perf.cache-profilers=BPUReadMiss` | works | |
| `--collector.perf.cpus=1-x` | refused: not a number | |
| `--collector.perf.cpus=x` | refused: not a number | |
| `--collector.perf.cpus=1-2-3` | refused: invalid flag value | |
| `--collector.perf.cpus=0-8:0` | refused: a stride of 0 | |
| `--collector.perf.cpus=5-1` | refused: backwards | |
| `--collector.perf.cpus=0,` | refused: an empty item | |
| `--collector.perf.cpus=99999` | refused: no such CPU number on Linux | |
| `--collector.perf.tracepoint=foo` | refused: no colon | |
| `--collector.perf.tracepoint=a:b:c` | refused: two colons | |
| `--collector.perf.tracepoint=..:id` | refused: not a tracefs name | |
| `--collector.perf.hardware-profilers=BusCycles` | refused: upstream does not map it | |
| `--collector.perf.software-profilers=CpuClock` | refused: upstream does not map it | |
| `--collector.perf.cache-profilers=L1InstrReadHit` | refused: upstream does not map it | |
",
        &[],
        &[],
    );
    // A profiler list for a kind that is disabled would be ignored.
    walk(
        "| `--collector.perf.hardware-profilers=CpuCycles` | refused: hardware disabled | |\n",
        &[],
        &["--collector.perf.disable-hardware-profilers"],
    );
}

#[test]
fn tracepoints_tracefs_cannot_resolve_stop_startup() {
    let mnt = tempfile::tempdir().unwrap();
    walk(
        "| `--collector.perf.tracepoint=sched:no_such_event` | refused: unknown event | |\n\
         | `--collector.perf.tracepoint=sched:sched_switch` | works | |\n",
        &in_mount_namespace(&format!(
            "mount -t tracefs nodev '{}'",
            mnt.path().display()
        )),
        &[],
    );
    require("umount");
    walk(
        "| `--collector.perf.tracepoint=sched:sched_switch` | refused: no tracefs | |\n",
        &in_mount_namespace(
            "{ umount -a -t tracefs 2>/dev/null; ! grep -q ' tracefs ' /proc/self/mounts; }",
        ),
        &[],
    );
}
