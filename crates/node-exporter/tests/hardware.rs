//! The sysfs/procfs collectors of this file's MINE list (netclass, cpufreq,
//! hwmon, mdadm, zfs, ..., and the off-by-default processes, interrupts,
//! zoneinfo, ...) run over fixture trees under tests/fixtures/: what a host with that
//! hardware would expose, odd files costing only their own series, and
//! absent hardware reported as "no data" rather than failing the scrape.
//!
//! Expected expositions live in tests/golden/<collector>.prom; regenerate
//! them with `UPDATE_GOLDEN=1 cargo test -p node-exporter --test hardware`
//! and review the diff.

use std::path::{Path, PathBuf};
use std::time::Duration;

use exporter_kit::CollectError;
use exporter_kit::testing::{collect_one, to_text};
use node_exporter::SPEC;
use node_exporter::collectors::COLLECTORS;

fn fixture(tree: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(tree)
}

fn path_flags(tree: &str) -> Vec<String> {
    let root = fixture(tree);
    vec![
        format!("--path.procfs={}", root.join("proc").display()),
        format!("--path.sysfs={}", root.join("sys").display()),
        format!("--path.rootfs={}", root.join("root").display()),
    ]
}

/// Runs one collector over a fixture tree; the text has the fixture's
/// absolute path replaced by `FIXTURE` so goldens do not depend on checkout.
fn scrape(tree: &str, collector: &str, extra: &[&str]) -> (Result<(), CollectError>, String) {
    let mut argv = vec!["node-exporter".to_string()];
    argv.extend(path_flags(tree));
    argv.extend(extra.iter().map(|s| s.to_string()));
    let cli = exporter_kit::args::parse_from(&SPEC, COLLECTORS, argv).expect("flags parse");
    let reg = COLLECTORS
        .iter()
        .find(|r| r.name == collector)
        .expect("collector registered");
    let built = reg
        .build(&cli.args, &exporter_kit::BuildContext::new())
        .expect("collector builds");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (result, families) = rt.block_on(collect_one(&built, Duration::from_secs(10)));
    let text = to_text(&families).replace(&fixture(tree).display().to_string(), "FIXTURE");
    (result, text)
}

fn golden(name: &str, text: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.prom"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, text).expect("writing golden");
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()));
    assert_eq!(
        text,
        want,
        "{name}: exposition differs from {}",
        path.display()
    );
}

const MINE: &[&str] = &[
    "bcache",
    "bonding",
    "btrfs",
    "buddyinfo",
    "cgroups",
    "cpufreq",
    "dmi",
    "edac",
    "fibrechannel",
    "hwmon",
    "infiniband",
    "interrupts",
    "ipvs",
    "mdadm",
    "meminfo_numa",
    "mountstats",
    "netclass",
    "nfs",
    "nfsd",
    "nvme",
    "powersupplyclass",
    "processes",
    "rapl",
    "selinux",
    "softirqs",
    "tapestats",
    "tcpstat",
    "thermal_zone",
    "xfs",
    "zfs",
    "zoneinfo",
];

#[test]
fn each_collector_exposes_upstream_families_from_the_fixture_tree() {
    for name in MINE {
        let (result, text) = scrape("hardware", name, &[]);
        if *name == "tcpstat" {
            // The fixture's tcp6 ends with a malformed line: counted out, reported.
            assert!(
                matches!(result, Err(CollectError::Parse { .. })),
                "{result:?}"
            );
            golden(name, &text);
            continue;
        }
        assert!(result.is_ok(), "{name}: {result:?}");
        assert!(!text.is_empty(), "{name} exposed nothing");
        golden(name, &text);
    }
}

#[test]
fn absent_hardware_is_no_data_not_an_error() {
    for name in MINE {
        let (result, text) = scrape("hardware-empty", name, &[]);
        match *name {
            // Upstream reports these as a successful empty collection.
            "bcache" | "btrfs" | "edac" | "xfs" => assert!(
                result.is_ok() && text.is_empty(),
                "{name}: {result:?} {text}"
            ),
            "selinux" => {
                assert!(result.is_ok(), "{result:?}");
                assert!(text.contains("node_selinux_enabled 0"), "{text}");
            }
            _ => assert!(
                matches!(result, Err(CollectError::NoData)),
                "{name}: expected NoData, got {result:?}"
            ),
        }
    }
}

