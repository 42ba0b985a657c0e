//! The collectors node_exporter gained after 1.5 (bcachefs, lnstat, xfrm,
//! ksmd, kernel_hung, cpu_vulnerabilities, watchdog, slabinfo, drbd,
//! dmmultipath, qdisc, pcidevice) and netdev over rtnetlink, run over
//! tests/fixtures/latest/: files written from the kernel's documented
//! formats, with odd lines. Every expected value below is worked out by hand
//! from the fixture's numbers (the arithmetic is in the comments), never
//! copied from our own output.

use std::path::{Path, PathBuf};
use std::time::Duration;

mod common;

use exporter_kit::testing::{collect_one, to_text};
use node_exporter::SPEC;
use node_exporter::collectors::COLLECTORS;

fn tree() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/latest")
}

/// Runs one collector over the tree with `extra` flags: (succeeded, text).
async fn run(name: &str, extra: &[&str]) -> (bool, String) {
    let t = tree();
    let mut flags = vec![
        format!("--path.procfs={}", t.join("proc").display()),
        format!("--path.sysfs={}", t.join("sys").display()),
    ];
    flags.extend(extra.iter().map(|s| s.to_string()));
    common::run_collector(name, flags, Duration::from_secs(10)).await
}

/// The value of the series `series` (name{labels}, labels in any order).
fn value(text: &str, series: &str) -> Option<f64> {
    testkit::sample_value(text, series)
}

#[track_caller]
fn expect(text: &str, series: &str, want: f64) {
    match value(text, series) {
        Some(v) => assert_eq!(v, want, "{series}\n{text}"),
        None => panic!("{series} missing from:\n{text}"),
    }
}

fn count(text: &str, prefix: &str) -> usize {
    text.lines().filter(|l| l.starts_with(prefix)).count()
}

const FS: &str = "11111111-2222-3333-4444-555555555555";

#[tokio::test]
async fn bcachefs_sizes_counters_and_devices() {
    let (ok, t) = run("bcachefs", &[]).await;
    assert!(ok, "{t}");
    let u = format!("uuid=\"{FS}\"");
    expect(&t, &format!("node_bcachefs_info{{{u}}}"), 1.0);
    // 1.50M = 1.5 * 1024^2
    expect(
        &t,
        &format!("node_bcachefs_btree_cache_size_bytes{{{u}}}"),
        1_572_864.0,
    );
    // 2.00G = 2 * 1024^3; 3.50G = 3.5 * 1024^3
    expect(
        &t,
        &format!("node_bcachefs_compression_compressed_bytes{{{u},algorithm=\"lz4\"}}"),
        2_147_483_648.0,
    );
    expect(
        &t,
        &format!("node_bcachefs_compression_uncompressed_bytes{{{u},algorithm=\"lz4\"}}"),
        3_758_096_384.0,
    );
    expect(
        &t,
        &format!("node_bcachefs_compression_compressed_bytes{{{u},algorithm=\"zstd\"}}"),
        0.0,
    );
    assert!(!t.contains("algorithm=\"short\""), "a short row is skipped");
    expect(
        &t,
        &format!("node_bcachefs_errors_total{{{u},error_type=\"journal_entry_bad_csum\"}}"),
        3.0,
    );
    // A row without the timestamp column still counts.
    expect(
        &t,
        &format!("node_bcachefs_errors_total{{{u},error_type=\"sb_clean_journal_seq_mismatch\"}}"),
        1.0,
    );
    // Counters: the "since filesystem creation" figure; 2.50M = 2.5 * 1024^2.
    expect(
        &t,
        &format!("node_bcachefs_io_read_total{{{u}}}"),
        2_621_440.0,
    );
    expect(
        &t,
        &format!("node_bcachefs_journal_write_total{{{u}}}"),
        42.0,
    );
    expect(
        &t,
        &format!("node_bcachefs_btree_writes_total{{{u},type=\"initial\"}}"),
        120.0,
    );
    expect(
        &t,
        &format!("node_bcachefs_btree_write_average_size_bytes{{{u},type=\"initial\"}}"),
        4096.0,
    );
    expect(
        &t,
        &format!("node_bcachefs_btree_write_average_size_bytes{{{u},type=\"interior\"}}"),
        512.0,
    );
    let d = format!("{u},device=\"0\"");
    expect(
        &t,
        &format!("node_bcachefs_device_info{{{d},label=\"ssd.fast\",state=\"rw\"}}"),
        1.0,
    );
    expect(
        &t,
        &format!("node_bcachefs_device_bucket_size_bytes{{{d}}}"),
        524_288.0,
    );
    expect(&t, &format!("node_bcachefs_device_buckets{{{d}}}"), 1000.0);
    expect(&t, &format!("node_bcachefs_device_durability{{{d}}}"), 2.0);
    expect(
        &t,
        &format!(
            "node_bcachefs_device_io_done_bytes_total{{{d},operation=\"read\",data_type=\"user\"}}"
        ),
        123_456.0,
    );
    expect(
        &t,
        &format!(
            "node_bcachefs_device_io_done_bytes_total{{{d},operation=\"write\",data_type=\"sb\"}}"
        ),
        8192.0,
    );
    // Only the "since filesystem creation" section (read 7, not 1).
    expect(
        &t,
        &format!("node_bcachefs_device_io_errors_total{{{d},type=\"read\"}}"),
        7.0,
    );
    expect(
        &t,
        &format!("node_bcachefs_device_io_errors_total{{{d},type=\"checksum\"}}"),
        2.0,
    );
}

