//! The systemd and logind collectors against a real systemd: Debian's
//! /lib/systemd/systemd started as PID 1 of a PID and mount namespace the
//! test makes (private /run, its own cgroup2 mount, only the test's units),
//! with a real dbus-daemon as its system bus and a real systemd-logind. The
//! exporter runs inside those namespaces, so `--collector.systemd.private`
//! reaches this systemd's /run/systemd/private and the bus mode its
//! /run/dbus/system_bus_socket. Every expected value is read a second way,
//! with systemctl, busctl and loginctl.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use testkit::{Process, free_port, require, sample_value, wait_until};

const SYSTEMD: &str = "/lib/systemd/systemd";

/// The test's units. DefaultDependencies=no throughout: the namespace has
/// none of the standard targets a default dependency would need.
const UNITS: &[(&str, &str)] = &[
    (
        "ferro.target",
        "[Unit]\nDefaultDependencies=no\nWants=hello.service echo.socket tick.timer flaky.service dbus.socket dbus.service systemd-logind.service\n",
    ),
    (
        "hello.service",
        "[Unit]\nDefaultDependencies=no\n[Service]\nType=simple\nExecStart=/bin/sleep 3600\nTasksMax=77\n",
    ),
    (
        "echo.socket",
        "[Unit]\nDefaultDependencies=no\n[Socket]\nListenStream=/run/echo.sock\nAccept=yes\n",
    ),
    (
        "echo@.service",
        "[Unit]\nDefaultDependencies=no\n[Service]\nExecStart=/bin/sleep 3600\nStandardInput=socket\n",
    ),
    (
        "tick.timer",
        "[Unit]\nDefaultDependencies=no\n[Timer]\nOnActiveSec=1ms\n",
    ),
    (
        "tick.service",
        "[Unit]\nDefaultDependencies=no\n[Service]\nType=oneshot\nExecStart=/bin/true\n",
    ),
    // Fails, is restarted twice, then hits its start limit: NRestarts
    // settles and the unit is failed.
    (
        "flaky.service",
        "[Unit]\nDefaultDependencies=no\nStartLimitIntervalSec=1h\nStartLimitBurst=3\n[Service]\nExecStart=/bin/false\nRestart=always\nRestartSec=10ms\n",
    ),
    (
        "dbus.socket",
        "[Unit]\nDefaultDependencies=no\n[Socket]\nListenStream=/run/dbus/system_bus_socket\n",
    ),
    (
        "dbus.service",
        "[Unit]\nDefaultDependencies=no\n[Service]\nExecStart=/usr/bin/dbus-daemon --system --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only\n",
    ),
    (
        "systemd-logind.service",
        "[Unit]\nDefaultDependencies=no\n[Service]\nType=dbus\nBusName=org.freedesktop.login1\nExecStart=/lib/systemd/systemd-logind\n",
    ),
];

/// systemd as PID 1 of its own namespaces; killed (and with it every
/// process of the namespace) when dropped.
struct NamespacedSystemd {
    /// unshare --kill-child: systemd dies with it even if the test does.
    _unshare: Process,
    pid: u32,
    dir: tempfile::TempDir,
}