#[test]
fn odd_values_cost_only_their_own_series() {
    // wlan0's mtu is not a number: that series goes, the rest of wlan0 stays.
    let (_, text) = scrape("hardware", "netclass", &[]);
    assert!(!text.contains("node_network_mtu_bytes{device=\"wlan0\"}"));
    assert!(text.contains("node_network_up{device=\"wlan0\"} 0"));
    assert!(text.contains("node_network_speed_bytes{device=\"wlan0\"} -125000"));
    // An unreadable temperature drops that zone only.
    let (_, text) = scrape("hardware", "thermal_zone", &[]);
    assert!(text.contains("zone=\"0\""));
    assert!(!text.contains("zone=\"1\""));
    // A bogus hwmon reading drops that value; its label stays.
    let (_, text) = scrape("hardware", "hwmon", &[]);
    assert!(text.contains("label=\"Core 0\""));
    assert!(
        text.lines()
            .filter(|l| l.contains("sensor=\"temp2\""))
            .all(|l| l.starts_with("node_hwmon_sensor_label{")),
        "{text}"
    );
}

#[test]
fn a_malformed_mdstat_device_fails_the_collector_but_keeps_the_others() {
    let (result, text) = scrape("hardware-broken", "mdadm", &[]);
    assert!(
        matches!(result, Err(CollectError::Parse { .. })),
        "{result:?}"
    );
    assert!(
        text.contains("node_md_disks_required{device=\"md0\"} 2"),
        "{text}"
    );
    assert!(!text.contains("md9"), "{text}");
}

#[test]
fn a_bond_without_slaves_file_is_skipped() {
    let (result, text) = scrape("hardware-broken", "bonding", &[]);
    assert!(result.is_ok(), "{result:?}");
    assert!(text.is_empty(), "{text}");
}

#[test]
fn netclass_flags() {
    let (_, text) = scrape(
        "hardware",
        "netclass",
        &[
            "--collector.netclass.ignored-devices=^(ignored|bond)",
            "--collector.netclass.ignore-invalid-speed",
        ],
    );
    assert!(!text.contains("ignored0"));
    assert!(!text.contains("bond0"));
    assert!(!text.contains("node_network_speed_bytes{device=\"wlan0\"}"));
    assert!(text.contains("node_network_speed_bytes{device=\"eth0\"} 1.25e+08"));
}

#[test]
fn hwmon_chip_and_sensor_filters() {
    let (_, text) = scrape(
        "hardware",
        "hwmon",
        &["--collector.hwmon.chip-exclude=^fancy"],
    );
    assert!(!text.contains("fancy_chip"), "{text}");
    assert!(text.contains("platform_coretemp_0"));
    let (_, text) = scrape(
        "hardware",
        "hwmon",
        &["--collector.hwmon.sensor-include=^platform_coretemp_0;temp1$"],
    );
    assert!(
        text.contains("node_hwmon_temp_celsius{chip=\"platform_coretemp_0\",sensor=\"temp1\"} 55")
    );
    assert!(!text.contains("sensor=\"fan1\""));
    assert!(!text.contains("fancy_chip;"));
}

