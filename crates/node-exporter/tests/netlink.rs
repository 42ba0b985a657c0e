//! Collectors that ask the running kernel over netlink or ioctls
//! (network_route, tcpstat, ethtool), checked against what the same kernel
//! shows in /proc and /sys.

use std::net::{Ipv4Addr, TcpListener};
use std::time::Duration;

use exporter_kit::testing::{collect_one, to_text};
use node_exporter::SPEC;
use node_exporter::collectors::COLLECTORS;

fn scrape(collector: &str) -> (bool, String) {
    scrape_with(collector, &[])
}

fn scrape_with(collector: &str, extra: &[&str]) -> (bool, String) {
    let mut argv = vec!["node-exporter"];
    argv.extend_from_slice(extra);
    let cli = exporter_kit::args::parse_from(&SPEC, COLLECTORS, argv).expect("flags");
    let reg = COLLECTORS
        .iter()
        .find(|r| r.name == collector)
        .expect("registered");
    let built = (reg.build)(&cli.args).expect("builds");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (result, families) = rt.block_on(collect_one(&built, Duration::from_secs(10)));
    (result.is_ok(), to_text(&families))
}

#[test]
fn network_route_reports_every_ipv4_main_table_route() {
    let (ok, text) = scrape("network_route");
    assert!(ok, "{text}");
    let routes = std::fs::read_to_string("/proc/net/route").expect("/proc/net/route");
    for line in routes.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 8 {
            continue;
        }
        let dst = u32::from_str_radix(f[1], 16).expect("hex destination");
        let mask = u32::from_str_radix(f[7], 16).expect("hex mask");
        let bits = mask.count_ones();
        // /proc/net/route prints little-endian words.
        let dest = if bits == 0 {
            "dest=\"default\"".to_string()
        } else {
            format!("dest=\"{}/{bits}\"", Ipv4Addr::from(u32::from_be(dst)))
        };
        assert!(
            text.contains(&format!("device=\"{}\"", f[0])) && text.contains(&dest),
            "route {line:?} missing from:\n{text}"
        );
    }
}

#[test]
fn tcpstat_sees_a_listening_socket() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let (ok, text) = scrape("tcpstat");
    assert!(ok, "{text}");
    let listen = text
        .lines()
        .find_map(|l| l.strip_prefix("node_tcp_connection_states{state=\"listen\"} "))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0);
    assert!(listen >= 1.0, "{text}");
    assert!(text.contains("state=\"tx_queued_bytes\""));
    drop(listener);
}

#[test]
fn ethtool_reports_drivers_and_skips_devices_without_one() {
    let (ok, text) = scrape("ethtool");
    assert!(ok, "{text}");
    // The loopback device has no ethtool driver: no info series for it.
    assert!(!text.contains("device=\"lo\""), "{text}");
    // Every info series names a device that exists in sysfs.
    for line in text.lines().filter(|l| l.starts_with("node_ethtool_info{")) {
        let dev = line
            .split("device=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("device label");
        assert!(
            std::path::Path::new("/sys/class/net").join(dev).exists(),
            "{line}"
        );
    }
    let (ok, text) = scrape_with("ethtool", &["--collector.ethtool.device-exclude=."]);
    assert!(ok);
    assert!(!text.contains("node_ethtool_info{"), "{text}");
}

/// `--collector.netclass.netlink` (node_exporter 1.12): alternative
/// interface names come from an RTM_GETLINK dump. This test's thread moves
/// into a network namespace of its own and gives its loopback an altname.
#[test]
fn netclass_netlink_lists_link_altnames() {
    let ip = testkit::require("ip");
    #[allow(unsafe_code)]
    // SAFETY: unshare(2) with CLONE_NEWNET moves only this thread (and the
    // processes it starts) into a new, empty network namespace.
    let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
    assert_eq!(
        rc,
        0,
        "unshare(CLONE_NEWNET) needs root: {}",
        std::io::Error::last_os_error()
    );
    let status = std::process::Command::new(ip)
        .args([
            "link", "property", "add", "dev", "lo", "altname", "ferro-lo",
        ])
        .status()
        .expect("ip runs");
    assert!(status.success(), "ip link property add failed");
    let names = node_exporter::collectors::netclass::link_altnames().expect("netlink dump");
    assert_eq!(names, vec![("lo".to_string(), "ferro-lo".to_string())]);

    // Without the flag the family is absent; with it the collector still
    // reports its sysfs families.
    let (ok, text) = scrape_with("netclass", &[]);
    assert!(ok && !text.contains("node_network_altnames_info"), "{text}");
    let (ok, text) = scrape_with("netclass", &["--collector.netclass.netlink"]);
    assert!(ok && text.contains("node_network_up{"), "{text}");
}