impl NamespacedSystemd {
    fn start() -> NamespacedSystemd {
        let unshare = require("unshare");
        require("nsenter");
        require("dbus-daemon");
        require("systemctl");
        require("busctl");
        require("loginctl");
        assert!(
            Path::new(SYSTEMD).is_file(),
            "{SYSTEMD} is missing: install Debian's systemd package"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let units = dir.path().join("units");
        std::fs::create_dir(&units).expect("mkdir");
        for (name, text) in UNITS {
            std::fs::write(units.join(name), text).expect("unit file");
        }
        // The mounts are private to the namespace: /run and the cgroup
        // tree of this systemd are its own, the host's stay untouched.
        let script = format!(
            "set -e; mount --make-rprivate /; mount -t tmpfs tmpfs /run; \
             mount -t tmpfs tmpfs /sys/fs/cgroup; mount -t cgroup2 cgroup2 /sys/fs/cgroup; \
             SYSTEMD_UNIT_PATH='{units}' container=ferroscope-test exec {SYSTEMD} --system --unit=ferro.target",
            units = units.display()
        );
        let mut cmd = Command::new(unshare);
        cmd.args([
            "--pid",
            "--fork",
            "--kill-child",
            "--mount-proc",
            "--mount",
            "sh",
            "-c",
            &script,
        ]);
        let mut process = Process::spawn("systemd", cmd, &dir.path().join("systemd.log"));
        let parent = process.pid().expect("unshare's pid");
        let children = format!("/proc/{parent}/task/{parent}/children");
        let mut pid = 0;
        process.wait_ready(Duration::from_secs(20), || {
            pid = std::fs::read_to_string(&children)
                .ok()
                .and_then(|s| s.split_whitespace().next()?.parse().ok())
                .unwrap_or(0);
            pid != 0
                && Path::new(&format!("/proc/{pid}/root/run/systemd/private")).exists()
                && Path::new(&format!("/proc/{pid}/root/run/dbus/system_bus_socket")).exists()
        });
        let s = NamespacedSystemd {
            _unshare: process,
            pid,
            dir,
        };
        // Every start job done: the system is up (degraded: flaky failed),
        // the timer has fired and flaky has used its restarts.
        let settled = wait_until(Duration::from_secs(30), || {
            s.run(&["systemctl", "is-system-running"]).trim() == "degraded"
                && s.show("flaky.service", "ActiveState") == "failed"
                && s.show("tick.timer", "SubState") == "elapsed"
                && s.show("tick.service", "ActiveState") == "inactive"
                && s.show("systemd-logind.service", "ActiveState") == "active"
        });
        assert!(
            settled,
            "systemd did not settle: {}",
            s.run(&["systemctl", "list-units", "--all", "--plain"])
        );
        s
    }

    /// A command inside the namespaces: its stdout (run with no stdin).
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("nsenter")
            .args(["-t", &self.pid.to_string(), "-m", "-p", "--"])
            .args(args)
            .output()
            .expect("nsenter runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `systemctl show -P property unit`.
    fn show(&self, unit: &str, property: &str) -> String {
        self.run(&["systemctl", "show", "-P", property, unit])
            .trim()
            .to_string()
    }

    /// A unit property as busctl reads it ("t 123" -> 123).
    fn busctl_u64(&self, unit: &str, interface: &str, property: &str) -> f64 {
        let path = self.run(&[
            "busctl",
            "--system",
            "call",
            "org.freedesktop.systemd1",
            "/org/freedesktop/systemd1",
            "org.freedesktop.systemd1.Manager",
            "GetUnit",
            "s",
            unit,
        ]);
        let path = path.trim().trim_start_matches("o ").trim_matches('"');
        let value = self.run(&[
            "busctl",
            "--system",
            "get-property",
            "org.freedesktop.systemd1",
            path,
            interface,
            property,
        ]);
        value
            .trim()
            .strip_prefix("t ")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("busctl {unit} {property}: {value:?}"))
    }

    /// node-exporter inside the namespaces, with `flags`: the process and
    /// its /metrics URL once it answers.
    fn exporter(&self, name: &str, flags: &[&str]) -> (Process, String) {
        let port = free_port();
        let mut cmd = Command::new("nsenter");
        cmd.args(["-t", &self.pid.to_string(), "-m", "-p", "--"])
            .arg(env!("CARGO_BIN_EXE_node-exporter"))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--collector.disable-defaults")
            .args(flags);
        let log: PathBuf = self.dir.path().join(format!("{name}.log"));
        let mut p = Process::spawn(name, cmd, &log);
        p.wait_ready(Duration::from_secs(20), || {
            testkit::http()
                .get(format!("http://127.0.0.1:{port}/-/healthy"))
                .send()
                .is_ok()
        });
        (p, format!("http://127.0.0.1:{port}/metrics"))
    }
}

impl Drop for NamespacedSystemd {
    /// SIGKILL to PID 1 of the namespace ends every process in it (unshare
    /// ignores SIGTERM while it waits for its child).
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", &self.pid.to_string()])
            .status();
    }
}