#[tokio::test]
async fn lnstat_hex_columns_per_cpu() {
    let (ok, t) = run("lnstat", &[]).await;
    assert!(ok, "{t}");
    expect(
        &t,
        r#"node_lnstat_allocs_total{subsystem="arp_cache",cpu="0"}"#,
        10.0,
    );
    expect(
        &t,
        r#"node_lnstat_allocs_total{subsystem="arp_cache",cpu="1"}"#,
        16.0,
    );
    expect(
        &t,
        r#"node_lnstat_destroys_total{subsystem="arp_cache",cpu="0"}"#,
        255.0,
    );
    expect(
        &t,
        r#"node_lnstat_entries_total{subsystem="ndisc_cache",cpu="0"}"#,
        2.0,
    );
    assert_eq!(count(&t, "node_lnstat_"), 8, "{t}");
}

#[tokio::test]
async fn xfrm_every_counter_with_zero_for_the_unprinted() {
    let (ok, t) = run("xfrm", &[]).await;
    assert!(ok, "{t}");
    expect(&t, "node_xfrm_in_error_packets_total", 1.0);
    expect(&t, "node_xfrm_in_no_states_packets_total", 12.0);
    expect(&t, "node_xfrm_out_pol_dead_packets_total", 300.0);
    expect(&t, "node_xfrm_acquire_error_packets_total", 4.0);
    expect(&t, "node_xfrm_in_buffer_error_packets_total", 0.0);
    // The 28 counters upstream knows; a newer kernel's extra one is not one.
    assert_eq!(count(&t, "node_xfrm_"), 28, "{t}");
    assert!(!t.contains("dir_error"), "{t}");
}

#[tokio::test]
async fn ksmd_pages_and_sleep_in_seconds() {
    let (ok, t) = run("ksmd", &[]).await;
    assert!(ok, "{t}");
    expect(&t, "node_ksmd_full_scans_total", 17.0);
    expect(&t, "node_ksmd_pages_sharing", 400.0);
    expect(&t, "node_ksmd_general_profit_bytes", 1_638_400.0);
    // 200 ms
    expect(&t, "node_ksmd_sleep_seconds", 0.2);
    expect(&t, "node_ksmd_run", 1.0);
}

#[tokio::test]
async fn kernel_hung_tasks() {
    let (ok, t) = run("kernel_hung", &[]).await;
    assert!(ok, "{t}");
    expect(&t, "node_kernel_hung_tasks_total", 3.0);
}

#[tokio::test]
async fn cpu_vulnerability_states_and_mitigations() {
    let (ok, t) = run("cpu_vulnerabilities", &[]).await;
    assert!(ok, "{t}");
    let info = |c: &str, s: &str, m: &str| {
        format!(
            "node_cpu_vulnerabilities_info{{codename=\"{c}\",state=\"{s}\",mitigation=\"{m}\"}}"
        )
    };
    expect(&t, &info("meltdown", "not affected", ""), 1.0);
    expect(
        &t,
        &info(
            "spectre_v2",
            "mitigation",
            "Enhanced / Automatic IBRS; IBPB: conditional",
        ),
        1.0,
    );
    expect(&t, &info("gds", "vulnerable", "No microcode"), 1.0);
    expect(&t, &info("odd", "unknown", "KVM: unknown state"), 1.0);
}