/// node_exporter 1.12: hwmon nodes sharing a parent device (asus-nb-wmi
/// registers several) get distinct chip labels, so their series no longer
/// collide; a chip whose label was unique keeps it unchanged.
#[test]
fn hwmon_colliding_chips_are_disambiguated() {
    let (_, text) = scrape("hardware", "hwmon", &[]);
    // hwmon3's name file is unique within the group: suffixed with it.
    assert!(
        text.contains(
            "node_hwmon_pwm_enable{chip=\"platform_asus_nb_wmi_asus_custom_fan_curve\",sensor=\"pwm1\"} 1"
        ),
        "{text}"
    );
    // hwmon2 and hwmon4 are both named "asus": suffixed with hwmonX.
    assert!(
        text.contains(
            "node_hwmon_pwm_enable{chip=\"platform_asus_nb_wmi_hwmon2\",sensor=\"pwm1\"} 2"
        )
    );
    assert!(text.contains(
        "node_hwmon_temp_celsius{chip=\"platform_asus_nb_wmi_hwmon4\",sensor=\"temp1\"} 41"
    ));
    assert!(text.contains(
        "node_hwmon_chip_names{chip=\"platform_asus_nb_wmi_hwmon4\",chip_name=\"asus\"} 1"
    ));
    assert!(!text.contains("chip=\"platform_asus_nb_wmi\""), "{text}");
    assert!(text.contains("chip=\"platform_coretemp_0\""));
    // The chip filter sees the label that is emitted.
    let (_, text) = scrape(
        "hardware",
        "hwmon",
        &["--collector.hwmon.chip-exclude=^platform_asus_nb_wmi_hwmon"],
    );
    assert!(text.contains("platform_asus_nb_wmi_asus_custom_fan_curve"));
    assert!(!text.contains("platform_asus_nb_wmi_hwmon"), "{text}");
}

/// node_cpu_online is emitted only where CPU hotplug exists (cpu0 has an
/// `online` file); this tree's cpu0 has none, as most x86 hosts.
#[test]
fn cpu_online_absent_without_hotplug() {
    let sys_cpu = fixture("hardware").join("sys/devices/system/cpu");
    assert_eq!(
        node_exporter::collectors::cpu::online_states(&sys_cpu),
        None
    );
}

#[test]
fn powersupply_ignored_supplies() {
    let (_, text) = scrape(
        "hardware",
        "powersupplyclass",
        &["--collector.powersupply.ignored-supplies=^(AC|ucsi.*)$"],
    );
    assert!(text.contains("power_supply=\"BAT0\""));
    assert!(!text.contains("power_supply=\"AC\""));
    assert!(!text.contains("ucsi"));
}

#[test]
fn rapl_zone_label() {
    let (_, text) = scrape("hardware", "rapl", &["--collector.rapl.enable-zone-label"]);
    assert!(
        text.contains("node_rapl_joules_total{index=\"0\",path=\"FIXTURE/sys/class/powercap/intel-rapl:0\",rapl_zone=\"package\"} 240422.366267"),
        "{text}"
    );
    assert!(!text.contains("node_rapl_package_joules_total"));
}

#[test]
fn bad_flag_regex_is_a_startup_error() {
    let mut argv = vec!["node-exporter".to_string()];
    argv.push("--collector.netclass.ignored-devices=(".into());
    let cli = exporter_kit::args::parse_from(&SPEC, COLLECTORS, argv).expect("flags parse");
    let reg = COLLECTORS
        .iter()
        .find(|r| r.name == "netclass")
        .expect("registered");
    assert!(
        reg.build(&cli.args, &exporter_kit::BuildContext::new())
            .is_err()
    );
}

/// The real binary over the fixture tree: one scrape carries every
/// hardware collector, and a broken source marks only its own collector.
#[test]
fn binary_serves_hardware_collectors_with_per_collector_success() {
    let port = testkit::free_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_node-exporter"));
    cmd.arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--collector.disable-defaults")
        .args(path_flags("hardware-broken"));
    for name in MINE {
        cmd.arg(format!("--collector.{name}"));
    }
    let _proc = testkit::Process::spawn("node-exporter", cmd, &dir.path().join("log"));
    let url = format!("http://127.0.0.1:{port}/metrics");
    let client = testkit::http();
    let mut body = String::new();
    assert!(testkit::wait_until(Duration::from_secs(20), || {
        match client.get(&url).send().and_then(|r| r.text()) {
            Ok(b) => {
                body = b;
                true
            }
            Err(_) => false,
        }
    }));
    assert!(
        body.contains("node_scrape_collector_success{collector=\"mdadm\"} 0"),
        "{body}"
    );
    assert!(body.contains("node_scrape_collector_success{collector=\"bonding\"} 1"));
    assert!(body.contains("node_scrape_collector_success{collector=\"netclass\"} 1"));
    assert!(body.contains("node_scrape_collector_success{collector=\"hwmon\"} 0"));
    assert!(body.contains("node_md_blocks{device=\"md0\"} 1.95310144e+08"));
    assert!(body.contains("node_network_up{device=\"eth0\"} 1"));
}