fn scrape(url: &str) -> String {
    testkit::http()
        .get(url)
        .send()
        .and_then(|r| r.text())
        .expect("scrape answers")
}

#[track_caller]
fn expect(text: &str, series: &str, want: f64) {
    assert_eq!(
        sample_value(text, series),
        Some(want),
        "{series} in:\n{text}"
    );
}

/// The `name="..."` label values of the series of `family`.
fn names(text: &str, family: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with(&format!("{family}{{")))
        .filter_map(|l| {
            let at = l.find("name=\"")? + 6;
            Some(l[at..at + l[at..].find('"')?].to_string())
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn systemd_and_logind_read_a_real_systemd_over_its_socket_and_the_system_bus() {
    let sd = NamespacedSystemd::start();

    // One connection accepted and held open: echo@ runs while it is.
    let echo = format!("/proc/{}/root/run/echo.sock", sd.pid);
    let _held = std::os::unix::net::UnixStream::connect(&echo).expect("connect to echo.socket");
    assert!(
        wait_until(Duration::from_secs(10), || sd
            .show("echo.socket", "NConnections")
            == "1"),
        "echo.socket never counted the connection"
    );
    let (mut exporter, url) = sd.exporter(
        "node-exporter-private",
        &[
            "--collector.systemd",
            "--collector.systemd.private",
            "--collector.systemd.enable-task-metrics",
            "--collector.systemd.enable-restarts-metrics",
            "--collector.systemd.enable-start-time-metrics",
            "--collector.logind",
        ],
    );
    let text = scrape(&url);
    expect(
        &text,
        r#"node_scrape_collector_success{collector="systemd"}"#,
        1.0,
    );
    expect(
        &text,
        r#"node_scrape_collector_success{collector="logind"}"#,
        1.0,
    );

    // Version: "systemd 252 (252.39-1~deb12u2)" -> label 252.39-1~deb12u2,
    // value 252.39.
    let version = sd.run(&["systemctl", "--version"]);
    let full = version
        .lines()
        .next()
        .and_then(|l| l.split_once('(')?.1.strip_suffix(')'))
        .expect("systemctl --version")
        .to_string();
    let number: f64 = full.split('-').next().unwrap().parse().unwrap();
    expect(
        &text,
        &format!(r#"node_systemd_version{{version="{full}"}}"#),
        number,
    );
    let virt = sd.run(&[
        "busctl",
        "--system",
        "get-property",
        "org.freedesktop.systemd1",
        "/org/freedesktop/systemd1",
        "org.freedesktop.systemd1.Manager",
        "Virtualization",
    ]);
    let virt = virt.trim().trim_start_matches("s ").trim_matches('"');
    expect(
        &text,
        &format!(r#"node_systemd_virtualization_info{{virtualization_type="{virt}"}}"#),
        1.0,
    );
    // degraded (flaky failed) is not running.
    expect(&text, "node_systemd_system_running", 0.0);

    // The summary counts every unit systemctl lists, by active state.
    let listed = sd.run(&["systemctl", "list-units", "--all", "--plain", "--no-legend"]);
    let mut by_state: HashMap<&str, f64> = HashMap::new();
    let mut loaded = Vec::new();
    for line in listed.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        *by_state.entry(f[2]).or_default() += 1.0;
        if f[1] == "loaded" {
            loaded.push((f[0].to_string(), f[2].to_string()));
        }
    }
    for state in ["active", "activating", "deactivating", "inactive", "failed"] {
        let want = by_state.get(state).copied().unwrap_or(0.0);
        expect(
            &text,
            &format!(r#"node_systemd_units{{state="{state}"}}"#),
            want,
        );
    }

    // Unit states: every loaded unit but the default exclusions, five
    // series each, 1 for its state; the type of services from systemctl.
    let excluded = [".automount", ".device", ".mount", ".scope", ".slice"];
    let mut want_names: Vec<String> = loaded
        .iter()
        .filter(|(n, _)| !excluded.iter().any(|e| n.ends_with(e)))
        .map(|(n, _)| n.clone())
        .collect();
    want_names.sort();
    assert_eq!(names(&text, "node_systemd_unit_state"), want_names);
    for (name, state) in loaded.iter().filter(|(n, _)| want_names.contains(n)) {
        let unit_type = if name.ends_with(".service") {
            sd.show(name, "Type")
        } else {
            String::new()
        };
        for s in ["active", "activating", "deactivating", "inactive", "failed"] {
            let series = format!(
                r#"node_systemd_unit_state{{name="{name}",state="{s}",type="{unit_type}"}}"#
            );
            expect(&text, &series, if s == state { 1.0 } else { 0.0 });
        }
    }
    assert!(text.contains(
        r#"node_systemd_unit_state{name="tick.service",state="inactive",type="oneshot"} 1"#
    ));

    // Restarts: flaky's settled count, one series per service.
    let restarts: f64 = sd.show("flaky.service", "NRestarts").parse().unwrap();
    assert!(restarts >= 2.0, "flaky restarted {restarts} times");
    expect(
        &text,
        r#"node_systemd_service_restart_total{name="flaky.service"}"#,
        restarts,
    );
    expect(
        &text,
        r#"node_systemd_service_restart_total{name="hello.service"}"#,
        0.0,
    );

    // Tasks: TasksMax=77 from the unit file; a current count only where the
    // kernel gives one (no pids controller: systemd reports none).
    expect(
        &text,
        r#"node_systemd_unit_tasks_max{name="hello.service"}"#,
        77.0,
    );
    let current = sd.show("hello.service", "TasksCurrent");
    let series = r#"node_systemd_unit_tasks_current{name="hello.service"}"#;
    match current.parse::<f64>() {
        Ok(n) => expect(&text, series, n),
        Err(_) => assert_eq!(sample_value(&text, series), None, "{current}"),
    }

    // Start times: ActiveEnterTimestamp in seconds; 0 for inactive units.
    let started = sd.busctl_u64(
        "hello.service",
        "org.freedesktop.systemd1.Unit",
        "ActiveEnterTimestamp",
    );
    assert!(started > 0.0);
    expect(
        &text,
        r#"node_systemd_unit_start_time_seconds{name="hello.service"}"#,
        started / 1e6,
    );
    expect(
        &text,
        r#"node_systemd_unit_start_time_seconds{name="tick.service"}"#,
        0.0,
    );

    // The timer fired once at start.
    let trigger = sd.busctl_u64(
        "tick.timer",
        "org.freedesktop.systemd1.Timer",
        "LastTriggerUSec",
    );
    assert!(trigger > 0.0);
    expect(
        &text,
        r#"node_systemd_timer_last_trigger_seconds{name="tick.timer"}"#,
        trigger / 1e6,
    );

    // The socket: the one connection accepted and still open.
    let echo_series = |f: &str| format!(r#"node_systemd_socket_{f}{{name="echo.socket"}}"#);
    expect(&text, &echo_series("accepted_connections_total"), 1.0);
    expect(&text, &echo_series("current_connections"), 1.0);
    expect(&text, &echo_series("refused_connections_total"), 0.0);
    assert!(text.contains("# TYPE node_systemd_socket_accepted_connections_total counter"));
    // A gauge despite its name, as upstream sends it.
    assert!(text.contains("# TYPE node_systemd_socket_refused_connections_total gauge"));

    // logind: every combination of upstream's label values for each seat
    // and for no seat, counted from the sessions loginctl lists (none
    // here: a session needs a PAM login holding logind's fifo open; the
    // counting itself is tested in logind.rs).
    let seats = sd.run(&["loginctl", "list-seats", "--no-legend"]);
    let seats = seats.lines().filter(|l| !l.trim().is_empty()).count() + 1;
    let listed = sd.run(&["loginctl", "list-sessions", "--no-legend"]);
    let listed = listed.lines().filter(|l| !l.trim().is_empty()).count();
    let sessions: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("node_logind_sessions{"))
        .collect();
    assert_eq!(sessions.len(), 2 * 7 * 5 * seats, "{sessions:#?}");
    assert!(text.contains(
        r#"node_logind_sessions{class="background",remote="false",seat="",type="wayland"} 0"#
    ));
    let total: f64 = sessions
        .iter()
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(total, listed as f64);
    exporter.stop(Duration::from_secs(5));

    // Over the system bus, with an include pattern and the deprecated
    // spelling of exclude: only hello.service is reported one by one; the
    // summary still counts every unit.
    let (mut exporter, url) = sd.exporter(
        "node-exporter-bus",
        &[
            "--collector.systemd",
            r"--collector.systemd.unit-include=hello\.service|flaky\.service",
            "--collector.systemd.unit-blacklist=flaky.*",
        ],
    );
    let text = scrape(&url);
    expect(
        &text,
        r#"node_scrape_collector_success{collector="systemd"}"#,
        1.0,
    );
    assert_eq!(names(&text, "node_systemd_unit_state"), ["hello.service"]);
    expect(
        &text,
        r#"node_systemd_unit_state{name="hello.service",state="active",type="simple"}"#,
        1.0,
    );
    let active = by_state.get("active").copied().unwrap_or(0.0);
    expect(&text, r#"node_systemd_units{state="active"}"#, active);
    // Opt-in families stay off without their flags.
    assert!(!text.contains("node_systemd_unit_start_time_seconds"));
    assert!(!text.contains("node_systemd_service_restart_total"));
    exporter.stop(Duration::from_secs(5));
}

#[test]
fn without_a_bus_both_collectors_fail_and_the_rest_of_the_scrape_is_served() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_node-exporter"));
    cmd.env(
        "DBUS_SYSTEM_BUS_ADDRESS",
        format!("unix:path={}", dir.path().join("no-bus").display()),
    )
    .args([
        &format!("--web.listen-address=127.0.0.1:{port}"),
        "--collector.disable-defaults",
        "--collector.systemd",
        "--collector.logind",
        "--collector.loadavg",
    ]);
    let mut p = Process::spawn("node-exporter-no-bus", cmd, &dir.path().join("log"));
    p.wait_ready(Duration::from_secs(20), || {
        testkit::http()
            .get(format!("http://127.0.0.1:{port}/-/healthy"))
            .send()
            .is_ok()
    });
    let text = scrape(&format!("http://127.0.0.1:{port}/metrics"));
    expect(
        &text,
        r#"node_scrape_collector_success{collector="systemd"}"#,
        0.0,
    );
    expect(
        &text,
        r#"node_scrape_collector_success{collector="logind"}"#,
        0.0,
    );
    expect(
        &text,
        r#"node_scrape_collector_success{collector="loadavg"}"#,
        1.0,
    );
    assert!(text.contains("node_load1 "), "{text}");
    assert!(!text.contains("node_systemd_units"));
    p.stop(Duration::from_secs(5));
}

#[test]
fn a_deprecated_unit_flag_beside_its_replacement_fails_at_startup() {
    let out = Command::new(env!("CARGO_BIN_EXE_node-exporter"))
        .args([
            "--web.listen-address=127.0.0.1:0",
            "--collector.systemd",
            "--collector.systemd.unit-include=a.+",
            "--collector.systemd.unit-whitelist=b.+",
        ])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "--collector.systemd.unit-whitelist and --collector.systemd.unit-include are mutually exclusive"
        ),
        "{err}"
    );
}