#[tokio::test]
async fn watchdog_numbers_and_info() {
    let (ok, t) = run("watchdog", &[]).await;
    assert!(ok, "{t}");
    expect(&t, r#"node_watchdog_fw_version{name="watchdog0"}"#, 16.0);
    expect(&t, r#"node_watchdog_nowayout{name="watchdog0"}"#, 1.0);
    expect(
        &t,
        r#"node_watchdog_timeleft_seconds{name="watchdog0"}"#,
        27.0,
    );
    expect(
        &t,
        r#"node_watchdog_timeout_seconds{name="watchdog1"}"#,
        60.0,
    );
    assert!(
        !t.contains("pretimeout_seconds"),
        "absent files: no series\n{t}"
    );
    expect(
        &t,
        r#"node_watchdog_info{name="watchdog0",options="0x8380",identity="iTCO_wdt",state="active",status="0x8006",pretimeout_governor="panic"}"#,
        1.0,
    );
    expect(
        &t,
        r#"node_watchdog_info{name="watchdog1",options="",identity="",state="",status="",pretimeout_governor=""}"#,
        1.0,
    );
}

#[tokio::test]
async fn slabinfo_caches_and_filter() {
    let (ok, t) = run("slabinfo", &[]).await;
    assert!(ok, "{t}");
    expect(
        &t,
        r#"node_slabinfo_active_objects{slab="ext4_inode_cache"}"#,
        2000.0,
    );
    expect(
        &t,
        r#"node_slabinfo_objects{slab="ext4_inode_cache"}"#,
        2100.0,
    );
    expect(
        &t,
        r#"node_slabinfo_object_size_bytes{slab="kmalloc-64"}"#,
        64.0,
    );
    expect(
        &t,
        r#"node_slabinfo_objects_per_slab{slab="ext4_inode_cache"}"#,
        27.0,
    );
    expect(
        &t,
        r#"node_slabinfo_pages_per_slab{slab="ext4_inode_cache"}"#,
        8.0,
    );
    let (_, t) = run("slabinfo", &["--collector.slabinfo.slabs-include=^kmalloc"]).await;
    assert!(t.contains("kmalloc-64") && !t.contains("ext4"), "{t}");
    let (_, t) = run("slabinfo", &["--collector.slabinfo.slabs-exclude=^kmalloc"]).await;
    assert!(!t.contains("kmalloc-64") && t.contains("ext4"), "{t}");
}

#[tokio::test]
async fn drbd_devices_roles_and_kib_counters() {
    let (ok, t) = run("drbd", &[]).await;
    assert!(ok, "{t}");
    expect(&t, r#"node_drbd_connected{device="drbd0"}"#, 0.0);
    expect(&t, r#"node_drbd_connected{device="drbd1"}"#, 1.0);
    expect(
        &t,
        r#"node_drbd_node_role_is_primary{device="drbd0",node="local"}"#,
        0.0,
    );
    expect(
        &t,
        r#"node_drbd_node_role_is_primary{device="drbd1",node="local"}"#,
        1.0,
    );
    expect(
        &t,
        r#"node_drbd_disk_state_is_up_to_date{device="drbd0",node="remote"}"#,
        0.0,
    );
    // dw:100 dr:300 oos:4 KiB; ns:10 KiB on drbd1; nr is not scaled (as upstream).
    expect(
        &t,
        r#"node_drbd_disk_written_bytes_total{device="drbd0"}"#,
        102_400.0,
    );
    expect(
        &t,
        r#"node_drbd_disk_read_bytes_total{device="drbd0"}"#,
        307_200.0,
    );
    expect(&t, r#"node_drbd_out_of_sync_bytes{device="drbd0"}"#, 4096.0);
    expect(
        &t,
        r#"node_drbd_network_sent_bytes_total{device="drbd1"}"#,
        10_240.0,
    );
    expect(
        &t,
        r#"node_drbd_network_received_bytes_total{device="drbd0"}"#,
        2048.0,
    );
    expect(&t, r#"node_drbd_application_pending{device="drbd0"}"#, 3.0);
}

#[tokio::test]
async fn dmmultipath_devices_and_paths() {
    let (ok, t) = run("dmmultipath", &[]).await;
    assert!(ok, "{t}");
    let d = r#"device="mpatha",sysfs_name="dm-0""#;
    expect(
        &t,
        r#"node_dmmultipath_device_info{device="mpatha",sysfs_name="dm-0",uuid="mpath-36001405abcdef"}"#,
        1.0,
    );
    expect(&t, &format!("node_dmmultipath_device_active{{{d}}}"), 1.0);
    // 2048 sectors of 512 bytes
    expect(
        &t,
        &format!("node_dmmultipath_device_size_bytes{{{d}}}"),
        1_048_576.0,
    );
    expect(&t, &format!("node_dmmultipath_device_paths{{{d}}}"), 2.0);
    expect(
        &t,
        &format!("node_dmmultipath_device_paths_active{{{d}}}"),
        1.0,
    );
    expect(
        &t,
        &format!("node_dmmultipath_device_paths_failed{{{d}}}"),
        1.0,
    );
    expect(
        &t,
        r#"node_dmmultipath_path_state{device="mpatha",path="sdc",state="blocked"}"#,
        1.0,
    );
    assert!(
        !t.contains("vg-root"),
        "an LVM volume is not multipath\n{t}"
    );
}

#[tokio::test]
async fn qdisc_root_disciplines_from_fixtures_and_filters() {
    let dir = format!(
        "--collector.qdisc.fixtures={}",
        tree().join("qdisc").display()
    );
    let (ok, t) = run("qdisc", &[&dir]).await;
    assert!(ok, "{t}");
    let e = r#"device="eth0",kind="fq_codel""#;
    expect(
        &t,
        &format!("node_qdisc_bytes_total{{{e}}}"),
        123_456_789_012.0,
    );
    expect(&t, &format!("node_qdisc_packets_total{{{e}}}"), 1000.0);
    expect(&t, &format!("node_qdisc_drops_total{{{e}}}"), 3.0);
    expect(&t, &format!("node_qdisc_requeues_total{{{e}}}"), 2.0);
    expect(&t, &format!("node_qdisc_overlimits_total{{{e}}}"), 1.0);
    expect(&t, &format!("node_qdisc_current_queue_length{{{e}}}"), 4.0);
    expect(&t, &format!("node_qdisc_backlog{{{e}}}"), 1500.0);
    // The child discipline (parent 1:1) is not a root one.
    assert_eq!(count(&t, "node_qdisc_bytes_total{"), 2, "{t}");
    let (_, t) = run("qdisc", &[&dir, "--collector.qdisc.device-include=^eth"]).await;
    assert!(!t.contains("wlan0"), "{t}");
    let (_, t) = run("qdisc", &[&dir, "--collector.qdisk.device-exclude=^eth"]).await;
    assert!(
        !t.contains("eth0") && t.contains("wlan0"),
        "deprecated spelling\n{t}"
    );
}

/// Without fixtures the collector asks the kernel: the loopback interface
/// of the test's network namespace has a root qdisc (`noqueue` or another).
#[tokio::test]
async fn qdisc_over_rtnetlink_sees_loopback() {
    let (ok, t) = run("qdisc", &["--collector.qdisc.device-include=^lo$"]).await;
    assert!(ok, "{t}");
    assert!(
        t.lines()
            .any(|l| l.starts_with("node_qdisc_packets_total{device=\"lo\",kind=")),
        "{t}"
    );
}

#[test]
fn qdisc_include_and_exclude_are_exclusive() {
    let argv = [
        "node-exporter",
        "--collector.qdisc.device-include=a",
        "--collector.qdisc.device-exclude=b",
    ]
    .map(String::from);
    let cli = exporter_kit::args::parse_from(&SPEC, COLLECTORS, argv).expect("flags parse");
    let reg = COLLECTORS
        .iter()
        .find(|r| r.name == "qdisc")
        .expect("registered");
    assert!(
        reg.build(&cli.args, &exporter_kit::BuildContext::new())
            .is_err()
    );
}

#[tokio::test]
async fn pcidevice_locations_links_power_and_sriov() {
    let (ok, t) = run("pcidevice", &[]).await;
    assert!(ok, "{t}");
    let port = r#"segment="0000",bus="00",device="1c",function="0""#;
    let nvme = r#"segment="0000",bus="03",device="00",function="0""#;
    expect(
        &t,
        &format!(
            "node_pcidevice_info{{{port},parent_segment=\"*\",parent_bus=\"*\",parent_device=\"*\",parent_function=\"*\",class_id=\"0x060400\",vendor_id=\"0x8086\",device_id=\"0xa110\",subsystem_vendor_id=\"0x1028\",subsystem_device_id=\"0x07a1\",revision=\"0xf0\"}}"
        ),
        1.0,
    );
    expect(
        &t,
        &format!(
            "node_pcidevice_info{{{nvme},parent_segment=\"0000\",parent_bus=\"00\",parent_device=\"1c\",parent_function=\"0\",class_id=\"0x010802\",vendor_id=\"0x144d\",device_id=\"0xa808\",subsystem_vendor_id=\"0x144d\",subsystem_device_id=\"0xa801\",revision=\"0x00\"}}"
        ),
        1.0,
    );
    // 8.0 GT/s and 2.5 GT/s in transfers per second; "Unknown" and absent read -1.
    expect(
        &t,
        &format!("node_pcidevice_max_link_transfers_per_second{{{port}}}"),
        8e9,
    );
    expect(
        &t,
        &format!("node_pcidevice_current_link_transfers_per_second{{{port}}}"),
        2.5e9,
    );
    expect(
        &t,
        &format!("node_pcidevice_current_link_width{{{port}}}"),
        1.0,
    );
    expect(
        &t,
        &format!("node_pcidevice_current_link_transfers_per_second{{{nvme}}}"),
        -1.0,
    );
    expect(
        &t,
        &format!("node_pcidevice_current_link_width{{{nvme}}}"),
        -1.0,
    );
    expect(
        &t,
        &format!("node_pcidevice_power_state{{{port},state=\"D0\"}}"),
        1.0,
    );
    expect(
        &t,
        &format!("node_pcidevice_power_state{{{nvme},state=\"D0\"}}"),
        0.0,
    );
    expect(
        &t,
        &format!("node_pcidevice_power_state{{{nvme},state=\"D3hot\"}}"),
        1.0,
    );
    expect(&t, &format!("node_pcidevice_d3cold_allowed{{{nvme}}}"), 0.0);
    expect(&t, &format!("node_pcidevice_sriov_totalvfs{{{nvme}}}"), 8.0);
    expect(&t, &format!("node_pcidevice_sriov_numvfs{{{nvme}}}"), 2.0);
    expect(
        &t,
        &format!("node_pcidevice_sriov_drivers_autoprobe{{{nvme}}}"),
        1.0,
    );
    expect(
        &t,
        &format!("node_pcidevice_sriov_vf_total_msix{{{nvme}}}"),
        64.0,
    );
    expect(&t, &format!("node_pcidevice_sriov_totalvfs{{{port}}}"), 0.0);
    // numa_node -1 (no affinity) is not exported.
    expect(&t, &format!("node_pcidevice_numa_node{{{nvme}}}"), 1.0);
    assert!(
        value(&t, &format!("node_pcidevice_numa_node{{{port}}}")).is_none(),
        "{t}"
    );
}

#[tokio::test]
async fn pcidevice_names_from_the_ids_file() {
    let ids = format!(
        "--collector.pcidevice.idsfile={}",
        tree().join("pci.ids").display()
    );
    let (ok, t) = run("pcidevice", &["--collector.pcidevice.names", &ids]).await;
    assert!(ok, "{t}");
    let info = |bus: &str| {
        t.lines()
            .find(|l| {
                l.starts_with("node_pcidevice_info{")
                    && l.contains(&format!("bus=\"{bus}\""))
                    && l.contains("segment=\"0000\"")
            })
            .unwrap_or_else(|| panic!("no info for bus {bus}\n{t}"))
    };
    let nvme = info("03");
    for pair in [
        r#"vendor_name="Samsung Electronics Co Ltd""#,
        r#"device_name="NVMe SSD Controller SM981""#,
        r#"subsystem_vendor_name="Samsung Electronics Co Ltd""#,
        r#"subsystem_device_name="SSD 970 EVO""#,
        r#"class_name="NVM Express""#,
    ] {
        assert!(nvme.contains(pair), "{pair} in {nvme}");
    }
    // Unknown subsystem ids fall back to the bare id; the class to its subclass.
    let port = info("00");
    for pair in [
        r#"subsystem_vendor_name="1028""#,
        r#"subsystem_device_name="07a1""#,
        r#"class_name="PCI bridge""#,
    ] {
        assert!(port.contains(pair), "{pair} in {port}");
    }
}

/// The loopback's counters from the kernel over rtnetlink, checked against
/// a second source: sysfs's statistics files read before and after.
#[tokio::test]
async fn netdev_over_rtnetlink_matches_sysfs() {
    let stat = |f: &str| -> f64 {
        std::fs::read_to_string(format!("/sys/class/net/lo/statistics/{f}"))
            .expect("lo statistics")
            .trim()
            .parse()
            .expect("number")
    };
    let before = stat("rx_packets");
    let (ok, t) = run("netdev", &["--collector.netdev.device-include=^lo$"]).await;
    let after = stat("rx_packets");
    assert!(ok, "{t}");
    let v = value(&t, r#"node_network_receive_packets_total{device="lo"}"#)
        .unwrap_or_else(|| panic!("no lo packets\n{t}"));
    assert!(before <= v && v <= after, "{before} <= {v} <= {after}");
    // /proc/net/dev's names, the error counters folded as upstream folds them.
    for f in [
        "receive_drop",
        "receive_frame",
        "receive_nohandler",
        "transmit_carrier",
        "transmit_colls",
    ] {
        assert!(
            value(&t, &format!("node_network_{f}_total{{device=\"lo\"}}")).is_some(),
            "{f}\n{t}"
        );
    }
    // The fixture tree's /proc/net/dev (eth0) is not read.
    assert!(!t.contains("eth0"), "{t}");
    let (_, t) = run(
        "netdev",
        &[
            "--collector.netdev.device-include=^lo$",
            "--collector.netdev.enable-detailed-metrics",
        ],
    )
    .await;
    assert!(
        value(&t, r#"node_network_receive_crc_errors_total{device="lo"}"#).is_some(),
        "{t}"
    );
}

#[tokio::test]
async fn wifi_interfaces_bss_and_stations_from_fixtures() {
    let dir = format!(
        "--collector.wifi.fixtures={}",
        tree().join("wifi").display()
    );
    let (ok, t) = run("wifi", &[&dir]).await;
    assert!(ok, "{t}");
    // 5180 MHz
    expect(
        &t,
        r#"node_wifi_interface_frequency_hertz{device="wlp2s0"}"#,
        5.18e9,
    );
    // "ABEiM0RV" is base64 for 00 11 22 33 44 55; status 1 (associated) is a client.
    expect(
        &t,
        r#"node_wifi_station_info{device="wlp2s0",bssid="00:11:22:33:44:55",ssid="lab-net",mode="client"}"#,
        1.0,
    );
    let s = r#"device="wlp2s0",mac_address="00:11:22:33:44:55""#;
    // 90e9 ns and 250e6 ns
    expect(
        &t,
        &format!("node_wifi_station_connected_seconds_total{{{s}}}"),
        90.0,
    );
    expect(
        &t,
        &format!("node_wifi_station_inactive_seconds{{{s}}}"),
        0.25,
    );
    expect(
        &t,
        &format!("node_wifi_station_receive_bits_per_second{{{s}}}"),
        866_700_000.0,
    );
    expect(
        &t,
        &format!("node_wifi_station_receive_bytes_total{{{s}}}"),
        123_456_789.0,
    );
    expect(&t, &format!("node_wifi_station_signal_dbm{{{s}}}"), -61.0);
    expect(
        &t,
        &format!("node_wifi_station_transmit_retries_total{{{s}}}"),
        7.0,
    );
    expect(
        &t,
        &format!("node_wifi_station_transmitted_packets_total{{{s}}}"),
        500.0,
    );
    // The nameless virtual device is skipped.
    assert_eq!(count(&t, "node_wifi_interface_frequency_hertz{"), 1, "{t}");
}

/// Over nl80211: a host without cfg80211 is "no data", one without
/// wireless interfaces an empty success; never a failed scrape.
#[tokio::test]
async fn wifi_over_nl80211_without_hardware_is_no_data_or_empty() {
    let argv = ["node-exporter"].map(String::from);
    let cli = exporter_kit::args::parse_from(&SPEC, COLLECTORS, argv).expect("flags parse");
    let reg = COLLECTORS
        .iter()
        .find(|r| r.name == "wifi")
        .expect("registered");
    let collector = reg
        .build(&cli.args, &exporter_kit::BuildContext::new())
        .expect("builds");
    let (result, _) = collect_one(&collector, Duration::from_secs(10)).await;
    assert!(
        matches!(result, Ok(()) | Err(exporter_kit::CollectError::NoData)),
        "{result:?}"
    );
}

/// ARP entries over rtnetlink (the default) agree with this host's
/// /proc/net/arp, counted here by hand per device.
#[tokio::test]
async fn arp_over_rtnetlink_matches_proc_net_arp() {
    let proc_arp = std::fs::read_to_string("/proc/net/arp").expect("/proc/net/arp");
    let mut want: Vec<(String, f64)> = Vec::new();
    for device in proc_arp
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(5))
    {
        match want.iter_mut().find(|(d, _)| d == device) {
            Some((_, n)) => *n += 1.0,
            None => want.push((device.to_string(), 1.0)),
        }
    }
    let (ok, t) = run("arp", &[]).await;
    assert!(ok, "{t}");
    for (device, n) in &want {
        expect(&t, &format!("node_arp_entries{{device=\"{device}\"}}"), *n);
    }
    assert_eq!(count(&t, "node_arp_entries{"), want.len(), "{t}");
}

/// `--collector.netclass_rtnl.with-stats` with netlink: the loopback's link
/// statistics as gauges, between sysfs's figures read before and after.
#[tokio::test]
async fn netclass_rtnl_with_stats_reports_link_statistics() {
    let rx = || -> f64 {
        std::fs::read_to_string("/sys/class/net/lo/statistics/rx_bytes")
            .expect("lo statistics")
            .trim()
            .parse()
            .expect("number")
    };
    let argv = [
        "node-exporter",
        "--collector.netclass.netlink",
        "--collector.netclass_rtnl.with-stats",
    ]
    .map(String::from);
    let cli = exporter_kit::args::parse_from(&SPEC, COLLECTORS, argv).expect("flags parse");
    let reg = COLLECTORS
        .iter()
        .find(|r| r.name == "netclass")
        .expect("registered");
    let collector = reg
        .build(&cli.args, &exporter_kit::BuildContext::new())
        .expect("builds");
    let before = rx();
    let (result, families) = collect_one(&collector, Duration::from_secs(10)).await;
    let after = rx();
    assert!(result.is_ok(), "{result:?}");
    let t = to_text(&families);
    assert!(
        t.contains("# TYPE node_network_receive_bytes_total gauge"),
        "{t}"
    );
    let v = value(&t, r#"node_network_receive_bytes_total{device="lo"}"#)
        .unwrap_or_else(|| panic!("no lo bytes\n{t}"));
    assert!(before <= v && v <= after, "{before} <= {v} <= {after}");

    // Without netlink mode the flag would do nothing: refused at startup.
    let argv = ["node-exporter", "--collector.netclass_rtnl.with-stats"].map(String::from);
    let cli = exporter_kit::args::parse_from(&SPEC, COLLECTORS, argv).expect("flags parse");
    assert!(
        reg.build(&cli.args, &exporter_kit::BuildContext::new())
            .is_err()
    );
}

#[tokio::test]
async fn swap_areas_in_bytes() {
    let (ok, t) = run("swap", &[]).await;
    assert!(ok, "{t}");
    // 8388604 KiB * 1024; 1024 KiB * 1024
    expect(
        &t,
        r#"node_swap_size_bytes{device="/dev/dm-1",swap_type="partition"}"#,
        8_589_930_496.0,
    );
    expect(
        &t,
        r#"node_swap_used_bytes{device="/dev/dm-1",swap_type="partition"}"#,
        1_048_576.0,
    );
    expect(
        &t,
        r#"node_swap_priority{device="/dev/dm-1",swap_type="partition"}"#,
        -2.0,
    );
    expect(
        &t,
        r#"node_swap_priority{device="/swapfile",swap_type="file"}"#,
        10.0,
    );
}

#[tokio::test]
async fn nvmesubsystem_paths_and_states() {
    let (ok, t) = run("nvmesubsystem", &[]).await;
    assert!(ok, "{t}");
    expect(
        &t,
        r#"node_nvmesubsystem_info{subsystem="nvme-subsys0",nqn="nqn.2014-08.org.nvmexpress:uuid:0b3e2a2e-1111-2222-3333-444455556666",model="Fabric Array",serial="SN0042",iopolicy="round-robin"}"#,
        1.0,
    );
    expect(
        &t,
        r#"node_nvmesubsystem_namespace_info{subsystem="nvme-subsys0",device="nvme0n2"}"#,
        1.0,
    );
    // Three controllers, one live.
    expect(
        &t,
        r#"node_nvmesubsystem_paths{subsystem="nvme-subsys0"}"#,
        3.0,
    );
    expect(
        &t,
        r#"node_nvmesubsystem_paths_live{subsystem="nvme-subsys0"}"#,
        1.0,
    );
    let state = |c: &str, tr: &str, s: &str| {
        format!(
            "node_nvmesubsystem_path_state{{subsystem=\"nvme-subsys0\",controller=\"{c}\",transport=\"{tr}\",state=\"{s}\"}}"
        )
    };
    expect(&t, &state("nvme1", "tcp", "connecting"), 1.0);
    expect(&t, &state("nvme1", "tcp", "live"), 0.0);
    // "deleting (no IO)" counts as deleting.
    expect(&t, &state("nvme2", "rdma", "deleting"), 1.0);
    assert_eq!(
        count(&t, "node_nvmesubsystem_path_state{"),
        21,
        "7 states x 3 paths\n{t}"
    );
}

#[tokio::test]
async fn drm_amdgpu_cards_only() {
    let (ok, t) = run("drm", &[]).await;
    assert!(ok, "{t}");
    expect(
        &t,
        r#"node_drm_card_info{card="card0",memory_vendor="samsung",power_performance_level="auto",unique_id="0123456789abcdef",vendor="amd"}"#,
        1.0,
    );
    expect(&t, r#"node_drm_gpu_busy_percent{card="card0"}"#, 4.0);
    expect(
        &t,
        r#"node_drm_memory_vram_size_bytes{card="card0"}"#,
        17_163_091_968.0,
    );
    expect(
        &t,
        r#"node_drm_memory_vis_vram_used_bytes{card="card0"}"#,
        73_056_256.0,
    );
    expect(
        &t,
        r#"node_drm_memory_gtt_used_bytes{card="card0"}"#,
        144_560_128.0,
    );
    // card1 is an i915 GPU; card0-DP-1 is a connector, not a card.
    assert!(!t.contains("card1") && !t.contains("DP-1"), "{t}");
}

/// A runit service directory as runsv leaves it: supervise/status records
/// written here byte by byte (TAI64 seconds big-endian, nanoseconds, pid
/// little-endian, paused, want, term, state).
#[tokio::test]
async fn runit_services_from_supervise_status() {
    let dir = tempfile::tempdir().expect("tempdir");
    let record = |unix: u64, pid: u32, want: u8, state: u8| {
        let mut b = ((1u64 << 62) + 10 + unix).to_be_bytes().to_vec();
        b.extend_from_slice(&[0, 0, 0, 0]);
        b.extend_from_slice(&pid.to_le_bytes());
        b.extend_from_slice(&[0, want, 0, state]);
        b
    };
    let service = |name: &str, status: Option<Vec<u8>>, down: bool| {
        let s = dir.path().join(name);
        std::fs::create_dir_all(s.join("supervise")).expect("mkdir");
        if let Some(b) = status {
            std::fs::write(s.join("supervise/status"), b).expect("status");
        }
        if down {
            std::fs::write(s.join("down"), "").expect("down");
        }
    };
    service("sshd", Some(record(1_700_000_000, 812, b'u', 1)), false);
    service("cron", Some(record(1_600_000_000, 0, b'd', 0)), true);
    service("fresh", None, false);
    std::fs::write(dir.path().join("README"), "not a service").expect("file");
    let flag = format!("--collector.runit.servicedir={}", dir.path().display());
    let (ok, t) = run("runit", &[&flag]).await;
    assert!(ok, "{t}");
    let l = |s: &str| format!("{{service=\"{s}\",supervisor=\"runit\"}}");
    expect(&t, &format!("node_service_state{}", l("sshd")), 1.0);
    expect(&t, &format!("node_service_desired_state{}", l("sshd")), 1.0);
    expect(&t, &format!("node_service_normal_state{}", l("sshd")), 1.0);
    expect(
        &t,
        &format!(
            "node_service_state_last_change_timestamp_seconds{}",
            l("sshd")
        ),
        1_700_000_000.0,
    );
    expect(&t, &format!("node_service_state{}", l("cron")), 0.0);
    expect(&t, &format!("node_service_desired_state{}", l("cron")), 0.0);
    expect(&t, &format!("node_service_normal_state{}", l("cron")), 0.0);
    assert!(!t.contains("fresh") && !t.contains("README"), "{t}");
}

/// A minimal SNTP server on loopback answering one query: stratum 2, root
/// delay 0.5 s and dispersion 0.25 s, a reference time 100 s ago, and its
/// clock `ahead` of ours.
fn ntp_responder(ahead: std::time::Duration, reference_unix: u64) -> u16 {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let port = socket.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut query = [0u8; 48];
        let Ok((_, peer)) = socket.recv_from(&mut query) else {
            return;
        };
        let ntp = |unix: std::time::Duration| -> u64 {
            let frac = (u64::from(unix.subsec_nanos()) << 32) / 1_000_000_000;
            ((unix.as_secs() + 2_208_988_800) << 32) | frac
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            + ahead;
        let mut reply = [0u8; 48];
        reply[0] = (4 << 3) | 4; // leap 0, version 4, mode 4 (server)
        reply[1] = 2;
        reply[4..8].copy_from_slice(&0x0000_8000u32.to_be_bytes());
        reply[8..12].copy_from_slice(&0x0000_4000u32.to_be_bytes());
        reply[16..24].copy_from_slice(&((reference_unix + 2_208_988_800) << 32).to_be_bytes());
        reply[24..32].copy_from_slice(&query[40..48]);
        reply[32..40].copy_from_slice(&ntp(now).to_be_bytes());
        reply[40..48].copy_from_slice(&ntp(now).to_be_bytes());
        let _ = socket.send_to(&reply, peer);
    });
    port
}

#[tokio::test]
async fn ntp_query_against_a_loopback_server() {
    let reference = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        - 100;
    let port = ntp_responder(Duration::ZERO, reference);
    let flag = format!("--collector.ntp.server-port={port}");
    let (ok, t) = run("ntp", &[&flag]).await;
    assert!(ok, "{t}");
    expect(&t, "node_ntp_stratum", 2.0);
    expect(&t, "node_ntp_leap", 0.0);
    // 0x8000 and 0x4000 sixty-five-thousand-five-hundred-thirty-sixths
    expect(&t, "node_ntp_root_delay_seconds", 0.5);
    expect(&t, "node_ntp_root_dispersion_seconds", 0.25);
    expect(&t, "node_ntp_reference_timestamp_seconds", reference as f64);
    // In step with our clock, fresh, close to the root: sane.
    expect(&t, "node_ntp_sanity", 1.0);

    // A server 5 s ahead: the offset says so and the answer is not sane.
    let port = ntp_responder(Duration::from_secs(5), reference);
    let flag = format!("--collector.ntp.server-port={port}");
    let (ok, t) = run("ntp", &[&flag]).await;
    assert!(ok, "{t}");
    let offset = value(&t, "node_ntp_offset_seconds").expect("offset");
    assert!((4.0..6.0).contains(&offset), "{offset}\n{t}");
    expect(&t, "node_ntp_sanity", 0.0);
}

#[test]
fn ntp_refuses_a_remote_server_and_bad_versions() {
    let builds = |flags: &[&str]| {
        let mut argv = vec!["node-exporter".to_string()];
        argv.extend(flags.iter().map(|s| s.to_string()));
        let cli = exporter_kit::args::parse_from(&SPEC, COLLECTORS, argv).expect("flags parse");
        let reg = COLLECTORS
            .iter()
            .find(|r| r.name == "ntp")
            .expect("registered");
        reg.build(&cli.args, &exporter_kit::BuildContext::new())
            .is_ok()
    };
    assert!(builds(&[]));
    assert!(!builds(&["--collector.ntp.server=192.0.2.1"]));
    assert!(builds(&[
        "--collector.ntp.server=192.0.2.1",
        "--collector.ntp.server-is-local"
    ]));
    assert!(!builds(&["--collector.ntp.protocol-version=5"]));
    assert!(!builds(&["--collector.ntp.server-port=70000"]));
}