#[test]
fn ipvs_backend_labels_subset_sums_backends() {
    let (result, text) = scrape(
        "hardware",
        "ipvs",
        &["--collector.ipvs.backend-labels=local_address,local_port"],
    );
    assert!(result.is_ok(), "{result:?}");
    // Two backends of 192.168.0.22:3306 share one series: 248 + 248.
    assert!(
        text.contains("node_ipvs_backend_connections_active{local_address=\"192.168.0.22\",local_port=\"3306\"} 496"),
        "{text}"
    );
    let mut argv = vec!["node-exporter".to_string()];
    argv.push("--collector.ipvs.backend-labels=nope".into());
    let cli = exporter_kit::args::parse_from(&SPEC, COLLECTORS, argv).expect("flags parse");
    let reg = COLLECTORS
        .iter()
        .find(|r| r.name == "ipvs")
        .expect("registered");
    assert!(
        reg.build(&cli.args, &exporter_kit::BuildContext::new())
            .is_err()
    );
}

#[test]
fn sysctl_values_named_indexed_and_info() {
    let (result, text) = scrape(
        "hardware",
        "sysctl",
        &[
            "--collector.sysctl.include=fs.file-nr:total,current,max",
            "--collector.sysctl.include=fs.file-nr",
            "--collector.sysctl.include=kernel.threads-max",
            "--collector.sysctl.include-info=net.ipv4.tcp_available_congestion_control",
        ],
    );
    assert!(result.is_ok(), "{result:?}");
    golden("sysctl", &text);
    // A missing or non-numeric sysctl fails the collector, not the others.
    let (result, text) = scrape(
        "hardware",
        "sysctl",
        &[
            "--collector.sysctl.include=kernel.bogus",
            "--collector.sysctl.include=kernel.nope",
            "--collector.sysctl.include=kernel.pid_max",
        ],
    );
    assert!(
        matches!(result, Err(CollectError::Parse { .. })),
        "{result:?}"
    );
    assert!(
        text.contains("node_sysctl_kernel_pid_max 4.194304e+06"),
        "{text}"
    );
}

#[test]
fn interrupts_filters_and_zeros() {
    let (_, all) = scrape("hardware", "interrupts", &[]);
    assert!(all.contains("type=\"NMI\""));
    let (_, text) = scrape(
        "hardware",
        "interrupts",
        &[
            "--collector.interrupts.name-exclude=^NMI$",
            "--collector.interrupts.include-zeros=false",
        ],
    );
    assert!(!text.contains("type=\"NMI\""));
    assert!(!text.contains("} 0\n"), "{text}");
}

#[test]
fn bcache_priority_stats_only_when_asked() {
    let (_, text) = scrape("hardware", "bcache", &[]);
    assert!(!text.contains("priority_stats"));
    let (_, text) = scrape("hardware", "bcache", &["--collector.bcache.priorityStats"]);
    assert!(text.contains(
        "node_bcache_priority_stats_unused_percent{cache_device=\"cache0\",uuid=\"deaddd54-c735-46d5-868e-f331c5fd7c74\"} 99"
    ), "{text}");
}

#[test]
fn a_malformed_nfs_mount_costs_only_that_mount() {
    let (result, text) = scrape("hardware-broken", "mountstats", &[]);
    assert!(
        matches!(result, Err(CollectError::Parse { .. })),
        "{result:?}"
    );
    assert!(text.contains("export=\"10.0.0.9:/ok\""), "{text}");
    assert!(!text.contains("broken"), "{text}");
}
